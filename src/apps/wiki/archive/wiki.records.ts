/**
 * The data files of Cours et Wiki in an archive: the one description of their records, which
 * the export writes through and the tests (and, next, the import) read through.
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

export const wikiRecord = z.strictObject({
  id: recordId(),
  title: z.string(),
  description: z.string(),
  ...sharedResourceFields(),
  /** The wiki's folder of page copies in the archive ("Cours et Wiki/Cours de sciences"). */
  folder: z.string(),
});

export const pageRecord = z.strictObject({
  id: recordId(),
  wikiId: ref('wiki/wiki'),
  /** The parent page (null: a root page). */
  parentId: ref('wiki/page').nullable(),
  /** Order among siblings. */
  order: z.int().min(0),
  title: z.string(),
  /** HTML as stored; documents referenced as `/api/workspace/documents/<id>/content`. */
  content: z.string(),
  authorId: userId().nullable(),
  authorName: z.string().nullable(),
  /** The pages of the same wiki the content links to, as recorded. */
  links: z.array(ref('wiki/page')),
  /** The page's standalone `.html` copy in the archive. */
  path: z.string().nullable(),
  createdAt: isoDate(),
  modifiedAt: isoDate(),
});

export const revisionRecord = z.strictObject({
  id: recordId(),
  pageId: ref('wiki/page'),
  wikiId: ref('wiki/wiki'),
  title: z.string(),
  content: z.string(),
  /** Who wrote that version. */
  authorId: userId().nullable(),
  authorName: z.string().nullable(),
  /** When that version was replaced. */
  createdAt: isoDate(),
});

export type WikiRecord = z.infer<typeof wikiRecord>;
export type PageRecord = z.infer<typeof pageRecord>;
export type RevisionRecord = z.infer<typeof revisionRecord>;

export const WIKIS_FILE = recordFile(
  'wikis.json',
  'json',
  z.array(wikiRecord),
  'The wikis: those of the user and, as chosen, those shared with them.',
);

export const PAGES_FILE = recordFile(
  'pages.ndjson',
  'ndjson',
  pageRecord,
  'Every page of those wikis, its HTML as stored, its links and its standalone copy.',
);

export const REVISIONS_FILE = recordFile(
  'revisions.ndjson',
  'ndjson',
  revisionRecord,
  'The previous versions of every page.',
);

export const WIKI_RECORDS: readonly RecordFile[] = [WIKIS_FILE, PAGES_FILE, REVISIONS_FILE];
