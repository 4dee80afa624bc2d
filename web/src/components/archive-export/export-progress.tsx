import { useId, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppProgress, ExportStatus } from '../../../../src/contracts/archive.ts';
import { isActiveExport, type ArchiveExport } from '../../api/archive.ts';
import { formatBytes, formatDateTime } from '../../format.ts';
import { Link } from '../../router.tsx';
import { ErrorAlert } from '../feedback.tsx';
import { AppProgressRow, useFailedItemsText } from './app-progress-row.tsx';
import { useFailureText } from './failure-text.ts';

const PENDING: AppProgress = {
  status: 'pending',
  items: 0,
  itemsTotal: 0,
  bytes: 0,
  bytesTotal: 0,
};

/** An ended export shows no app still waiting or running (rows written before the server settled them). */
function settled(progress: AppProgress, status: ExportStatus): AppProgress {
  if (progress.status !== 'pending' && progress.status !== 'running') return progress;
  if (status === 'cancelled') return { ...progress, status: 'cancelled' };
  if (status === 'failed' || status === 'ready' || status === 'expired')
    return { ...progress, status: 'failed' };
  return progress;
}

/** How many items the archive lacks: the listed ones, and one per app that failed wholly. */
export function missingCount(exported: ArchiveExport): number {
  return exported.apps.reduce((n, app) => {
    const p = exported.progress[app];
    if (p === undefined) return n;
    return (
      n +
      (p.failed?.length ?? 0) +
      (p.status === 'failed' ? Math.max(p.itemsTotal - p.items, 1) : 0)
    );
  }, 0);
}

/** The archive is ready: its download link and until when; what is missing from it, if any. */
function ReadyNotice({
  exported,
  appName,
}: {
  exported: ArchiveExport;
  appName: (id: string) => string;
}) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const failedItemsText = useFailedItemsText();
  const failureText = useFailureText();
  const missing = missingCount(exported);
  const fileId = useId();
  const fileName = exported.fileName ?? t('archive.progress.ready.defaultName');
  const incomplete = exported.apps.filter((app) => {
    const status = exported.progress[app]?.status;
    return status === 'failed' || status === 'partial';
  });
  const reason = (progress: AppProgress | undefined) =>
    progress?.status === 'partial'
      ? (failedItemsText(progress) ?? failureText(undefined))
      : failureText(progress?.error);

  return (
    <>
      {exported.downloadUrl !== null && (
        <div className="export-ready">
          <p className="export-ready__title">
            <span aria-hidden="true">{missing > 0 ? '⚠ ' : '✓ '}</span>
            {missing > 0
              ? t('archive.progress.ready.missing', { count: missing })
              : t('archive.progress.ready.title')}
          </p>
          {/* A short button (a long file name wrapped it onto four lines on a phone); the
              file's name beside it, cut with "…" when too long, describes it. */}
          <p className="export-ready__download">
            <a
              className="button button--large export-ready__link"
              href={exported.downloadUrl}
              download={exported.fileName ?? ''}
              aria-describedby={fileId}
            >
              {t('archive.progress.ready.download')}
            </a>
            <span id={fileId} className="export-ready__file">
              <span className="export-ready__name" title={fileName}>
                {fileName}
              </span>{' '}
              <span className="export-ready__size">
                {t('archive.progress.ready.size', {
                  size: formatBytes(exported.size ?? 0, language),
                })}
              </span>
            </span>
          </p>
          {exported.expiresAt !== null && (
            <p className="export-ready__expiry">
              {t('archive.progress.ready.expires', {
                date: formatDateTime(exported.expiresAt, language),
              })}
            </p>
          )}
        </div>
      )}
      {(incomplete.length > 0 || exported.error !== null) && (
        <div className="notice export-partial">
          <p>{t('archive.progress.ready.partial')}</p>
          <ul>
            {incomplete.length > 0 ? (
              incomplete.map((app) => (
                <li key={app}>
                  {t('archive.progress.ready.partialApp', {
                    app: appName(app),
                    error: reason(exported.progress[app]),
                  })}
                </li>
              ))
            ) : (
              <li>{failureText(exported.error)}</li>
            )}
          </ul>
        </div>
      )}
    </>
  );
}

/** The export being followed: its state, each app's progress, then its result. */
export function ExportProgress({
  exported,
  appName,
  headingRef,
  cancelling,
  onCancel,
}: {
  exported: ArchiveExport;
  appName: (id: string) => string;
  headingRef: RefObject<HTMLHeadingElement | null>;
  cancelling: boolean;
  onCancel: () => void;
}) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const titleId = useId();
  const failureText = useFailureText();
  const active = isActiveExport(exported.status);

  return (
    <section className="export-progress" aria-labelledby={titleId}>
      <h2 id={titleId} ref={headingRef} tabIndex={-1} className="export-progress__title">
        {t('archive.progress.title')}
      </h2>
      <p className="export-progress__meta">
        {t('archive.progress.requestedAt', {
          date: formatDateTime(exported.createdAt, language),
        })}
        {' – '}
        <span className={`export-status export-status--${exported.status}`}>
          {t(`archive.status.${exported.status}`)}
        </span>
      </p>
      {active && (
        <>
          <p>
            {t(`archive.progress.state.${exported.status === 'queued' ? 'queued' : 'running'}`)}
          </p>
          <p className="notice">
            {t('archive.progress.leave')}{' '}
            <Link to="/timeline">{t('archive.progress.timeline')}</Link>
          </p>
        </>
      )}

      {exported.status === 'ready' && <ReadyNotice exported={exported} appName={appName} />}
      {exported.status === 'failed' && (
        <ErrorAlert>
          {exported.error === null
            ? t('archive.progress.failedNoReason')
            : t('archive.progress.failed', { reason: failureText(exported.error) })}
        </ErrorAlert>
      )}
      {exported.status === 'cancelled' && <p>{t('archive.progress.cancelled')}</p>}
      {exported.status === 'expired' && <p>{t('archive.progress.expired')}</p>}

      {exported.apps.length > 0 && (
        <ul className="export-apps">
          {exported.apps.map((app) => (
            <AppProgressRow
              key={app}
              app={app}
              name={appName(app)}
              progress={settled(exported.progress[app] ?? PENDING, exported.status)}
            />
          ))}
        </ul>
      )}

      {active && (
        <p>
          <button
            type="button"
            className="button button--danger-secondary"
            aria-disabled={cancelling}
            onClick={onCancel}
          >
            {t('archive.progress.cancel')}
          </button>
        </p>
      )}
    </section>
  );
}
