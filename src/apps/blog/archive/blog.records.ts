/**
 * The data files of the Blog's folder in an archive, one schema each: the export writes
 * through them, the tests (and, next, the import) read through them.
 */
import { z } from 'zod';
import type { RecordFile } from '../../../archive/adapter.ts';
import {
  isoDate,
  recordFile,
  recordId,
  ref,
  sharedResourceFields,
  userId,
} from '../../../archive/records.ts';

export const blogRecord = z.strictObject({
  id: recordId(),
  title: z.string(),
  /** Plain text. */
  description: z.string(),
  /** A picture of the workspace, or null. */
  thumbnailId: ref('workspace/document').nullable(),
  commentPolicy: z.enum(['NONE', 'IMMEDIATE', 'RESTRAINT']),
  publicationPolicy: z.enum(['IMMEDIATE', 'RESTRAINT']),
  ...sharedResourceFields(),
});

export const BLOGS_FILE = recordFile(
  'blogs.json',
  'json',
  z.array(blogRecord),
  'The blogs exported: the user’s own and (option) those shared with them, with their access.',
);

export const postRecord = z.strictObject({
  id: recordId(),
  blogId: ref('blog/blog'),
  title: z.string(),
  /** The HTML as stored: documents named `/api/workspace/documents/<id>/content`. */
  content: z.string(),
  state: z.enum(['DRAFT', 'SUBMITTED', 'PUBLISHED']),
  authorId: userId(),
  authorName: z.string(),
  createdAt: isoDate(),
  modifiedAt: isoDate(),
  /** Null while it was never published. */
  firstPublishedAt: isoDate().nullable(),
});

export const POSTS_FILE = recordFile(
  'posts.ndjson',
  'ndjson',
  postRecord,
  'The posts the user sees: published ones, their own (drafts too), and those submitted in the blogs they manage.',
);

export const commentRecord = z.strictObject({
  id: recordId(),
  postId: ref('blog/post'),
  authorId: userId(),
  authorName: z.string(),
  /** Plain text. */
  text: z.string(),
  /** PENDING while it waits for a manager (comment policy RESTRAINT). */
  state: z.enum(['PENDING', 'PUBLISHED']),
  createdAt: isoDate(),
});

export const COMMENTS_FILE = recordFile(
  'comments.ndjson',
  'ndjson',
  commentRecord,
  'The comments the user sees on those posts (every one where they manage), by post, oldest first.',
);

export type BlogRecord = z.infer<typeof blogRecord>;
export type PostRecord = z.infer<typeof postRecord>;
export type CommentRecord = z.infer<typeof commentRecord>;

/** Every data file of the folder (`ArchiveAdapter.records`). */
export const blogRecords: readonly RecordFile[] = [BLOGS_FILE, POSTS_FILE, COMMENTS_FILE];
