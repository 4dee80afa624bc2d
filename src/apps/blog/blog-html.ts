import { sanitize } from '../../html/sanitize.ts';
import { documentUrl } from '../workspace/document-links.ts';

/** A post references at most this many documents (bounds the access checks of one write). */
export const MAX_DOCUMENTS_PER_POST = 200;

/** The URL under which readers of a blog see one of its documents (see `BlogDocuments.content`). */
export function readerUrl(blogId: string, documentId: string): string {
  return `/api/blog/blogs/${blogId}/documents/${documentId}`;
}

/**
 * Sanitises post HTML and brings this blog's reader URLs back to the canonical document URL,
 * so stored HTML always names documents one way (the way archives rewrite on import).
 */
export function cleanPostHtml(blogId: string, html: string): string {
  const escaped = blogId.replace(/[^0-9A-Za-z_-]/g, (c) => `\\${c}`);
  // Ids as document links accept them (document-links.ts).
  const reader = new RegExp(
    `/api/blog/blogs/${escaped}/documents/([0-9A-Za-z_-]{1,64})(?![0-9A-Za-z_-])`,
    'g',
  );
  return sanitize(html.replace(reader, (_m, id: string) => documentUrl(id)));
}
