import { newId, type Clock } from '../../clock.ts';
import type { Db } from '../../db/database.ts';
import { AppError } from '../../errors.ts';
import { AccessReader, accessOf, allows, type Access } from '../../platform/access.ts';
import type { User } from '../../platform/accounts.service.ts';
import type { Platform } from '../../platform/platform.ts';
import type { ResourceRef } from '../../platform/sharing.service.ts';
import { sanitize } from '../../html/sanitize.ts';
import { linkedPageIds, pagePath } from './wiki-links.ts';
import { subtreeIds, treeOrder, wouldCycle } from './wiki-tree.ts';
import {
  WikiRepository,
  type PageRow,
  type RevisionRow,
  type RevisionSummaryRow,
  type WikiRow,
} from './wiki.repository.ts';
import { WIKI, WIKI_KIND } from './wiki.model.ts';

export { WIKI };

export interface Wiki {
  id: string;
  title: string;
  description: string;
  ownerId: string;
  ownerName: string;
  createdAt: number;
  modifiedAt: number;
  /** The caller's access, so a client knows which actions to offer. */
  access: Access;
}

export interface WikiPage {
  id: string;
  wikiId: string;
  parentId: string | null;
  title: string;
  /** Sanitised HTML. */
  content: string;
  order: number;
  /** The author of the last change to the title or content. */
  authorId: string | null;
  authorName: string | null;
  createdAt: number;
  modifiedAt: number;
}

export type PageSummary = Omit<WikiPage, 'content'>;

export interface Revision {
  id: string;
  pageId: string;
  wikiId: string;
  title: string;
  content: string;
  /** Who wrote that version. */
  authorId: string | null;
  authorName: string | null;
  /** When that version was replaced. */
  createdAt: number;
}

export type RevisionSummary = Omit<Revision, 'content'>;

export interface NewWiki {
  title: string;
  description?: string;
}

export interface NewPage {
  title: string;
  content: string;
  parentId?: string | null;
  /** Among siblings; appended after the last sibling when absent. */
  order?: number;
}

export interface PageChange {
  title?: string;
  content?: string;
  /** Moves the page (null: to the root); no cycles, same wiki. */
  parentId?: string | null;
  order?: number;
}

const MAX_TITLE = 300;

function cleanTitle(title: string): string {
  const trimmed = title.trim();
  if (trimmed.length === 0) throw new AppError('invalid_request', 'A title cannot be empty');
  if (trimmed.length > MAX_TITLE)
    throw new AppError('invalid_request', `A title is at most ${MAX_TITLE} characters`);
  return trimmed;
}

function toWiki(r: WikiRow, access: Access): Wiki {
  return {
    id: r.id,
    title: r.title,
    description: r.description,
    ownerId: r.owner_id,
    ownerName: r.owner_name,
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
    access,
  };
}

function toSummary(r: PageRow): PageSummary {
  return {
    id: r.id,
    wikiId: r.wiki_id,
    parentId: r.parent_id,
    title: r.title,
    order: r.position,
    authorId: r.author_id,
    authorName: r.author_name,
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
  };
}

function toPage(r: PageRow): WikiPage {
  return { ...toSummary(r), content: r.content };
}

function toRevisionSummary(r: RevisionSummaryRow): RevisionSummary {
  return {
    id: r.id,
    pageId: r.page_id,
    wikiId: r.wiki_id,
    title: r.title,
    authorId: r.author_id,
    authorName: r.author_name,
    createdAt: r.created_at,
  };
}

function toRevision(r: RevisionRow): Revision {
  return { ...toRevisionSummary(r), content: r.content };
}

/**
 * Cours et Wiki: wikis of pages in a tree, with their links to each other and the previous
 * versions of every page. Who may do what comes from the platform's shares on the wiki:
 * `read` reads pages and revisions, `contrib` writes pages, `manage` edits the wiki, deletes
 * pages and shares; only the owner deletes the wiki. Without access, a wiki does not exist (404).
 */
