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
