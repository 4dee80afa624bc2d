import { useEffect, useId, useRef, useState, type FormEvent, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, toApiError } from '../api/client.ts';
import {
  cancelExport,
  deleteExport,
  fetchExport,
  fetchExports,
  isActive,
  startExport,
  type AppProgress,
  type ArchiveApp,
  type ArchiveApps,
  type ArchiveExport,
} from '../api/archive.ts';
import { formatBytes, formatDateTime, formatPercent, formatShortDateTime } from '../format.ts';
import { useExportProgress } from '../hooks/use-export-progress.ts';
import { useResource, type ResourceState } from '../hooks/use-resource.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import { ErrorAlert, Loading, useErrorText } from './feedback.tsx';
import { ActionLabel, ConfirmDialog } from './workspace-dialogs.tsx';

const KNOWN_APPS = ['workspace', 'blog', 'news', 'calendar', 'wiki', 'archive'] as const;
type KnownApp = (typeof KNOWN_APPS)[number];

function isKnownApp(id: string): id is KnownApp {
  return (KNOWN_APPS as readonly string[]).includes(id);
}

/** Apps whose items have a name of their own ("documents", "billets"...). */
const UNIT_APPS = ['workspace', 'blog', 'news', 'calendar', 'wiki'] as const;
type UnitApp = (typeof UNIT_APPS)[number];

function isUnitApp(id: string): id is UnitApp {
  return (UNIT_APPS as readonly string[]).includes(id);
}

/** An app's name in the interface language (the server's label for an app we do not know). */
export function useAppName(apps: readonly ArchiveApp[] | undefined): (id: string) => string {
  const { t } = useTranslation();
  return (id) => (isKnownApp(id) ? t(`apps.${id}`) : (apps?.find((a) => a.id === id)?.label ?? id));
}

function useUnit(): (id: string, count: number) => string {
  const { t } = useTranslation();
  return (id, count) =>
    isUnitApp(id) ? t(`archive.units.${id}`, { count }) : t('archive.units.other', { count });
}

/** The export list with `exported` in it (replacing the one with the same id), newest first. */
function upsert(list: readonly ArchiveExport[], exported: ArchiveExport): ArchiveExport[] {
  const others = list.filter((e) => e.id !== exported.id);
  return [exported, ...others].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

const PENDING: AppProgress = {
  status: 'pending',
  items: 0,
  itemsTotal: 0,
  bytes: 0,
  bytesTotal: 0,
  error: undefined,
};

// --- The export being followed ------------------------------------------------------------

function AppProgressRow({
  app,
  name,
  progress,
}: {
  app: string;
  name: string;
  progress: AppProgress;
}) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const unit = useUnit();
  const textId = useId();
  const { status, items, itemsTotal, bytes, bytesTotal } = progress;
  const known = itemsTotal > 0 || status === 'complete';
  const max = Math.max(itemsTotal, 1);
  // Complete: full even with nothing in it; running with no total yet: indeterminate.
  const value =
    status === 'complete'
      ? max
      : status === 'pending'
        ? 0
        : itemsTotal > 0
          ? Math.min(items, itemsTotal)
          : undefined;
  const icon = { pending: '…', running: '⟳', complete: '✓', failed: '✕' }[status];

  return (
    <li className={`export-app export-app--${status}`}>
      <span id={textId} className="export-app__text">
        {known
          ? t('archive.progress.count', {
              app: name,
              done: Math.min(items, itemsTotal || items),
              total: itemsTotal,
              unit: unit(app, itemsTotal),
            })
          : name}
      </span>
      <progress
        className="export-app__bar"
        max={max}
        value={value}
        aria-label={t('archive.progress.barLabel', { app: name })}
        aria-describedby={textId}
      >
        {value === undefined
          ? t('archive.appStatus.running')
          : formatPercent(value / max, language)}
      </progress>
      <span className="export-app__status">
        <span aria-hidden="true">{icon} </span>
        {t(`archive.appStatus.${status}`)}
        {bytesTotal > 0 && (
          <span className="muted">
            {' '}
            (
            {t('archive.progress.bytes', {
              done: formatBytes(Math.min(bytes, bytesTotal), language),
              total: formatBytes(bytesTotal, language),
            })}
            )
          </span>
        )}
      </span>
      {status === 'failed' && progress.error !== undefined && (
        <p className="export-app__error">{progress.error}</p>
      )}
    </li>
  );
}

