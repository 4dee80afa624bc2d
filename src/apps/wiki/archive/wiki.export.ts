import sanitizeHtml from 'sanitize-html';
import type {
  AppExportWriter,
  ArchiveAdapter,
  ExportContext,
  ExportOptions,
} from '../../../archive/adapter.ts';
import { safeName } from '../../../archive/zip-writer.ts';
import type { Db } from '../../../db/database.ts';
import { AppError } from '../../../errors.ts';
import type { User } from '../../../platform/accounts.service.ts';
import { sanitize } from '../../html/sanitize.ts';
import { SECTIONS, type Section } from '../../workspace/archive/workspace.export.ts';
import type { WorkspaceService } from '../../workspace/workspace.service.ts';
import { parsePagePath } from '../wiki-links.ts';
import { treeOrder } from '../wiki-tree.ts';
import { WIKI, type Wiki, type WikiService } from '../wiki.service.ts';

/** Ids per query: keeps the bound parameters under every driver's limit. */
const CHUNK = 500;

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The files this app writes at the top of its folder: no wiki folder may take their names. */
const TOP_FILES = ['wikis.json', 'pages.ndjson', 'revisions.ndjson'];

/** Room kept in a page's file name for " (12345).html". */
const MAX_BASE_BYTES = 180;

const DOCUMENT_URL = /\/api\/workspace\/documents\/([0-9A-Za-z_-]{1,64})\/content/g;

/** The workspace documents some HTML points at (images, download links), each once. */
export function documentIdsIn(html: string): string[] {
  const ids = new Set<string>();
  for (const m of html.matchAll(DOCUMENT_URL)) if (m[1] !== undefined) ids.add(m[1]);
  return [...ids];
}

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

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** Where each exported page's `.html` copy is: its wiki's folder and its file name there. */
interface PageFile {
  wikiId: string;
  /** The wiki's folder name (one component, under the app's folder). */
  dir: string;
  file: string;
  title: string;
  parentId: string | null;
}

/** A relative link from a page of `fromDir` to another page's `.html` file. */
function relativeHref(fromDir: string, to: PageFile): string {
  const file = encodeURIComponent(to.file);
  return to.dir === fromDir ? file : `../${encodeURIComponent(to.dir)}/${file}`;
}

/** A document a page shows that the user may open, and where the archive keeps it. */
export interface PageDocument {
  name: string;
  section: Section;
}

const DOCUMENT_PATH = /^\/api\/workspace\/documents\/([0-9A-Za-z_-]{1,64})\/content$/;

/**
 * Page HTML for the archive copy, from the HTML as stored (sanitised again first):
 * - links to pages that are in the archive become relative links to their `.html` file
 *   (the fragment kept); other links are left as they are;
 * - images and links of workspace documents become a mention of the document (its name and
 *   where the archive keeps it, its id in `data-document-id`): the Espace documentaire is
 *   written after this app, so the file's path in the archive is not known yet
 *   (`Espace documentaire/documents.ndjson` maps the id to it). Documents the user may not
 *   open are "non disponible".
 */
