import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { DialectName } from '../../db/dialect.ts';
import type { Database } from '../../db/schema.ts';
import type { WikiPagesTable, WikiRevisionsTable, WikiWikisTable } from './wiki.schema.ts';

export type WikiRow = Selectable<WikiWikisTable> & { owner_name: string };
export type PageRow = Selectable<WikiPagesTable> & { author_name: string | null };
export type RevisionRow = Selectable<WikiRevisionsTable> & { author_name: string | null };
export type RevisionSummaryRow = Omit<RevisionRow, 'content'>;

/** The tree structure of a wiki, without the page contents. */
export interface PageNode {
  id: string;
  parentId: string | null;
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

  /** Wikis owned by the user, or among `ids` (those shared with them), by title. */
  async listWikis(ownerId: string, ids: readonly string[]): Promise<WikiRow[]> {
    return this.wikis()
      .where((eb) =>
        ids.length === 0
          ? eb('wiki_wikis.owner_id', '=', ownerId)
          : eb.or([eb('wiki_wikis.owner_id', '=', ownerId), eb('wiki_wikis.id', 'in', [...ids])]),
      )
      .orderBy('wiki_wikis.title')
      .orderBy('wiki_wikis.id')
      .execute();
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
      .select(['id', 'parent_id'])
      .where('wiki_id', '=', wikiId)
      .execute();
    return rows.map((r) => ({ id: r.id, parentId: r.parent_id }));
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

  async linksOf(pageId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('wiki_page_links')
      .select('target_id')
      .where('page_id', '=', pageId)
      .orderBy('target_id')
      .execute();
    return rows.map((r) => r.target_id);
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
    return this.db
      .selectFrom('wiki_revisions')
      .leftJoin('users', 'users.id', 'wiki_revisions.author_id')
      .selectAll('wiki_revisions')
      .select('users.display_name as author_name')
      .where('wiki_revisions.page_id', '=', pageId)
      .where('wiki_revisions.id', '=', revisionId)
      .executeTakeFirst();
  }
}
