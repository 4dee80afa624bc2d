import sanitizeHtml from 'sanitize-html';

/** The same-site path of a page: what page HTML links to, and where notifications lead. */
export function pagePath(wikiId: string, pageId: string): string {
  return `/wiki/${wikiId}/pages/${pageId}`;
}

const PAGE_PATH = /^\/wiki\/([^/?#]+)\/pages\/([^/?#]+)\/?(?:[?#].*)?$/;

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
        const match = PAGE_PATH.exec(attribs.href?.trim() ?? '');
        if (match?.[1] === wikiId && match[2] !== undefined) found.add(match[2]);
        return { tagName, attribs };
      },
    },
  });
  return [...found];
}
