/**
 * How app content names workspace documents: stored HTML points at a document as
 * `/api/workspace/documents/<id>/content` (one canonical form, whatever page showed it). The
 * apps find the documents their HTML references through `documentIdsIn`, the export names
 * them, and the import rewrites them to the imported copies with `rewriteDocumentLinks`.
 */

/** A document id as it may appear in a URL (UUIDs, and ids of older or other instances). */
const ID = '[0-9A-Za-z_-]{1,64}';

/** The canonical URL of a document's bytes, the one stored HTML uses. */
export function documentUrl(documentId: string): string {
  return `/api/workspace/documents/${documentId}/content`;
}

function urls(): RegExp {
  // A new object each call: a global RegExp keeps state between matches.
  return new RegExp(`/api/workspace/documents/(${ID})/content(?![0-9A-Za-z_-])`, 'g');
}

/** The document id when `url` is exactly a document URL, else undefined. */
export function documentIdOf(url: string): string | undefined {
  const m = new RegExp(`^/api/workspace/documents/(${ID})/content$`).exec(url);
  return m?.[1];
}

/** The workspace documents some HTML points at, each once, in order (at most `limit`). */
export function documentIdsIn(html: string, limit = Number.POSITIVE_INFINITY): string[] {
  const ids = new Set<string>();
  for (const m of html.matchAll(urls())) {
    if (ids.size >= limit) break;
    if (m[1] !== undefined) ids.add(m[1]);
  }
  return [...ids];
}

/**
 * Rewrites every document URL in some HTML: `replace` gives the new id (or a whole other URL
 * when it returns one starting with `/` or `.`), or undefined to leave the link as it is.
 */
export function rewriteDocumentLinks(
  html: string,
  replace: (documentId: string) => string | undefined,
): string {
  return html.replace(urls(), (whole, id: string) => {
    const next = replace(id);
    if (next === undefined) return whole;
    return next.startsWith('/') || next.startsWith('.') ? next : documentUrl(next);
  });
}
