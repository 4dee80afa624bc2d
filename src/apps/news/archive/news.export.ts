import type { ExpressionBuilder, Selectable } from 'kysely';
import type {
  AppExportWriter,
  ArchiveAdapter,
  ExportContext,
  ExportOptions,
} from '../../../archive/adapter.ts';
import { safeName } from '../../../archive/zip-writer.ts';
import type { Clock } from '../../../clock.ts';
import type { Db } from '../../../db/database.ts';
import type { Database } from '../../../db/schema.ts';
import { AppError } from '../../../errors.ts';
import type { User } from '../../../platform/accounts.service.ts';
import type { Platform } from '../../../platform/platform.ts';
import { rightCovers } from '../../../platform/sharing.service.ts';
import type { WorkspaceService } from '../../workspace/workspace.service.ts';
import type { NewsItemsTable, NewsThreadsTable } from '../news.schema.ts';
import { NEWS, type NewsAccess } from '../news.service.ts';
import {
  documentIdsIn,
  frenchDate,
  renderPage,
  type PageDocument,
} from '../../../archive/html-page.ts';

/** The files of the app's folder (threads' folders of `.html` pages must not take them). */
const FILES = { threads: 'threads.json', items: 'items.ndjson', comments: 'comments.ndjson' };

/** Rows of items a database cursor holds at once (an item's HTML can be large). */
const BATCH = 50;

/** Ids per `in (...)` list when looking documents up. */
const CHUNK = 500;

type ThreadRow = Selectable<NewsThreadsTable> & { owner_name: string };
type ItemRow = Selectable<NewsItemsTable> & { author_name: string };

