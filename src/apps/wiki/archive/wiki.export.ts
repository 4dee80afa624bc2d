import {
  writeAfterApps,
  type AppExportWriter,
  type ArchiveAdapter,
  type ExportContext,
} from '../../../archive/adapter.ts';
import { safeName } from '../../../archive/zip-writer.ts';
import type { Db } from '../../../db/database.ts';
import type { Platform } from '../../../platform/platform.ts';
import { pageDocuments } from '../../workspace/archive/page-documents.ts';
import { documentIdsIn } from '../../workspace/document-links.ts';
import { readableDocuments } from '../../workspace/readable-documents.ts';
import type { WorkspaceService } from '../../workspace/workspace.service.ts';
import { treeOrder } from '../wiki-tree.ts';
import { WIKI } from '../wiki.model.ts';
import { WikiRepository } from '../wiki.repository.ts';
import type { Wiki, WikiService } from '../wiki.service.ts';
import { wikiImporter } from './wiki.import.ts';
import { offlinePageHtml, pageDocument, relativeHref, type PageFile } from './wiki.page-copy.ts';
import {
  PAGES_FILE,
  REVISIONS_FILE,
  WIKI_RECORDS,
  WIKIS_FILE,
  type PageRecord,
  type RevisionRecord,
  type WikiRecord,
} from './wiki.records.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** Room kept in a page's file name for " (12345).html". */
const MAX_BASE_BYTES = 180;

/** `safeName` until it no longer changes the name, so the zip writer keeps it as it is. */
function stableName(name: string): string {
  let current = name;
  for (let i = 0; i < 5; i++) {
    const next = safeName(current);
    if (next === current) return current;
    current = next;
  }
  return current;
}

/** A base name made safe and short enough to take a number and an extension. */
function baseName(title: string): string {
  let base = safeName(title);
  while (Buffer.byteLength(base, 'utf8') > MAX_BASE_BYTES) base = [...base].slice(0, -1).join('');
  return stableName(base);
}

/**
 * Names unique in one folder, compared case-insensitively like the zip writer does: the first
 * of a title keeps it, the next ones are numbered "Titre (2)", "Titre (3)"...
 */
function namer(taken: Iterable<string> = []) {
  const used = new Set([...taken].map((n) => n.toLowerCase()));
  return (title: string, extension: string): string => {
    const base = baseName(title);
    for (let i = 1; i <= 1_000_000; i++) {
      const name = stableName(`${base}${i === 1 ? '' : ` (${i})`}${extension}`);
      if (!used.has(name.toLowerCase())) {
        used.add(name.toLowerCase());
        return name;
      }
    }
    throw new Error(`No free file name for "${title}"`);
  };
}

/** The pages above a page in the plan, the root first (a cycle stops the climb). */
function ancestorsOf(pageId: string, files: ReadonlyMap<string, PageFile>): PageFile[] {
  const ancestors: PageFile[] = [];
  const seen = new Set([pageId]);
  for (let up = files.get(pageId)?.parentId ?? null; up !== null && !seen.has(up);) {
    seen.add(up);
    const parent = files.get(up);
    if (parent === undefined) break;
    ancestors.unshift(parent);
    up = parent.parentId;
  }
  return ancestors;
}

const line = (value: unknown) => Buffer.byteLength(`${JSON.stringify(value)}\n`, 'utf8');
const pretty = (value: unknown) => Buffer.byteLength(`${JSON.stringify(value, null, 2)}\n`, 'utf8');

