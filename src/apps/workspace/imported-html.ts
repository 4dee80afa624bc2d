/**
 * Stored HTML of an archive made fit for this instance, the one rule every importer applies
 * to the content it writes (posts, news items, event descriptions, wiki pages): sanitised with
 * the apps' allowlist, every `/api/workspace/documents/<old>/content` pointing at the document
 * the import made of it; a document the import does not hold is reported and neutralised (its
 * image removed, a link to it left as its text, its URL gone from text and other attributes).
 * No old document id is left in what comes out.
 */
import sanitizeHtml from 'sanitize-html';
import type { IdMap, SourceRef } from '../../archive/adapter.ts';
import { sanitize } from '../../html/sanitize.ts';
import { documentIdsIn, documentUrl, rewriteDocumentLinks } from './document-links.ts';

/** Where references an import could not keep are reported (an array, or a set of its own). */
export interface Unresolved {
  push(ref: SourceRef): unknown;
}

/**
 * The app's own links to rewrite on top of document links (the wiki's page links): given the
 * sanitised HTML, each href to change and where it leads now (undefined: to nothing imported,
 * the link becomes its text). Unlisted hrefs are kept.
 */
export type AppLinks = (clean: string) => Promise<ReadonlyMap<string, string | undefined>>;

/**
 * The document the import made of a document an item names (a thumbnail, an icon, an
 * attachment); null, and added to `unresolved`, when the import does not hold it.
 */
export async function importedDocument(
  sourceId: string,
  ids: IdMap,
  unresolved: Unresolved,
): Promise<string | null> {
  const ref = { type: 'document', sourceId };
  const id = await ids.resolve('workspace', ref);
  if (id === undefined) unresolved.push(ref);
  return id ?? null;
}

/**
 * `html` for this instance, its documents resolved through the import's id map; those that
 * resolve to nothing are added to `unresolved`. `appLinks`: see `AppLinks`.
 */
export async function importedHtml(
  html: string,
  ids: IdMap,
  unresolved: Unresolved,
  appLinks?: AppLinks,
): Promise<string> {
  const clean = sanitize(html);
  const documents = new Map<string, string | undefined>();
  for (const sourceId of documentIdsIn(clean))
    documents.set(sourceId, (await importedDocument(sourceId, ids, unresolved)) ?? undefined);
  const links =
    appLinks === undefined ? new Map<string, string | undefined>() : await appLinks(clean);
  return relinked(clean, (id) => documents.get(id), links);
}

/**
 * The same rule when what became of each document is known already: `newIdOf` gives a
 * document's id on this instance (undefined: it is not here, it is neutralised).
 */
export function relinkedHtml(html: string, newIdOf: (documentId: string) => string | undefined) {
  return relinked(sanitize(html), newIdOf, new Map());
}

/** A tag outside the allowlist: the last sanitising pass drops it and keeps its text. */
const UNLINKED = 'md-unlinked';

function relinked(
  clean: string,
  newIdOf: (documentId: string) => string | undefined,
  links: ReadonlyMap<string, string | undefined>,
): string {
  const missing = new Set<string>();
  for (const id of documentIdsIn(clean)) if (newIdOf(id) === undefined) missing.add(id);
  // An id inside a URL changes, nothing else: the HTML stays as sanitised.
  const rewritten = rewriteDocumentLinks(clean, (id) => newIdOf(id));
  if (links.size === 0 && missing.size === 0) return rewritten;

  const namesMissing = (url: string | undefined) =>
    missing.size > 0 && documentIdsIn(url ?? '').some((id) => missing.has(id));
  let unlinked = false;
  const unlink = (): sanitizeHtml.Tag => {
    unlinked = true;
    return { tagName: UNLINKED, attribs: {} };
  };
  // Everything is kept in this pass (the HTML is sanitised already).
  const linked = sanitizeHtml(rewritten, {
    allowedTags: false,
    allowedAttributes: false,
    allowVulnerableTags: true,
    transformTags: {
      a: (tagName, attribs) => {
        const href = attribs.href ?? '';
        if (links.has(href)) {
          const to = links.get(href);
          return to === undefined ? unlink() : { tagName, attribs: { ...attribs, href: to } };
        }
        return namesMissing(href) ? unlink() : { tagName, attribs };
      },
    },
    exclusiveFilter: (frame) => frame.tag === 'img' && namesMissing(frame.attribs.src),
  });
  if (!unlinked && missing.size === 0) return linked;
  // A missing document's URL may be left as text or in a title: it goes there too.
  let out = linked;
  for (const id of missing) out = out.split(documentUrl(id)).join('');
  return sanitize(out);
}