function ExportProgress({
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
  const active = isActive(exported.status);
  const failedApps = exported.apps.filter((app) => exported.progress[app]?.status === 'failed');

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

      {exported.status === 'ready' && exported.downloadUrl !== null && (
        <div className="export-ready">
          <p className="export-ready__title">
            <span aria-hidden="true">✓ </span>
            {t('archive.progress.ready.title')}
          </p>
          <p>
            <a
              className="button button--large export-ready__link"
              href={exported.downloadUrl}
              download={exported.fileName ?? ''}
            >
              {t('archive.progress.ready.download', {
                name: exported.fileName ?? t('archive.progress.ready.defaultName'),
                size: formatBytes(exported.size ?? 0, language),
              })}
            </a>
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
      {exported.status === 'ready' && (failedApps.length > 0 || exported.error !== null) && (
        <div className="notice export-partial">
          <p>{t('archive.progress.ready.partial')}</p>
          <ul>
            {failedApps.length > 0 ? (
              failedApps.map((app) => (
                <li key={app}>
                  {t('archive.progress.ready.partialApp', {
                    app: appName(app),
                    error: exported.progress[app]?.error ?? t('archive.progress.noReason'),
                  })}
                </li>
              ))
            ) : (
              <li>{exported.error}</li>
            )}
          </ul>
        </div>
      )}
      {exported.status === 'failed' && (
        <ErrorAlert>
          {exported.error === null
            ? t('archive.progress.failedNoReason')
            : t('archive.progress.failed', { reason: exported.error })}
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
              progress={exported.progress[app] ?? PENDING}
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

// --- History ------------------------------------------------------------------------------

function ExportHistory({
  state,
  reload,
  appName,
  headingRef,
  onDelete,
}: {
  state: ResourceState<ArchiveExport[]>;
  reload: () => void;
  appName: (id: string) => string;
  headingRef: RefObject<HTMLHeadingElement | null>;
  onDelete: (exported: ArchiveExport) => void;
}) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const titleId = useId();
  const list = new Intl.ListFormat(language, { style: 'short', type: 'conjunction' });

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
            <table className="ws-table" aria-labelledby={titleId}>
              <thead>
                <tr>
                  <th scope="col">{t('archive.history.columns.date')}</th>
                  <th scope="col">{t('archive.history.columns.apps')}</th>
                  <th scope="col">{t('archive.history.columns.status')}</th>
                  <th scope="col">{t('archive.history.columns.size')}</th>
                  <th scope="col">{t('archive.history.columns.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {state.data.map((exported) => {
                  const date = formatShortDateTime(exported.createdAt, language);
                  const what = t('archive.history.exportOf', { date });
                  return (
                    <tr key={exported.id}>
                      <td className="ws-table__number">
                        <time dateTime={exported.createdAt.toISOString()}>{date}</time>
                      </td>
                      <td>{list.format(exported.apps.map(appName))}</td>
                      <td>
                        <span className={`export-status export-status--${exported.status}`}>
                          {t(`archive.status.${exported.status}`)}
                        </span>
                        {exported.status === 'ready' && exported.expiresAt !== null && (
                          <span className="muted export-history__until">
                            {' '}
                            {t('archive.history.until', {
                              date: formatShortDateTime(exported.expiresAt, language),
                            })}
                          </span>
                        )}
                      </td>
                      <td className="ws-table__number">
                        {exported.size === null ? (
                          <>
                            <span aria-hidden="true">—</span>
                            <span className="visually-hidden">{t('archive.history.noSize')}</span>
                          </>
                        ) : (
                          formatBytes(exported.size, language)
                        )}
                      </td>
                      <td>
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
                          {!isActive(exported.status) && (
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

// --- The tab ------------------------------------------------------------------------------

/** The error zone of the form: always in the DOM, so a new message is announced. */
function FormAlert({ message }: { message: string | undefined }) {
  return (
    <div role="alert" className="form__alert">
      {message !== undefined && <p className="alert alert--error">{message}</p>}
    </div>
  );
}

/**
 * "Exporter": choose the apps and options, ask for the archive, follow its preparation, download
 * it; below, the exports asked for before.
 */
export function ExportPanel({
  apps,
  reloadApps,
}: {
  apps: ResourceState<ArchiveApps>;
  reloadApps: () => void;
}) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const { handleUnauthenticated } = useSession();
  const errorText = useErrorText();
  const ids = {
    title: useId(),
    apps: useId(),
    noApp: useId(),
    count: useId(),
    documentsHint: useId(),
    sharedHint: useId(),
    busyHint: useId(),
  };
  const loaded = apps.status === 'success' ? apps.data : undefined;
  const appName = useAppName(loaded?.items);
  const exportable = loaded?.items.filter((app) => app.exportable) ?? [];

  // Everything is ticked by default: what is kept is what the user unticked.
  const [unticked, setUnticked] = useState<ReadonlySet<string>>(new Set());
  const [includeDocuments, setIncludeDocuments] = useState(true);
  const [includeShared, setIncludeShared] = useState(true);
  const [noApp, setNoApp] = useState(false);
  const [formError, setFormError] = useState<string>();
  const [submitting, setSubmitting] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const [current, setCurrent] = useState<ArchiveExport>();
  const [followError, setFollowError] = useState<string>();
  const [announcement, setAnnouncement] = useState('');
  const [deleting, setDeleting] = useState<ArchiveExport>();
  const firstAppRef = useRef<HTMLInputElement>(null);
  const progressRef = useRef<HTMLHeadingElement>(null);
  const historyRef = useRef<HTMLHeadingElement>(null);
  const currentRef = useRef<ArchiveExport>(undefined);

  const selected = exportable.filter((app) => !unticked.has(app.id)).map((app) => app.id);
  const allSelected = selected.length === exportable.length;
  const busy = current !== undefined && isActive(current.status);

  const history = useResource(fetchExports, 'archive-exports', handleUnauthenticated);
  const setHistory = history.setData;

  // Bumped to move the focus once the section is on screen.
  const [focusProgress, setFocusProgress] = useState(0);
  const [focusHistory, setFocusHistory] = useState(0);
  useEffect(() => {
    if (focusProgress > 0) progressRef.current?.focus();
  }, [focusProgress]);
  useEffect(() => {
    if (focusHistory > 0) historyRef.current?.focus();
  }, [focusHistory]);

  /** Shows a new state of the export (here and in the history), announcing what changed. */
  const show = (next: ArchiveExport) => {
    const previous = currentRef.current?.id === next.id ? currentRef.current : undefined;
    currentRef.current = next;
    setCurrent(next);
    setFollowError(undefined);
    setHistory((list) => upsert(list, next));

    const changes: string[] = [];
    for (const app of next.apps) {
      const status = next.progress[app]?.status;
      if (status === undefined || status === 'pending') continue;
      if (status !== previous?.progress[app]?.status) {
        changes.push(
          t('archive.progress.announce.app', {
            app: appName(app),
            status: t(`archive.appStatus.${status}`),
          }),
        );
      }
    }
    // A failure is announced by its alert.
    if (previous !== undefined && next.status !== previous.status) {
      if (next.status === 'ready') changes.push(t('archive.progress.announce.ready'));
      if (next.status === 'cancelled') changes.push(t('archive.progress.announce.cancelled'));
    }
    if (changes.length > 0) setAnnouncement(changes.join(' '));
  };

  // Coming back to the page while an export is being prepared: follow it again.
  const adopted = useRef(false);
  useEffect(() => {
    if (adopted.current || history.state.status !== 'success') return;
    adopted.current = true;
    const active = history.state.data.find((e) => isActive(e.status));
    if (active && currentRef.current === undefined) {
      currentRef.current = active;
      setCurrent(active);
    }
  }, [history.state]);

  useExportProgress(current && isActive(current.status) ? current.id : undefined, {
    onUpdate: show,
    onError: (error, final) => {
      if (final) {
        currentRef.current = undefined;
        setCurrent(undefined);
        setFollowError(t('archive.progress.gone'));
        history.reload();
      } else {
        setFollowError(`${t('archive.progress.followError')} ${errorText(error)}`);
      }
    },
    onUnauthenticated: handleUnauthenticated,
  });

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (submitting || !loaded) return;
    setFormError(undefined);
    if (selected.length === 0) {
      setNoApp(true);
      firstAppRef.current?.focus();
      return;
    }
    setNoApp(false);
    if (busy) {
      setFormError(t('archive.export.errors.inProgress'));
      return;
    }
    setSubmitting(true);
    const request = { apps: selected, includeDocuments, includeShared };
    try {
      const started = await startExport(request);
      const provisional: ArchiveExport = {
        id: started.id,
        status: started.status,
        apps: request.apps,
        options: { includeDocuments, includeShared },
        progress: {},
        size: null,
        fileName: null,
        error: null,
        createdAt: new Date(),
        startedAt: null,
        finishedAt: null,
        expiresAt: null,
        downloadUrl: null,
      };
      currentRef.current = provisional;
      setCurrent(provisional);
      setFollowError(undefined);
      setHistory((list) => upsert(list, provisional));
      setAnnouncement(t('archive.progress.announce.started'));
      setFocusProgress((n) => n + 1);
    } catch (failure) {
      if (handleUnauthenticated(failure)) return;
      const error = toApiError(failure);
      if (error.code === 'export_in_progress') {
        setFormError(t('archive.export.errors.inProgress'));
        // Show the one being prepared (asked for in another tab or on another device).
        fetchExports().then(
          (list) => {
            setHistory(() => list);
            const active = list.find((e) => isActive(e.status));
            if (active) {
              currentRef.current = active;
              setCurrent(active);
            }
          },
          (reason: unknown) => {
            handleUnauthenticated(reason);
          },
        );
      } else if (error.status === 403) {
        setFormError(t('archive.export.errors.forbidden'));
      } else if (error.code === 'invalid_request') {
        setFormError(t('archive.export.errors.invalid'));
      } else {
        setFormError(errorText(error));
      }
    } finally {
      setSubmitting(false);
    }
  };

  const cancel = async () => {
    const target = currentRef.current;
    if (cancelling || target === undefined || !isActive(target.status)) return;
    setCancelling(true);
    setFollowError(undefined);
    try {
      try {
        await cancelExport(target.id);
      } catch (failure) {
        // Finished just before the cancel arrived: it is kept, and shown as it is.
        if (!(failure instanceof ApiError && failure.status === 409)) throw failure;
      }
      show(await fetchExport(target.id));
      setFocusProgress((n) => n + 1);
    } catch (failure) {
      if (!handleUnauthenticated(failure)) {
        setFollowError(`${t('archive.progress.cancelFailed')} ${errorText(toApiError(failure))}`);
      }
    } finally {
      setCancelling(false);
    }
  };

  const remove = async (target: ArchiveExport) => {
    await deleteExport(target.id);
    setHistory((list) => list.filter((e) => e.id !== target.id));
    if (currentRef.current?.id === target.id) {
      currentRef.current = undefined;
      setCurrent(undefined);
    }
    setDeleting(undefined);
    setAnnouncement(
      t('archive.history.deleted', { date: formatShortDateTime(target.createdAt, language) }),
    );
    setFocusHistory((n) => n + 1);
  };

  return (
    <div className="archive-export">
      {/* Progress and results, announced without moving the focus. */}
      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      <h2 id={ids.title} className="archive-export__title">
        {t('archive.export.title')}
      </h2>
      <p>{t('archive.export.intro')}</p>

      {apps.status === 'loading' && <Loading />}
      {apps.status === 'error' && <ErrorAlert error={apps.error} onRetry={reloadApps} />}
      {loaded && !loaded.rights.export && <p className="notice">{t('archive.export.noRight')}</p>}
      {loaded && loaded.rights.export && exportable.length === 0 && (
        <p className="notice">{t('archive.export.noApps')}</p>
      )}
      {loaded && loaded.rights.export && exportable.length > 0 && (
        <form
          className="form export-form"
          noValidate
          aria-labelledby={ids.title}
          onSubmit={(event) => {
            void submit(event);
          }}
        >
          <fieldset
            className="fieldset export-form__apps"
            aria-describedby={noApp ? `${ids.count} ${ids.noApp}` : ids.count}
          >
            <legend>{t('archive.export.appsLegend')}</legend>
            <div className="export-form__toolbar">
              <button
                type="button"
                className="button button--secondary button--small"
                onClick={() => {
                  setUnticked(allSelected ? new Set(exportable.map((app) => app.id)) : new Set());
                  if (!allSelected) setNoApp(false);
                }}
              >
                {allSelected ? t('archive.export.deselectAll') : t('archive.export.selectAll')}
              </button>
              <p id={ids.count} className="muted export-form__count" aria-live="polite">
                {t('archive.export.selected', {
                  count: selected.length,
                  total: exportable.length,
                })}
              </p>
            </div>
            <ul className="export-form__list">
              {exportable.map((app, index) => (
                <li key={app.id}>
                  <label className="choice export-choice">
                    <input
                      ref={index === 0 ? firstAppRef : undefined}
                      type="checkbox"
                      name="apps"
                      value={app.id}
                      checked={!unticked.has(app.id)}
                      aria-invalid={noApp}
                      onChange={(event) => {
                        const { checked } = event.target;
                        setUnticked((set) => {
                          const next = new Set(set);
                          if (checked) next.delete(app.id);
                          else next.add(app.id);
                          return next;
                        });
                        if (checked) setNoApp(false);
                      }}
                    />
                    <span>
                      <span className="export-choice__name">{appName(app.id)}</span>{' '}
                      <span className="muted export-choice__detail">
                        {/* Apps whose content is all in JSON have no file bytes to show. */}
                        {app.bytes > 0
                          ? t('archive.export.appSummary', {
                              count: app.items,
                              size: formatBytes(app.bytes, language),
                            })
                          : t('archive.export.appItems', { count: app.items })}
                      </span>
                    </span>
                  </label>
                </li>
              ))}
            </ul>
            {noApp && (
              <p id={ids.noApp} className="field__error">
                <span aria-hidden="true">✕ </span>
                {t('archive.export.errors.noApp')}
              </p>
            )}
          </fieldset>

          <fieldset className="fieldset export-form__options">
            <legend>{t('archive.export.optionsLegend')}</legend>
            <div className="export-option">
              <label className="choice">
                <input
                  type="checkbox"
                  checked={includeDocuments}
                  aria-describedby={ids.documentsHint}
                  onChange={(event) => {
                    setIncludeDocuments(event.target.checked);
                  }}
                />
                {t('archive.export.includeDocuments')}
              </label>
              <p id={ids.documentsHint} className="field__hint muted">
                {t('archive.export.includeDocumentsHint')}
              </p>
            </div>
            <div className="export-option">
              <label className="choice">
                <input
                  type="checkbox"
                  checked={includeShared}
                  aria-describedby={ids.sharedHint}
                  onChange={(event) => {
                    setIncludeShared(event.target.checked);
                  }}
                />
                {t('archive.export.includeShared')}
              </label>
              <p id={ids.sharedHint} className="field__hint muted">
                {t('archive.export.includeSharedHint')}
              </p>
            </div>
          </fieldset>

          <FormAlert message={formError} />
          <div className="export-form__submit">
            <button
              type="submit"
              className="button button--large"
              aria-disabled={submitting || busy}
              aria-describedby={busy ? ids.busyHint : undefined}
            >
              {t('archive.export.submit')}
            </button>
            {submitting && <span className="muted"> {t('archive.export.submitting')}</span>}
            {busy && (
              <p id={ids.busyHint} className="muted export-form__busy">
                {t('archive.export.busyHint')}
              </p>
            )}
          </div>
        </form>
      )}

      {followError !== undefined && <ErrorAlert>{followError}</ErrorAlert>}
      {current && (
        <ExportProgress
          exported={current}
          appName={appName}
          headingRef={progressRef}
          cancelling={cancelling}
          onCancel={() => {
            void cancel();
          }}
        />
      )}

      <ExportHistory
        state={history.state}
        reload={history.reload}
        appName={appName}
        headingRef={historyRef}
        onDelete={setDeleting}
      />

      {deleting && (
        <ConfirmDialog
          title={t('archive.history.deleteDialog.title', {
            date: formatShortDateTime(deleting.createdAt, language),
          })}
          confirmLabel={t('archive.history.deleteDialog.submit')}
          onConfirm={() => remove(deleting)}
          onClose={() => {
            setDeleting(undefined);
          }}
        >
          <p>
            {deleting.status === 'ready'
              ? t('archive.history.deleteDialog.ready')
              : t('archive.history.deleteDialog.other')}
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
