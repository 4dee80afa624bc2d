/**
 * Cours et Wiki: the wikis (`/wiki`), a wiki with its page tree (`/wiki/:id`), a page with its
 * revisions (`/wiki/:id/pages/:pageId`). Links between pages are same-site paths: the article
 * hands them to the History router, so the tree stays loaded while reading.
 */
import { useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert, Loading } from '../components/feedback.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { useDocumentTitle } from '../hooks/use-document-title.ts';
import { useResource } from '../hooks/use-resource.ts';
import { Link, navigate } from '../router.tsx';
import { useSession } from '../session.tsx';
import { canContribute, seg } from './api-common.ts';
import {
  createPage,
  createWiki,
  fetchPage,
  fetchPages,
  fetchRevisions,
  fetchWiki,
  fetchWikis,
  pagePath,
  restoreRevision,
  updatePage,
  type Revision,
  type Wiki,
  type WikiPage,
} from './wiki-api.ts';
import {
  AccessTag,
  Breadcrumb,
  FormAlert,
  FormButtons,
  FormStatus,
  HtmlArticle,
  LoadError,
  SelectField,
  TextAreaField,
  TextField,
  When,
  focusFirstInvalid,
  useAction,
  useDisclosure,
  type Crumb,
  MineAndShared,
  ResourceCards,
} from './ui.tsx';

const wikiLink = (wikiId: string) => `/wiki/${seg(wikiId)}`;

// --- The page tree ------------------------------------------------------------------------------

interface TreeNode {
  page: WikiPage;
  depth: number;
  children: TreeNode[];
}

/** The pages as a forest, in the server's order; a page whose parent is missing is a root. */
function buildTree(pages: readonly WikiPage[]): TreeNode[] {
  const ids = new Set(pages.map((p) => p.id));
  const byParent = new Map<string | null, WikiPage[]>();
  for (const page of pages) {
    const parent = page.parentId !== null && ids.has(page.parentId) ? page.parentId : null;
    const list = byParent.get(parent) ?? [];
    list.push(page);
    byParent.set(parent, list);
  }
  const seen = new Set<string>();
  const grow = (parent: string | null, depth: number): TreeNode[] =>
    (byParent.get(parent) ?? []).flatMap((page) => {
      if (seen.has(page.id)) return [];
      seen.add(page.id);
      return [{ page, depth, children: grow(page.id, depth + 1) }];
    });
  return grow(null, 0);
}

function flatten(nodes: readonly TreeNode[]): TreeNode[] {
  return nodes.flatMap((node) => [node, ...flatten(node.children)]);
}

function TreeList({ nodes, currentId }: { nodes: readonly TreeNode[]; currentId?: string }) {
  return (
    <ul>
      {nodes.map(({ page, children }) => (
        <li key={page.id}>
          <Link
            to={pagePath(page.wikiId, page.id)}
            aria-current={page.id === currentId ? 'page' : undefined}
          >
            {page.title}
          </Link>
          {children.length > 0 && <TreeList nodes={children} currentId={currentId} />}
        </li>
      ))}
    </ul>
  );
}

function PageTree({
  wiki,
  tree,
  currentId,
}: {
  wiki: Wiki;
  tree: readonly TreeNode[];
  currentId?: string;
}) {
  const { t } = useTranslation();
  const headingId = useId();
  return (
    <nav className="wiki-tree" aria-labelledby={headingId}>
      <h2 id={headingId} className="wiki-tree__title">
        {t('apps_ui.wiki.pages')}
        <span className="visually-hidden"> {t('apps_ui.wiki.ofWiki', { title: wiki.title })}</span>
      </h2>
      {tree.length === 0 ? (
        <p className="muted">{t('apps_ui.wiki.noPages')}</p>
      ) : (
        <TreeList nodes={tree} currentId={currentId} />
      )}
    </nav>
  );
}

// --- Page form (new and edit) -------------------------------------------------------------------

