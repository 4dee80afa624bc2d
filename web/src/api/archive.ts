/**
 * Mes Données endpoints (`/api/archive/...`), with hand-written parsers like `platform.ts`:
 * malformed list items are skipped, a malformed answer is `invalid_response`. An export's
 * progress arrives as Server-Sent Events (`exportEventsUrl`) or, failing that, by polling
 * `fetchExport`.
 */
import {
  APP_JOB_STATUSES,
  EXPORT_STATUSES,
  type AppJobStatus,
  type AppProgress,
  type ExportStatus,
  type FailedItem,
} from '../../../src/contracts/archive.ts';
import { apiRequest, expectShape, isRecord } from './client.ts';
import { isSameSitePath } from './platform.ts';

// The statuses and the progress shape are the server's contract; the page only re-exports them.
export {
  isActiveExport,
  type AppJobStatus,
  type AppProgress,
  type ExportStatus,
  type FailedItem,
} from '../../../src/contracts/archive.ts';

export interface ArchiveApp {
  id: string;
  /** The server's (French) name, for an app the interface does not know. */
  label: string;
  /** What the user has in it, and its size in bytes. */
  items: number;
  bytes: number;
  exportable: boolean;
  importable: boolean;
}

export interface ArchiveApps {
  items: ArchiveApp[];
  rights: { export: boolean; import: boolean };
}

export interface ArchiveExport {
  id: string;
  status: ExportStatus;
  apps: string[];
  options: { includeDocuments: boolean; includeShared: boolean };
  progress: Readonly<Record<string, AppProgress>>;
  /** Bytes of the archive, once built. */
  size: number | null;
  fileName: string | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  expiresAt: Date | null;
  /** A same-site path (checked) while the export is ready, otherwise null. */
  downloadUrl: string | null;
}

export interface ExportRequest {
  apps: string[];
  includeDocuments: boolean;
  includeShared: boolean;
}

const MAX_TEXT = 500;
const MAX_ID = 64;
const MAX_APPS = 50;
/** Failed items kept per app: enough to say what is missing, bounded whatever the server sends. */
const MAX_FAILED = 200;

function isId(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && value.length <= MAX_ID;
}

function isAmount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isExportStatus(value: unknown): value is ExportStatus {
  return typeof value === 'string' && (EXPORT_STATUSES as readonly string[]).includes(value);
}

function isAppJobStatus(value: unknown): value is AppJobStatus {
  return typeof value === 'string' && (APP_JOB_STATUSES as readonly string[]).includes(value);
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value.slice(0, MAX_TEXT) : null;
}

function date(value: unknown): Date | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? null : parsed;
}

function amount(value: unknown): number {
  return isAmount(value) ? value : 0;
}

function parseArchiveApp(value: unknown): ArchiveApp | undefined {
  if (!isRecord(value)) return undefined;
  const { id, label, items, bytes, exportable, importable } = value;
  if (!isId(id)) return undefined;
  return {
    id,
    label: typeof label === 'string' && label.trim() !== '' ? label.slice(0, MAX_TEXT) : id,
    items: amount(items),
    bytes: amount(bytes),
    exportable: exportable === true,
    importable: importable === true,
  };
}

export function parseArchiveApps(body: unknown): ArchiveApps | undefined {
  if (!isRecord(body) || !Array.isArray(body.items) || !isRecord(body.rights)) return undefined;
  const seen = new Set<string>();
  const items: ArchiveApp[] = [];
  for (const raw of body.items) {
    const app = parseArchiveApp(raw);
    if (app && !seen.has(app.id)) {
      seen.add(app.id);
      items.push(app);
    }
  }
  return {
    items,
    rights: { export: body.rights.export === true, import: body.rights.import === true },
  };
}

/** The items an app could not take: malformed entries are skipped, the list is bounded. */
function parseFailed(value: unknown): FailedItem[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const failed: FailedItem[] = [];
  for (const raw of value.slice(0, MAX_FAILED)) {
    if (!isRecord(raw)) continue;
    const name = text(raw.name);
    const code = text(raw.code);
    if (name !== null && code !== null) failed.push({ name, code });
  }
  return failed;
}

