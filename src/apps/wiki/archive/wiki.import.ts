/**
 * Cours et Wiki back from an archive (records: `wiki.records.ts`), driven by the import
 * engine through the contract of `archive/adapter.ts`:
 * - `wiki` items (wikis.json), then `page` items in tree order (parents first, whatever order
 *   pages.ndjson gives them in), then `revision` items (revisions.ndjson);
 * - the importer owns every wiki; shares are not carried over; pages and revisions the
 *   exporting user wrote become the importer's; those of other people keep no author account
 *   (the tables name authors by account only, and accounts do not travel) but their name opens
 *   the content ("Par Marie Curie"), as the Blog's importer does;
 * - a page whose parent is not in the archive (or in another wiki, or in a cycle) becomes a
 *   root page and is reported; `order`, titles and dates are kept;
 * - HTML is sanitised again; its links to pages and wikis and its workspace documents point at
 *   what the import made of them, and those that lead to nothing imported are neutralised (a
 *   link becomes its text, an image goes) and reported;
 * - the recorded links between pages are rewritten too: a link is recorded when the second of
 *   its two pages is written, so links forward in the write order are kept.
 * Nothing here notifies anyone: rows are written through the repository.
 */
import sanitizeHtml from 'sanitize-html';
import {
  copyName,
  ImportItemError,
  type AppArchiveReader,
  type IdMap,
  type ImportAdapter,
  type ImportContext,
  type ImportItem,
  type PreparedItem,
  type RecordFile,
  type SourceRef,
} from '../../../archive/adapter.ts';
import {
  allocatedId,
  earlierInPlace,
  recordProblem,
  type AnalysisProblem,
} from '../../../archive/import/importer-kit.ts';
import type { Db } from '../../../db/database.ts';
import { escapeHtml } from '../../../archive/html-page.ts';
import type { Platform } from '../../../platform/platform.ts';
import { importedHtml, type Unresolved } from '../../workspace/imported-html.ts';
import { pagePath, parsePagePath } from '../wiki-links.ts';
import { treeOrder } from '../wiki-tree.ts';
import { WIKI, WIKI_KIND } from '../wiki.model.ts';
import { WikiRepository } from '../wiki.repository.ts';
import type { WikiPagesTable, WikiRevisionsTable, WikiWikisTable } from '../wiki.schema.ts';
import {
  PAGES_FILE,
  REVISIONS_FILE,
  WIKIS_FILE,
  type PageRecord,
  type RevisionRecord,
  type WikiRecord,
} from './wiki.records.ts';

/** An item as `items` reads it, with what the page tree decided for pages. */
export type WikiImportRecord =
  | { kind: 'wiki'; wiki: WikiRecord }
  | {
      kind: 'page';
      page: PageRecord;
      /** The parent kept (null: a root page). */
      parentId: string | null;
      /** The parent the record named but the tree could not keep (missing, elsewhere, cycle). */
      detachedFrom: string | null;
      /** The pages of the same wiki whose recorded links point at this one. */
      linkedFrom: string[];
      author: Author;
    }
  | { kind: 'revision'; revision: RevisionRecord; author: Author };

/**
 * Who wrote a page or a version: the exporting user (the importer writes it then), someone
 * else named in the content, or nobody known.
 */
export type Author = { by: 'exporter' } | { by: 'other'; name: string } | { by: 'unknown' };

/** An item ready to write: the rows with every id rewritten to this instance's. */
export type WikiImportRow =
  | { kind: 'wiki'; wiki: WikiWikisTable }
  | {
      kind: 'page';
      page: WikiPagesTable;
      /** Pages this one links to (new ids). */
      links: string[];
      /** Pages linking to this one (new ids). */
      linkedFrom: string[];
    }
  | { kind: 'revision'; revision: WikiRevisionsTable };

type Item = ImportItem<WikiImportRecord>;
type Prepared = PreparedItem<WikiImportRow>;

const MAX_TITLE = 300;

