/** Tables of Mes Données (see src/db/schema.ts for the shared conventions). */
import type { ExportStatus, ImportStatus } from '../contracts/archive.ts';

export interface ArchiveExportsTable {
  id: string;
  user_id: string;
  status: ExportStatus;
  /** JSON: the app ids asked for. */
  apps: string;
  /** JSON: { includeDocuments, includeShared }. */
  options: string;
  job_id: string | null;
  /** JSON: per app id, an `AppProgress` of the contract. */
  progress: string;
  blob_key: string | null;
  file_name: string | null;
  size: number | null;
  sha256: string | null;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  expires_at: number | null;
}

export interface ArchiveImportsTable {
  id: string;
  user_id: string;
  status: ImportStatus;
  /** The name of the uploaded file. */
  file_name: string | null;
  size: number;
  /** The uploaded archive in the blob store, until the import ends. */
  blob_key: string | null;
  job_id: string | null;
  /** The key id of the instance that made the archive (duplicates are per source). */
  source_instance: string | null;
  /** JSON: the `ImportAnalysis` shown before launch. */
  analysis: string | null;
  /** JSON: { apps, dryRun, duplicates } as launched. */
  options: string | null;
  /** JSON: per app id, an `AppProgress` of the contract. */
  progress: string;
  /** JSON: the `ImportReport`, once the import ended. */
  report: string | null;
  /** JSON: decisions taken once per import (`ImportContext.memo`). */
  memo: string;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

/** An import's journal: one row per item of the archive (the id map, states, the report). */
export interface ArchiveImportItemsTable {
  import_id: string;
  app: string;
  type: string;
  source_id: string;
  /** Order of allocation: undo goes backwards (children first). */
  seq: number;
  /** The id the item has here: allocated, or the existing resource it duplicated. */
  new_id: string;
  state: ImportItemState;
  name: string | null;
  bytes: number;
  /** Why it failed (a code the page translates). */
  code: string | null;
  /** JSON: codes of what was neutralised (`reference_missing`), if any. */
  warnings: string | null;
}

export type ImportItemState = 'allocated' | 'written' | 'duplicate' | 'failed' | 'removed';

export interface ArchiveTables {
  archive_exports: ArchiveExportsTable;
  archive_imports: ArchiveImportsTable;
  archive_import_items: ArchiveImportItemsTable;
}

declare module '../db/schema.ts' {
  interface Database extends ArchiveTables {}
}
