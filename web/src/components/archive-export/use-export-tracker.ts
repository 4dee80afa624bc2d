import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  cancelExport,
  deleteExport,
  exportEventsUrl,
  fetchExport,
  fetchExports,
  isActiveExport,
  parseExport,
  startExport,
  type ArchiveExport,
  type ExportRequest,
} from '../../api/archive.ts';
import { ApiError, toApiError } from '../../api/client.ts';
import { formatShortDateTime } from '../../format.ts';
import { useFocusRequest } from '../../hooks/use-focus-request.ts';
import { useJobEvents, type JobSource } from '../../hooks/use-job-events.ts';
import { useResource } from '../../hooks/use-resource.ts';
import { useSession } from '../../session.tsx';
import { useErrorText } from '../feedback.tsx';

/** What `useJobEvents` needs to follow an export. */
function exportJob(id: string): JobSource<ArchiveExport> {
  return {
    url: exportEventsUrl(id),
    fetch: (signal) => fetchExport(id, signal),
    parse: (data) => {
      const parsed = parseExport(data);
      return parsed?.id === id ? parsed : undefined;
    },
    isFinal: (exported) => !isActiveExport(exported.status),
  };
}

/** The export list with `exported` in it (replacing the one with the same id), newest first. */
function upsert(list: readonly ArchiveExport[], exported: ArchiveExport): ArchiveExport[] {
  const others = list.filter((e) => e.id !== exported.id);
  return [exported, ...others].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

/** What the page shows before the first news of an export it just asked for. */
function provisional(started: Pick<ArchiveExport, 'id' | 'status'>, request: ExportRequest) {
  const exported: ArchiveExport = {
    id: started.id,
    status: started.status,
    apps: request.apps,
    options: { includeDocuments: request.includeDocuments, includeShared: request.includeShared },
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
  return exported;
}

/**
 * The state of the "Exporter" tab: the history, the export being followed (live, through
 * `useJobEvents`), what to announce, and the actions (start, cancel, delete).
 */
export function useExportTracker(appName: (id: string) => string, wanted?: string) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const { handleUnauthenticated } = useSession();
  const errorText = useErrorText();
  const history = useResource(fetchExports, 'archive-exports', handleUnauthenticated);
  const setHistory = history.setData;
  const [current, setCurrent] = useState<ArchiveExport>();
  const currentRef = useRef<ArchiveExport>(undefined);
  const [followError, setFollowError] = useState<string>();
  const [announcement, setAnnouncement] = useState('');
  const [cancelling, setCancelling] = useState(false);
  const progressFocus = useFocusRequest();
  const historyFocus = useFocusRequest();

  const select = (exported: ArchiveExport | undefined) => {
    currentRef.current = exported;
    setCurrent(exported);
  };

  /** Shows a new state of the export (here and in the history), announcing what changed. */
  const show = (next: ArchiveExport) => {
    const previous = currentRef.current?.id === next.id ? currentRef.current : undefined;
    select(next);
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
    // Followed from a notification: that export, its details on screen and focused.
    const linked = history.state.data.find((e) => e.id === wanted);
    if (linked && currentRef.current === undefined) {
      select(linked);
      progressFocus.request();
      return;
    }
    const active = history.state.data.find((e) => isActiveExport(e.status));
    if (active && currentRef.current === undefined) select(active);
  }, [history.state]);

  /** Shows an export of the history above, focused (its details, what is missing). */
  const open = (exported: ArchiveExport) => {
    select(exported);
    setFollowError(undefined);
    progressFocus.request();
  };

  const followed = current && isActiveExport(current.status) ? current.id : undefined;
  useJobEvents(followed === undefined ? undefined : exportJob(followed), {
    onUpdate: show,
    onError: (error, final) => {
      if (final) {
        select(undefined);
        setFollowError(t('archive.progress.gone'));
        history.reload();
      } else {
        setFollowError(`${t('archive.progress.followError')} ${errorText(error)}`);
      }
    },
    onUnauthenticated: handleUnauthenticated,
  });

  /** Asks for an export; returns the error to show in the form, if any. */
  const start = async (request: ExportRequest): Promise<string | undefined> => {
    try {
      const started = provisional(await startExport(request), request);
      select(started);
      setFollowError(undefined);
      setHistory((list) => upsert(list, started));
      setAnnouncement(t('archive.progress.announce.started'));
      progressFocus.request();
      return undefined;
    } catch (failure) {
      if (handleUnauthenticated(failure)) return undefined;
      const error = toApiError(failure);
      if (error.code === 'export_in_progress') {
        // Show the one being prepared (asked for in another tab or on another device).
        fetchExports().then(
          (list) => {
            setHistory(() => list);
            const active = list.find((e) => isActiveExport(e.status));
            if (active) select(active);
          },
          (reason: unknown) => {
            handleUnauthenticated(reason);
          },
        );
        return t('archive.export.errors.inProgress');
      }
      if (error.status === 403) return t('archive.export.errors.forbidden');
      if (error.code === 'invalid_request') return t('archive.export.errors.invalid');
      return errorText(error);
    }
  };

  const cancel = async () => {
    const target = currentRef.current;
    if (cancelling || target === undefined || !isActiveExport(target.status)) return;
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
      progressFocus.request();
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
    if (currentRef.current?.id === target.id) select(undefined);
    setAnnouncement(
      t('archive.history.deleted', { date: formatShortDateTime(target.createdAt, language) }),
    );
    historyFocus.request();
  };

  return {
    history,
    current,
    /** An export is being prepared: another one cannot be asked for. */
    busy: current !== undefined && isActiveExport(current.status),
    followError,
    announcement,
    cancelling,
    progressRef: progressFocus.ref,
    historyRef: historyFocus.ref,
    start,
    cancel,
    remove,
    open,
  };
}
