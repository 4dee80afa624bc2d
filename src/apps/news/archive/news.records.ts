/**
 * The data files of the Actualités' folder in an archive, one schema each: the export writes
 * through them, the import and the tests read through them.
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

export const threadRecord = z.strictObject({
  id: recordId(),
  title: z.string(),
  iconDocumentId: ref('workspace/document').nullable(),
  ...sharedResourceFields(),
});
export const THREADS_FILE = recordFile(
  'threads.json',
  'json',
  z.array(threadRecord),
  'The threads exported: the user’s own and (option) those shared with them, with their access.',
);

export type ItemRecord = z.infer<typeof itemRecord>;
export const itemRecord = z.strictObject({
  id: recordId(),
  threadId: ref('news/thread'),
  title: z.string(),
  /** The HTML as stored: documents named `/api/workspace/documents/<id>/content`. */
  content: z.string(),
  state: z.enum(['DRAFT', 'PUBLISHED']),
  headline: z.boolean(),
  publishAt: isoDate(),
  expiresAt: isoDate().nullable(),
  authorId: userId(),
  authorName: z.string(),
  createdAt: isoDate(),
  modifiedAt: isoDate(),
});
export const ITEMS_FILE = recordFile(
  'items.ndjson',
  'ndjson',
  itemRecord,
  'The items the user sees: every item where they write, what is published and current elsewhere.',
);

export type CommentRecord = z.infer<typeof commentRecord>;
export const commentRecord = z.strictObject({
  id: recordId(),
  itemId: ref('news/item'),
  authorId: userId(),
  authorName: z.string(),
  /** Plain text. */
  text: z.string(),
  createdAt: isoDate(),
});
export const COMMENTS_FILE = recordFile(
  'comments.ndjson',
  'ndjson',
  commentRecord,
  'The comments on the exported items, oldest first.',
);

/** Every data file of the folder (`ArchiveAdapter.records`). */
export const NEWS_RECORDS: readonly RecordFile[] = [THREADS_FILE, ITEMS_FILE, COMMENTS_FILE];
