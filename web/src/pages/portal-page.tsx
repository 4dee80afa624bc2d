import { useEffect, useId } from 'react';
import { useTranslation } from 'react-i18next';
import { useAppLabel } from '../apps/known-apps.ts';
import { AppIcon } from '../apps/ui/app-icon.tsx';
import { fetchApps, fetchTimeline, type PortalApp } from '../api/platform.ts';
import { ErrorAlert, Loading } from '../components/feedback.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { QuotaBar } from '../components/quota-bar.tsx';
import { TimelineList, useMarkReadOnOpen } from '../components/timeline-list.tsx';
import { useDocumentTitle } from '../hooks/use-document-title.ts';
import { useResource } from '../hooks/use-resource.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';

const PREVIEW_SIZE = 5;

function AppCard({ app }: { app: PortalApp }) {
  const label = useAppLabel()(app.id, app.label);
  return (
    <li className="app-grid__item">
      <Link to={app.path} className="app-card">
        <span className="app-card__icon" aria-hidden="true">
          <AppIcon id={app.id} label={label} />
        </span>
        <span className="app-card__label">{label}</span>
      </Link>
    </li>
  );
}

function AppsSection() {
  const { t } = useTranslation();
  const { handleUnauthenticated } = useSession();
  const titleId = useId();
  const { state, reload } = useResource(fetchApps, 'apps', handleUnauthenticated);

  return (
    <section className="portal__section portal__apps" aria-labelledby={titleId}>
      <h2 id={titleId}>{t('portal.apps.title')}</h2>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ErrorAlert error={state.error} onRetry={reload} />}
      {state.status === 'success' &&
        (state.data.length === 0 ? (
          <p>{t('portal.apps.empty')}</p>
        ) : (
          <ul className="app-grid">
            {state.data.map((app) => (
              <AppCard key={app.id} app={app} />
            ))}
          </ul>
        ))}
    </section>
  );
}

function TimelineSection() {
  const { t } = useTranslation();
  const { handleUnauthenticated, setUnreadCount } = useSession();
  const titleId = useId();
  const { state, reload, setData } = useResource(
    (signal) => fetchTimeline({ limit: PREVIEW_SIZE }, signal),
    'timeline-preview',
    handleUnauthenticated,
  );
  const onOpen = useMarkReadOnOpen((update) => {
    setData((page) => ({ ...page, items: page.items.map(update) }));
  });
  const unreadCount = state.status === 'success' ? state.data.unreadCount : undefined;
  useEffect(() => {
    if (unreadCount !== undefined) setUnreadCount(unreadCount);
  }, [unreadCount, setUnreadCount]);

  return (
    <section className="portal__section portal__timeline" aria-labelledby={titleId}>
      <h2 id={titleId}>{t('portal.timeline.title')}</h2>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ErrorAlert error={state.error} onRetry={reload} />}
      {state.status === 'success' && (
        <>
          <p className="muted">
            {state.data.unreadCount > 0
              ? t('timelinePage.unread', { count: state.data.unreadCount })
              : t('timelinePage.allRead')}
          </p>
          {state.data.items.length === 0 ? (
            <p>{t('timelinePage.empty')}</p>
          ) : (
            <TimelineList items={state.data.items} onOpen={onOpen} />
          )}
        </>
      )}
      <p>
        <Link to="/timeline">{t('portal.timeline.all')}</Link>
      </p>
    </section>
  );
}

function QuotaSection() {
  const { t } = useTranslation();
  const { me } = useSession();
  const titleId = useId();
  return (
    <section className="portal__section portal__quota" aria-labelledby={titleId}>
      <h2 id={titleId}>{t('portal.quota.title')}</h2>
      {me.quota ? (
        <QuotaBar quota={me.quota} labelledBy={titleId} />
      ) : (
        <p className="muted">{t('portal.quota.unknown')}</p>
      )}
    </section>
  );
}

export function PortalPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  useDocumentTitle(t('portal.title'));

  return (
    <div className="portal">
      <PageHeading>{t('portal.hello', { name: me.user.displayName })}</PageHeading>
      <AppsSection />
      <div className="portal__columns">
        <TimelineSection />
        <QuotaSection />
      </div>
    </div>
  );
}
