import sanitizeHtml from 'sanitize-html';

/** The same-site path of a page: what page HTML links to, and where notifications lead. */
export function pagePath(wikiId: string, pageId: string): string {
  return `/wiki/${wikiId}/pages/${pageId}`;
}

const PAGE_PATH = /^\/wiki\/([^/?#]+)\/pages\/([^/?#]+)\/?(\?[^#]*)?(#.*)?$/;

/** The wiki and page a same-site page link (`/wiki/<wikiId>/pages/<pageId>`) points at, if it is one. */
export function parsePagePath(
  href: string,
): { wikiId: string; pageId: string; hash: string } | undefined {
  const match = PAGE_PATH.exec(href.trim());
  const wikiId = match?.[1];
  const pageId = match?.[2];
  if (wikiId === undefined || pageId === undefined) return undefined;
  return { wikiId, pageId, hash: match?.[4] ?? '' };
}

/**
 * The ids of the pages of `wikiId` that some HTML links to (`<a href="/wiki/<wikiId>/pages/<id>">`,
 * an optional query or fragment allowed), each once. Read with the sanitiser's HTML parser
 * rather than a regular expression, so entities are decoded and text that merely looks like a
 * link is not taken for one. Links to other wikis and absolute URLs are not page links.
 */
export function linkedPageIds(html: string, wikiId: string): string[] {
  const found = new Set<string>();
  sanitizeHtml(html, {
    allowedTags: ['a'],
    allowedAttributes: { a: ['href'] },
    transformTags: {
      a: (tagName, attribs) => {
        const link = parsePagePath(attribs.href ?? '');
        if (link?.wikiId === wikiId) found.add(link.pageId);
        return { tagName, attribs };
      },
    },
  });
  return [...found];
}