/** Titles as the service keeps them: trimmed, never empty, at most 300 characters. */
function title(value: string): string {
  const trimmed = value.trim();
  return trimmed === '' ? 'Sans titre' : trimmed.slice(0, MAX_TITLE);
}

const ms = (iso: string) => Date.parse(iso);

/**
 * Pages are held in memory a window at a time while they are put in tree order: one read of
 * pages.ndjson per window, so a wiki of any size imports within this much memory (most
 * archives take a single window).
 */
const WINDOW_BYTES = 16 * 1024 * 1024;

/** A page's place in the tree, read once from pages.ndjson (no content). */
interface PageNode {
  id: string;
  wikiId: string;
  parentId: string | null;
  order: number;
  title: string;
  line: number;
  /** Roughly what the page's record takes in memory. */
  size: number;
  links: string[];
  linkedFrom: string[];
  detachedFrom: string | null;
}

function detach(node: PageNode): void {
  node.detachedFrom = node.parentId;
  node.parentId = null;
}

/**
 * The pages in write order: parents first, siblings by `order` (`treeOrder`, as the app lists
 * them). A page whose parent is absent, in another wiki or itself becomes a root; in a cycle,
 * the first page met on it becomes the root of what hangs from the cycle.
 */
function pageWriteOrder(nodes: ReadonlyMap<string, PageNode>): PageNode[] {
  for (const node of nodes.values()) {
    if (node.parentId === null) continue;
    const parent = nodes.get(node.parentId);
    if (parent === undefined || parent === node || parent.wikiId !== node.wikiId) detach(node);
  }
  const children = new Map<string, PageNode[]>();
  for (const node of nodes.values()) {
    if (node.parentId === null) continue;
    const siblings = children.get(node.parentId);
    if (siblings === undefined) children.set(node.parentId, [node]);
    else siblings.push(node);
  }
  const reached = new Set<string>();
  const reach = (root: PageNode) => {
    const stack = [root];
    for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
      if (reached.has(n.id)) continue;
      reached.add(n.id);
      stack.push(...(children.get(n.id) ?? []));
    }
  };
  for (const node of nodes.values()) if (node.parentId === null) reach(node);
  // What is left hangs from a cycle: climb from it to a page of the cycle and cut there.
  for (const node of nodes.values()) {
    if (reached.has(node.id)) continue;
    const climbed = new Set<string>();
    let onCycle = node;
    while (!climbed.has(onCycle.id)) {
      climbed.add(onCycle.id);
      const up = onCycle.parentId === null ? undefined : nodes.get(onCycle.parentId);
      if (up === undefined) break;
      onCycle = up;
    }
    detach(onCycle);
    reach(onCycle);
  }
  return treeOrder([...nodes.values()]);
}

/** Reads the tree of pages.ndjson: every page's place, parent, links, not its content. */
async function planPages(src: AppArchiveReader, signal: AbortSignal): Promise<PageNode[]> {
  const nodes = new Map<string, PageNode>();
  for await (const { line, record } of src.ndjson(PAGES_FILE)) {
    signal.throwIfAborted();
    // A second record of one id is refused by `analyze`; the first is the page.
    if (nodes.has(record.id)) continue;
    nodes.set(record.id, {
      id: record.id,
      wikiId: record.wikiId,
      parentId: record.parentId,
      order: record.order,
      title: record.title,
      line,
      size: 2 * (record.content.length + record.title.length) + 512,
      links: [...new Set(record.links)],
      linkedFrom: [],
      detachedFrom: null,
    });
  }
  for (const node of nodes.values()) {
    for (const target of node.links) {
      const to = nodes.get(target);
      if (to !== undefined && to !== node && to.wikiId === node.wikiId) to.linkedFrom.push(node.id);
    }
  }
  return pageWriteOrder(nodes);
}

