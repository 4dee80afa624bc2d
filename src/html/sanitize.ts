import sanitizeHtml from 'sanitize-html';

// Typed constants, not `as const`: a const assertion hides a list from mutation testing, and
// each name here is a guard (src/html/sanitize.guards.test.ts pins every one).
const ALLOWED_TAGS: string[] = [
  'p',
  'br',
  'hr',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'pre',
  'code',
  'strong',
  'b',
  'em',
  'i',
  'u',
  's',
  'sub',
  'sup',
  'mark',
  'small',
  'span',
  'div',
  'ul',
  'ol',
  'li',
  'dl',
  'dt',
  'dd',
  'a',
  'img',
  'figure',
  'figcaption',
  'table',
  'thead',
  'tbody',
  'tfoot',
  'tr',
  'th',
  'td',
  'caption',
];
const ALLOWED_ATTRIBUTES: Record<'a' | 'img' | 'th' | 'td' | 'ol' | '*', string[]> = {
  a: ['href', 'title', 'target', 'rel'],
  img: ['src', 'alt', 'title', 'width', 'height'],
  th: ['colspan', 'rowspan', 'scope'],
  td: ['colspan', 'rowspan'],
  ol: ['start'],
  '*': ['lang', 'dir'],
};

/**
 * The one HTML allowlist of every app (posts, news, wiki pages, event descriptions): text
 * formatting, lists, tables, links and images. No script, style, event handler, form or
 * frame; links only to http(s), mailto and same-site paths; images only from same-site paths
 * (our documents) or data: images. Applied on every write and on every import.
 */
export const HTML_ALLOWLIST = {
  allowedTags: ALLOWED_TAGS,
  allowedAttributes: ALLOWED_ATTRIBUTES,
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['data'] },
  allowedSchemesAppliedToAttributes: ['href', 'src'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: {
    // A link opening a new tab must not hand it our window.
    a: (tagName, attribs) => ({
      tagName,
      attribs: attribs.target === '_blank' ? { ...attribs, rel: 'noopener noreferrer' } : attribs,
    }),
  },
  exclusiveFilter: (frame) => {
    // Images come from our own documents (same-site paths) or are inline data images.
    if (frame.tag !== 'img') return false;
    const src = frame.attribs.src ?? '';
    return (
      !(src.startsWith('/') && !src.startsWith('//')) &&
      !/^data:image\/(png|jpeg|gif|webp);/i.test(src)
    );
  },
} satisfies sanitizeHtml.IOptions;

export function sanitize(html: string): string {
  return sanitizeHtml(html, HTML_ALLOWLIST);
}

/** Plain text of some HTML (for titles, e-mails, search). */
export function htmlToText(html: string): string {
  return sanitizeHtml(html, { allowedTags: [], allowedAttributes: {} }).replace(/\s+/g, ' ').trim();
}