/**
 * Cours et Wiki in an archive, in its folder (records: `wiki.records.ts`):
 * - `wikis.json`: the wikis, with their folder in the archive;
 * - `pages.ndjson`: every page, its HTML as stored, its outgoing links and its `.html` copy;
 * - `revisions.ndjson`: the previous versions of every page;
 * - `<wiki title>/<page title>.html`: each page as a standalone document, its links to pages
 *   in the archive made relative. Every path is decided before the first file is written, so
 *   links are right whatever order pages are written in, also when titles collide.
 * A wiki serves no documents: its pages point at workspace documents that each reader opens
 * with their own access. So the documents the pages (and their revisions) show are vouched
 * for by the exporting user alone (`ReadableDocuments`: never a trashed one), and those are
 * handed to the Espace documentaire, exported after this app, through `ctx.referenceDocuments`.
 */
export function wikiArchiveAdapter(deps: {
  db: Db;
  platform: Platform;
  workspace: WorkspaceService;
  service: WikiService;
}): ArchiveAdapter {
  const { platform, workspace, service } = deps;
  const repo = new WikiRepository(deps.db.kysely, deps.db.dialect);

  /** Every page's file, decided up front: wiki folders first, then pages in tree order. */
  async function planFiles(
    wikis: readonly Wiki[],
  ): Promise<{ dirs: Map<string, string>; files: Map<string, PageFile> }> {
    const dirs = new Map<string, string>();
    const nameDir = namer(WIKI_RECORDS.map((f) => f.name));
    for (const w of wikis) dirs.set(w.id, nameDir(w.title, ''));
    const files = new Map<string, PageFile>();
    for (const w of wikis) {
      const dir = dirs.get(w.id) ?? '';
      const nameFile = namer();
      for (const p of treeOrder(await repo.pageNodes(w.id))) {
        const file = nameFile(p.title, '.html');
        files.set(p.id, { wikiId: w.id, dir, file, title: p.title, parentId: p.parentId });
      }
    }
    return { dirs, files };
  }

  return {
    app: WIKI,
    label: 'Cours et Wiki',
    appVersion: '1.0.0',
    dataVersion: 1,
    dependsOn: ['workspace'],
    records: WIKI_RECORDS,
    import: wikiImporter(deps),

    async count(user, options) {
      const wikis = await service.listWikis(user, options);
      const pages = await repo.countPages(user.id, options.includeShared);
      return { items: wikis.length + pages, bytes: 0 };
    },

    async referencedDocuments(user, options) {
      // As the export: the documents its pages and revisions show, vouched for by the user.
      const documents = new Set<string>();
      for (const w of await service.listWikis(user, options)) {
        for await (const p of repo.streamPages(w.id))
          for (const id of documentIdsIn(p.content)) documents.add(id);
        for await (const r of repo.streamRevisions(w.id))
          for (const id of documentIdsIn(r.content)) documents.add(id);
      }
      const readable = await readableDocuments(platform, workspace).resolve(
        user,
        new Map([...documents].map((id) => [id, [user.id]])),
      );
      return new Set(readable.keys());
    },

    async export(ctx: ExportContext, out: AppExportWriter) {
      const { user, options, signal } = ctx;
      const wikis = await service.listWikis(user, options);
      const { dirs, files } = await planFiles(wikis);
      const pathOf = (f: PageFile) => `${out.folder}/${f.dir}/${f.file}`;
      const documents = new Set<string>();
      let items = 0;
      let bytes = 0;

      // Pages with their HTML as stored and their recorded outgoing links.
      async function* pages(): AsyncGenerator<PageRecord> {
        for (const w of wikis) {
          signal.throwIfAborted();
          const links = await repo.linksIn(w.id);
          for await (const p of repo.streamPages(w.id)) {
            signal.throwIfAborted();
            for (const id of documentIdsIn(p.content)) documents.add(id);
            const file = files.get(p.id);
            const record: PageRecord = {
              id: p.id,
              wikiId: p.wiki_id,
              parentId: p.parent_id,
              order: p.position,
              title: p.title,
              content: p.content,
              authorId: p.author_id,
              authorName: p.author_name,
              links: links.get(p.id) ?? [],
              path: file === undefined ? null : pathOf(file),
              createdAt: iso(p.created_at),
              modifiedAt: iso(p.modified_at),
            };
            const size = line(record);
            items += 1;
            bytes += size;
            out.progress({ items: 1, bytes: size });
            yield record;
          }
        }
      }
      await out.ndjson(PAGES_FILE, pages());

      async function* revisions(): AsyncGenerator<RevisionRecord> {
        for (const w of wikis) {
          signal.throwIfAborted();
          for await (const r of repo.streamRevisions(w.id)) {
            signal.throwIfAborted();
            for (const id of documentIdsIn(r.content)) documents.add(id);
            const record: RevisionRecord = {
              id: r.id,
              pageId: r.page_id,
              wikiId: r.wiki_id,
              title: r.title,
              content: r.content,
              authorId: r.author_id,
              authorName: r.author_name,
              createdAt: iso(r.created_at),
            };
            const size = line(record);
            bytes += size;
            out.progress({ bytes: size });
            yield record;
          }
        }
      }
      await out.ndjson(REVISIONS_FILE, revisions());

      // Known before the copies are written, so that they can name the documents they show.
      const readable = await readableDocuments(platform, workspace).resolve(
        user,
        new Map([...documents].map((id) => [id, [user.id]])),
        signal,
      );
      const shown = new Map(
        [...readable].map(([id, r]) => [id, { name: r.document.name, section: r.section }]),
      );

      const children = new Map<string, PageFile[]>();
      for (const f of files.values()) {
        if (f.parentId === null) continue;
        const list = children.get(f.parentId) ?? [];
        list.push(f);
        children.set(f.parentId, list);
      }
      // The copies, once the workspace is written: they show its documents by path. One page
      // read and written at a time, by id: no query stays open while the zip is written.
      const wikiOf = new Map(wikis.map((w) => [w.id, w]));
      const later = await writeAfterApps(ctx, async (paths) => {
        const named = pageDocuments(shown, options.includeDocuments, paths);
        let written = 0;
        for (const [pageId, file] of files) {
          signal.throwIfAborted();
          const w = wikiOf.get(file.wikiId);
          const p = await repo.findPage(file.wikiId, pageId);
          // A page deleted since the plan was made.
          if (w === undefined || p === undefined) continue;
          const dir = `${out.folder}/${file.dir}`;
          const nav = (f: PageFile) => ({ href: relativeHref(file.dir, f), title: f.title });
          const html = pageDocument({
            wiki: w,
            dir,
            page: { title: p.title, authorName: p.author_name, modifiedAt: p.modified_at },
            body: offlinePageHtml(p.content, { dir: file.dir, archiveDir: dir }, files, named),
            ancestors: ancestorsOf(pageId, files).map(nav),
            children: (children.get(pageId) ?? []).map(nav),
          });
          const path = await out.text(dir, file.file, html, 'text/html', { title: p.title });
          // Names were made unique up front: the writer must have kept them, or links are wrong.
          if (path !== pathOf(file))
            throw new Error(`The page "${p.title}" was written as ${path}, not ${pathOf(file)}`);
          const size = Buffer.byteLength(html, 'utf8');
          written += size;
          out.progress({ bytes: size });
        }
        return { items: 0, bytes: written };
      });
      bytes += later.bytes;

      const records: WikiRecord[] = wikis.map((w) => ({
        id: w.id,
        title: w.title,
        description: w.description,
        ownerId: w.ownerId,
        ownerName: w.ownerName,
        owned: w.ownerId === user.id,
        access: w.access,
        folder: `${out.folder}/${dirs.get(w.id) ?? ''}`,
        createdAt: iso(w.createdAt),
        modifiedAt: iso(w.modifiedAt),
      }));
      await out.json(WIKIS_FILE, records);
      const size = pretty(records);
      items += wikis.length;
      bytes += size;
      out.progress({ items: wikis.length, bytes: size });

      ctx.referenceDocuments(readable.keys());
      return { items, bytes };
    },
  };
}