/** The page records in write order, a window of them read (and held) at a time. */
async function* pagesInOrder(
  src: AppArchiveReader,
  order: readonly PageNode[],
  windowBytes: number,
  signal: AbortSignal,
): AsyncGenerator<{ node: PageNode; page: PageRecord }> {
  for (let start = 0; start < order.length;) {
    const window: PageNode[] = [];
    let bytes = 0;
    for (let node = order[start]; node !== undefined; node = order[start + window.length]) {
      if (window.length > 0 && bytes + node.size > windowBytes) break;
      window.push(node);
      bytes += node.size;
    }
    const slot = new Map(window.map((n, i) => [n.line, i]));
    const records: (PageRecord | undefined)[] = window.map(() => undefined);
    for await (const { line, record } of src.ndjson(PAGES_FILE)) {
      signal.throwIfAborted();
      const i = slot.get(line);
      if (i !== undefined) records[i] = record;
    }
    for (const [i, node] of window.entries()) {
      const page = records[i];
      if (page === undefined) throw new Error(`${PAGES_FILE.name}:${node.line} changed while read`);
      yield { node, page };
    }
    start += window.length;
  }
}

// ---- HTML ----------------------------------------------------------------------------------

/** A path of the wiki app (`/wiki/<id>`, `/wiki/<id>/pages/<id>`...), which names its ids. */
const isWikiPath = (href: string) => /^\/wiki\/./.test(href.trim());
const WIKI_HOME = /^\/wiki\/([^/?#]+)\/?(#.*)?$/;

/** The hrefs of an HTML's links, read by the sanitiser's parser (entities decoded). */
function hrefsIn(html: string): Set<string> {
  const hrefs = new Set<string>();
  sanitizeHtml(html, {
    allowedTags: ['a'],
    allowedAttributes: { a: ['href'] },
    transformTags: {
      a: (tagName, attribs) => {
        if (attribs.href !== undefined) hrefs.add(attribs.href);
        return { tagName, attribs };
      },
    },
  });
  return hrefs;
}

/** References an item could not keep, each once. */
class UnresolvedOnce implements Unresolved {
  readonly #refs = new Map<string, SourceRef>();
  push(ref: SourceRef): void {
    this.#refs.set(`${ref.type}/${ref.sourceId}`, ref);
  }
  list(): SourceRef[] {
    return [...this.#refs.values()];
  }
}

/** Where a link into the wiki app leads once imported; undefined: to nothing imported. */
async function wikiHref(
  href: string,
  ids: IdMap,
  unresolved: Unresolved,
): Promise<string | undefined> {
  const page = parsePagePath(href);
  if (page !== undefined) {
    const wikiId = await ids.resolve(WIKI, { type: 'wiki', sourceId: page.wikiId });
    const pageId = await ids.resolve(WIKI, { type: 'page', sourceId: page.pageId });
    if (pageId === undefined) unresolved.push({ type: 'page', sourceId: page.pageId });
    else if (wikiId === undefined) unresolved.push({ type: 'wiki', sourceId: page.wikiId });
    return wikiId === undefined || pageId === undefined
      ? undefined
      : `${pagePath(wikiId, pageId)}${page.hash}`;
  }
  const home = WIKI_HOME.exec(href.trim());
  const homeId = home?.[1];
  if (homeId === undefined) return undefined; // another page of the app: it names ids we cannot map
  const wikiId = await ids.resolve(WIKI, { type: 'wiki', sourceId: homeId });
  if (wikiId === undefined) unresolved.push({ type: 'wiki', sourceId: homeId });
  return wikiId === undefined ? undefined : `/wiki/${wikiId}${home?.[2] ?? ''}`;
}

/**
 * Stored HTML of the archive made fit for this instance (`importedHtml`: sanitised, documents
 * pointing at the imported ones or neutralised), its links to pages and wikis pointing at the
 * imported ones; one to nothing imported is reported and becomes its text.
 */
export function importHtml(html: string, ids: IdMap, unresolved: Unresolved): Promise<string> {
  return importedHtml(html, ids, unresolved, async (clean) => {
    const links = new Map<string, string | undefined>();
    // Most pages link no other page: their HTML is not parsed for links.
    if (clean.includes('/wiki/'))
      for (const href of hrefsIn(clean))
        if (isWikiPath(href)) links.set(href, await wikiHref(href, ids, unresolved));
    return links;
  });
}

/** Content written by someone else opens with their name: accounts do not travel. */
export function withByline(html: string, author: Author): string {
  return author.by === 'other' ? `<p><em>Par ${escapeHtml(author.name)}</em></p>${html}` : html;
}

// ---- the adapter ---------------------------------------------------------------------------

/** The importer of Cours et Wiki (see the top of this file). */
export function wikiImporter(deps: {
  db: Db;
  platform: Pick<Platform, 'sharing'>;
  /** How much page content is held at once while pages are put in tree order (tests). */
  windowBytes?: number;
}): ImportAdapter<WikiImportRecord, WikiImportRow> {
  const windowBytes = deps.windowBytes ?? WINDOW_BYTES;
  const repo = new WikiRepository(deps.db.kysely, deps.db.dialect);
  const { platform } = deps;

  /**
   * A page, then its links to and from the pages of its wiki written so far (a link is recorded
   * when its second page is written), in one transaction: one commit per page (on PostgreSQL,
   * commits are what an import waits on). Each statement keeps what is there, so writing again
   * is a no-op. The wiki was written before (a failed wiki resolves to nothing and `prepare`
   * refuses its pages): the foreign keys hold the rest.
   */
  async function writePage(row: Extract<WikiImportRow, { kind: 'page' }>): Promise<void> {
    await repo.transaction((tx) => writePageIn(tx, row));
  }

  async function writePageIn(
    tx: WikiRepository,
    row: Extract<WikiImportRow, { kind: 'page' }>,
  ): Promise<void> {
    const page = row.page;
    const parent = page.parent_id === null ? [] : [page.parent_id];
    const existing = await tx.existingPages(page.wiki_id, [
      ...parent,
      ...row.links,
      ...row.linkedFrom,
    ]);
    // A parent that could not be written: the page goes to the root rather than be lost.
    const parentId =
      page.parent_id !== null && existing.has(page.parent_id) ? page.parent_id : null;
    await tx.insertPageIfAbsent({ ...page, parent_id: parentId });
    await tx.insertLinks(page.wiki_id, [
      ...row.links
        .filter((id) => existing.has(id) && id !== page.id)
        .map((targetId) => ({ pageId: page.id, targetId })),
      ...row.linkedFrom
        .filter((id) => existing.has(id) && id !== page.id)
        .map((pageId) => ({ pageId, targetId: page.id })),
    ]);
  }

  return {
    async analyze(src) {
      const counts = { wiki: 0, page: 0, revision: 0 };
      const pathOf = (file: RecordFile) => `${src.folder}/${file.name}`;
      const problems: AnalysisProblem[] = [];
      if (src.has(WIKIS_FILE)) {
        try {
          const seen = new Set<string>();
          for (const w of await src.json(WIKIS_FILE)) {
            if (seen.has(w.id))
              problems.push({
                code: 'record_invalid',
                file: pathOf(WIKIS_FILE),
                message: `The wiki ${w.id} is listed twice`,
              });
            seen.add(w.id);
            counts.wiki++;
          }
        } catch (error) {
          problems.push(recordProblem(error, pathOf(WIKIS_FILE)));
        }
      }
      for (const [file, type] of [
        [PAGES_FILE, 'page'],
        [REVISIONS_FILE, 'revision'],
      ] as const) {
        if (!src.has(file)) continue;
        const seen = new Set<string>();
        try {
          for await (const { line, record } of src.ndjson<typeof file.schema>(file)) {
            if (seen.has(record.id))
              problems.push({
                code: 'record_invalid',
                file: pathOf(file),
                line,
                message: `The id ${record.id} is given twice`,
              });
            seen.add(record.id);
            counts[type]++;
          }
        } catch (error) {
          problems.push(recordProblem(error, pathOf(file)));
        }
      }
      return { counts, bytes: 0, problems };
    },

    async *items(src, ctx) {
      const wikis = src.has(WIKIS_FILE) ? await src.json(WIKIS_FILE) : [];
      // The exporting user owns the wikis the archive says they own; without one, an author
      // named as the importer is taken for them (their own archive from another instance).
      const exporter = wikis.find((w) => w.owned)?.ownerId;
      const authorOf = (r: { authorId: string | null; authorName: string | null }): Author => {
        const name = r.authorName?.trim() ?? '';
        if (exporter === undefined ? name === ctx.user.displayName : r.authorId === exporter)
          return { by: 'exporter' };
        return name === '' ? { by: 'unknown' } : { by: 'other', name };
      };

      const seenWikis = new Set<string>();
      for (const wiki of wikis) {
        ctx.signal.throwIfAborted();
        if (seenWikis.has(wiki.id)) continue;
        seenWikis.add(wiki.id);
        yield {
          type: 'wiki',
          sourceId: wiki.id,
          name: title(wiki.title),
          bytes: 0,
          record: { kind: 'wiki', wiki },
        };
      }

      if (src.has(PAGES_FILE)) {
        const order = await planPages(src, ctx.signal);
        for await (const { node, page } of pagesInOrder(src, order, windowBytes, ctx.signal)) {
          yield {
            type: 'page',
            sourceId: page.id,
            name: title(page.title),
            bytes: 0,
            record: {
              kind: 'page',
              page,
              parentId: node.parentId,
              detachedFrom: node.detachedFrom,
              linkedFrom: node.linkedFrom,
              author: authorOf(page),
            },
          };
        }
      }

      if (src.has(REVISIONS_FILE)) {
        const seen = new Set<string>();
        for await (const { record } of src.ndjson(REVISIONS_FILE)) {
          ctx.signal.throwIfAborted();
          if (seen.has(record.id)) continue;
          seen.add(record.id);
          yield {
            type: 'revision',
            sourceId: record.id,
            name: title(record.title),
            bytes: 0,
            record: { kind: 'revision', revision: record, author: authorOf(record) },
          };
        }
      }
    },

    async prepare(item: Item, ids: IdMap, ctx: ImportContext): Promise<Prepared> {
      const id = await allocatedId(WIKI, item, ids);
      const base = { type: item.type, sourceId: item.sourceId, id, name: item.name, bytes: 0 };
      const unresolved = new UnresolvedOnce();
      const record = item.record;
      switch (record.kind) {
        case 'wiki': {
          const w = record.wiki;
          const row: WikiWikisTable = {
            id,
            owner_id: ctx.user.id,
            title: title(w.title),
            description: w.description.trim(),
            created_at: ms(w.createdAt),
            modified_at: ms(w.modifiedAt),
          };
          return { ...base, row: { kind: 'wiki', wiki: row }, unresolved: [] };
        }
        case 'page': {
          const p = record.page;
          const wikiId = await ids.resolve(WIKI, { type: 'wiki', sourceId: p.wikiId });
          if (wikiId === undefined)
            throw new ImportItemError('reference_missing', `The wiki ${p.wikiId} is not imported`);
          if (record.detachedFrom !== null)
            unresolved.push({ type: 'page', sourceId: record.detachedFrom });
          let parentId: string | null = null;
          if (record.parentId !== null) {
            parentId =
              (await ids.resolve(WIKI, { type: 'page', sourceId: record.parentId })) ?? null;
            if (parentId === null) unresolved.push({ type: 'page', sourceId: record.parentId });
          }
          const content = await importHtml(withByline(p.content, record.author), ids, unresolved);
          const links: string[] = [];
          for (const target of new Set(p.links)) {
            const to = await ids.resolve(WIKI, { type: 'page', sourceId: target });
            if (to === undefined) unresolved.push({ type: 'page', sourceId: target });
            else if (to !== id) links.push(to);
          }
          const linkedFrom: string[] = [];
          for (const source of record.linkedFrom) {
            // A page that is not imported is reported as its own item.
            const from = await ids.resolve(WIKI, { type: 'page', sourceId: source });
            if (from !== undefined && from !== id) linkedFrom.push(from);
          }
          const row: WikiPagesTable = {
            id,
            wiki_id: wikiId,
            parent_id: parentId,
            title: title(p.title),
            content,
            position: p.order,
            author_id: record.author.by === 'exporter' ? ctx.user.id : null,
            created_at: ms(p.createdAt),
            modified_at: ms(p.modifiedAt),
          };
          return {
            ...base,
            row: { kind: 'page', page: row, links, linkedFrom },
            unresolved: unresolved.list(),
          };
        }
        case 'revision': {
          const r = record.revision;
          const pageId = await ids.resolve(WIKI, { type: 'page', sourceId: r.pageId });
          const wikiId = await ids.resolve(WIKI, { type: 'wiki', sourceId: r.wikiId });
          if (pageId === undefined || wikiId === undefined)
            throw new ImportItemError(
              'reference_missing',
              `The page ${r.pageId} of this version is not imported`,
            );
          const row: WikiRevisionsTable = {
            id,
            page_id: pageId,
            wiki_id: wikiId,
            title: title(r.title),
            content: await importHtml(withByline(r.content, record.author), ids, unresolved),
            author_id: record.author.by === 'exporter' ? ctx.user.id : null,
            created_at: ms(r.createdAt),
          };
          return {
            ...base,
            row: { kind: 'revision', revision: row },
            unresolved: unresolved.list(),
          };
        }
      }
    },

    findDuplicate(item, ctx, earlier) {
      const row = item.row;
      return earlierInPlace(item, earlier, async (id) => {
        switch (row.kind) {
          case 'wiki':
            return (await repo.findWiki(id))?.owner_id === ctx.user.id;
          case 'page':
            return (await repo.findPageById(id))?.wiki_id === row.page.wiki_id;
          case 'revision':
            return (await repo.findRevisionById(id))?.page_id === row.revision.page_id;
        }
      });
    },

    copy(item) {
      const row = item.row;
      const name = copyName(item.name);
      switch (row.kind) {
        case 'wiki':
          return {
            ...item,
            name,
            row: { ...row, wiki: { ...row.wiki, title: copyName(row.wiki.title) } },
          };
        case 'page':
          return {
            ...item,
            name,
            row: { ...row, page: { ...row.page, title: copyName(row.page.title) } },
          };
        case 'revision':
          return {
            ...item,
            name,
            row: { ...row, revision: { ...row.revision, title: copyName(row.revision.title) } },
          };
      }
    },

    async write(item) {
      const row = item.row;
      switch (row.kind) {
        case 'wiki':
          await repo.insertWikiIfAbsent(row.wiki);
          return;
        case 'page':
          await writePage(row);
          return;
        case 'revision':
          await repo.insertRevisionIfAbsent(row.revision);
          return;
      }
    },

    async remove(item) {
      switch (item.type) {
        case 'wiki': {
          if ((await repo.findWiki(item.id)) === undefined) return 'missing';
          // Pages the user wrote since, or shares they made: the wiki is theirs now.
          const shares = await platform.sharing.sharesOf({ ...WIKI_KIND, id: item.id });
          if (shares.length > 0 || (await repo.hasPages(item.id))) return 'kept';
          await repo.deleteWiki(item.id);
          return 'removed';
        }
        case 'page': {
          if ((await repo.findPageById(item.id)) === undefined) return 'missing';
          // Sub-pages or versions the user added since (the import's own went first).
          if (await repo.pageHoldsAnything(item.id)) return 'kept';
          await repo.deletePages([item.id]);
          return 'removed';
        }
        case 'revision': {
          if ((await repo.findRevisionById(item.id)) === undefined) return 'missing';
          await repo.deleteRevision(item.id);
          return 'removed';
        }
        default:
          return 'missing';
      }
    },
  };
}
