/**
 * Import endpoints (`/api/archive/imports`, `/api/archive/uploads`), with hand-written parsers
 * like `archive.ts`: a malformed answer is `invalid_response`, malformed list items are skipped,
 * every string is bounded. An import goes `uploaded → analyzing → analyzed` (or `rejected`),
 * then once launched `queued → running → done | failed | cancelled`, and later `undone`. Its
 * progress arrives as Server-Sent Events (`importEventsUrl`) or by polling `fetchImport`.
 */
import {
  APP_JOB_STATUSES,
  IMPORT_APP_REASONS,
  IMPORT_STATUSES,
  isActiveImport,
  type AppImportReport,
  type FailedItem,
  type ImportAnalysis,
  type ImportAppAnalysis,
  type ImportReport,
  type ImportStatus,
} from '../../../src/contracts/archive.ts';
import { parseJobProgress, type AppProgress } from './archive.ts';
import { apiRequest, expectShape, isRecord } from './client.ts';

export {
  IMPORT_APP_REASONS,
  IMPORT_REFUSALS,
  isActiveImport,
  isFinalImport,
  type AppImportReport,
  type ImportAnalysis,
  type ImportAppAnalysis,
  type ImportAppReason,
  type ImportRefusal,
  type ImportReport,
  type ImportStatus,
} from '../../../src/contracts/archive.ts';

export interface ImportOptions {
  apps: string[];
  dryRun: boolean;
  duplicates: 'skip' | 'copy';
  /** Also the archive's trash (an Open ENT NG workspace's), into the trash; sent only when true. */
  includeTrash?: boolean | undefined;
}

export interface ArchiveImport {
  id: string;
  status: ImportStatus;
  /** The uploaded file's name, as the user's browser gave it. */
  fileName: string | null;
  /** Bytes of the uploaded archive. */
  size: number;
  /** Once analysed: where the archive comes from, its apps, the quota. */
  analysis: ImportAnalysis | null;
  /** Once launched: what was asked for. */
  options: ImportOptions | null;
  progress: Readonly<Record<string, AppProgress>>;
  /** Once run (also after a dry run, which ends `analyzed`). */
  report: ImportReport | null;
  /**
   * Why the archive was refused (`IMPORT_REFUSALS`, `upload_expired`) or the import failed
   * (`import_failed`): a code the page translates, never shown as is.
   */
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

const MAX_TEXT = 500;
const MAX_ID = 64;
const MAX_APPS = 50;
/** Failed or warned items kept per app: the report's counts come from them. */
const MAX_ITEMS = 100_000;

function isId(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && value.length <= MAX_ID;
}

function isAmount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function amount(value: unknown): number {
  return isAmount(value) ? value : 0;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.slice(0, MAX_TEXT) : undefined;
}

function date(value: unknown): Date | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? null : parsed;
}

function isImportStatus(value: unknown): value is ImportStatus {
  return typeof value === 'string' && (IMPORT_STATUSES as readonly string[]).includes(value);
}

function counts(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!isRecord(value)) return out;
  for (const [key, n] of Object.entries(value).slice(0, MAX_APPS)) {
    if (isId(key) && isAmount(n)) out[key] = n;
  }
  return out;
}

function items(value: unknown): FailedItem[] {
  if (!Array.isArray(value)) return [];
  const out: FailedItem[] = [];
  for (const raw of value.slice(0, MAX_ITEMS)) {
    if (!isRecord(raw)) continue;
    const name = text(raw.name);
    const code = text(raw.code);
    if (name !== undefined && code !== undefined) out.push({ name, code });
  }
  return out;
}

function parseAppAnalysis(value: unknown): ImportAppAnalysis | undefined {
  if (!isRecord(value) || !isId(value.app)) return undefined;
  const problems = Array.isArray(value.problems)
    ? value.problems
        .slice(0, 20)
        .filter(isRecord)
        .map((p) => ({
          file: text(p.file),
          line: isAmount(p.line) ? p.line : undefined,
          message: text(p.message) ?? '',
        }))
    : undefined;
  return {
    app: value.app,
    label: text(value.label) ?? value.app,
    appVersion: text(value.appVersion) ?? '',
    dataVersion: amount(value.dataVersion),
    counts: counts(value.counts),
    items: amount(value.items),
    bytes: amount(value.bytes),
    importable: value.importable === true,
    reason: IMPORT_APP_REASONS.find((r) => r === value.reason),
    upgradedFrom: isAmount(value.upgradedFrom) ? value.upgradedFrom : undefined,
    trash: isRecord(value.trash)
      ? { items: amount(value.trash.items), bytes: amount(value.trash.bytes) }
      : undefined,
    problems,
  };
}

const SIGNATURES = ['trusted', 'untrusted', 'unsigned'] as const;

function parseAnalysis(value: unknown): ImportAnalysis | null {
  if (!isRecord(value) || !isRecord(value.source) || !Array.isArray(value.apps)) return null;
  const { source } = value;
  const signature = SIGNATURES.find((s) => s === source.signature) ?? 'unsigned';
  const by = isRecord(source.exportedBy) ? source.exportedBy : undefined;
  const quota = isRecord(value.quota) ? value.quota : {};
  const apps: ImportAppAnalysis[] = [];
  for (const raw of value.apps.slice(0, MAX_APPS)) {
    const app = parseAppAnalysis(raw);
    if (app && !apps.some((a) => a.app === app.app)) apps.push(app);
  }
  return {
    source: {
      format: source.format === 'open-ent-ng' ? 'open-ent-ng' : 'mes-donnees',
      instance: text(source.instance) ?? '',
      url: text(source.url),
      keyId: text(source.keyId),
      signature,
      exportedAt: text(source.exportedAt),
      exportedBy:
        by && typeof by.login === 'string'
          ? { login: by.login.slice(0, MAX_TEXT), displayName: text(by.displayName) ?? by.login }
          : undefined,
    },
    apps,
    quota: {
      needed: amount(quota.needed),
      available: amount(quota.available),
      used: amount(quota.used),
      total: amount(quota.total),
    },
  };
}

