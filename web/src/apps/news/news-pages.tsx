/** Actualités: the feed and the threads (`/news`), a thread and its items (`/news/:id`). */
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert, Loading } from '../../components/feedback.tsx';
import { PageHeading } from '../../components/page-heading.tsx';
import { formatDateTime } from '../../format.ts';
import { useDocumentTitle } from '../../hooks/use-document-title.ts';
import { useResource } from '../../hooks/use-resource.ts';
import { Link } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { canContribute, seg } from '../api-common.ts';
import { AccessTag, Breadcrumb, HtmlArticle, LoadError, Tag } from '../ui/content.tsx';
import { CheckboxField } from '../ui/fields.tsx';
import { ArticleForm, NewResourceForm } from '../ui/forms.tsx';
import { useLanguage } from '../ui/hooks.ts';
import { CreatePanel } from '../ui/home.tsx';
import {
  createItem,
  createThread,
  fetchFeed,
  fetchThread,
  fetchThreadItems,
  fetchThreads,
  type NewsItem,
  type Thread,
} from './news-api.ts';

const threadLink = (threadId: string) => `/news/${seg(threadId)}`;

/** Headlines first, then the newest. */
function byHeadlineThenDate(a: NewsItem, b: NewsItem): number {
  if (a.headline !== b.headline) return a.headline ? -1 : 1;
  return b.publishAt.getTime() - a.publishAt.getTime();
}

function ItemTags({ item, showHeadline }: { item: NewsItem; showHeadline: boolean }) {
  const { t } = useTranslation();
  const now = Date.now();
  return (
    <>
      {showHeadline && item.headline && <Tag tone="info">{t('apps_ui.news.headline')}</Tag>}
      {item.state === 'DRAFT' ? (
        <Tag tone="neutral">{t('apps_ui.news.states.draft')}</Tag>
      ) : item.publishAt.getTime() > now ? (
        <Tag tone="warning">{t('apps_ui.news.states.scheduled')}</Tag>
      ) : item.expiresAt !== null && item.expiresAt.getTime() <= now ? (
        <Tag tone="neutral">{t('apps_ui.news.states.expired')}</Tag>
      ) : null}
    </>
  );
}

/** One news item: its title, where and when it was published, its HTML. */
function NewsArticle({
  item,
  showThread,
  headingLevel,
}: {
  item: NewsItem;
  showThread: boolean;
  headingLevel: 'h2' | 'h3';
}) {
  const { t } = useTranslation();
  const language = useLanguage();
  const titleId = useId();
  const Heading = headingLevel;
  return (
    <article className="apps-card news-item" aria-labelledby={titleId}>
      <Heading id={titleId} className="apps-card__title">
        {item.title}
      </Heading>
      <p className="apps-meta muted">
        {/* In the feed, the "Headlines" section already says so. */}
        <ItemTags item={item} showHeadline={!showThread} />{' '}
        <time dateTime={item.publishAt.toISOString()}>
          {formatDateTime(item.publishAt, language)}
        </time>
        {' · '}
        {t('apps_ui.by', { name: item.authorName })}
        {showThread && (
          <>
            {' · '}
            {t('apps_ui.news.inThread')}{' '}
            <Link to={threadLink(item.threadId)}>{item.threadTitle}</Link>
          </>
        )}
      </p>
      <HtmlArticle html={item.content} element="div" />
    </article>
  );
}

// --- /news ------------------------------------------------------------------------------------

function NewThreadForm({ onCancel }: { onCancel: () => void }) {
  const { t } = useTranslation();
  return (
    <NewResourceForm
      titleLabel={t('apps_ui.news.fields.threadTitle')}
      maxLength={300}
      submitLabel={t('apps_ui.news.createThread')}
      create={async ({ title }) => threadLink((await createThread(title)).id)}
      onCancel={onCancel}
    />
  );
}

function ThreadList({ threads, labelledBy }: { threads: Thread[]; labelledBy: string }) {
  const { t } = useTranslation();
  return (
    <ul className="apps-list" aria-labelledby={labelledBy}>
      {threads.map((thread) => (
        <li key={thread.id} className="apps-card">
          <h3 className="apps-card__title">
            <Link to={threadLink(thread.id)}>{thread.title}</Link>
          </h3>
          <p className="apps-meta muted">
            {t('apps_ui.by', { name: thread.ownerName })} <AccessTag access={thread.access} />
          </p>
        </li>
      ))}
    </ul>
  );
}

async function loadNews(signal: AbortSignal) {
  const [feed, threads] = await Promise.all([fetchFeed(signal), fetchThreads(signal)]);
  return { feed, threads };
}