/** The threads an export covers and the user's access to each. */
interface Scope {
  threads: ThreadRow[];
  access: Map<string, NewsAccess>;
  ids: string[];
  /** Threads where the user sees every item (owner, contrib, manage). */
  edited: string[];
  /** Threads where the user sees what readers see now. */
  read: string[];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** As the app shows them: every item to editors, to readers what is published and current. */
function itemVisible(eb: ExpressionBuilder<Database, 'news_items'>, scope: Scope, now: number) {
  const ors = [];
  if (scope.edited.length > 0) ors.push(eb('news_items.thread_id', 'in', scope.edited));
  if (scope.read.length > 0) {
    ors.push(
      eb.and([
        eb('news_items.thread_id', 'in', scope.read),
        eb('news_items.state', '=', 'PUBLISHED'),
        eb('news_items.publish_at', '<=', now),
        eb.or([eb('news_items.expires_at', 'is', null), eb('news_items.expires_at', '>', now)]),
      ]),
    );
  }
  return eb.or(ors);
}

function metaLines(item: ItemRow, now: number): string[] {
  const lines = [`Par ${item.author_name}`];
  if (item.state === 'DRAFT') lines.push(`Brouillon (écrit le ${frenchDate(item.created_at)})`);
  else if (item.publish_at > now)
    lines.push(`Publication prévue le ${frenchDate(item.publish_at)}`);
  else lines.push(`Publié le ${frenchDate(item.publish_at)}`);
  if (item.expires_at !== null) {
    lines.push(
      item.expires_at > now
        ? `Visible jusqu'au ${frenchDate(item.expires_at)}`
        : `Expiré le ${frenchDate(item.expires_at)}`,
    );
  }
  if (item.headline === 1) lines.push('À la une');
  return lines;
}

/**
 * The Actualités' part of Mes Données: the user's threads and (option) those shared with them,
 * with the items and comments they see there. Layout of the app's folder:
 *
 * - `threads.json`: `[{id, title, iconDocumentId, ownerId, ownerName, owned, access,
 *   createdAt, modifiedAt}]`
 * - `items.ndjson`: `{id, threadId, title, content, state, headline, publishAt, expiresAt,
 *   authorId, authorName, createdAt, modifiedAt}` a line; `content` is the HTML as stored,
 *   documents named `/api/workspace/documents/<id>/content`
 * - `comments.ndjson`: `{id, itemId, authorId, authorName, text, createdAt}` a line
 * - `<thread title>/<item title>.html`: each item as a page to read offline
 *
 * Referenced workspace documents (so the workspace, exported after, includes them): thread
 * icons (vouched for by the thread's owner, or readable by the user) and the documents items
 * show that the user may read; never one in the trash.
 */
export function newsArchiveAdapter(deps: {
  db: Db;
  clock: Clock;
  platform: Platform;
  workspace: Pick<WorkspaceService, 'requireDocument'>;
}): ArchiveAdapter {
  const { db, clock, platform, workspace } = deps;

  async function scopeOf(user: User, options: ExportOptions): Promise<Scope> {
    const shared = options.includeShared
      ? await platform.sharing.sharedWith(user.id, NEWS, 'thread')
      : [];
    const rights = new Map(shared.map((s) => [s.resourceId, s.right]));
    const threads = await db.kysely
      .selectFrom('news_threads')
      .innerJoin('users', 'users.id', 'news_threads.owner_id')
      .selectAll('news_threads')
      .select('users.display_name as owner_name')
      .where((eb) =>
        rights.size === 0
          ? eb('news_threads.owner_id', '=', user.id)
          : eb.or([
              eb('news_threads.owner_id', '=', user.id),
              eb('news_threads.id', 'in', [...rights.keys()]),
            ]),
      )
      .orderBy('news_threads.created_at')
      .orderBy('news_threads.id')
      .execute();
    const access = new Map<string, NewsAccess>(
      threads.map((t) => [t.id, t.owner_id === user.id ? 'owner' : (rights.get(t.id) ?? 'read')]),
    );
    const isEditor = (id: string) => {
      const a = access.get(id);
      return a === 'owner' || rightCovers(a, 'contrib');
    };
    const ids = threads.map((t) => t.id);
    return {
      threads,
      access,
      ids,
      edited: ids.filter(isEditor),
      read: ids.filter((id) => !isEditor(id)),
    };
  }

  function itemsQuery(scope: Scope, now: number) {
    return db.kysely
      .selectFrom('news_items')
      .innerJoin('users', 'users.id', 'news_items.author_id')
      .selectAll('news_items')
      .select('users.display_name as author_name')
      .where((eb) => itemVisible(eb, scope, now))
      .orderBy('news_items.thread_id')
      .orderBy('news_items.publish_at')
      .orderBy('news_items.id');
  }

  function commentsQuery(scope: Scope, now: number) {
    return db.kysely
      .selectFrom('news_comments')
      .innerJoin('news_items', 'news_items.id', 'news_comments.item_id')
      .innerJoin('users', 'users.id', 'news_comments.author_id')
      .selectAll('news_comments')
      .select('users.display_name as author_name')
      .where((eb) => itemVisible(eb, scope, now))
      .orderBy('news_items.thread_id')
      .orderBy('news_comments.item_id')
      .orderBy('news_comments.created_at')
      .orderBy('news_comments.id');
  }

  /**
   * Of the wanted documents (each with the users who may vouch for it), those not in the trash
   * that one of them may read, by id, with where the workspace puts them for this user.
   */
  async function readableDocuments(
    ctx: ExportContext,
    wanted: ReadonlyMap<string, ReadonlySet<string>>,
  ): Promise<Map<string, PageDocument>> {
    const { user, signal } = ctx;
    const readable = new Map<string, PageDocument>();
    const users = new Map<string, User | undefined>([[user.id, user]]);
    const userOf = async (id: string) => {
      if (!users.has(id)) users.set(id, await unlessGone(platform.accounts.getUser(id)));
      return users.get(id);
    };
    const ids = [...wanted.keys()];
    for (let i = 0; i < ids.length; i += CHUNK) {
      signal.throwIfAborted();
      const rows = await db.kysely
        .selectFrom('ws_documents')
        .select(['id', 'name', 'owner_id', 'app_source'])
        .where('id', 'in', ids.slice(i, i + CHUNK))
        .where('trashed_at', 'is', null)
        .execute();
      for (const r of rows) {
        const vouchers = wanted.get(r.id) ?? new Set<string>();
        const doc: PageDocument = {
          name: r.name,
          section: r.owner_id !== user.id ? 'shared' : r.app_source !== null ? 'apps' : 'mine',
        };
        // Its owner reads it while it is out of the trash; others are asked the workspace.
        let ok = vouchers.has(r.owner_id);
        for (const voucherId of vouchers) {
          if (ok) break;
          signal.throwIfAborted();
          const by = await userOf(voucherId);
          const found =
            by === undefined ? undefined : await unlessGone(workspace.requireDocument(by, r.id));
          ok = found !== undefined && !found.trashed;
        }
        if (ok) readable.set(r.id, doc);
      }
    }
    return readable;
  }

  return {
    app: NEWS,
    label: 'Actualités',
    appVersion: '1.0.0',
    dataVersion: 1,
    dependsOn: ['workspace'],

    async count(user, options) {
      const scope = await scopeOf(user, options);
      if (scope.ids.length === 0) return { items: 0, bytes: 0 };
      const row = await itemsQuery(scope, clock.now())
        .clearSelect()
        .clearOrderBy()
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      return { items: scope.threads.length + Number(row?.n ?? 0), bytes: 0 };
    },

    async export(ctx: ExportContext, out: AppExportWriter) {
      const { user, options, signal } = ctx;
      signal.throwIfAborted();
      // One instant for the whole export: an item is in the JSON and has its page, or neither.
      const now = clock.now();
      const scope = await scopeOf(user, options);
      const none = scope.ids.length === 0;
      let items = 0;

      await out.json(
        FILES.threads,
        scope.threads.map((t) => ({
          id: t.id,
          title: t.title,
          iconDocumentId: t.icon_document_id,
          ownerId: t.owner_id,
          ownerName: t.owner_name,
          owned: t.owner_id === user.id,
          access: scope.access.get(t.id) ?? 'read',
          createdAt: iso(t.created_at),
          modifiedAt: iso(t.modified_at),
        })),
      );
      for (let i = 0; i < scope.threads.length; i++) {
        items += 1;
        out.progress({ items: 1 });
      }

      // Documents: icons (their thread's owner vouches), and those items show (the user's reach).
      const wanted = new Map<string, Set<string>>();
      const want = (documentId: string, voucherId: string) => {
        const set = wanted.get(documentId) ?? new Set<string>();
        set.add(voucherId);
        wanted.set(documentId, set);
      };
      for (const t of scope.threads) {
        if (t.icon_document_id === null) continue;
        want(t.icon_document_id, t.owner_id);
        want(t.icon_document_id, user.id);
      }

      async function* records(): AsyncGenerator<unknown> {
        if (none) return;
        for await (const item of itemsQuery(scope, now).stream(BATCH)) {
          signal.throwIfAborted();
          for (const id of documentIdsIn(item.content)) want(id, user.id);
          items += 1;
          out.progress({ items: 1 });
          yield {
            id: item.id,
            threadId: item.thread_id,
            title: item.title,
            content: item.content,
            state: item.state,
            headline: item.headline === 1,
            publishAt: iso(item.publish_at),
            expiresAt: iso(item.expires_at),
            authorId: item.author_id,
            authorName: item.author_name,
            createdAt: iso(item.created_at),
            modifiedAt: iso(item.modified_at),
          };
        }
      }
      await out.ndjson(FILES.items, records());

      async function* comments(): AsyncGenerator<unknown> {
        if (none) return;
        for await (const c of commentsQuery(scope, now).stream(500)) {
          signal.throwIfAborted();
          yield {
            id: c.id,
            itemId: c.item_id,
            authorId: c.author_id,
            authorName: c.author_name,
            text: c.text,
            createdAt: iso(c.created_at),
          };
        }
      }
      await out.ndjson(FILES.comments, comments());

      const documents = await readableDocuments(ctx, wanted);
      ctx.referenceDocuments(documents.keys());

      // One folder a thread (two threads of the same title get two folders), one page an item.
      const taken = new Set(Object.values(FILES).map((f) => f.toLowerCase()));
      const dirs = new Map<string, { dir: string; title: string }>();
      for (const t of scope.threads) {
        const base = safeName(t.title, 'Fil sans titre');
        let name = base;
        for (let i = 2; taken.has(name.toLowerCase()); i++) name = `${base} (${i})`;
        taken.add(name.toLowerCase());
        dirs.set(t.id, { dir: name, title: t.title });
      }
      if (!none) {
        for await (const item of itemsQuery(scope, now).stream(BATCH)) {
          signal.throwIfAborted();
          const thread = dirs.get(item.thread_id);
          if (thread === undefined) continue;
          const html = renderPage({
            title: item.title,
            context: `Actualités : ${thread.title}`,
            meta: metaLines(item, now),
            html: item.content,
            documents,
            includeDocuments: options.includeDocuments,
          });
          await out.text(
            `${out.folder}/${thread.dir}`,
            `${pageName(item.title)}.html`,
            html,
            'text/html',
          );
        }
      }
      return { items, bytes: 0 };
    },
  };
}

/** A page's file name without its extension, short enough for the extension to survive. */
function pageName(title: string): string {
  let name = safeName(title, 'Sans titre');
  while (Buffer.byteLength(name, 'utf8') > 150) name = [...name].slice(0, -1).join('');
  return safeName(name, 'Sans titre');
}

/** The value, or undefined when it is gone or out of reach (404, 403). */
async function unlessGone<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof AppError && (error.code === 'not_found' || error.code === 'forbidden'))
      return undefined;
    throw error;
  }
}
