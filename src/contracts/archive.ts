/**
 * The contract of Mes Données shared by the server and the web page: the statuses an export
 * or an import goes through, the per-app progress shape, and the ids of the apps. Plain
 * TypeScript with no imports, so the browser bundle takes it as it is; the server's zod
 * schemas are built from these lists (see `src/archive/contract.schemas.ts`).
 */

/** The ids of the ENT apps that take part in archives (the folder keys of `manifest.apps`). */
export const APP_IDS = ['workspace', 'blog', 'news', 'calendar', 'wiki'] as const;
export type AppId = (typeof APP_IDS)[number];

export function isAppId(value: unknown): value is AppId {
  return typeof value === 'string' && (APP_IDS as readonly string[]).includes(value);
}

export const EXPORT_STATUSES = [
  'queued',
  'running',
  'ready',
  'failed',
  'cancelled',
  'expired',
] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/** An export still being prepared: it can be cancelled, its progress is worth following. */
export const ACTIVE_EXPORT_STATUSES = ['queued', 'running'] as const satisfies ExportStatus[];

export function isActiveExport(status: ExportStatus): boolean {
  return (ACTIVE_EXPORT_STATUSES as readonly ExportStatus[]).includes(status);
}

export const IMPORT_STATUSES = [
  'uploaded',
  'analyzing',
  'analyzed',
  'rejected',
  'queued',
  'running',
  'done',
  'failed',
  'cancelled',
  'undone',
] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** An import the engine is working on: the user waits for it and may not start another. */
export const ACTIVE_IMPORT_STATUSES = [
  'uploaded',
  'analyzing',
  'queued',
  'running',
] as const satisfies ImportStatus[];

export function isActiveImport(status: ImportStatus): boolean {
  return (ACTIVE_IMPORT_STATUSES as readonly ImportStatus[]).includes(status);
}

/**
 * One app's state inside an export or an import. `partial`: some items failed, each listed;
 * `cancelled`: the job was cancelled before the app was done (never left `running`).
 */
export const APP_JOB_STATUSES = [
  'pending',
  'running',
  'complete',
  'partial',
  'failed',
  'cancelled',
] as const;
export type AppJobStatus = (typeof APP_JOB_STATUSES)[number];

/**
 * Why something failed, as a code the page translates (never the server's own text, which
 * goes to the logs with the job's id). Items: `document_unreadable` (its stored file is
 * missing or cannot be read). Apps: `app_failed`. Whole jobs: `storage_unavailable` (the
 * archive could not be written), `export_failed` (anything else).
 */
export const FAILURE_CODES = [
  'document_unreadable',
  'app_failed',
  'storage_unavailable',
  'export_failed',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

export function isFailureCode(value: unknown): value is FailureCode {
  return typeof value === 'string' && (FAILURE_CODES as readonly string[]).includes(value);
}

/** An item that could not be exported or imported: its name and a code the page translates. */
export interface FailedItem {
  name: string;
  code: string;
}

/** One app's progress in an export or an import (counts add up as work is done). */
export interface AppProgress {
  status: AppJobStatus;
  items: number;
  itemsTotal: number;
  bytes: number;
  bytesTotal: number;
  /** Why the app failed (a `FAILURE_CODES` code); the rest of the job is still usable. */
  error?: string | undefined;
  /** Items that failed, when the app is `partial`. */
  failed?: FailedItem[] | undefined;
}

export type JobProgress = Partial<Record<string, AppProgress>>;

/** Statuses after which a job's events stream ends. */
export function isFinalExport(status: ExportStatus): boolean {
  return !isActiveExport(status);
}

/** Statuses after which an import's events stream ends. */
export function isFinalImport(status: ImportStatus): boolean {
  return !isActiveImport(status) && status !== 'analyzed';
}

/**
 * Why an archive is refused before anything is written (codes the page translates):
 * `archive_invalid` not a Mes Données archive (not a zip, no manifest...), `archive_unsafe`
 * names or structure that could write outside their place, `archive_too_large` limits and zip
 * bombs, `archive_corrupt` bytes that do not match (CRC, size, SHA-256), `archive_signature_invalid`
 * a signature that does not verify, `archive_untrusted` unsigned or signed by an unknown
 * instance while the operator does not allow those, `archive_unsupported` a format recognised
 * but not importable yet (Open ENT NG).
 */
export const IMPORT_REFUSALS = [
  'archive_invalid',
  'archive_unsafe',
  'archive_too_large',
  'archive_corrupt',
  'archive_signature_invalid',
  'archive_untrusted',
  'archive_unsupported',
] as const;
export type ImportRefusal = (typeof IMPORT_REFUSALS)[number];

/** Why an app of an archive cannot be imported by this user. */
export const IMPORT_APP_REASONS = [
  'no_right',
  'unsupported_version',
  'unknown_app',
  'failed_in_export',
  'records_invalid',
  'not_importable',
] as const;
export type ImportAppReason = (typeof IMPORT_APP_REASONS)[number];

/** One app of an archive, as the analysis shows it before launch. */
export interface ImportAppAnalysis {
  app: string;
  label: string;
  appVersion: string;
  dataVersion: number;
  /** Items per type ("post": 12) and in all. */
  counts: Record<string, number>;
  items: number;
  bytes: number;
  importable: boolean;
  reason?: ImportAppReason | undefined;
  /** An older data version this instance upgrades on import. */
  upgradedFrom?: number | undefined;
  /**
   * What the archive's trash holds (an Open ENT NG archive's workspace): imported into the
   * trash only when the launch asks (`includeTrash`).
   */
  trash?: { items: number; bytes: number } | undefined;
  /** Records that break their schema, with file and line (reason `records_invalid`). */
  problems?:
    { file?: string | undefined; line?: number | undefined; message: string }[] | undefined;
}

/** What the analysis of an uploaded archive shows. */
export interface ImportAnalysis {
  source: {
    format: 'mes-donnees' | 'open-ent-ng';
    instance: string;
    url?: string | undefined;
    keyId?: string | undefined;
    signature: 'trusted' | 'untrusted' | 'unsigned';
    exportedAt?: string | undefined;
    exportedBy?: { login: string; displayName: string } | undefined;
  };
  apps: ImportAppAnalysis[];
  /** Bytes of documents the chosen apps would add, against what the user has left. */
  quota: { needed: number; available: number; used: number; total: number };
}

/** One app's outcome in an import (a dry run says what would happen). */
export interface AppImportReport {
  status: AppJobStatus;
  imported: number;
  duplicates: number;
  skipped: number;
  failed: FailedItem[];
  /** Items imported with something neutralised (`reference_missing`). */
  warnings: FailedItem[];
  upgradedFrom?: number | undefined;
}

export interface ImportReport {
  dryRun: boolean;
  duplicates: 'skip' | 'copy';
  apps: Record<string, AppImportReport>;
}
