import { useId, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import { isActiveExport, type ArchiveExport } from '../../api/archive.ts';
import { formatBytes, formatShortDateTime } from '../../format.ts';
import type { ResourceState } from '../../hooks/use-resource.ts';
import { ErrorAlert, Loading } from '../feedback.tsx';
import { ActionLabel } from '../workspace-dialogs.tsx';
import { missingCount } from './export-progress.tsx';

/** The exports asked for before, newest first: download or delete each. */
export function ExportHistory({
  state,
  reload,
  appName,
  headingRef,
  onDelete,
  onShow,
  shownId,
}: {
  state: ResourceState<ArchiveExport[]>;
  reload: () => void;
  appName: (id: string) => string;
  headingRef: RefObject<HTMLHeadingElement | null>;
  onDelete: (exported: ArchiveExport) => void;
  /** Shows an export's details above (its progress, what is missing). */
  onShow: (exported: ArchiveExport) => void;
  /** The export shown above, marked in the list. */
  shownId: string | undefined;
}) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const titleId = useId();
  // "long": in English "Blog, Calendar, and Wiki" (the short style writes "&").
  const list = new Intl.ListFormat(language, { style: 'long', type: 'conjunction' });
  // Also each value's label when a row is shown as a card (phones).
  const columns = {
    date: t('archive.history.columns.date'),
    apps: t('archive.history.columns.apps'),
    status: t('archive.history.columns.status'),
    size: t('archive.history.columns.size'),
  };

  return (
    <section className="export-history" aria-labelledby={titleId}>
      <h2 id={titleId} ref={headingRef} tabIndex={-1} className="export-history__title">
        {t('archive.history.title')}
      </h2>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ErrorAlert error={state.error} onRetry={reload} />}
      {state.status === 'success' &&
        (state.data.length === 0 ? (
          <p className="muted">{t('archive.history.empty')}</p>
        ) : (
          <div className="table-wrap">
            <table className="ws-table ws-table--cards" aria-labelledby={titleId}>
              <thead>
                <tr>
                  <th scope="col">{columns.date}</th>
                  <th scope="col">{columns.apps}</th>
                  <th scope="col">{columns.status}</th>
                  <th scope="col">{columns.size}</th>
                  <th scope="col">{t('archive.history.columns.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {state.data.map((exported) => {
                  const date = formatShortDateTime(exported.createdAt, language);
                  const what = t('archive.history.exportOf', { date });
                  const missing = exported.status === 'ready' ? missingCount(exported) : 0;
                  return (
                    <tr
                      key={exported.id}
                      id={`export-${exported.id}`}
                      aria-current={shownId === exported.id ? 'true' : undefined}
                    >
                      <td className="ws-table__number" data-label={columns.date}>
                        <time dateTime={exported.createdAt.toISOString()}>{date}</time>
                      </td>
                      <td data-label={columns.apps}>{list.format(exported.apps.map(appName))}</td>
                      <td data-label={columns.status}>
                        <span className={`export-status export-status--${exported.status}`}>
                          {t(`archive.status.${exported.status}`)}
                        </span>
                        {missing > 0 && (
                          <span className="export-history__missing">
                            {' – '}
                            {t('archive.history.missing', { count: missing })}
                          </span>
                        )}
                        {exported.status === 'ready' && exported.expiresAt !== null && (
                          <span className="muted export-history__until">
                            {' '}
                            {t('archive.history.until', {
                              date: formatShortDateTime(exported.expiresAt, language),
                            })}
                          </span>
                        )}
                      </td>
                      <td className="ws-table__number" data-label={columns.size}>
                        {exported.size === null ? (
                          <>
                            <span aria-hidden="true">—</span>
                            <span className="visually-hidden">{t('archive.history.noSize')}</span>
                          </>
                        ) : (
                          formatBytes(exported.size, language)
                        )}
                      </td>
                      <td className="ws-table__actions">
                        <ul className="row-actions">
                          {exported.downloadUrl !== null && (
                            <li>
                              <a
                                className="button button--small"
                                href={exported.downloadUrl}
                                download={exported.fileName ?? ''}
                              >
                                <ActionLabel action={t('archive.history.download')} name={what} />
                              </a>
                            </li>
                          )}
                          {shownId !== exported.id && (
                            <li>
                              <button
                                type="button"
                                className="button button--small"
                                onClick={() => {
                                  onShow(exported);
                                }}
                              >
                                <ActionLabel action={t('archive.history.details')} name={what} />
                              </button>
                            </li>
                          )}
                          {!isActiveExport(exported.status) && (
                            <li>
                              <button
                                type="button"
                                className="button button--small button--danger-secondary"
                                onClick={() => {
                                  onDelete(exported);
                                }}
                              >
                                <ActionLabel action={t('archive.history.delete')} name={what} />
                              </button>
                            </li>
                          )}
                        </ul>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ))}
    </section>
  );
}
