import {
  writeAfterApps,
  type AppExportWriter,
  type ArchiveAdapter,
  type ExportContext,
} from '../../../archive/adapter.ts';
import { frenchDate, renderPage } from '../../../archive/html-page.ts';
import { safeName } from '../../../archive/zip-writer.ts';
import type { Clock } from '../../../clock.ts';
import type { Db } from '../../../db/database.ts';
import type { Platform } from '../../../platform/platform.ts';
import { pageDocuments } from '../../workspace/archive/page-documents.ts';
import { documentIdsIn } from '../../workspace/document-links.ts';
import { readableDocuments } from '../../workspace/readable-documents.ts';
import type { WorkspaceService } from '../../workspace/workspace.service.ts';
import { NewsRepository, type NewsItem, type ThreadScope } from '../news.repository.ts';
import { NEWS, type NewsService } from '../news.service.ts';
import {
  COMMENTS_FILE,
  ITEMS_FILE,
  NEWS_RECORDS,
  THREADS_FILE,
  type CommentRecord,
  type ItemRecord,
} from './news.records.ts';
import { newsImporter } from './news.import.ts';

const iso = (ms: number) => new Date(ms).toISOString();

function metaLines(item: NewsItem, now: number): string[] {
  const lines = [`Par ${item.authorName}`];
  if (item.state === 'DRAFT') lines.push(`Brouillon (écrit le ${frenchDate(item.createdAt)})`);
  else if (item.publishAt > now) lines.push(`Publication prévue le ${frenchDate(item.publishAt)}`);
  else lines.push(`Publié le ${frenchDate(item.publishAt)}`);
  if (item.expiresAt !== null) {
    lines.push(
      item.expiresAt > now
        ? `Visible jusqu'au ${frenchDate(item.expiresAt)}`
        : `Expiré le ${frenchDate(item.expiresAt)}`,
    );
  }
  if (item.headline) lines.push('À la une');
  return lines;
}

function itemRecordOf(item: NewsItem): ItemRecord {
  return {
    id: item.id,
    threadId: item.threadId,
    title: item.title,
    content: item.content,
    state: item.state,
    headline: item.headline,
    publishAt: iso(item.publishAt),
    expiresAt: item.expiresAt === null ? null : iso(item.expiresAt),
    authorId: item.authorId,
    authorName: item.authorName,
    createdAt: iso(item.createdAt),
    modifiedAt: iso(item.modifiedAt),
  };
}

/**
 * The Actualités' part of Mes Données: the user's threads and (option) those shared with them,
 * with the items and comments they see there (see `news.records.ts`), and each item as a page
 * to read offline, `<thread title>/<item title>.html`.
 *
 * Referenced workspace documents (so the workspace, exported after, includes them): thread
 * icons (vouched for by the thread's owner, or readable by the user) and the documents items
 * show that the user may read; never one in the trash (`ReadableDocuments`).
 */
