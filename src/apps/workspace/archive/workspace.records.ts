/**
 * The data files of the Espace documentaire's folder in an archive, one schema each: the export
 * writes through them, the import and the tests read through them. The files themselves sit
 * next to them under their sections (see `page-documents.ts`); `documents.ndjson` maps each
 * document id, which other apps' records reference, to its path.
 */
import { z } from 'zod';
import { isoDate, recordFile, recordId, ref } from '../../../archive/records.ts';

export const folderRecord = z.strictObject({
  id: recordId(),
  /** The real name (the archive's folder names are made safe). */
  name: z.string(),
  parentId: ref('workspace/folder').nullable(),
  /** Whether the exporting user owns it (else it is shared with them). */
  owned: z.boolean(),
  trashed: z.boolean(),
  createdAt: isoDate(),
  modifiedAt: isoDate(),
});

export const documentRecord = z.strictObject({
  id: recordId(),
  /** The real name (the archive's file names are made safe and numbered on collision). */
  name: z.string(),
  contentType: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Null at the root, and for documents shared with the user outside a folder they see. */
  folderId: ref('workspace/folder').nullable(),
  section: z.enum(['mine', 'shared', 'apps', 'trash']),
  owned: z.boolean(),
  /** The file's full path in the archive; null when exported without document files. */
  path: z.string().nullable(),
  /** The app the document was added from (its content names it), if any. */
  appSource: z.string().nullable(),
  /** The item of that app it was added to, if known. */
  appResourceId: z.string().nullable(),
  trashed: z.boolean(),
  createdAt: isoDate(),
  modifiedAt: isoDate(),
});

export type FolderRecord = z.infer<typeof folderRecord>;
export type DocumentRecord = z.infer<typeof documentRecord>;

export const WORKSPACE_FILES = {
  folders: recordFile(
    'folders.json',
    'json',
    z.array(folderRecord),
    'Every folder exported: the user’s own and (option) those shared with them, with their real names and parents.',
  ),
  documents: recordFile(
    'documents.ndjson',
    'ndjson',
    documentRecord,
    'One document a line: its real name, type, size, SHA-256, folder, section and path in the archive.',
  ),
};

/** Every data file of the folder (`ArchiveAdapter.records`). */
export const workspaceRecords = [WORKSPACE_FILES.folders, WORKSPACE_FILES.documents];
