import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  cancelImport,
  createImport,
  fetchImport,
  fetchImports,
  importEventsUrl,
  isActiveImport,
  isSettledImport,
  launchImport,
  parseImport,
  undoImport,
  type ArchiveImport,
  type ImportOptions,
} from '../../api/imports.ts';
import { ApiError, toApiError } from '../../api/client.ts';
import { useFocusRequest } from '../../hooks/use-focus-request.ts';
import { useJobEvents, type JobSource } from '../../hooks/use-job-events.ts';
import { useResource } from '../../hooks/use-resource.ts';
import { useSession } from '../../session.tsx';
import { useErrorText } from '../feedback.tsx';
import { isRefusedImport } from './import-text.ts';

/** What `useJobEvents` needs to follow an import until it settles (analysed, refused, ended). */
function importJob(id: string): JobSource<ArchiveImport> {
  return {
    url: importEventsUrl(id),
    fetch: (signal) => fetchImport(id, signal),
    parse: (data) => {
      const parsed = parseImport(data);
      return parsed?.id === id ? parsed : undefined;
    },
    isFinal: (imported) => isSettledImport(imported.status),
  };
}

/** The import list with `imported` in it (replacing the one with the same id), newest first. */
function upsert(list: readonly ArchiveImport[], imported: ArchiveImport): ArchiveImport[] {
  const others = list.filter((i) => i.id !== imported.id);
  return [imported, ...others].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

/** What the page shows before the first news of an import it just created. */
function provisional(created: { id: string; status: ArchiveImport['status'] }): ArchiveImport {
  return {
    id: created.id,
    status: created.status,
    fileName: null,
    size: 0,
    analysis: null,
    options: null,
    progress: {},
    report: null,
    error: null,
    createdAt: new Date(),
    startedAt: null,
    finishedAt: null,
  };
}

/** Which part of the tab shows an import, so that its heading gets the focus. */
export type ImportView = 'checking' | 'analysis' | 'refused' | 'progress' | 'report' | 'ended';

export function viewOf(imported: ArchiveImport): ImportView {
  if (isRefusedImport(imported)) return 'refused';
  switch (imported.status) {
    case 'uploaded':
    case 'analyzing':
      return 'checking';
    case 'analyzed':
      // After a dry run the report is what just changed.
      return 'analysis';
    case 'queued':
    case 'running':
      return 'progress';
    case 'done':
    case 'failed':
    case 'undone':
      return imported.report === null ? 'ended' : 'report';
    case 'rejected':
      return 'refused';
    case 'cancelled':
      return 'ended';
  }
}

/**
 * The state of the "Importer" tab: the history, the import being shown and followed (live,
 * through `useJobEvents`), what to announce, where the focus goes, and the actions (create
 * from an upload, launch, abandon, cancel, undo). `wanted` is `?import=<id>`: the timeline's
 * link to one import, shown and focused.
 */
export function useImportTracker(appName: (id: string) => string, wanted?: string) {
  const { t } = useTranslation();
  const { handleUnauthenticated } = useSession();
  const errorText = useErrorText();
  const history = useResource(fetchImports, 'archive-imports', handleUnauthenticated);
  const setHistory = history.setData;
  const [current, setCurrent] = useState<ArchiveImport>();
  const currentRef = useRef<ArchiveImport>(undefined);
  const [followError, setFollowError] = useState<string>();
  const [announcement, setAnnouncement] = useState('');
  const [cancelling, setCancelling] = useState(false);
  const [abandoning, setAbandoning] = useState(false);
  /** The heading of the part of the tab that shows the import (checking, analysis, refused). */
  const stepFocus = useFocusRequest();
  const progressFocus = useFocusRequest();
  const reportFocus = useFocusRequest();
  const uploadFocus = useFocusRequest();
  const historyFocus = useFocusRequest();

  const select = (imported: ArchiveImport | undefined) => {
    currentRef.current = imported;
    setCurrent(imported);
  };

  const focusView = (imported: ArchiveImport) => {
    const view = viewOf(imported);
    if (view === 'progress') progressFocus.request();
    else if (view === 'report') reportFocus.request();
    else stepFocus.request();
  };

  /** Shows a new state of the import (here and in the history), announcing what changed. */
  const show = (next: ArchiveImport) => {
    const previous = currentRef.current?.id === next.id ? currentRef.current : undefined;
    select(next);
    setFollowError(undefined);
    setHistory((list) => upsert(list, next));
    if (previous === undefined) return;

    const changes: string[] = [];
    for (const app of next.options?.apps ?? []) {
      const status = next.progress[app]?.status;
      if (status === undefined || status === 'pending' || status === 'running') continue;
      if (status !== previous.progress[app]?.status) {
        changes.push(
          t('importer.panel.announce.app', {
            app: appName(app),
            status: t(`archive.appStatus.${status}`),
          }),
        );
      }
    }
    if (next.status !== previous.status) {
      const said = ((): string | undefined => {
        switch (next.status) {
          case 'analyzed':
            return next.report !== null && previous.status !== 'analyzing'
              ? t('importer.panel.announce.dryRunDone')
              : t('importer.panel.announce.analyzed');
          case 'rejected':
            return t('importer.panel.announce.rejected');
          case 'done':
            return t('importer.panel.announce.done');
          case 'failed':
            return t('importer.panel.announce.failed');
          case 'cancelled':
            return t('importer.panel.announce.cancelled');
          case 'undone':
            return t('importer.panel.announce.undone');
          case 'uploaded':
          case 'analyzing':
          case 'queued':
          case 'running':
            return undefined;
        }
      })();
      if (said !== undefined) changes.push(said);
      // A step completed: its section's heading takes the focus.
      if (next.status === 'analyzed' && next.report !== null && previous.status !== 'analyzing')
        reportFocus.request();
      else if (isSettledImport(next.status)) focusView(next);
    }
    if (changes.length > 0) setAnnouncement(changes.join(' '));
  };

  // Coming back to the tab: the linked import (`?import=`), else one being worked on.
  const adopted = useRef(false);
  useEffect(() => {
    if (adopted.current || history.state.status !== 'success') return;
    adopted.current = true;
    if (currentRef.current !== undefined) return;
    if (wanted !== undefined) {
      const linked = history.state.data.find((i) => i.id === wanted);
      if (linked) {
        select(linked);
        focusView(linked);
        return;
      }
      // Older than the list: asked for on its own.
      fetchImport(wanted).then(
        (found) => {
          if (currentRef.current !== undefined) return;
          select(found);
          focusView(found);
        },
        (failure: unknown) => {
          if (!handleUnauthenticated(failure)) setFollowError(t('importer.panel.notFound'));
        },
      );
      return;
    }
    // An import under way, or analysed and waiting for the user's choice.
    const open = history.state.data.find(
      (i) => isActiveImport(i.status) || i.status === 'analyzed',
    );
    if (open) select(open);
  }, [history.state]);

  const followed = current && !isSettledImport(current.status) ? current.id : undefined;
  useJobEvents(followed === undefined ? undefined : importJob(followed), {
    onUpdate: show,
    onError: (error, final) => {
      if (final) {
        select(undefined);
        setFollowError(t('importer.panel.gone'));
        history.reload();
      } else {
        setFollowError(`${t('importer.panel.followError')} ${errorText(error)}`);
      }
    },
    onUnauthenticated: handleUnauthenticated,
  });

  /** A finished upload becomes an import (its check starts); returns the error to show. */
  const createFrom = async (uploadId: string): Promise<string | undefined> => {
    try {
      const created = provisional(await createImport(uploadId));
      select(created);
      setFollowError(undefined);
      setHistory((list) => upsert(list, created));
      setAnnouncement(t('importer.panel.announce.uploaded'));
      stepFocus.request();
      return undefined;
    } catch (failure) {
      if (handleUnauthenticated(failure)) return undefined;
      const error = toApiError(failure);
      if (error.code === 'import_in_progress') {
        // Show the one under way (started in another tab or on another device).
        fetchImports().then(
          (list) => {
            setHistory(() => list);
            const active = list.find((i) => isActiveImport(i.status));
            if (active) select(active);
          },
          (reason: unknown) => {
            handleUnauthenticated(reason);
          },
        );
        return t('importer.upload.errors.inProgress');
      }
      if (error.status === 403) return t('importer.upload.errors.forbidden');
      return `${t('importer.upload.errors.createFailed')} ${errorText(error)}`;
    }
  };

  /** Starts the import (or its dry run); returns the error to show in the form, if any. */
  const launch = async (options: ImportOptions): Promise<string | undefined> => {
    const target = currentRef.current;
    if (target === undefined) return undefined;
    try {
      const launched = await launchImport(target.id, options);
      show(launched);
      setAnnouncement(
        options.dryRun
          ? t('importer.panel.announce.dryRunStarted')
          : t('importer.panel.announce.started'),
      );
      progressFocus.request();
      return undefined;
    } catch (failure) {
      if (handleUnauthenticated(failure)) return undefined;
      const error = toApiError(failure);
      if (error.code === 'quota_exceeded') return t('importer.launch.errors.quota');
      if (error.code === 'import_in_progress') return t('importer.launch.errors.inProgress');
      if (error.status === 403) return t('importer.launch.errors.forbidden');
      if (error.status === 409) return t('importer.launch.errors.conflict');
      if (error.code === 'invalid_request') return t('importer.launch.errors.invalid');
      return errorText(error);
    }
  };

  /** Drops an analysed import (its archive is deleted) to choose another file. */
  const abandon = async (): Promise<string | undefined> => {
    const target = currentRef.current;
    if (target === undefined || abandoning) return undefined;
    setAbandoning(true);
    try {
      await cancelImport(target.id);
      const ended = await fetchImport(target.id);
      setHistory((list) => upsert(list, ended));
      select(undefined);
      setAnnouncement(t('importer.panel.announce.abandoned'));
      uploadFocus.request();
      return undefined;
    } catch (failure) {
      if (handleUnauthenticated(failure)) return undefined;
      return `${t('importer.launch.errors.abandonFailed')} ${errorText(toApiError(failure))}`;
    } finally {
      setAbandoning(false);
    }
  };

  /** Cancels a running import: what it already wrote is removed. */
  const cancel = async () => {
    const target = currentRef.current;
    if (cancelling || target === undefined || !isActiveImport(target.status)) return;
    setCancelling(true);
    setFollowError(undefined);
    try {
      try {
        await cancelImport(target.id);
      } catch (failure) {
        // Finished just before the cancel arrived: it is kept, and shown as it is.
        if (!(failure instanceof ApiError && failure.status === 409)) throw failure;
      }
      show(await fetchImport(target.id));
    } catch (failure) {
      if (!handleUnauthenticated(failure)) {
        setFollowError(`${t('importer.panel.cancelFailed')} ${errorText(toApiError(failure))}`);
      }
    } finally {
      setCancelling(false);
    }
  };

  /** Undoes a finished import; rejects when it failed (the report shows why). */
  const undo = async () => {
    const target = currentRef.current;
    if (target === undefined) return;
    try {
      show(await undoImport(target.id));
    } catch (failure) {
      if (handleUnauthenticated(failure)) return;
      throw failure;
    }
    history.reload();
    reportFocus.request();
  };

  /** Shows an import of the history above, focused. */
  const open = (imported: ArchiveImport) => {
    select(imported);
    setFollowError(undefined);
    focusView(imported);
  };

  /** Leaves the import shown (refused, ended) to choose another file. */
  const another = () => {
    select(undefined);
    setFollowError(undefined);
    uploadFocus.request();
  };

  return {
    history,
    current,
    followError,
    announcement,
    cancelling,
    abandoning,
    stepRef: stepFocus.ref,
    progressRef: progressFocus.ref,
    reportRef: reportFocus.ref,
    uploadRef: uploadFocus.ref,
    historyRef: historyFocus.ref,
    /** Says something in the tab's live region (an upload cancelled...). */
    announce: setAnnouncement,
    /** Moves the focus to the file chooser's heading once it is on screen. */
    focusUpload: uploadFocus.request,
    createFrom,
    launch,
    abandon,
    cancel,
    undo,
    open,
    another,
  };
}
