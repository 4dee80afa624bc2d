import { sanitize } from '../html/sanitize.ts';
import { WorkspaceService } from '../workspace/workspace.service.ts';

/** A post references at most this many documents (bounds the access checks of one write). */
export const MAX_DOCUMENTS_PER_POST = 200;

const ID = '[0-9A-Za-z_-]{1,64}';
const WORKSPACE_URL = new RegExp(`/api/workspace/documents/(${ID})/content`, 'g');

/** The URL under which readers of a blog see one of its documents (see `BlogService.documentContent`). */
export function readerUrl(blogId: string, documentId: string): string {
  return `/api/blog/blogs/${blogId}/documents/${documentId}`;
}

/**
 * Sanitises post HTML and brings this blog's reader URLs back to the canonical workspace URL,
 * so stored HTML always names documents one way (the way archives rewrite on import).
 */
export function cleanPostHtml(blogId: string, html: string): string {
  const escaped = blogId.replace(/[^0-9A-Za-z_-]/g, (c) => `\\${c}`);
  const reader = new RegExp(`/api/blog/blogs/${escaped}/documents/(${ID})(?![0-9A-Za-z_-])`, 'g');
  return sanitize(html.replace(reader, (_m, id: string) => WorkspaceService.contentUrl(id)));
}

/** The workspace documents some (sanitised) HTML points at, each once, in order. */
export function documentIdsIn(html: string): string[] {
  const ids = new Set<string>();
  for (const m of html.matchAll(WORKSPACE_URL)) {
    const id = m[1];
    if (id !== undefined) ids.add(id);
    if (ids.size >= MAX_DOCUMENTS_PER_POST) break;
  }
  return [...ids];
}
