import type { ExpressionBuilder, Insertable, Selectable, Updateable } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { Database } from '../../db/schema.ts';
import { ownedOrShared, sharesGrantedTo, type ResourceKind } from '../../platform/access.ts';
import type {
  NewsCommentsTable,
  NewsItemState,
  NewsItemsTable,
  NewsThreadsTable,
} from './news.schema.ts';

export const NEWS = 'news';
/** Threads as shares name them. */
export const THREADS: ResourceKind = { app: NEWS, type: 'thread' };

export interface NewsThread {
  id: string;
  title: string;
  ownerId: string;
  ownerName: string;
  iconDocumentId: string | null;
  createdAt: number;
  modifiedAt: number;
}

export interface NewsItem {
  id: string;
  threadId: string;
  threadTitle: string;
  title: string;
  content: string;
  publishAt: number;
  expiresAt: number | null;
  headline: boolean;
  state: NewsItemState;
  authorId: string;
  authorName: string;
  commentCount: number;
  createdAt: number;
  modifiedAt: number;
}

export interface NewsComment {
  id: string;
  itemId: string;
  authorId: string;
  authorName: string;
  text: string;
  createdAt: number;
}

/** Which threads a listing covers: those the user owns, and (`includeShared`) those shared with them. */
export interface ThreadScope {
  userId: string;
  includeShared: boolean;
}

/** Rows a database cursor holds at once when streaming items (an item's HTML can be large). */
const BATCH = 50;

type ItemRow = Selectable<NewsItemsTable> & {
  author_name: string;
  thread_title: string;
  comment_count: number | string | null;
};

function toThread(r: Selectable<NewsThreadsTable> & { owner_name: string }): NewsThread {
  return {
    id: r.id,
    title: r.title,
    ownerId: r.owner_id,
    ownerName: r.owner_name,
    iconDocumentId: r.icon_document_id,
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
  };
}

function toItem(r: ItemRow): NewsItem {
  return {
    id: r.id,
    threadId: r.thread_id,
    threadTitle: r.thread_title,
    title: r.title,
    content: r.content,
    publishAt: r.publish_at,
    expiresAt: r.expires_at,
    headline: r.headline === 1,
    state: r.state,
    authorId: r.author_id,
    authorName: r.author_name,
    commentCount: Number(r.comment_count ?? 0),
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
  };
}

function toComment(r: Selectable<NewsCommentsTable> & { author_name: string }): NewsComment {
  return {
    id: r.id,
    itemId: r.item_id,
    authorId: r.author_id,
    authorName: r.author_name,
    text: r.text,
    createdAt: r.created_at,
  };
}

type ItemEb = ExpressionBuilder<Database & { i: NewsItemsTable }, 'i'>;

/** Which threads to look in: one, or those of a scope. */
type Threads = string | ThreadScope;

/** What a reader sees at `now`: published, its publication date come, not expired. */
function visibleAt(now: number) {
  return (eb: ItemEb) =>
    eb.and([
      eb('i.state', '=', 'PUBLISHED'),
      eb('i.publish_at', '<=', now),
      eb.or([eb('i.expires_at', 'is', null), eb('i.expires_at', '>', now)]),
    ]);
}

/**
 * The SQL of the Actualités: threads, items, comments. Which threads a user sees comes from
 * the platform's access model (as subqueries); what each right allows lives in the service.
 */
export class NewsRepository {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  // ---- scopes -----------------------------------------------------------------------------

  /** Ids of the threads of a scope, as a subquery. */
  private threadIdsIn(scope: ThreadScope) {
    const db = this.db.kysely;
    return db
      .selectFrom('news_threads')
      .select('news_threads.id')
      .where((eb) =>
        ownedOrShared(
          db,
          eb,
          { owner: eb.ref('news_threads.owner_id'), id: eb.ref('news_threads.id') },
          scope.userId,
          THREADS,
          scope.includeShared,
        ),
      );
  }

  /** Ids of the threads of a scope where the user sees every item (owner, contrib, manage). */
  private editedThreadIdsIn(scope: ThreadScope) {
    const db = this.db.kysely;
    return db
      .selectFrom('news_threads')
      .select('news_threads.id')
      .where((eb) => {
        const owned = eb('news_threads.owner_id', '=', scope.userId);
        if (!scope.includeShared) return owned;
        const edited = sharesGrantedTo(db, scope.userId, THREADS)
          .where('shares.right', 'in', ['contrib', 'manage'])
          .select('shares.resource_id');
        return eb.or([owned, eb('news_threads.id', 'in', edited)]);
      });
  }