export function newsArchiveAdapter(deps: {
  db: Db;
  clock: Clock;
  platform: Platform;
  workspace: Pick<WorkspaceService, 'requireDocument' | 'contentOf'>;
  service: Pick<NewsService, 'threadsWithAccess'>;
}): ArchiveAdapter {
  const { db, clock, platform, workspace } = deps;
  const repo = new NewsRepository(db);
  const news = deps.service;
  const scopeOf = (ctx: { user: { id: string }; includeShared: boolean }): ThreadScope => ({
    userId: ctx.user.id,
    includeShared: ctx.includeShared,
  });

  return {
    app: NEWS,
    label: 'Actualités',
    appVersion: '1.0.0',
    dataVersion: 1,
    dependsOn: ['workspace'],
    records: NEWS_RECORDS,
    import: newsImporter({ db, sharing: platform.sharing }),

    async count(user, options) {
      const scope = scopeOf({ user, includeShared: options.includeShared });
      const threads = await repo.threadsIn(scope);
      if (threads.length === 0) return { items: 0, bytes: 0 };
      return { items: threads.length + (await repo.countSeenItems(scope, clock.now())), bytes: 0 };
    },

    async referencedDocuments(user, options) {
      // As the export: thread icons (their owner vouches, or the user) and items' documents.
      const scope = scopeOf({ user, includeShared: options.includeShared });
      const threads = await news.threadsWithAccess(scope, 'created');
      if (threads.length === 0) return new Set<string>();
      const wanted = new Map<string, Set<string>>();
      const want = (documentId: string, voucherId: string) =>
        wanted.set(documentId, (wanted.get(documentId) ?? new Set<string>()).add(voucherId));
      for (const t of threads) {
        if (t.iconDocumentId === null) continue;
        want(t.iconDocumentId, t.ownerId);
        want(t.iconDocumentId, user.id);
      }
      for await (const item of repo.seenItems(scope, clock.now()))
        for (const id of documentIdsIn(item.content)) want(id, user.id);
      const readable = await readableDocuments(platform, workspace).resolve(user, wanted);
      return new Set(readable.keys());
    },

    async export(ctx: ExportContext, out: AppExportWriter) {
      const { user, options, signal } = ctx;
      signal.throwIfAborted();
      // One instant for the whole export: an item is in the JSON and has its page, or neither.
      const now = clock.now();
      const scope = scopeOf({ user, includeShared: options.includeShared });
      const threads = await news.threadsWithAccess(scope, 'created');
      let items = 0;

      await out.json(
        THREADS_FILE,
        threads.map((t) => ({
          id: t.id,
          title: t.title,
          iconDocumentId: t.iconDocumentId,
          ownerId: t.ownerId,
          ownerName: t.ownerName,
          owned: t.ownerId === user.id,
          access: t.access,
          createdAt: iso(t.createdAt),
          modifiedAt: iso(t.modifiedAt),
        })),
      );
      for (let i = 0; i < threads.length; i++) {
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
      for (const t of threads) {
        if (t.iconDocumentId === null) continue;
        want(t.iconDocumentId, t.ownerId);
        want(t.iconDocumentId, user.id);
      }

      const none = threads.length === 0;
      async function* itemRecords(): AsyncGenerator<ItemRecord> {
        if (none) return;
        for await (const item of repo.seenItems(scope, now)) {
          signal.throwIfAborted();
          for (const id of documentIdsIn(item.content)) want(id, user.id);
          items += 1;
          out.progress({ items: 1 });
          yield itemRecordOf(item);
        }
      }
      await out.ndjson(ITEMS_FILE, itemRecords());

      async function* commentRecords(): AsyncGenerator<CommentRecord> {
        if (none) return;
        for await (const c of repo.seenComments(scope, now)) {
          signal.throwIfAborted();
          yield { ...c, createdAt: iso(c.createdAt) };
        }
      }
      await out.ndjson(COMMENTS_FILE, commentRecords());

      const readable = await readableDocuments(platform, workspace).resolve(user, wanted, signal);
      ctx.referenceDocuments(readable.keys());
      const shown = new Map(
        [...readable].map(([id, r]) => [id, { name: r.document.name, section: r.section }]),
      );

      // One folder a thread (two threads of the same title get two folders), one page an item.
      const taken = new Set(NEWS_RECORDS.map((f) => f.name.toLowerCase()));
      const dirs = new Map<string, { dir: string; title: string }>();
      for (const t of threads) {
        const base = safeName(t.title, 'Fil sans titre');
        let name = base;
        for (let i = 2; taken.has(name.toLowerCase()); i++) name = `${base} (${i})`;
        taken.add(name.toLowerCase());
        dirs.set(t.id, { dir: name, title: t.title });
      }
      // The pages, once the workspace is written: they show its documents by path.
      const later = await writeAfterApps(ctx, async (paths) => {
        if (none) return { items: 0, bytes: 0 };
        const documents = pageDocuments(shown, options.includeDocuments, paths);
        for await (const item of repo.seenItems(scope, now)) {
          signal.throwIfAborted();
          const thread = dirs.get(item.threadId);
          if (thread === undefined) continue;
          const dir = `${out.folder}/${thread.dir}`;
          const html = renderPage({
            title: item.title,
            context: `Actualités\u00a0: ${thread.title}`,
            meta: metaLines(item, now),
            html: item.content,
            dir,
            documents,
          });
          await out.text(dir, `${pageName(item.title)}.html`, html, 'text/html', {
            title: item.title,
          });
        }
        return { items: 0, bytes: 0 };
      });
      return { items: items + later.items, bytes: 0 };
    },
  };
}

/** A page's file name without its extension, short enough for the extension to survive. */
function pageName(title: string): string {
  let name = safeName(title, 'Sans titre');
  while (Buffer.byteLength(name, 'utf8') > 150) name = [...name].slice(0, -1).join('');
  return safeName(name, 'Sans titre');
}
