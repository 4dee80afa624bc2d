/** Tables of Mes Données (see src/db/schema.ts for the shared conventions). */
import type { ExportStatus } from '../contracts/archive.ts';

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

export interface ArchiveTables {
  archive_exports: ArchiveExportsTable;
}

declare module '../db/schema.ts' {
  interface Database extends ArchiveTables {}
}
