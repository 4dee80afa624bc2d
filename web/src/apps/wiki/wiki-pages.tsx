/**
 * Cours et Wiki: the wikis (`/wiki`), a wiki with its page tree (`/wiki/:id`), a page with its
 * revisions (`/wiki/:id/pages/:pageId`, see `page-view.tsx`). Links between pages are same-site
 * paths: the article hands them to the History router, so the tree stays loaded while reading.
 */
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Loading } from '../../components/feedback.tsx';
import { PageHeading } from '../../components/page-heading.tsx';
import { useDocumentTitle } from '../../hooks/use-document-title.ts';
import { useResource } from '../../hooks/use-resource.ts';
import { Link, navigate } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { canContribute, seg } from '../api-common.ts';
import { AccessTag, Breadcrumb, LoadError, type Crumb } from '../ui/content.tsx';
import { NewResourceForm } from '../ui/forms.tsx';
import { CreatePanel, ResourceCards, ResourcesHome } from '../ui/home.tsx';
import { PageForm } from './page-form.tsx';
import { buildTree, PageTree, type TreeNode } from './page-tree.tsx';
import { PageView } from './page-view.tsx';
import { createWiki, fetchPages, fetchWiki, fetchWikis, pagePath, type Wiki } from './wiki-api.ts';

const wikiLink = (wikiId: string) => `/wiki/${seg(wikiId)}`;

// --- /wiki --------------------------------------------------------------------------------------

export function WikisPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  return (
    <ResourcesHome
      app="wiki"
      load={fetchWikis}
      createLabel={t('apps_ui.wiki.newWiki')}
      createForm={
        me.rights.includes('wiki.create')
          ? (close) => (
              <NewResourceForm
                titleLabel={t('apps_ui.wiki.fields.wikiTitle')}
                maxLength={300}
                descriptionLabel={t('apps_ui.wiki.fields.description')}
                submitLabel={t('apps_ui.wiki.createWiki')}
                create={async (values) => wikiLink((await createWiki(values)).id)}
                onCancel={close}
              />
            )
          : undefined
      }
      render={(list, labelledBy) => (
        <ResourceCards items={list} labelledBy={labelledBy} linkOf={wikiLink} />
      )}
    />
  );
}

// --- /wiki/:wikiId ------------------------------------------------------------------------------

function WikiHome({ wiki, tree }: { wiki: Wiki; tree: readonly TreeNode[] }) {
  const { t } = useTranslation();
  const first = tree[0]?.page;
  return (
    <>
      <PageHeading>{wiki.title}</PageHeading>
      {wiki.description !== '' && <p className="lead">{wiki.description}</p>}
      <p className="apps-meta muted">
        {t('apps_ui.by', { name: wiki.ownerName })} <AccessTag access={wiki.access} />
      </p>
      {first && (
        <p>
          <Link to={pagePath(wiki.id, first.id)}>
            {t('apps_ui.wiki.readFirst', { title: first.title })}
          </Link>
        </p>
      )}
      {canContribute(wiki.access) && (
        <CreatePanel
          label={t('apps_ui.wiki.newPage')}
          form={(close) => (
            <PageForm
              wikiId={wiki.id}
              tree={tree}
              onSaved={(page) => {
                navigate(pagePath(wiki.id, page.id));
              }}
              onCancel={close}
            />
          )}
        />
      )}
    </>
  );
}

// --- The wiki frame (tree + home or page) -------------------------------------------------------

async function loadWiki(wikiId: string, signal: AbortSignal) {
  const [wiki, pages] = await Promise.all([fetchWiki(wikiId, signal), fetchPages(wikiId, signal)]);
  return { wiki, pages };
}

/** Mounted for as long as the wiki is shown (keyed by it): reading its pages keeps the tree. */
export function WikiPages({ wikiId, pageId }: { wikiId: string; pageId?: string | undefined }) {
  const { t } = useTranslation();
  const { handleUnauthenticated } = useSession();
  const { state, reload, setData } = useResource(
    (signal) => loadWiki(wikiId, signal),
    wikiId,
    handleUnauthenticated,
  );
  const pages = state.status === 'success' ? state.data.pages : undefined;
  const tree = useMemo(() => buildTree(pages ?? []), [pages]);
  const wikiTitle = state.status === 'success' ? state.data.wiki.title : undefined;
  const current = pageId === undefined ? undefined : pages?.find((p) => p.id === pageId);
  // The one title of the page (the page view below does not set its own).
  useDocumentTitle(
    wikiTitle === undefined
      ? t('apps_ui.wiki.title')
      : current
        ? t('apps_ui.pageTitle', { page: current.title, app: wikiTitle })
        : t('apps_ui.pageTitle', { page: wikiTitle, app: t('apps_ui.wiki.title') }),
  );

  if (state.status === 'loading') return <Loading />;
  if (state.status === 'error') return <LoadError error={state.error} onRetry={reload} />;
  const { wiki } = state.data;

  const refreshTree = () => {
    fetchPages(wiki.id).then(
      (list) => {
        setData((data) => ({ ...data, pages: list }));
      },
      (error: unknown) => {
        handleUnauthenticated(error);
      },
    );
  };

  const crumbs: Crumb[] = [{ label: t('apps_ui.wiki.title'), to: '/wiki' }];
  if (pageId === undefined) crumbs.push({ label: wiki.title });
  else {
    crumbs.push({ label: wiki.title, to: wikiLink(wiki.id) });
    crumbs.push({ label: current?.title ?? t('apps_ui.wiki.page') });
  }

  return (
    <div className="apps-page">
      <Breadcrumb items={crumbs} />
      <div className="wiki-layout">
        <PageTree wiki={wiki} tree={tree} currentId={pageId} />
        <div className="wiki-main">
          {pageId === undefined ? (
            <WikiHome wiki={wiki} tree={tree} />
          ) : (
            <PageView
              key={pageId}
              wiki={wiki}
              pageId={pageId}
              tree={tree}
              onTreeChanged={refreshTree}
            />
          )}
        </div>
      </div>
    </div>
  );
}
