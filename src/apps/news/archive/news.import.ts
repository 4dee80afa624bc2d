import type { Insertable } from 'kysely';
import type { z } from 'zod';
import {
  copyName,
  ImportItemError,
  type AppArchiveReader,
  type IdMap,
  type ImportAdapter,
  type ImportContext,
  type ImportItem,
  type PreparedItem,
  type SourceRef,
} from '../../../archive/adapter.ts';
import { escapeHtml } from '../../../archive/html-page.ts';
import {
  analyzeRecords,
  checked,
  earlierInPlace,
  preparing,
  recordItem,
  recordsOf,
} from '../../../archive/import/importer-kit.ts';
import type { Db } from '../../../db/database.ts';
import type { SharingService } from '../../../platform/sharing.service.ts';
import { importedDocument, importedHtml } from '../../workspace/imported-html.ts';
import { NEWS, NewsRepository, THREADS } from '../news.repository.ts';
import type { NewsCommentsTable, NewsItemsTable, NewsThreadsTable } from '../news.schema.ts';
import { checkDates, cleanComment, cleanTitle } from '../news.service.ts';
import {
  COMMENTS_FILE,
  ITEMS_FILE,
  THREADS_FILE,
  type CommentRecord,
  type ItemRecord,
  type threadRecord,
} from './news.records.ts';

type ThreadRecord = z.infer<typeof threadRecord>;

/** A record of the Actualités' folder, as the engine hands it back to `prepare`. */
export type NewsSource =
  | { type: 'thread'; thread: ThreadRecord }
  /** `byExporter`: written by the user who made the archive (else their name is kept). */
  | { type: 'item'; item: ItemRecord; byExporter: boolean }
  | { type: 'comment'; comment: CommentRecord; byExporter: boolean };

/** A row ready to insert, every reference rewritten. */
export type NewsRow =
  | { type: 'thread'; thread: Insertable<NewsThreadsTable> }
  | { type: 'item'; item: Insertable<NewsItemsTable> }
  | { type: 'comment'; comment: Insertable<NewsCommentsTable> };

const ms = (iso: string) => Date.parse(iso);

/**
 * Whether the importer wrote it: the archive's maker did, or it bears the importer's name
 * (the archive may not tell who made it: then a name is all there is to go by).
 */
const isOwn = (byExporter: boolean, r: { authorName: string }, ctx: ImportContext) =>
  byExporter || r.authorName === ctx.user.displayName;

/** How content names someone else who wrote it. */
const nameOf = (r: { authorName: string }) => r.authorName.trim() || 'Anonyme';

/** What opens an item someone else wrote: their name, since their account does not travel. */
const byline = (byExporter: boolean, item: ItemRecord, ctx: ImportContext) =>
  isOwn(byExporter, item, ctx) ? '' : `<p><em>Par ${escapeHtml(nameOf(item))}</em></p>`;

// ---- The importer --------------------------------------------------------------------------

/**
 * Brings the Actualités' folder of an archive back (see `news.records.ts`): threads, then
 * their items, then comments, every one the importer's.
 *
 * - A thread's icon becomes the imported document (or none when the archive lacks it).
 * - Items keep title, state, headline, publication and expiry dates and their creation and
 *   change dates; their HTML points at the imported documents and is sanitised again.
 *   Their author is the importer (the table holds a local account, not a name): an item
 *   someone else wrote opens with their name ("Par Marie Dupont"), as the Blog's posts do.
 * - Comments keep their text and date; one by another person becomes the importer's, its
 *   text starting with its author's name ("Marie Dupont : Merci !"), since accounts of the
 *   source instance are not carried over.
 * - Nothing is announced: items readers already saw are marked announced, so sharing the
 *   thread later does not notify old news; scheduled ones are announced when they come out.
 */
