/** Tables of the Blog app (see src/db/schema.ts for the shared conventions). */

export type CommentPolicy = 'NONE' | 'IMMEDIATE' | 'RESTRAINT';
export type PublicationPolicy = 'IMMEDIATE' | 'RESTRAINT';
export type PostState = 'DRAFT' | 'SUBMITTED' | 'PUBLISHED';
export type CommentState = 'PENDING' | 'PUBLISHED';

export interface BlogBlogsTable {
  id: string;
  owner_id: string;
  title: string;
  /** Plain text. */
  description: string;
  /** A workspace document (an image), or null. */
  thumbnail_id: string | null;
  comment_policy: CommentPolicy;
  publication_policy: PublicationPolicy;
  created_at: number;
  modified_at: number;
}

export interface BlogPostsTable {
  id: string;
  blog_id: string;
  author_id: string;
  title: string;
  /** Sanitised HTML; documents are referenced as `/api/workspace/documents/<id>/content`. */
  content: string;
  state: PostState;
  created_at: number;
  modified_at: number;
  first_published_at: number | null;
}

export interface BlogCommentsTable {
  id: string;
  post_id: string;
  author_id: string;
  /** Plain text. */
  text: string;
  /** PENDING while a comment waits for a manager (comment policy RESTRAINT). */
  state: CommentState;
  created_at: number;
}

/**
 * The workspace documents a blog shows (images and files of its posts, its thumbnail), each
 * vouched for by a user who could read the document when it was put in: readers of the blog
 * see the document through that user's access, never through a bare id in some HTML.
 */
export interface BlogDocumentsTable {
  id: string;
  blog_id: string;
  /** Null for the blog's thumbnail. */
  post_id: string | null;
  document_id: string;
  vouched_by: string;
}

export interface BlogTables {
  blog_blogs: BlogBlogsTable;
  blog_posts: BlogPostsTable;
  blog_comments: BlogCommentsTable;
  blog_documents: BlogDocumentsTable;
}

declare module '../../db/schema.ts' {
  interface Database extends BlogTables {}
}