function parseAppProgress(value: unknown): AppProgress | undefined {
  if (!isRecord(value) || !isAppJobStatus(value.status)) return undefined;
  return {
    status: value.status,
    items: amount(value.items),
    itemsTotal: amount(value.itemsTotal),
    bytes: amount(value.bytes),
    bytesTotal: amount(value.bytesTotal),
    error: text(value.error) ?? undefined,
    failed: parseFailed(value.failed),
  };
}

/** The per-app progress of a job (an export's, and an import's: same shape). */
export function parseJobProgress(value: unknown): Record<string, AppProgress> {
  const progress: Record<string, AppProgress> = {};
  if (!isRecord(value)) return progress;
  for (const [app, raw] of Object.entries(value)) {
    const parsed = isId(app) ? parseAppProgress(raw) : undefined;
    if (parsed) progress[app] = parsed;
  }
  return progress;
}

export function parseExport(value: unknown): ArchiveExport | undefined {
  if (!isRecord(value)) return undefined;
  const { id, status, apps, options, createdAt } = value;
  const created = date(createdAt);
  if (!isId(id) || !isExportStatus(status) || created === null) return undefined;
  const opts = isRecord(options) ? options : {};
  const downloadUrl =
    status === 'ready' && isSameSitePath(value.downloadUrl) ? value.downloadUrl : null;
  return {
    id,
    status,
    apps: Array.isArray(apps) ? [...new Set(apps.filter(isId))].slice(0, MAX_APPS) : [],
    options: {
      includeDocuments: opts.includeDocuments !== false,
      includeShared: opts.includeShared !== false,
    },
    progress: parseJobProgress(value.progress),
    size: isAmount(value.size) ? value.size : null,
    fileName: text(value.fileName),
    error: text(value.error),
    createdAt: created,
    startedAt: date(value.startedAt),
    finishedAt: date(value.finishedAt),
    expiresAt: date(value.expiresAt),
    downloadUrl,
  };
}

function parseExports(body: unknown): ArchiveExport[] | undefined {
  if (!isRecord(body) || !Array.isArray(body.items)) return undefined;
  const items: ArchiveExport[] = [];
  for (const raw of body.items) {
    const parsed = parseExport(raw);
    if (parsed) items.push(parsed);
  }
  return items;
}

function parseStarted(body: unknown): { id: string; status: ExportStatus } | undefined {
  if (!isRecord(body) || !isId(body.id) || !isExportStatus(body.status)) return undefined;
  return { id: body.id, status: body.status };
}

// --- Endpoints ----------------------------------------------------------------------------

const EXPORTS = '/api/archive/exports';

function exportPath(id: string): string {
  return `${EXPORTS}/${encodeURIComponent(id)}`;
}

/** The apps the user may export (with what each holds) and import into, and their rights. */
export async function fetchArchiveApps(signal?: AbortSignal): Promise<ArchiveApps> {
  const body = await apiRequest('/api/archive/apps', { signal });
  return expectShape(body, parseArchiveApps, 'archive apps');
}

/**
 * "Télécharger mes données": asks for an export (202). Only one at a time: 409
 * `export_in_progress` while another one is being prepared; 403 without the right.
 */
export async function startExport(
  request: ExportRequest,
): Promise<{ id: string; status: ExportStatus }> {
  const body = await apiRequest(EXPORTS, { method: 'POST', body: request });
  return expectShape(body, parseStarted, 'export');
}

/** My exports, newest first. */
export async function fetchExports(signal?: AbortSignal): Promise<ArchiveExport[]> {
  return expectShape(await apiRequest(EXPORTS, { signal }), parseExports, 'exports');
}

export async function fetchExport(id: string, signal?: AbortSignal): Promise<ArchiveExport> {
  return expectShape(await apiRequest(exportPath(id), { signal }), parseExport, 'export');
}

/** Cancels an export being prepared; a finished one answers 409 and is kept. */
export async function cancelExport(id: string): Promise<void> {
  await apiRequest(`${exportPath(id)}/cancel`, { method: 'POST' });
}

/** Deletes an export (and its archive). */
export async function deleteExport(id: string): Promise<void> {
  await apiRequest(exportPath(id), { method: 'DELETE' });
}

/** Server-Sent Events: `progress` events whose data is the export, until it ends. */
export function exportEventsUrl(id: string): string {
  return `${exportPath(id)}/events`;
}
