import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toApiError, type ApiError } from '../api/client.ts';
import { fetchTimeline, markTimelineRead } from '../api/platform.ts';
import { ErrorAlert, Loading } from '../components/feedback.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { TimelineList, useMarkReadOnOpen } from '../components/timeline-list.tsx';
import { useDocumentTitle } from '../hooks/use-document-title.ts';
import { useResource } from '../hooks/use-resource.ts';
import { useSession } from '../session.tsx';

const PAGE_SIZE = 20;

type Busy = 'idle' | 'more' | 'markAll';

export function TimelinePage() {
  const { t } = useTranslation();
  const { handleUnauthenticated, setUnreadCount } = useSession();
  useDocumentTitle(t('timelinePage.title'));

  const { state, reload, setData } = useResource(
    (signal) => fetchTimeline({ limit: PAGE_SIZE }, signal),
    'timeline',
    handleUnauthenticated,
  );
  const [busy, setBusy] = useState<Busy>('idle');
  const [actionError, setActionError] = useState<{ action: Busy; error: ApiError }>();
  const [announcement, setAnnouncement] = useState('');
  const [focusId, setFocusId] = useState<string>();
  const endRef = useRef<HTMLParagraphElement>(null);
  const focusEnd = useRef(false);

  const onOpen = useMarkReadOnOpen((update) => {
    setData((page) => ({ ...page, items: page.items.map(update) }));
  });

  const unreadCount = state.status === 'success' ? state.data.unreadCount : undefined;
  useEffect(() => {
    if (unreadCount !== undefined) setUnreadCount(unreadCount);
  }, [unreadCount, setUnreadCount]);

  const nextCursor = state.status === 'success' ? state.data.nextCursor : null;
  useEffect(() => {
    // "Older" found nothing more and disappeared: keep the focus near where it was.
    if (focusEnd.current && nextCursor === null) {
      focusEnd.current = false;
      endRef.current?.focus();
    }
  }, [nextCursor]);

  const loadMore = async () => {
    if (busy !== 'idle' || nextCursor === null) return;
    setBusy('more');
    setActionError(undefined);
    setAnnouncement('');
    try {
      const page = await fetchTimeline({ limit: PAGE_SIZE, before: nextCursor });
      const shown = new Set(state.status === 'success' ? state.data.items.map((i) => i.id) : []);
      const fresh = page.items.filter((item) => !shown.has(item.id));
      setData((current) => {
        const known = new Set(current.items.map((item) => item.id));
        return {
          items: [...current.items, ...fresh.filter((item) => !known.has(item.id))],
          nextCursor: page.nextCursor,
          unreadCount: page.unreadCount,
        };
      });
      const first = fresh[0];
      if (first) setFocusId(first.id);
      else focusEnd.current = true;
      setAnnouncement(
        fresh.length > 0
          ? t('timelinePage.loaded', { count: fresh.length })
          : t('timelinePage.end'),
      );
    } catch (failure) {
      if (!handleUnauthenticated(failure)) {
        setActionError({ action: 'more', error: toApiError(failure) });
      }
    } finally {
      setBusy('idle');
    }
  };

  const markAll = async () => {
    if (busy !== 'idle' || unreadCount === 0) return;
    setBusy('markAll');
    setActionError(undefined);
    setAnnouncement('');
    try {
      const count = await markTimelineRead();
      setData((current) => ({
        ...current,
        unreadCount: count,
        items: current.items.map((item) => ({ ...item, read: true })),
      }));
      setAnnouncement(t('timelinePage.markedAll'));
    } catch (failure) {
      if (!handleUnauthenticated(failure)) {
        setActionError({ action: 'markAll', error: toApiError(failure) });
      }
    } finally {
      setBusy('idle');
    }
  };

  return (
    <div className="timeline-page">
      <PageHeading>{t('timelinePage.title')}</PageHeading>
      {/* Results of the buttons below, announced without moving the focus. */}
      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ErrorAlert error={state.error} onRetry={reload} />}
      {state.status === 'success' && (
        <>
          <div className="toolbar">
            <p className="toolbar__summary">
              {state.data.unreadCount > 0
                ? t('timelinePage.unread', { count: state.data.unreadCount })
                : t('timelinePage.allRead')}
            </p>
            <button
              type="button"
              className="button button--secondary"
              aria-disabled={busy !== 'idle' || state.data.unreadCount === 0}
              onClick={() => {
                void markAll();
              }}
            >
              {t('timelinePage.markAll')}
            </button>
          </div>
          {actionError?.action === 'markAll' && (
            <ErrorAlert>{t('timelinePage.markAllFailed')}</ErrorAlert>
          )}

          {state.data.items.length === 0 ? (
            <p>{t('timelinePage.empty')}</p>
          ) : (
            <TimelineList items={state.data.items} focusId={focusId} onOpen={onOpen} />
          )}

          {actionError?.action === 'more' && <ErrorAlert error={actionError.error} />}
          {state.data.nextCursor !== null ? (
            <p className="timeline-page__more">
              <button
                type="button"
                className="button"
                aria-disabled={busy !== 'idle'}
                onClick={() => {
                  void loadMore();
                }}
              >
                {t('timelinePage.more')}
              </button>
              {busy === 'more' && <span className="muted"> {t('common.loading')}</span>}
            </p>
          ) : (
            state.data.items.length > 0 && (
              <p ref={endRef} tabIndex={-1} className="muted timeline-page__end">
                {t('timelinePage.end')}
              </p>
            )
          )}
        </>
      )}
    </div>
  );
}