export class WikiService {
  private readonly repo: WikiRepository;
  private readonly clock: Clock;
  private readonly platform: Platform;
  private readonly access: AccessReader;

  constructor(deps: { db: Db; clock: Clock; platform: Platform }) {
    this.repo = new WikiRepository(deps.db.kysely, deps.db.dialect);
    this.clock = deps.clock;
    this.platform = deps.platform;
    this.access = new AccessReader(deps);
  }

  private static ref(wikiId: string): ResourceRef {
    return { ...WIKI_KIND, id: wikiId };
  }

  // ---- access -----------------------------------------------------------------------------

  /** The wiki if the user may act on it with `need`; 404 without access, 403 short of `need`. */
  async requireWiki(user: User, wikiId: string, need: Access = 'read'): Promise<Wiki> {
    const row = await this.repo.findWiki(wikiId);
    const access =
      row === undefined
        ? undefined
        : await this.access.accessTo(user.id, WIKI_KIND, { id: row.id, ownerId: row.owner_id });
    if (row === undefined || access === undefined)
      throw new AppError('not_found', 'Wiki not found');
    if (!allows(access, need)) throw new AppError('forbidden', 'You may not do this in this wiki');
    return toWiki(row, access);
  }

  private async requirePageRow(
    user: User,
    wikiId: string,
    pageId: string,
    need: Access = 'read',
  ): Promise<{ wiki: Wiki; page: PageRow }> {
    const wiki = await this.requireWiki(user, wikiId, need);
    const page = await this.repo.findPage(wiki.id, pageId);
    if (page === undefined) throw new AppError('not_found', 'Page not found');
    return { wiki, page };
  }

  // ---- wikis ------------------------------------------------------------------------------

  async createWiki(user: User, input: NewWiki): Promise<Wiki> {
    await this.platform.accounts.requireRight(user, 'wiki.create');
    const now = this.clock.now();
    const id = newId();
    await this.repo.insertWiki({
      id,
      owner_id: user.id,
      title: cleanTitle(input.title),
      description: input.description?.trim() ?? '',
      created_at: now,
      modified_at: now,
    });
    return this.requireWiki(user, id);
  }

  /** The user's wikis and (unless `includeShared` is false) those shared with them, by title. */
  async listWikis(user: User, options: { includeShared?: boolean } = {}): Promise<Wiki[]> {
    const rows = await this.repo.listWikis(user.id, options.includeShared ?? true);
    const others = rows.filter((r) => r.owner_id !== user.id).map((r) => r.id);
    const rights = await this.access.sharedRights(user.id, WIKI_KIND, others);
    return rows.map((r) => toWiki(r, accessOf(user.id, r.owner_id, rights.get(r.id)) ?? 'read'));
  }

  async updateWiki(
    user: User,
    wikiId: string,
    input: { title?: string; description?: string },
  ): Promise<Wiki> {
    const wiki = await this.requireWiki(user, wikiId, 'manage');
    await this.repo.updateWiki(wiki.id, {
      ...(input.title === undefined ? {} : { title: cleanTitle(input.title) }),
      ...(input.description === undefined ? {} : { description: input.description.trim() }),
      modified_at: this.clock.now(),
    });
    return this.requireWiki(user, wiki.id);
  }

  /** Deletes a wiki with its pages, links, revisions and shares (owner only). */
  async deleteWiki(user: User, wikiId: string): Promise<void> {
    const wiki = await this.requireWiki(user, wikiId, 'owner');
    await this.repo.deleteWiki(wiki.id);
    await this.platform.sharing.unshareAll(WikiService.ref(wiki.id));
  }

  // ---- pages ------------------------------------------------------------------------------

  /** The pages of a wiki in tree order (parents first; siblings by order, then title). */
  async listPages(user: User, wikiId: string): Promise<WikiPage[]> {
    const wiki = await this.requireWiki(user, wikiId);
    const rows = await this.repo.listPages(wiki.id);
    return treeOrder(rows.map(toPage));
  }