export function NewsPage() {
  const { t } = useTranslation();
  const { me, handleUnauthenticated } = useSession();
  useDocumentTitle(t('apps_ui.news.title'));
  const ids = { headlines: useId(), latest: useId(), threads: useId() };
  const { state, reload } = useResource(loadNews, 'news', handleUnauthenticated);
  const canCreate = me.rights.includes('news.create');

  const feed = state.status === 'success' ? state.data.feed : [];
  const headlines = feed.filter((item) => item.headline);
  const latest = feed.filter((item) => !item.headline);

  return (
    <div className="apps-page">
      <PageHeading>{t('apps_ui.news.title')}</PageHeading>
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ErrorAlert error={state.error} onRetry={reload} />}
      {state.status === 'success' && (
        <>
          {feed.length === 0 && <p className="apps-empty">{t('apps_ui.news.emptyFeed')}</p>}
          {headlines.length > 0 && (
            <section aria-labelledby={ids.headlines}>
              <h2 id={ids.headlines}>{t('apps_ui.news.headlines')}</h2>
              <div className="apps-stack">
                {headlines.map((item) => (
                  <NewsArticle key={item.id} item={item} showThread headingLevel="h3" />
                ))}
              </div>
            </section>
          )}
          {latest.length > 0 && (
            <section aria-labelledby={ids.latest}>
              <h2 id={ids.latest}>{t('apps_ui.news.latest')}</h2>
              <div className="apps-stack">
                {latest.map((item) => (
                  <NewsArticle key={item.id} item={item} showThread headingLevel="h3" />
                ))}
              </div>
            </section>
          )}
        </>
      )}
      <section aria-labelledby={ids.threads}>
        <h2 id={ids.threads}>{t('apps_ui.news.threads')}</h2>
        {canCreate && (
          <CreatePanel
            label={t('apps_ui.news.newThread')}
            form={(close) => <NewThreadForm onCancel={close} />}
          />
        )}
        {state.status === 'success' &&
          (state.data.threads.length === 0 ? (
            <p className="apps-empty">{t('apps_ui.news.noThreads')}</p>
          ) : (
            <ThreadList threads={state.data.threads} labelledBy={ids.threads} />
          ))}
      </section>
    </div>
  );
}

// --- /news/:threadId --------------------------------------------------------------------------

function NewItemForm({
  thread,
  onCreated,
  onCancel,
}: {
  thread: Thread;
  onCreated: (item: NewsItem) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [headline, setHeadline] = useState(false);
  return (
    <ArticleForm
      labels={{
        title: t('apps_ui.news.fields.title'),
        content: t('apps_ui.news.fields.content'),
        contentMissing: t('apps_ui.news.contentMissing'),
        submit: t('apps_ui.news.publish'),
        draft: t('apps_ui.news.saveDraft'),
      }}
      rows={10}
      save={async (values) => {
        onCreated(await createItem(thread.id, { ...values, headline }));
      }}
      onCancel={onCancel}
    >
      <CheckboxField
        label={t('apps_ui.news.fields.headline')}
        checked={headline}
        onChange={setHeadline}
      />
    </ArticleForm>
  );
}

async function loadThread(threadId: string, signal: AbortSignal) {
  const [thread, items] = await Promise.all([
    fetchThread(threadId, signal),
    fetchThreadItems(threadId, signal),
  ]);
  return { thread, items };
}

export function ThreadPage({ threadId }: { threadId: string }) {
  const { t } = useTranslation();
  const { handleUnauthenticated } = useSession();
  const { state, reload, setData } = useResource(
    (signal) => loadThread(threadId, signal),
    threadId,
    handleUnauthenticated,
  );
  const itemsId = useId();
  const [announcement, setAnnouncement] = useState('');
  const loaded = state.status === 'success' ? state.data : undefined;
  useDocumentTitle(
    loaded
      ? t('apps_ui.pageTitle', { page: loaded.thread.title, app: t('apps_ui.news.title') })
      : t('apps_ui.news.title'),
  );

  if (state.status === 'loading') return <Loading />;
  if (state.status === 'error') return <LoadError error={state.error} onRetry={reload} />;
  const { thread, items } = state.data;

  return (
    <div className="apps-page">
      <Breadcrumb
        items={[{ label: t('apps_ui.news.title'), to: '/news' }, { label: thread.title }]}
      />
      <PageHeading>{thread.title}</PageHeading>
      <p className="apps-meta muted">
        {t('apps_ui.by', { name: thread.ownerName })} <AccessTag access={thread.access} />
      </p>
      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      {canContribute(thread.access) && (
        <CreatePanel
          label={t('apps_ui.news.newItem')}
          form={(close) => (
            <NewItemForm
              thread={thread}
              onCreated={(item) => {
                setData((data) => ({
                  ...data,
                  items: [item, ...data.items].sort(byHeadlineThenDate),
                }));
                close();
                setAnnouncement(
                  item.state === 'DRAFT'
                    ? t('apps_ui.news.draftSaved', { title: item.title })
                    : t('apps_ui.news.itemPublished', { title: item.title }),
                );
              }}
              onCancel={close}
            />
          )}
        />
      )}
      <section aria-labelledby={itemsId}>
        <h2 id={itemsId}>{t('apps_ui.news.items')}</h2>
        {items.length === 0 ? (
          <p className="apps-empty">{t('apps_ui.news.noItems')}</p>
        ) : (
          <div className="apps-stack">
            {items.map((item) => (
              <NewsArticle key={item.id} item={item} showThread={false} headingLevel="h3" />
            ))}
          </div>
        )}
      </section>
    </div>
  );
}
