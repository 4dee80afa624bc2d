/** A wiki page (`/wiki/:wikiId/pages/:pageId`): edit it, add a sub-page, read it, its revisions. */
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert, Loading } from '../../components/feedback.tsx';
import { PageHeading } from '../../components/page-heading.tsx';
import { useResource } from '../../hooks/use-resource.ts';
import { navigate } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { canContribute } from '../api-common.ts';
import { HtmlArticle, LoadError, When } from '../ui/content.tsx';
import { useAppsAction, useDisclosure } from '../ui/hooks.ts';
import { PageForm } from './page-form.tsx';
import type { TreeNode } from './page-tree.tsx';
import {
  fetchPage,
  fetchRevisions,
  pagePath,
  restoreRevision,
  type Revision,
  type Wiki,
} from './wiki-api.ts';

async function loadPage(wikiId: string, pageId: string, signal: AbortSignal) {
  const [page, revisions] = await Promise.all([
    fetchPage(wikiId, pageId, signal),
    fetchRevisions(wikiId, pageId, signal),
  ]);
  return { page, revisions };
}

function Revisions({
  revisions,
  writable,
  onRestore,
  busy,
}: {
  revisions: Revision[];
  writable: boolean;
  onRestore: (revision: Revision) => void;
  busy: boolean;
}) {
  const { t } = useTranslation();
  const headingId = useId();
  return (
    <section className="wiki-revisions" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('apps_ui.wiki.revisions')}</h2>
      {revisions.length === 0 ? (
        <p className="apps-empty">{t('apps_ui.wiki.noRevisions')}</p>
      ) : (
        <ol className="apps-plain-list">
          {revisions.map((revision) => (
            <li key={revision.id} className="wiki-revision">
              <span>
                <When date={revision.createdAt} />
                {' · '}
                {revision.title}
                {revision.authorName !== null && (
                  <span className="muted"> · {t('apps_ui.by', { name: revision.authorName })}</span>
                )}
              </span>
              {writable && (
                <button
                  type="button"
                  className="button button--small button--secondary"
                  aria-disabled={busy}
                  onClick={() => {
                    onRestore(revision);
                  }}
                >
                  {t('apps_ui.wiki.restore')}
                  <span className="visually-hidden">
                    {' '}
                    <When date={revision.createdAt} />
                  </span>
                </button>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

export function PageView({
  wiki,
  pageId,
  tree,
  onTreeChanged,
}: {
  wiki: Wiki;
  pageId: string;
  tree: readonly TreeNode[];
  onTreeChanged: () => void;
}) {
  const { t } = useTranslation();
  const { handleUnauthenticated } = useSession();
  const { state, reload, setData } = useResource(
    (signal) => loadPage(wiki.id, pageId, signal),
    pageId,
    handleUnauthenticated,
  );
  const edit = useDisclosure();
  const create = useDisclosure();
  const restoring = useAppsAction();
  const [announcement, setAnnouncement] = useState('');

  if (state.status === 'loading') return <Loading />;
  if (state.status === 'error') return <LoadError error={state.error} onRetry={reload} />;
  const { page, revisions } = state.data;
  const writable = canContribute(wiki.access);

  const refreshRevisions = () => {
    fetchRevisions(wiki.id, page.id).then(
      (list) => {
        setData((data) => ({ ...data, revisions: list }));
      },
      (error: unknown) => {
        handleUnauthenticated(error);
      },
    );
  };

  return (
    <>
      <PageHeading>{page.title}</PageHeading>
      <p className="apps-meta muted">
        {t('apps_ui.wiki.modified')} <When date={page.modifiedAt} />
        {page.authorName !== null && <> · {t('apps_ui.by', { name: page.authorName })}</>}
      </p>
      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      {writable && (
        <div className="apps-actions">
          <button type="button" className="button" {...edit.toggleProps}>
            {t('apps_ui.wiki.edit')}
          </button>
          <button type="button" className="button button--secondary" {...create.toggleProps}>
            {t('apps_ui.wiki.newSubPage')}
          </button>
        </div>
      )}
      {writable && (
        <>
          <div id={edit.panelId} hidden={!edit.open}>
            {edit.open && (
              <PageForm
                wikiId={wiki.id}
                tree={tree}
                page={page}
                onSaved={(updated) => {
                  setData((data) => ({ ...data, page: updated }));
                  edit.close();
                  setAnnouncement(t('apps_ui.wiki.saved'));
                  refreshRevisions();
                  onTreeChanged();
                }}
                onCancel={edit.close}
              />
            )}
          </div>
          <div id={create.panelId} hidden={!create.open}>
            {create.open && (
              <PageForm
                wikiId={wiki.id}
                tree={tree}
                defaultParentId={page.id}
                onSaved={(created) => {
                  onTreeChanged();
                  navigate(pagePath(wiki.id, created.id));
                }}
                onCancel={create.close}
              />
            )}
          </div>
        </>
      )}
      {page.content.trim() === '' ? (
        <p className="apps-empty">{t('apps_ui.wiki.emptyPage')}</p>
      ) : (
        <HtmlArticle html={page.content} className="wiki-content" />
      )}
      {restoring.error !== undefined && <ErrorAlert>{restoring.error}</ErrorAlert>}
      <Revisions
        revisions={revisions}
        writable={writable}
        busy={restoring.busy}
        onRestore={(revision) => {
          setAnnouncement('');
          restoring.run(async () => {
            const restored = await restoreRevision(wiki.id, page.id, revision.id);
            setData((data) => ({ ...data, page: restored }));
            setAnnouncement(t('apps_ui.wiki.restored'));
            refreshRevisions();
            onTreeChanged();
          });
        }}
      />
    </>
  );
}
