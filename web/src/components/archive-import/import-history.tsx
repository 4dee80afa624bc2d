import { useId, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import type { ArchiveImport } from '../../api/imports.ts';
import { formatShortDateTime } from '../../format.ts';
import type { ResourceState } from '../../hooks/use-resource.ts';
import { ErrorAlert, Loading } from '../feedback.tsx';
import { ActionLabel } from '../workspace-dialogs.tsx';
import { importApps, totals, useImportStatusText } from './report-text.ts';

/** "45 contenus importés, 2 erreurs": an import's result in a few words, if it has one. */
function useShortResult(): (imported: ArchiveImport) => string | undefined {
  const { t, i18n } = useTranslation();
  const list = new Intl.ListFormat(i18n.resolvedLanguage ?? 'fr', {
    style: 'long',
    type: 'unit',
  });
  return (imported) => {
    const { report } = imported;
    if (report === null) return undefined;
    const sum = totals(report);
    if (imported.status === 'undone')
      return t('importer.history.wasImported', { count: sum.imported });
    const parts = [
      report.dryRun
        ? t('importer.history.toImport', { count: sum.imported })
        : t('importer.history.imported', { count: sum.imported }),
    ];
    if (sum.duplicates > 0) parts.push(t('importer.history.duplicates', { count: sum.duplicates }));
    if (sum.failed > 0) parts.push(t('importer.history.errors', { count: sum.failed }));
    return list.format(parts);
  };
}

/** The state's colour: done, done with errors, failed or refused, ended otherwise. */
function tone(imported: ArchiveImport): string {
  switch (imported.status) {
    case 'done':
      return imported.report !== null && totals(imported.report).failed > 0 ? 'partial' : 'ok';
    case 'failed':
    case 'rejected':
      return 'failed';
    case 'cancelled':
    case 'undone':
      return 'ended';
    case 'uploaded':
    case 'analyzing':
    case 'analyzed':
    case 'queued':
    case 'running':
      return 'active';
  }
}

/** "Vos imports": past imports with their state, each one's report one click away. */
export function ImportHistory({
  state,
  reload,
  appName,
  headingRef,
  onShow,
  shownId,
}: {
  state: ResourceState<ArchiveImport[]>;
  reload: () => void;
  appName: (id: string) => string;
  headingRef?: RefObject<HTMLHeadingElement | null>;
  /** Shows this import above (its analysis, progress or report). */
  onShow: (imported: ArchiveImport) => void;
  /** The import shown above, if any. */
  shownId: string | undefined;
}) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const titleId = useId();
  const statusText = useImportStatusText();
  const shortResult = useShortResult();
  const list = new Intl.ListFormat(language, { style: 'long', type: 'conjunction' });
  const columns = {
    date: t('importer.history.columns.date'),
    status: t('importer.history.columns.status'),
    result: t('importer.history.columns.result'),
    actions: t('importer.history.columns.actions'),
  };

  return (
    <section className="import-history" aria-labelledby={titleId}>
      <h3 id={titleId} ref={headingRef} tabIndex={-1} className="import-result__title">
        {t('importer.history.title')}
      </h3>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ErrorAlert error={state.error} onRetry={reload} />}
      {state.status === 'success' &&
        (state.data.length === 0 ? (
          <p className="muted">{t('importer.history.empty')}</p>
        ) : (
          <table className="ws-table import-table import-history__table">
            <caption className="visually-hidden">{t('importer.history.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{columns.date}</th>
                <th scope="col">{columns.status}</th>
                <th scope="col">{columns.result}</th>
                <th scope="col">
                  <span className="visually-hidden">{columns.actions}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {state.data.map((imported) => {
                const date = formatShortDateTime(imported.createdAt, language);
                const apps = importApps(imported);
                const result = shortResult(imported);
                const shown = shownId === imported.id;
                return (
                  <tr
                    key={imported.id}
                    id={`import-${imported.id}`}
                    data-status={imported.status}
                    aria-current={shown ? 'true' : undefined}
                  >
                    <th scope="row" className="import-history__what">
                      <time dateTime={imported.createdAt.toISOString()}>{date}</time>
                      <span className="import-history__file">
                        {imported.fileName ?? t('importer.history.noFile')}
                      </span>
                    </th>
                    <td data-label={columns.status}>
                      <span className={`import-state import-state--${tone(imported)}`}>
                        {statusText(imported)}
                      </span>
                    </td>
                    <td data-label={columns.result} className="import-history__result">
                      <span className="import-history__apps">
                        {apps.length > 0
                          ? list.format(apps.map(appName))
                          : t('importer.history.noApps')}
                      </span>
                      {result !== undefined && (
                        <span className="import-history__counts">{result}</span>
                      )}
                    </td>
                    <td className="import-history__action">
                      {shown ? (
                        <span className="import-history__shown">{t('importer.history.shown')}</span>
                      ) : (
                        <button
                          type="button"
                          className="button button--small"
                          onClick={() => {
                            onShow(imported);
                          }}
                        >
                          <ActionLabel
                            action={t('importer.history.show')}
                            name={t('importer.history.importOf', { date })}
                          />
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ))}
    </section>
  );
}