export function newsImporter(deps: {
  db: Db;
  sharing: Pick<SharingService, 'unshareAll'>;
}): ImportAdapter<NewsSource, NewsRow> {
  const repo = new NewsRepository(deps.db);

  async function* records(src: AppArchiveReader): AsyncGenerator<ImportItem<NewsSource>> {
    const threads = src.has(THREADS_FILE) ? await src.json(THREADS_FILE) : [];
    // Who made the archive: the owner of the threads it says they own.
    const exporters = new Set(threads.filter((t) => t.owned).map((t) => t.ownerId));
    for (const thread of threads)
      yield recordItem('thread', thread.id, thread.title, { type: 'thread', thread });
    for await (const item of recordsOf(src, ITEMS_FILE)) {
      const byExporter = exporters.has(item.authorId);
      yield recordItem('item', item.id, item.title, { type: 'item', item, byExporter });
    }
    for await (const comment of recordsOf(src, COMMENTS_FILE)) {
      const byExporter = exporters.has(comment.authorId);
      const name = `Commentaire de ${comment.authorName}`;
      yield recordItem('comment', comment.id, name, { type: 'comment', comment, byExporter });
    }
  }

  async function prepareRow(
    source: NewsSource,
    id: string,
    ids: IdMap,
    ctx: ImportContext,
    unresolved: SourceRef[],
  ): Promise<NewsRow> {
    switch (source.type) {
      case 'thread': {
        const t = source.thread;
        const icon =
          t.iconDocumentId === null
            ? null
            : await importedDocument(t.iconDocumentId, ids, unresolved);
        return {
          type: 'thread',
          thread: {
            id,
            owner_id: ctx.user.id,
            title: checked(() => cleanTitle(t.title)),
            icon_document_id: icon,
            created_at: ms(t.createdAt),
            modified_at: ms(t.modifiedAt),
          },
        };
      }
      case 'item': {
        const i = source.item;
        const threadId = await ids.resolve(NEWS, { type: 'thread', sourceId: i.threadId });
        if (threadId === undefined)
          throw new ImportItemError('parent_missing', 'Its thread is not in the archive');
        const publishAt = ms(i.publishAt);
        const expiresAt = i.expiresAt === null ? null : ms(i.expiresAt);
        checked(() => checkDates(publishAt, expiresAt));
        // Already out when imported: announced (the thread has no reader yet anyway).
        const out = i.state === 'PUBLISHED' && publishAt <= ctx.launchedAt;
        return {
          type: 'item',
          item: {
            id,
            thread_id: threadId,
            author_id: ctx.user.id,
            title: checked(() => cleanTitle(i.title)),
            content: await importedHtml(
              byline(source.byExporter, i, ctx) + i.content,
              ids,
              unresolved,
            ),
            publish_at: publishAt,
            expires_at: expiresAt,
            headline: i.headline ? 1 : 0,
            state: i.state,
            created_at: ms(i.createdAt),
            modified_at: ms(i.modifiedAt),
            notified_at: out ? ctx.launchedAt : null,
          },
        };
      }
      case 'comment': {
        const c = source.comment;
        const itemId = await ids.resolve(NEWS, { type: 'item', sourceId: c.itemId });
        if (itemId === undefined)
          throw new ImportItemError('parent_missing', 'Its item is not in the archive');
        const text = checked(() => cleanComment(c.text));
        const own = isOwn(source.byExporter, c, ctx);
        return {
          type: 'comment',
          comment: {
            id,
            item_id: itemId,
            author_id: ctx.user.id,
            text: own ? text : `${nameOf(c)}\u00a0: ${text}`,
            created_at: ms(c.createdAt),
          },
        };
      }
    }
  }

  /** Whether `earlier` (an id a previous import made) still is in the same place. */
  async function samePlace(row: NewsRow, earlier: string, ctx: ImportContext): Promise<boolean> {
    switch (row.type) {
      case 'thread':
        return (await repo.thread(earlier))?.ownerId === ctx.user.id;
      case 'item':
        return (await repo.item(earlier))?.threadId === row.item.thread_id;
      case 'comment':
        return (await repo.comment(earlier))?.itemId === row.comment.item_id;
    }
  }

  return {
    analyze: (src) =>
      analyzeRecords(src, { thread: THREADS_FILE, item: ITEMS_FILE, comment: COMMENTS_FILE }),

    items: (src) => records(src),

    prepare: preparing(NEWS, prepareRow),

    findDuplicate: (item, ctx, earlier) =>
      earlierInPlace(item, earlier, (id) => samePlace(item.row, id, ctx)),

    copy(item): PreparedItem<NewsRow> {
      const { row } = item;
      switch (row.type) {
        case 'thread':
          return {
            ...item,
            row: { ...row, thread: { ...row.thread, title: copyName(row.thread.title) } },
          };
        case 'item':
          return {
            ...item,
            row: { ...row, item: { ...row.item, title: copyName(row.item.title) } },
          };
        case 'comment':
          return item;
      }
    },

    async write(item) {
      // The parent was written before (parents come first) or is the duplicate it maps to;
      // one deleted meanwhile fails the item on its foreign key.
      const { row } = item;
      switch (row.type) {
        case 'thread':
          await repo.insertThreadOnce(row.thread);
          return;
        case 'item':
          await repo.insertItemOnce(row.item);
          return;
        case 'comment':
          await repo.insertCommentOnce(row.comment);
          return;
      }
    },

    async remove({ type, id }) {
      switch (type) {
        case 'thread': {
          if ((await repo.thread(id)) === undefined) return 'missing';
          // The import's items went first: any left were written since.
          if (await repo.hasItems(id)) return 'kept';
          await repo.deleteThread(id);
          await deps.sharing.unshareAll({ ...THREADS, id });
          return 'removed';
        }
        case 'item': {
          if ((await repo.item(id)) === undefined) return 'missing';
          if (await repo.hasComments(id)) return 'kept';
          await repo.deleteItem(id);
          return 'removed';
        }
        case 'comment': {
          if ((await repo.comment(id)) === undefined) return 'missing';
          await repo.deleteComment(id);
          return 'removed';
        }
        default:
          return 'missing';
      }
    },
  };
}