  /** Items of these threads: every one where the user edits, what readers see at `now` elsewhere. */
  private seenIn(scope: ThreadScope, now: number) {
    return (eb: ItemEb) =>
      eb.or([
        eb('i.thread_id', 'in', this.editedThreadIdsIn(scope)),
        eb.and([eb('i.thread_id', 'in', this.threadIdsIn(scope)), visibleAt(now)(eb)]),
      ]);
  }

  private inThreads(threads: Threads) {
    return (eb: ItemEb) =>
      typeof threads === 'string'
        ? eb('i.thread_id', '=', threads)
        : eb('i.thread_id', 'in', this.threadIdsIn(threads));
  }

  // ---- threads ----------------------------------------------------------------------------

  private threads() {
    return this.db.kysely
      .selectFrom('news_threads as t')
      .innerJoin('users as u', 'u.id', 't.owner_id')
      .selectAll('t')
      .select('u.display_name as owner_name');
  }

  async insertThread(row: Insertable<NewsThreadsTable>): Promise<void> {
    await this.db.kysely.insertInto('news_threads').values(row).execute();
  }

  /** Inserts a thread unless one has this id already (an import writing again). */
  async insertThreadOnce(row: Insertable<NewsThreadsTable>): Promise<void> {
    await this.db.kysely
      .insertInto('news_threads')
      .values(row)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async hasItems(threadId: string): Promise<boolean> {
    const row = await this.db.kysely
      .selectFrom('news_items')
      .select('id')
      .where('thread_id', '=', threadId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async thread(id: string): Promise<NewsThread | undefined> {
    const row = await this.threads().where('t.id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toThread(row);
  }

  /** By title (the app's listing), or by creation (`order: 'created'`, the archive's). */
  async threadsIn(scope: ThreadScope, order: 'title' | 'created' = 'title'): Promise<NewsThread[]> {
    const rows = await this.threads()
      .where('t.id', 'in', this.threadIdsIn(scope))
      .orderBy(order === 'title' ? 't.title' : 't.created_at')
      .orderBy('t.id')
      .execute();
    return rows.map(toThread);
  }

  async updateThread(id: string, set: Updateable<NewsThreadsTable>): Promise<void> {
    await this.db.kysely.updateTable('news_threads').set(set).where('id', '=', id).execute();
  }

  /** The thread with its items and their comments (not relying on foreign-key cascades). */
  async deleteThread(id: string): Promise<void> {
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('news_comments')
        .where(
          'item_id',
          'in',
          trx.selectFrom('news_items').select('id').where('thread_id', '=', id),
        )
        .execute();
      await trx.deleteFrom('news_items').where('thread_id', '=', id).execute();
      await trx.deleteFrom('news_threads').where('id', '=', id).execute();
    });
  }

  // ---- items ------------------------------------------------------------------------------

  private items() {
    return this.db.kysely
      .selectFrom('news_items as i')
      .innerJoin('users as u', 'u.id', 'i.author_id')
      .innerJoin('news_threads as t', 't.id', 'i.thread_id')
      .selectAll('i')
      .select(['u.display_name as author_name', 't.title as thread_title'])
      .select((eb) =>
        eb
          .selectFrom('news_comments as c')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('c.item_id', '=', 'i.id')
          .as('comment_count'),
      );
  }

  async insertItem(row: Insertable<NewsItemsTable>): Promise<void> {
    await this.db.kysely.insertInto('news_items').values(row).execute();
  }

  /** Inserts an item unless one has this id already (an import writing again). */
  async insertItemOnce(row: Insertable<NewsItemsTable>): Promise<void> {
    await this.db.kysely
      .insertInto('news_items')
      .values(row)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async hasComments(itemId: string): Promise<boolean> {
    const row = await this.db.kysely
      .selectFrom('news_comments')
      .select('id')
      .where('item_id', '=', itemId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async item(id: string): Promise<NewsItem | undefined> {
    const row = await this.items().where('i.id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toItem(row);
  }

  /**
   * Items of a thread or of the threads of a scope, headlines first, then the most recently
   * published; only those readers see at `visibleAt` when given.
   */
  async itemsIn(
    threads: Threads,
    options: { visibleAt?: number; limit?: number } = {},
  ): Promise<NewsItem[]> {
    let query = this.items().where(this.inThreads(threads));
    if (options.visibleAt !== undefined) query = query.where(visibleAt(options.visibleAt));
    if (options.limit !== undefined) query = query.limit(options.limit);
    const rows = await query
      .orderBy('i.headline', 'desc')
      .orderBy('i.publish_at', 'desc')
      .orderBy('i.id', 'desc')
      .execute();
    return rows.map(toItem);
  }

  /** The items a user sees in a scope at `now`, thread by thread, oldest first (a stream). */
  async *seenItems(scope: ThreadScope, now: number): AsyncGenerator<NewsItem> {
    const rows = this.items()
      .where(this.seenIn(scope, now))
      .orderBy('i.thread_id')
      .orderBy('i.publish_at')
      .orderBy('i.id')
      .stream(BATCH);
    for await (const row of rows) yield toItem(row);
  }

  async countSeenItems(scope: ThreadScope, now: number): Promise<number> {
    const row = await this.db.kysely
      .selectFrom('news_items as i')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where(this.seenIn(scope, now))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async updateItem(id: string, set: Updateable<NewsItemsTable>): Promise<void> {
    await this.db.kysely.updateTable('news_items').set(set).where('id', '=', id).execute();
  }

  async deleteItem(id: string): Promise<void> {
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx.deleteFrom('news_comments').where('item_id', '=', id).execute();
      await trx.deleteFrom('news_items').where('id', '=', id).execute();
    });
  }

  /** Items readers see at `now` whose publication nobody has announced yet. */
  async unannouncedIn(threads: Threads, now: number): Promise<string[]> {
    const rows = await this.db.kysely
      .selectFrom('news_items as i')
      .select('i.id')
      .where(this.inThreads(threads))
      .where('i.notified_at', 'is', null)
      .where(visibleAt(now))
      .orderBy('i.publish_at')
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Marks the publication of an item as announced, if it is visible at `now` and was not yet:
   * true for exactly one caller, so concurrent requests never notify twice.
   */
  async claimAnnouncement(id: string, now: number): Promise<boolean> {
    const res = await this.db.kysely
      .updateTable('news_items as i')
      .set({ notified_at: now })
      .where('i.id', '=', id)
      .where('i.notified_at', 'is', null)
      .where(visibleAt(now))
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  // ---- comments ---------------------------------------------------------------------------

  private comments() {
    return this.db.kysely
      .selectFrom('news_comments as c')
      .innerJoin('users as u', 'u.id', 'c.author_id')
      .selectAll('c')
      .select('u.display_name as author_name');
  }

  async insertComment(row: Insertable<NewsCommentsTable>): Promise<void> {
    await this.db.kysely.insertInto('news_comments').values(row).execute();
  }

  /** Inserts a comment unless one has this id already (an import writing again). */
  async insertCommentOnce(row: Insertable<NewsCommentsTable>): Promise<void> {
    await this.db.kysely
      .insertInto('news_comments')
      .values(row)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async comment(id: string): Promise<NewsComment | undefined> {
    const row = await this.comments().where('c.id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toComment(row);
  }

  /** Oldest first, as a conversation reads. */
  async commentsOf(itemId: string): Promise<NewsComment[]> {
    const rows = await this.comments()
      .where('c.item_id', '=', itemId)
      .orderBy('c.created_at')
      .orderBy('c.id')
      .execute();
    return rows.map(toComment);
  }

  /** The comments on the items a user sees in a scope at `now`, item by item (a stream). */
  async *seenComments(scope: ThreadScope, now: number): AsyncGenerator<NewsComment> {
    const rows = this.comments()
      .innerJoin('news_items as i', 'i.id', 'c.item_id')
      .where(this.seenIn(scope, now))
      .orderBy('i.thread_id')
      .orderBy('c.item_id')
      .orderBy('c.created_at')
      .orderBy('c.id')
      .stream(500);
    for await (const row of rows) yield toComment(row);
  }

  async deleteComment(id: string): Promise<void> {
    await this.db.kysely.deleteFrom('news_comments').where('id', '=', id).execute();
  }
}