function PageForm({
  wikiId,
  tree,
  page,
  defaultParentId,
  onSaved,
  onCancel,
}: {
  wikiId: string;
  tree: readonly TreeNode[];
  /** The page to change; absent: a new page. */
  page?: WikiPage;
  defaultParentId?: string | null;
  onSaved: (page: WikiPage) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const formRef = useRef<HTMLFormElement>(null);
  const [title, setTitle] = useState(page?.title ?? '');
  const [content, setContent] = useState(page?.content ?? '');
  const [parentId, setParentId] = useState(page?.parentId ?? defaultParentId ?? '');
  const [titleError, setTitleError] = useState<string>();
  const { busy, error, run } = useAction();

  // A page cannot go under itself or its sub-pages.
  const parents = useMemo(() => {
    const excluded = new Set<string>();
    if (page) {
      const mark = (nodes: readonly TreeNode[], inside: boolean) => {
        for (const node of nodes) {
          const within = inside || node.page.id === page.id;
          if (within) excluded.add(node.page.id);
          mark(node.children, within);
        }
      };
      mark(tree, false);
    }
    return flatten(tree).filter((node) => !excluded.has(node.page.id));
  }, [tree, page]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (title.trim() === '') {
      setTitleError(t('apps_ui.form.titleMissing'));
      focusFirstInvalid(formRef.current);
      return;
    }
    setTitleError(undefined);
    const input = { title: title.trim(), content, parentId: parentId === '' ? null : parentId };
    run(async () => {
      onSaved(page ? await updatePage(wikiId, page.id, input) : await createPage(wikiId, input));
    });
  };

  return (
    <form ref={formRef} className="form panel apps-form" noValidate onSubmit={submit}>
      <FormAlert message={error} />
      <TextField
        label={t('apps_ui.wiki.fields.title')}
        value={title}
        onChange={setTitle}
        error={titleError}
        required
        maxLength={300}
      />
      <SelectField
        label={t('apps_ui.wiki.fields.parent')}
        value={parentId}
        onChange={setParentId}
        options={[
          { value: '', label: t('apps_ui.wiki.noParent') },
          ...parents.map(({ page: p, depth }) => ({
            value: p.id,
            // Indented like the tree (a select cannot nest its options).
            label: `${'\u00a0\u00a0\u00a0'.repeat(depth)}${p.title}`,
          })),
        ]}
      />
      <TextAreaField
        label={t('apps_ui.wiki.fields.content')}
        hint={t('apps_ui.wiki.contentHint')}
        value={content}
        onChange={setContent}
        rows={16}
        code
      />
      <FormButtons
        submitLabel={page ? t('apps_ui.form.save') : t('apps_ui.wiki.createPage')}
        busy={busy}
        onCancel={onCancel}
      />
      <FormStatus message={busy ? t('apps_ui.form.saving') : ''} />
    </form>
  );
}

// --- /wiki --------------------------------------------------------------------------------------

function NewWikiForm({ onCancel }: { onCancel: () => void }) {
  const { t } = useTranslation();
  const formRef = useRef<HTMLFormElement>(null);
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [titleError, setTitleError] = useState<string>();
  const { busy, error, run } = useAction();
  return (
    <form
      ref={formRef}
      className="form panel apps-form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (title.trim() === '') {
          setTitleError(t('apps_ui.form.titleMissing'));
          focusFirstInvalid(formRef.current);
          return;
        }
        setTitleError(undefined);
        run(async () => {
          const wiki = await createWiki({ title: title.trim(), description: description.trim() });
          navigate(wikiLink(wiki.id));
        });
      }}
    >
      <FormAlert message={error} />
      <TextField
        label={t('apps_ui.wiki.fields.wikiTitle')}
        value={title}
        onChange={setTitle}
        error={titleError}
        required
        maxLength={300}
      />
      <TextAreaField
        label={t('apps_ui.wiki.fields.description')}
        value={description}
        onChange={setDescription}
        rows={3}
      />
      <FormButtons submitLabel={t('apps_ui.wiki.createWiki')} busy={busy} onCancel={onCancel} />
      <FormStatus message={busy ? t('apps_ui.form.saving') : ''} />
    </form>
  );
}

export function WikisPage() {
  const { t } = useTranslation();
  const { me, handleUnauthenticated } = useSession();
  useDocumentTitle(t('apps_ui.wiki.title'));
  const { state, reload } = useResource(fetchWikis, 'wikis', handleUnauthenticated);
  const create = useDisclosure();
  const wikis = state.status === 'success' ? state.data : [];

  return (
    <div className="apps-page">
      <PageHeading>{t('apps_ui.wiki.title')}</PageHeading>
      {me.rights.includes('wiki.create') && (
        <div className="apps-create">
          <button type="button" className="button" {...create.toggleProps}>
            {t('apps_ui.wiki.newWiki')}
          </button>
          <div id={create.panelId} hidden={!create.open}>
            {create.open && <NewWikiForm onCancel={create.close} />}
          </div>
        </div>
      )}
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ErrorAlert error={state.error} onRetry={reload} />}
      {state.status === 'success' && (
        <>
          <MineAndShared
            items={wikis}
            labels={{
              mine: t('apps_ui.wiki.mine'),
              shared: t('apps_ui.wiki.shared'),
              emptyMine: t('apps_ui.wiki.emptyMine'),
              emptyShared: t('apps_ui.wiki.emptyShared'),
            }}
            render={(list, labelledBy) => (
              <ResourceCards items={list} labelledBy={labelledBy} linkOf={wikiLink} />
            )}
          />
        </>
      )}
    </div>
  );
}

// --- /wiki/:wikiId ------------------------------------------------------------------------------

function WikiHome({ wiki, tree }: { wiki: Wiki; tree: readonly TreeNode[] }) {
  const { t } = useTranslation();
  const create = useDisclosure();
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
        <div className="apps-create">
          <button type="button" className="button" {...create.toggleProps}>
            {t('apps_ui.wiki.newPage')}
          </button>
          <div id={create.panelId} hidden={!create.open}>
            {create.open && (
              <PageForm
                wikiId={wiki.id}
                tree={tree}
                onSaved={(page) => {
                  navigate(pagePath(wiki.id, page.id));
                }}
                onCancel={create.close}
              />
            )}
          </div>
        </div>
      )}
    </>
  );
}

// --- /wiki/:wikiId/pages/:pageId ----------------------------------------------------------------

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

function PageView({
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
  const restoring = useAction();
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