  async getPage(user: User, wikiId: string, pageId: string): Promise<WikiPage> {
    return toPage((await this.requirePageRow(user, wikiId, pageId)).page);
  }

  /**
   * Creates a page (sanitised; its links to other pages recorded) and tells the wiki's other
   * readers in their timeline when the wiki is shared.
   */
  async createPage(user: User, wikiId: string, input: NewPage): Promise<WikiPage> {
    const wiki = await this.requireWiki(user, wikiId, 'contrib');
    const title = cleanTitle(input.title);
    const content = sanitize(input.content);
    const parentId = input.parentId ?? null;
    const id = newId();
    const now = this.clock.now();
    await this.repo.transaction(async (tx) => {
      if (parentId !== null) await this.requireParent(tx, wiki.id, parentId);
      await tx.insertPage({
        id,
        wiki_id: wiki.id,
        parent_id: parentId,
        title,
        content,
        position: input.order ?? (await tx.nextPosition(wiki.id, parentId)),
        author_id: user.id,
        created_at: now,
        modified_at: now,
      });
      await tx.setLinks(wiki.id, id, linkedPageIds(content, wiki.id));
      await tx.updateWiki(wiki.id, { modified_at: now });
    });
    await this.notifyReaders(user, wiki, { id, title });
    return this.getPage(user, wiki.id, id);
  }

  /**
   * Changes a page. A new title or content keeps the previous version as a revision and
   * re-records the page's links; a new parent or order moves it (no revision).
   */
  async updatePage(
    user: User,
    wikiId: string,
    pageId: string,
    change: PageChange,
  ): Promise<WikiPage> {
    return this.editPage(user, wikiId, pageId, async () => change);
  }

  /**
   * Applies the change `changeOf` makes of the page, read again under a row lock, for a user
   * who may contribute to the wiki; returns the page as it is then.
   */
  private async editPage(
    user: User,
    wikiId: string,
    pageId: string,
    changeOf: (tx: WikiRepository, page: PageRow) => Promise<PageChange>,
  ): Promise<WikiPage> {
    const { wiki } = await this.requirePageRow(user, wikiId, pageId, 'contrib');
    await this.repo.transaction(async (tx) => {
      const page = await tx.findPage(wiki.id, pageId, { lock: true });
      if (page === undefined) throw new AppError('not_found', 'Page not found');
      await this.applyChange(tx, user, page, await changeOf(tx, page));
    });
    return this.getPage(user, wiki.id, pageId);
  }

  private async requireParent(tx: WikiRepository, wikiId: string, parentId: string): Promise<void> {
    const parent = await tx.findPage(wikiId, parentId);
    if (parent === undefined)
      throw new AppError('invalid_request', 'The parent page is not a page of this wiki');
  }

  private async applyChange(
    tx: WikiRepository,
    user: User,
    page: PageRow,
    change: PageChange,
  ): Promise<void> {
    const now = this.clock.now();
    const title = change.title === undefined ? page.title : cleanTitle(change.title);
    const content = change.content === undefined ? page.content : sanitize(change.content);
    const edited = title !== page.title || content !== page.content;
    const moved = change.parentId !== undefined && change.parentId !== page.parent_id;
    const reordered = change.order !== undefined && change.order !== page.position;
    if (!edited && !moved && !reordered) return;

    let parentId = page.parent_id;
    let position = change.order ?? page.position;
    if (moved) {
      parentId = change.parentId ?? null;
      if (parentId !== null) {
        await this.requireParent(tx, page.wiki_id, parentId);
        if (wouldCycle(await tx.pageNodes(page.wiki_id), page.id, parentId))
          throw new AppError('invalid_request', 'A page cannot go under itself or its sub-pages');
      }
      position = change.order ?? (await tx.nextPosition(page.wiki_id, parentId));
    }
    if (edited) {
      await tx.insertRevision({
        id: newId(),
        page_id: page.id,
        wiki_id: page.wiki_id,
        title: page.title,
        content: page.content,
        author_id: page.author_id,
        created_at: now,
      });
    }
    await tx.updatePage(page.id, {
      parent_id: parentId,
      position,
      ...(edited ? { title, content, author_id: user.id } : {}),
      modified_at: now,
    });
    if (content !== page.content)
      await tx.setLinks(page.wiki_id, page.id, linkedPageIds(content, page.wiki_id));
    await tx.updateWiki(page.wiki_id, { modified_at: now });
  }