function parseAppReport(value: unknown): AppImportReport | undefined {
  if (!isRecord(value)) return undefined;
  const status = APP_JOB_STATUSES.find((s) => s === value.status);
  if (status === undefined) return undefined;
  return {
    status,
    imported: amount(value.imported),
    duplicates: amount(value.duplicates),
    skipped: amount(value.skipped),
    failed: items(value.failed),
    warnings: items(value.warnings),
    upgradedFrom: isAmount(value.upgradedFrom) ? value.upgradedFrom : undefined,
  };
}

export function parseReport(value: unknown): ImportReport | null {
  if (!isRecord(value) || !isRecord(value.apps)) return null;
  const apps: Record<string, AppImportReport> = {};
  for (const [app, raw] of Object.entries(value.apps).slice(0, MAX_APPS)) {
    const parsed = isId(app) ? parseAppReport(raw) : undefined;
    if (parsed) apps[app] = parsed;
  }
  return {
    dryRun: value.dryRun === true,
    duplicates: value.duplicates === 'copy' ? 'copy' : 'skip',
    apps,
  };
}

function parseOptions(value: unknown): ImportOptions | null {
  if (!isRecord(value) || !Array.isArray(value.apps)) return null;
  return {
    apps: [...new Set(value.apps.filter(isId))].slice(0, MAX_APPS),
    dryRun: value.dryRun === true,
    duplicates: value.duplicates === 'copy' ? 'copy' : 'skip',
    ...(value.includeTrash === true ? { includeTrash: true } : {}),
  };
}

export function parseImport(value: unknown): ArchiveImport | undefined {
  if (!isRecord(value)) return undefined;
  const created = date(value.createdAt);
  if (!isId(value.id) || !isImportStatus(value.status) || created === null) return undefined;
  return {
    id: value.id,
    status: value.status,
    fileName: text(value.fileName) ?? null,
    size: amount(value.size),
    analysis: parseAnalysis(value.analysis),
    options: parseOptions(value.options),
    progress: parseJobProgress(value.progress),
    report: parseReport(value.report),
    error: text(value.error) ?? null,
    createdAt: created,
    startedAt: date(value.startedAt),
    finishedAt: date(value.finishedAt),
  };
}

function parseImports(body: unknown): ArchiveImport[] | undefined {
  if (!isRecord(body) || !Array.isArray(body.items)) return undefined;
  return body.items.map(parseImport).filter((i): i is ArchiveImport => i !== undefined);
}

function parseCreated(body: unknown): { id: string; status: ImportStatus } | undefined {
  if (!isRecord(body) || !isId(body.id) || !isImportStatus(body.status)) return undefined;
  return { id: body.id, status: body.status };
}

// --- Endpoints ----------------------------------------------------------------------------

const IMPORTS = '/api/archive/imports';
/** The tus 1.0 endpoint: resumable uploads of archives to import. */
export const UPLOADS_ENDPOINT = '/api/archive/uploads';

function importPath(id: string): string {
  return `${IMPORTS}/${encodeURIComponent(id)}`;
}

/**
 * Turns a finished tus upload into an import (202): its analysis follows (`analyzing`). 409
 * `import_in_progress` while another import is under way; 403 without the right.
 */
export async function createImport(
  uploadId: string,
): Promise<{ id: string; status: ImportStatus }> {
  const body = await apiRequest(IMPORTS, { method: 'POST', body: { uploadId } });
  return expectShape(body, parseCreated, 'import');
}

/** My imports, newest first. */
export async function fetchImports(signal?: AbortSignal): Promise<ArchiveImport[]> {
  return expectShape(await apiRequest(IMPORTS, { signal }), parseImports, 'imports');
}

export async function fetchImport(id: string, signal?: AbortSignal): Promise<ArchiveImport> {
  return expectShape(await apiRequest(importPath(id), { signal }), parseImport, 'import');
}

/**
 * Starts the import of the chosen apps (202). The server checks rights and quota again:
 * 403 `forbidden` (an app the user may not create in), 413 `quota_exceeded`.
 */
export async function launchImport(id: string, options: ImportOptions): Promise<ArchiveImport> {
  const { includeTrash, ...rest } = options;
  const body = await apiRequest(`${importPath(id)}/launch`, {
    method: 'POST',
    body: includeTrash === true ? { ...rest, includeTrash } : rest,
  });
  return expectShape(body, parseImport, 'import');
}

/** Removes everything the import created (and only that); the import becomes `undone`. */
export async function undoImport(id: string): Promise<ArchiveImport> {
  const body = await apiRequest(`${importPath(id)}/undo`, { method: 'POST' });
  return expectShape(body, parseImport, 'import');
}

/** Cancels an import (before launch, or while it runs: what it wrote is removed). */
export async function cancelImport(id: string): Promise<void> {
  await apiRequest(importPath(id), { method: 'DELETE' });
}

/** Server-Sent Events: `progress` events whose data is the import, until it settles. */
export function importEventsUrl(id: string): string {
  return `${importPath(id)}/events`;
}

/** The report to download: `csv` (a spreadsheet) or `json`. */
export function importReportUrl(id: string, format: 'csv' | 'json'): string {
  return `${importPath(id)}/report?format=${format}`;
}

/** Following stops once the import no longer changes by itself (analysed, refused, finished). */
export function isSettledImport(status: ImportStatus): boolean {
  return !isActiveImport(status);
}