export function offlinePageHtml(
  html: string,
  fromDir: string,
  files: ReadonlyMap<string, PageFile>,
  documents: ReadonlyMap<string, PageDocument>,
  includeDocuments: boolean,
): string {
  const where = (doc: PageDocument) =>
    includeDocuments
      ? `Espace documentaire › ${SECTIONS[doc.section]}`
      : 'Espace documentaire (non inclus dans cette archive)';
  const documentOf = (url: string | undefined) => {
    const id = DOCUMENT_PATH.exec(url?.trim() ?? '')?.[1];
    return { id, doc: id === undefined ? undefined : documents.get(id) };
  };
  return sanitizeHtml(sanitize(html), {
    allowedTags: [...sanitizeHtml.defaults.allowedTags, 'img'],
    allowedAttributes: {
      a: ['href', 'title', 'target', 'rel'],
      img: ['src', 'alt', 'title', 'width', 'height'],
      span: ['class', 'title', 'data-document-id'],
      th: ['colspan', 'rowspan', 'scope'],
      td: ['colspan', 'rowspan'],
      ol: ['start'],
      '*': ['lang', 'dir'],
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['data'] },
    allowedSchemesAppliedToAttributes: ['href', 'src'],
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    transformTags: {
      img: (tagName, attribs): sanitizeHtml.Tag => {
        if (/^data:image\/(png|jpeg|gif|webp);/i.test(attribs.src ?? ''))
          return { tagName, attribs };
        const { id, doc } = documentOf(attribs.src);
        if (id === undefined || doc === undefined)
          return {
            tagName: 'span',
            attribs: { class: 'document missing' },
            text: '[Image non disponible]',
          };
        const alt = attribs.alt?.trim() ?? '';
        return {
          tagName: 'span',
          attribs: { class: 'document', title: where(doc), 'data-document-id': id },
          text: `[Image : ${doc.name}${alt !== '' && alt !== doc.name ? ` – ${alt}` : ''}]`,
        };
      },
      a: (tagName, attribs): sanitizeHtml.Tag => {
        const link = parsePagePath(attribs.href ?? '');
        const target = link === undefined ? undefined : files.get(link.pageId);
        if (link !== undefined && target !== undefined && target.wikiId === link.wikiId) {
          return {
            tagName,
            attribs: { ...attribs, href: `${relativeHref(fromDir, target)}${link.hash}` },
          };
        }
        const { id, doc } = documentOf(attribs.href);
        if (id === undefined) return { tagName, attribs };
        return doc === undefined
          ? {
              tagName: 'span',
              attribs: { class: 'document missing', title: 'Document non disponible' },
            }
          : {
              tagName: 'span',
              attribs: {
                class: 'document',
                title: `${doc.name} – ${where(doc)}`,
                'data-document-id': id,
              },
            };
      },
    },
  });
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
a{color:#1a4c8b}a:focus{outline:3px solid #f90}img{max-width:100%;height:auto}
nav,footer{font-size:.9rem;color:#555}.document{background:#eef3fa;border-radius:.2rem;padding:0 .2rem}.missing{color:#777}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2rem .4rem}`;

/** A page as a complete HTML document that opens offline: no script, nothing fetched outside. */
export function pageDocument(input: {
  wiki: Pick<Wiki, 'title'>;
  page: { title: string; authorName: string | null; modifiedAt: number };
  body: string;
  /** Links (relative hrefs) to the pages above this one, the root first, and below it. */
  ancestors: readonly { href: string; title: string }[];
  children: readonly { href: string; title: string }[];
}): string {
  const { wiki, page } = input;
  const date = new Date(page.modifiedAt).toLocaleString('fr-FR', { timeZone: 'Europe/Paris' });
  const crumbs = [
    esc(wiki.title),
    ...input.ancestors.map((a) => `<a href="${esc(a.href)}">${esc(a.title)}</a>`),
  ].join(' › ');
  const children =
    input.children.length === 0
      ? ''
      : `<nav aria-label="Sous-pages"><h2>Sous-pages</h2><ul>${input.children
          .map((c) => `<li><a href="${esc(c.href)}">${esc(c.title)}</a></li>`)
          .join('')}</ul></nav>\n`;
  return `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'">
<title>${esc(page.title)} – ${esc(wiki.title)}</title>
<style>
${STYLE}
</style>
</head>
<body>
<nav aria-label="Fil d'Ariane">${crumbs}</nav>
<main>
<h1>${esc(page.title)}</h1>
<article>
${input.body}
</article>
</main>
${children}<footer><p>Modifiée le ${esc(date)}${
    page.authorName === null ? '' : ` par ${esc(page.authorName)}`
  }.</p></footer>
</body>
</html>
`;
}

const line = (value: unknown) => Buffer.byteLength(`${JSON.stringify(value)}\n`, 'utf8');
const pretty = (value: unknown) => Buffer.byteLength(`${JSON.stringify(value, null, 2)}\n`, 'utf8');

/**
 * Cours et Wiki in an archive, in its folder:
 * - `wikis.json`: the wikis, with their folder in the archive;
 * - `pages.ndjson`: every page, its HTML as stored, its outgoing links and its `.html` copy;
 * - `revisions.ndjson`: the previous versions of every page;
 * - `<wiki title>/<page title>.html`: each page as a standalone document, its links to pages
 *   in the archive made relative. Every path is decided before the first file is written, so
 *   links are right whatever order pages are written in, also when titles collide.
 * Workspace documents the pages (and their revisions) show that the user may open are handed
 * to the Espace documentaire, exported after this app, through `ctx.referenceDocuments`.
 */
export function wikiArchiveAdapter(deps: {
  db: Db;
  workspace: WorkspaceService;
  service: WikiService;
}): ArchiveAdapter {
  const { db, workspace, service } = deps;

  async function wikisOf(user: User, options: ExportOptions): Promise<Wiki[]> {
    const all = await service.listWikis(user);
    return options.includeShared ? all : all.filter((w) => w.access === 'owner');
  }

  async function countPages(wikiIds: readonly string[]): Promise<number> {
    let total = 0;
    for (const ids of chunks(wikiIds)) {
      const row = await db.kysely
        .selectFrom('wiki_pages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('wiki_id', 'in', ids)
        .executeTakeFirst();
      total += Number(row?.n ?? 0);
    }
    return total;
  }

  /** Every page's file, decided up front: wiki folders first, then pages in tree order. */
  async function planFiles(
    wikis: readonly Wiki[],
  ): Promise<{ dirs: Map<string, string>; files: Map<string, PageFile> }> {
    const dirs = new Map<string, string>();
    const nameDir = namer(TOP_FILES);
    for (const w of wikis) dirs.set(w.id, nameDir(w.title, ''));
    const files = new Map<string, PageFile>();
    for (const w of wikis) {
      const dir = dirs.get(w.id) ?? '';
      const rows = await db.kysely
        .selectFrom('wiki_pages')
        .select(['id', 'parent_id', 'position', 'title'])
        .where('wiki_id', '=', w.id)
        .execute();
      const ordered = treeOrder(
        rows.map((r) => ({ id: r.id, parentId: r.parent_id, order: r.position, title: r.title })),
      );
      const nameFile = namer();
      for (const p of ordered) {
        files.set(p.id, {
          wikiId: w.id,
          dir,
          file: nameFile(p.title, '.html'),
          title: p.title,
          parentId: p.parentId,
        });
      }
    }
    return { dirs, files };
  }

  /**
   * The documents among `ids` the user may open in the Espace documentaire (their own, or
   * shared with them and not trashed), with the section the archive puts them in.
   */
  async function readableDocuments(
    user: User,
    ids: Iterable<string>,
    signal: AbortSignal,
  ): Promise<Map<string, PageDocument>> {
    const readable = new Map<string, PageDocument>();
    for (const id of ids) {
      signal.throwIfAborted();
      const doc = await workspace.requireDocument(user, id).catch((error: unknown): undefined => {
        if (error instanceof AppError && error.code === 'not_found') return undefined;
        throw error;
      });
      if (doc === undefined) continue;
      const section: Section =
        doc.ownerId !== user.id
          ? 'shared'
          : doc.trashed
            ? 'trash'
            : doc.appSource !== null
              ? 'apps'
              : 'mine';
      readable.set(id, { name: doc.name, section });
    }
    return readable;
  }

  function pagesOf(wikiId: string) {
    return db.kysely
      .selectFrom('wiki_pages')
      .leftJoin('users', 'users.id', 'wiki_pages.author_id')
      .selectAll('wiki_pages')
      .select('users.display_name as author_name')
      .where('wiki_pages.wiki_id', '=', wikiId);
  }

  return {
    app: WIKI,
    label: 'Cours et Wiki',
    appVersion: '1.0.0',
    dataVersion: 1,
    dependsOn: ['workspace'],

    async count(user, options) {
      const wikis = await wikisOf(user, options);
      const pages = await countPages(wikis.map((w) => w.id));
      return { items: wikis.length + pages, bytes: 0 };
    },

    async export(ctx: ExportContext, out: AppExportWriter) {
      const { user, options, signal } = ctx;
      const wikis = await wikisOf(user, options);
      const { dirs, files } = await planFiles(wikis);
      const pathOf = (f: PageFile) => `${out.folder}/${f.dir}/${f.file}`;
      const documents = new Set<string>();
      let items = 0;
      let bytes = 0;

      // Pages with their HTML as stored and their recorded outgoing links.
      async function* pages(): AsyncGenerator<unknown> {
        for (const w of wikis) {
          signal.throwIfAborted();
          const links = new Map<string, string[]>();
          const linkRows = await db.kysely
            .selectFrom('wiki_page_links')
            .select(['page_id', 'target_id'])
            .where('wiki_id', '=', w.id)
            .orderBy('page_id')
            .orderBy('target_id')
            .execute();
          for (const r of linkRows) {
            const list = links.get(r.page_id) ?? [];
            list.push(r.target_id);
            links.set(r.page_id, list);
          }
          for await (const p of pagesOf(w.id).orderBy('wiki_pages.id').stream(100)) {
            signal.throwIfAborted();
            for (const id of documentIdsIn(p.content)) documents.add(id);
            const file = files.get(p.id);
            const record = {
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
      await out.ndjson('pages.ndjson', pages());

      async function* revisions(): AsyncGenerator<unknown> {
        for (const w of wikis) {
          signal.throwIfAborted();
          const rows = db.kysely
            .selectFrom('wiki_revisions')
            .leftJoin('users', 'users.id', 'wiki_revisions.author_id')
            .selectAll('wiki_revisions')
            .select('users.display_name as author_name')
            .where('wiki_revisions.wiki_id', '=', w.id)
            .orderBy('wiki_revisions.page_id')
            .orderBy('wiki_revisions.created_at')
            .orderBy('wiki_revisions.id')
            .stream(100);
          for await (const r of rows) {
            signal.throwIfAborted();
            for (const id of documentIdsIn(r.content)) documents.add(id);
            const record = {
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
      await out.ndjson('revisions.ndjson', revisions());

      // Known before the copies are written, so that they can name the documents they show.
      const readable = await readableDocuments(user, documents, signal);

      // The readable copies: one page in memory at a time.
      const children = new Map<string, PageFile[]>();
      for (const f of files.values()) {
        if (f.parentId === null) continue;
        const list = children.get(f.parentId) ?? [];
        list.push(f);
        children.set(f.parentId, list);
      }
      // One page read and written at a time, by id: no query stays open while the zip is written.
      const wikiOf = new Map(wikis.map((w) => [w.id, w]));
      for (const [pageId, file] of files) {
        signal.throwIfAborted();
        const w = wikiOf.get(file.wikiId);
        const p = await pagesOf(file.wikiId).where('wiki_pages.id', '=', pageId).executeTakeFirst();
        // A page deleted since the plan was made.
        if (w === undefined || p === undefined) continue;
        const ancestors: PageFile[] = [];
        const seen = new Set([pageId]);
        for (let up = file.parentId; up !== null && !seen.has(up);) {
          seen.add(up);
          const parent = files.get(up);
          if (parent === undefined) break;
          ancestors.unshift(parent);
          up = parent.parentId;
        }
        const html = pageDocument({
          wiki: w,
          page: { title: p.title, authorName: p.author_name, modifiedAt: p.modified_at },
          body: offlinePageHtml(p.content, file.dir, files, readable, options.includeDocuments),
          ancestors: ancestors.map((a) => ({ href: relativeHref(file.dir, a), title: a.title })),
          children: (children.get(pageId) ?? []).map((c) => ({
            href: relativeHref(file.dir, c),
            title: c.title,
          })),
        });
        const path = await out.text(`${out.folder}/${file.dir}`, file.file, html, 'text/html');
        // Names were made unique up front: the writer must have kept them, or links are wrong.
        if (path !== pathOf(file))
          throw new Error(`The page "${p.title}" was written as ${path}, not ${pathOf(file)}`);
        const size = Buffer.byteLength(html, 'utf8');
        bytes += size;
        out.progress({ bytes: size });
      }

      const records = wikis.map((w) => ({
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
      await out.json('wikis.json', records);
      const size = pretty(records);
      items += wikis.length;
      bytes += size;
      out.progress({ items: wikis.length, bytes: size });

      ctx.referenceDocuments(readable.keys());
      return { items, bytes };
    },
  };
}