  /**
   * Deletes a page; one with sub-pages only with `recursive` (409 `conflict` otherwise), and
   * then its whole subtree. Links to deleted pages stay in other pages' HTML, but are no longer
   * recorded, so backlinks stop reporting them.
   */
  async deletePage(
    user: User,
    wikiId: string,
    pageId: string,
    options: { recursive?: boolean } = {},
  ): Promise<void> {
    const { wiki, page } = await this.requirePageRow(user, wikiId, pageId, 'manage');
    await this.repo.transaction(async (tx) => {
      const ids = subtreeIds(await tx.pageNodes(wiki.id), page.id);
      if (ids.length > 1 && options.recursive !== true) {
        throw new AppError(
          'conflict',
          'This page has sub-pages: move them first, or delete them too with ?recursive=true',
          { details: { subPages: ids.length - 1 } },
        );
      }
      await tx.deletePages(ids);
      await tx.updateWiki(wiki.id, { modified_at: this.clock.now() });
    });
  }

  /** The pages of the wiki that link to this page ("what links here"), by title. */
  async backlinks(user: User, wikiId: string, pageId: string): Promise<PageSummary[]> {
    const { page } = await this.requirePageRow(user, wikiId, pageId);
    return (await this.repo.backlinks(page.id)).map(toSummary);
  }

  // ---- revisions --------------------------------------------------------------------------

  async listRevisions(user: User, wikiId: string, pageId: string): Promise<RevisionSummary[]> {
    const { page } = await this.requirePageRow(user, wikiId, pageId);
    return (await this.repo.listRevisions(page.id)).map(toRevisionSummary);
  }

  async getRevision(
    user: User,
    wikiId: string,
    pageId: string,
    revisionId: string,
  ): Promise<Revision> {
    const { page } = await this.requirePageRow(user, wikiId, pageId);
    const revision = await this.repo.findRevision(page.id, revisionId);
    if (revision === undefined) throw new AppError('not_found', 'Revision not found');
    return toRevision(revision);
  }

  /** Puts a revision's title and content back; the version it replaces becomes a revision. */
  async restoreRevision(
    user: User,
    wikiId: string,
    pageId: string,
    revisionId: string,
  ): Promise<WikiPage> {
    return this.editPage(user, wikiId, pageId, async (tx, page) => {
      const revision = await tx.findRevision(page.id, revisionId);
      if (revision === undefined) throw new AppError('not_found', 'Revision not found');
      return { title: revision.title, content: revision.content };
    });
  }

  // ---- timeline ---------------------------------------------------------------------------

  /** Everyone who may read the wiki (its owner, users and members of groups it is shared with). */
  private async readersOf(wiki: Wiki): Promise<string[]> {
    const shares = await this.platform.sharing.sharesOf(WikiService.ref(wiki.id));
    if (shares.length === 0) return [wiki.ownerId];
    const readers = new Set([wiki.ownerId]);
    for (const share of shares) {
      if (share.grantee.kind === 'user') readers.add(share.grantee.id);
      else
        for (const id of await this.platform.accounts.membersOf(share.grantee.id)) readers.add(id);
    }
    return [...readers];
  }

  private async notifyReaders(
    author: User,
    wiki: Wiki,
    page: { id: string; title: string },
  ): Promise<void> {
    const readers = (await this.readersOf(wiki)).filter((id) => id !== author.id);
    await this.platform.timeline.notify(readers, {
      type: WIKI,
      messageKey: 'wiki.page.created',
      params: { wiki: wiki.title, title: page.title, author: author.displayName },
      link: pagePath(wiki.id, page.id),
    });
  }
}
