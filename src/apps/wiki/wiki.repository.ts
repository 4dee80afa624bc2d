import type { ExpressionBuilder, Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { DialectName } from '../../db/dialect.ts';
import type { Database } from '../../db/schema.ts';
import { ownedOrShared } from '../../platform/access.ts';
import { WIKI_KIND } from './wiki.model.ts';
import type { WikiPagesTable, WikiRevisionsTable, WikiWikisTable } from './wiki.schema.ts';

export type WikiRow = Selectable<WikiWikisTable> & { owner_name: string };
export type PageRow = Selectable<WikiPagesTable> & { author_name: string | null };
export type RevisionRow = Selectable<WikiRevisionsTable> & { author_name: string | null };
export type RevisionSummaryRow = Omit<RevisionRow, 'content'>;

/** The tree structure of a wiki, without the page contents. */
export interface PageNode {
  id: string;
  parentId: string | null;
  order: number;
  title: string;
}

/**
 * The Cours et Wiki tables. No rights here: the service decides who may call what. Built on
 * the database or on a transaction (`transaction()` hands a repository bound to one).
 */
export class WikiRepository {
  private readonly db: Kysely<Database>;
  private readonly dialect: DialectName;

  constructor(db: Kysely<Database>, dialect: DialectName) {
    this.db = db;
    this.dialect = dialect;
  }

  async transaction<T>(work: (repo: WikiRepository) => Promise<T>): Promise<T> {
    return this.db
      .transaction()
      .execute(async (trx) => work(new WikiRepository(trx, this.dialect)));
  }

  // ---- wikis ------------------------------------------------------------------------------

  private wikis() {
    return this.db
      .selectFrom('wiki_wikis')
      .innerJoin('users', 'users.id', 'wiki_wikis.owner_id')
      .selectAll('wiki_wikis')
      .select('users.display_name as owner_name');
  }

  async insertWiki(row: Insertable<WikiWikisTable>): Promise<void> {
    await this.db.insertInto('wiki_wikis').values(row).execute();
  }

  async findWiki(id: string): Promise<WikiRow | undefined> {
    return this.wikis().where('wiki_wikis.id', '=', id).executeTakeFirst();
  }

  /** Wikis the user owns or (with `includeShared`) that are shared with them, by title. */
  async listWikis(userId: string, includeShared: boolean): Promise<WikiRow[]> {
    return this.wikis()
      .where((eb) => this.visibleTo(eb, userId, includeShared))
      .orderBy('wiki_wikis.title')
      .orderBy('wiki_wikis.id')
      .execute();
  }

  /** How many pages the wikis `listWikis` gives hold. */
  async countPages(userId: string, includeShared: boolean): Promise<number> {
    const row = await this.db
      .selectFrom('wiki_pages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('wiki_pages.wiki_id', 'in', (eb) =>
        eb
          .selectFrom('wiki_wikis')
          .select('wiki_wikis.id')
          .where((w) => this.visibleTo(w, userId, includeShared)),
      )
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  private visibleTo(
    eb: ExpressionBuilder<Database, 'wiki_wikis'>,
    userId: string,
    includeShared: boolean,
  ) {
    const columns = { owner: eb.ref('wiki_wikis.owner_id'), id: eb.ref('wiki_wikis.id') };
    return ownedOrShared(this.db, eb, columns, userId, WIKI_KIND, includeShared);
  }

  async updateWiki(id: string, set: Updateable<WikiWikisTable>): Promise<void> {
    await this.db.updateTable('wiki_wikis').set(set).where('id', '=', id).execute();
  }

  /** Deletes a wiki; its pages, links and revisions go with it (foreign keys cascade). */
  async deleteWiki(id: string): Promise<void> {
    await this.db.deleteFrom('wiki_wikis').where('id', '=', id).execute();
  }

  // ---- pages ------------------------------------------------------------------------------

  private pages() {
    return this.db
      .selectFrom('wiki_pages')
      .leftJoin('users', 'users.id', 'wiki_pages.author_id')
      .selectAll('wiki_pages')
      .select('users.display_name as author_name');
  }

  async insertPage(row: Insertable<WikiPagesTable>): Promise<void> {
    await this.db.insertInto('wiki_pages').values(row).execute();
  }

  /**
   * A page of a wiki. `lock` takes a row lock on PostgreSQL, so two concurrent edits of one
   * page each keep the version they replace; SQLite has one writer at a time already.
   */
  async findPage(
    wikiId: string,
    pageId: string,
    options: { lock?: boolean } = {},
  ): Promise<PageRow | undefined> {
    return this.pages()
      .where('wiki_pages.wiki_id', '=', wikiId)
      .where('wiki_pages.id', '=', pageId)
      .$if(options.lock === true && this.dialect === 'postgres', (q) => q.forUpdate('wiki_pages'))
      .executeTakeFirst();
  }

  async listPages(wikiId: string): Promise<PageRow[]> {
    return this.pages().where('wiki_pages.wiki_id', '=', wikiId).execute();
  }

  async pageNodes(wikiId: string): Promise<PageNode[]> {
    const rows = await this.db
      .selectFrom('wiki_pages')
      .select(['id', 'parent_id', 'position', 'title'])
      .where('wiki_id', '=', wikiId)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      parentId: r.parent_id,
      order: r.position,
      title: r.title,
    }));
  }

  /** Every page of a wiki, by id, a few at a time (the archive export). */
  streamPages(wikiId: string): AsyncIterable<PageRow> {
    return this.pages()
      .where('wiki_pages.wiki_id', '=', wikiId)
      .orderBy('wiki_pages.id')
      .stream(100);
  }

  /** The next free `position` among the children of `parentId` (null: the roots). */
  async nextPosition(wikiId: string, parentId: string | null): Promise<number> {
    const row = await this.db
      .selectFrom('wiki_pages')
      .select((eb) => eb.fn.max('position').as('last'))
      .where('wiki_id', '=', wikiId)
      .where('parent_id', parentId === null ? 'is' : '=', parentId)
      .executeTakeFirst();
    const last = row?.last;
    return last === null || last === undefined ? 0 : Number(last) + 1;
  }

  async updatePage(pageId: string, set: Updateable<WikiPagesTable>): Promise<void> {
    await this.db.updateTable('wiki_pages').set(set).where('id', '=', pageId).execute();
  }

  /** Deletes pages in one statement (a subtree: parent keys are checked at its end). */
  async deletePages(pageIds: readonly string[]): Promise<void> {
    if (pageIds.length === 0) return;
    await this.db
      .deleteFrom('wiki_pages')
      .where('id', 'in', [...pageIds])
      .execute();
  }

  // ---- links ------------------------------------------------------------------------------

  /** Replaces the outgoing links of a page with those of `targetIds` that are pages of its wiki. */
  async setLinks(wikiId: string, pageId: string, targetIds: readonly string[]): Promise<void> {
    await this.db.deleteFrom('wiki_page_links').where('page_id', '=', pageId).execute();
    const wanted = targetIds.filter((id) => id !== pageId);
    if (wanted.length === 0) return;
    const existing = await this.db
      .selectFrom('wiki_pages')
      .select('id')
      .where('wiki_id', '=', wikiId)
      .where('id', 'in', wanted)
      .execute();
    if (existing.length === 0) return;
    await this.db
      .insertInto('wiki_page_links')
      .values(existing.map((t) => ({ wiki_id: wikiId, page_id: pageId, target_id: t.id })))
      .execute();
  }

  /** The recorded outgoing links of every page of a wiki, by page. */
  async linksIn(wikiId: string): Promise<Map<string, string[]>> {
    const rows = await this.db
      .selectFrom('wiki_page_links')
      .select(['page_id', 'target_id'])
      .where('wiki_id', '=', wikiId)
      .orderBy('page_id')
      .orderBy('target_id')
      .execute();
    const links = new Map<string, string[]>();
    for (const r of rows) {
      const list = links.get(r.page_id);
      if (list === undefined) links.set(r.page_id, [r.target_id]);
      else list.push(r.target_id);
    }
    return links;
  }

  /** The pages that link to `pageId`, by title. */
  async backlinks(pageId: string): Promise<PageRow[]> {
    return this.pages()
      .innerJoin('wiki_page_links', 'wiki_page_links.page_id', 'wiki_pages.id')
      .where('wiki_page_links.target_id', '=', pageId)
      .orderBy('wiki_pages.title')
      .orderBy('wiki_pages.id')
      .execute();
  }

  // ---- revisions --------------------------------------------------------------------------

  async insertRevision(row: Insertable<WikiRevisionsTable>): Promise<void> {
    await this.db.insertInto('wiki_revisions').values(row).execute();
  }

  /** The revisions of a page, newest first, without their contents. */
  async listRevisions(pageId: string): Promise<RevisionSummaryRow[]> {
    return this.db
      .selectFrom('wiki_revisions')
      .leftJoin('users', 'users.id', 'wiki_revisions.author_id')
      .select([
        'wiki_revisions.id',
        'wiki_revisions.page_id',
        'wiki_revisions.wiki_id',
        'wiki_revisions.title',
        'wiki_revisions.author_id',
        'wiki_revisions.created_at',
        'users.display_name as author_name',
      ])
      .where('wiki_revisions.page_id', '=', pageId)
      .orderBy('wiki_revisions.created_at', 'desc')
      .orderBy('wiki_revisions.id', 'desc')
      .execute();
  }

  async findRevision(pageId: string, revisionId: string): Promise<RevisionRow | undefined> {
    return this.revisions()
      .where('wiki_revisions.page_id', '=', pageId)
      .where('wiki_revisions.id', '=', revisionId)
      .executeTakeFirst();
  }

  /** Every revision of a wiki, page by page, oldest first (the archive export). */
  streamRevisions(wikiId: string): AsyncIterable<RevisionRow> {
    return this.revisions()
      .where('wiki_revisions.wiki_id', '=', wikiId)
      .orderBy('wiki_revisions.page_id')
      .orderBy('wiki_revisions.created_at')
      .orderBy('wiki_revisions.id')
      .stream(100);
  }

  // ---- archive import ---------------------------------------------------------------------
  // Writes keyed by the ids the import allocated: writing again (a resumed import) is a no-op.

  async insertWikiIfAbsent(row: Insertable<WikiWikisTable>): Promise<void> {
    await this.db
      .insertInto('wiki_wikis')
      .values(row)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async insertPageIfAbsent(row: Insertable<WikiPagesTable>): Promise<void> {
    await this.db
      .insertInto('wiki_pages')
      .values(row)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async insertRevisionIfAbsent(row: Insertable<WikiRevisionsTable>): Promise<void> {
    await this.db
      .insertInto('wiki_revisions')
      .values(row)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  /** Which of `pageIds` are pages of the wiki. */
  async existingPages(wikiId: string, pageIds: readonly string[]): Promise<Set<string>> {
    if (pageIds.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('wiki_pages')
      .select('id')
      .where('wiki_id', '=', wikiId)
      .where('id', 'in', [...new Set(pageIds)])
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  /** Records links between pages of a wiki (both ends must be its pages); known ones are kept. */
  async insertLinks(
    wikiId: string,
    links: readonly { pageId: string; targetId: string }[],
  ): Promise<void> {
    if (links.length === 0) return;
    await this.db
      .insertInto('wiki_page_links')
      .values(links.map((l) => ({ wiki_id: wikiId, page_id: l.pageId, target_id: l.targetId })))
      .onConflict((oc) => oc.columns(['page_id', 'target_id']).doNothing())
      .execute();
  }

  /** A page by its id alone, without its content. */
  async findPageById(
    pageId: string,
  ): Promise<{ id: string; wiki_id: string; parent_id: string | null } | undefined> {
    return this.db
      .selectFrom('wiki_pages')
      .select(['id', 'wiki_id', 'parent_id'])
      .where('id', '=', pageId)
      .executeTakeFirst();
  }

  /** Whether a wiki holds any page. */
  async hasPages(wikiId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('wiki_pages')
      .select('id')
      .where('wiki_id', '=', wikiId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Whether a page has sub-pages or previous versions. */
  async pageHoldsAnything(pageId: string): Promise<boolean> {
    const child = await this.db
      .selectFrom('wiki_pages')
      .select('id')
      .where('parent_id', '=', pageId)
      .limit(1)
      .executeTakeFirst();
    if (child !== undefined) return true;
    const revision = await this.db
      .selectFrom('wiki_revisions')
      .select('id')
      .where('page_id', '=', pageId)
      .limit(1)
      .executeTakeFirst();
    return revision !== undefined;
  }

  /** A revision by its id alone, without its content. */
  async findRevisionById(
    revisionId: string,
  ): Promise<{ id: string; page_id: string; wiki_id: string } | undefined> {
    return this.db
      .selectFrom('wiki_revisions')
      .select(['id', 'page_id', 'wiki_id'])
      .where('id', '=', revisionId)
      .executeTakeFirst();
  }

  async deleteRevision(revisionId: string): Promise<void> {
    await this.db.deleteFrom('wiki_revisions').where('id', '=', revisionId).execute();
  }

  private revisions() {
    return this.db
      .selectFrom('wiki_revisions')
      .leftJoin('users', 'users.id', 'wiki_revisions.author_id')
      .selectAll('wiki_revisions')
      .select('users.display_name as author_name');
  }
}
