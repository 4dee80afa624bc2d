import type { Selectable } from 'kysely';
import { z } from 'zod';
import {
  ACTIVE_EXPORT_STATUSES,
  isActiveExport,
  type AppProgress,
  type ExportStatus,
  type JobProgress,
} from '../contracts/archive.ts';
import type { Db } from '../db/database.ts';
import { isUniqueViolation } from '../db/dialect.ts';
import type { ExportOptions } from './adapter.ts';
import type { ArchiveExportsTable } from './archive.schema.ts';
import { jobProgressSchema } from './contract.schemas.ts';

/** One row of `archive_exports`, its JSON columns parsed. */
export interface ArchiveExport {
  id: string;
  userId: string;
  status: ExportStatus;
  apps: string[];
  options: ExportOptions;
  progress: Record<string, AppProgress>;
  jobId: string | null;
  blobKey: string | null;
  fileName: string | null;
  size: number | null;
  sha256: string | null;
  error: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  expiresAt: number | null;
}

/** How an active export ends: its status and what it leaves (the archive, an error). */
export interface ExportEnd {
  status: ExportStatus;
  finishedAt: number;
  error?: string | null;
  archive?: {
    blobKey: string;
    fileName: string;
    size: number;
    sha256: string;
    expiresAt: number;
  };
}

const optionsSchema = z.object({ includeDocuments: z.boolean(), includeShared: z.boolean() });

/** A JSON column as its schema reads it; a malformed value (hand-edited row) reads as fallback. */
function parse<T>(text: string, schema: z.ZodType<T>, fallback: T): T {
  try {
    const result = schema.safeParse(JSON.parse(text));
    return result.success ? result.data : fallback;
  } catch {
    return fallback;
  }
}

function toExport(r: Selectable<ArchiveExportsTable>): ArchiveExport {
  return {
    id: r.id,
    userId: r.user_id,
    status: r.status,
    apps: parse(r.apps, z.array(z.string()), []),
    options: parse(r.options, optionsSchema, { includeDocuments: true, includeShared: true }),
    progress: parse(r.progress, jobProgressSchema, {}),
    jobId: r.job_id,
    blobKey: r.blob_key,
    fileName: r.file_name,
    size: r.size,
    sha256: r.sha256,
    error: r.error,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    expiresAt: r.expires_at,
  };
}

const ACTIVE = [...ACTIVE_EXPORT_STATUSES];

/**
 * The SQL of `archive_exports`. The table's partial unique index keeps one active export per
 * user; state changes of an active export are conditional on it still being active, so a
 * cancel and the job's end never both win.
 */
export class ExportRepository {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  /** A new queued export; false when the user already has an active one. */
  async insertQueued(row: {
    id: string;
    userId: string;
    apps: readonly string[];
    options: ExportOptions;
    createdAt: number;
  }): Promise<boolean> {
    try {
      await this.db.kysely
        .insertInto('archive_exports')
        .values({
          id: row.id,
          user_id: row.userId,
          status: 'queued',
          apps: JSON.stringify(row.apps),
          options: JSON.stringify(row.options),
          progress: '{}',
          created_at: row.createdAt,
        })
        .execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async setJob(id: string, jobId: string): Promise<void> {
    await this.db.kysely
      .updateTable('archive_exports')
      .set({ job_id: jobId })
      .where('id', '=', id)
      .execute();
  }

  async find(id: string): Promise<ArchiveExport | undefined> {
    const row = await this.db.kysely
      .selectFrom('archive_exports')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toExport(row);
  }

  /** The user's export `id`; undefined when it is not theirs. */
  async findOf(userId: string, id: string): Promise<ArchiveExport | undefined> {
    const row = await this.db.kysely
      .selectFrom('archive_exports')
      .selectAll()
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row === undefined ? undefined : toExport(row);
  }

  /** The user's exports, newest first. */
  async listOf(userId: string, limit: number): Promise<ArchiveExport[]> {
    const rows = await this.db.kysely
      .selectFrom('archive_exports')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toExport);
  }

  /** The user's active exports whose job has ended (its worker died on the last try). */
  async activeWithEndedJob(
    userId: string,
  ): Promise<{ id: string; jobStatus: string; jobError: string | null }[]> {
    const rows = await this.db.kysely
      .selectFrom('archive_exports')
      .innerJoin('jobs', 'jobs.id', 'archive_exports.job_id')
      .select(['archive_exports.id', 'jobs.status as job_status', 'jobs.error as job_error'])
      .where('archive_exports.user_id', '=', userId)
      .where('archive_exports.status', 'in', ACTIVE)
      .where('jobs.status', 'in', ['failed', 'cancelled', 'succeeded'])
      .execute();
    return rows.map((r) => ({ id: r.id, jobStatus: r.job_status, jobError: r.job_error }));
  }

  async markRunning(id: string, startedAt: number): Promise<void> {
    await this.db.kysely
      .updateTable('archive_exports')
      .set({ status: 'running', started_at: startedAt })
      .where('id', '=', id)
      .execute();
  }

  /** Progress of an active export; once it has ended (cancelled), the job's writes are ignored. */
  async saveProgress(id: string, progress: JobProgress): Promise<void> {
    await this.db.kysely
      .updateTable('archive_exports')
      .set({ progress: JSON.stringify(progress) })
      .where('id', '=', id)
      .where('status', 'in', ACTIVE)
      .execute();
  }

  /**
   * An ended export's apps that were still waiting or running take `to`, so none is shown
   * "in progress" forever. Call after `endActive`: the job can no longer write progress.
   */
  async settleProgress(id: string, to: 'cancelled' | 'failed'): Promise<void> {
    const found = await this.find(id);
    if (found === undefined || isActiveExport(found.status)) return;
    const settled: JobProgress = {};
    let changed = false;
    for (const [app, p] of Object.entries(found.progress)) {
      const open = p.status === 'pending' || p.status === 'running';
      changed ||= open;
      settled[app] = open ? { ...p, status: to } : p;
    }
    for (const app of found.apps) {
      if (settled[app] !== undefined) continue;
      changed = true;
      settled[app] = { status: to, items: 0, itemsTotal: 0, bytes: 0, bytesTotal: 0 };
    }
    if (!changed) return;
    await this.db.kysely
      .updateTable('archive_exports')
      .set({ progress: JSON.stringify(settled) })
      .where('id', '=', id)
      .execute();
  }

  /** The archive file names of the user's other exports (a new one must not repeat one). */
  async fileNamesOf(userId: string, exceptId: string): Promise<string[]> {
    const rows = await this.db.kysely
      .selectFrom('archive_exports')
      .select('file_name')
      .where('user_id', '=', userId)
      .where('id', '!=', exceptId)
      .where('file_name', 'is not', null)
      .execute();
    return rows.flatMap((r) => (r.file_name === null ? [] : [r.file_name]));
  }

  /** Ends an export that is still active; false when it had already ended. */
  async endActive(id: string, end: ExportEnd): Promise<boolean> {
    const res = await this.db.kysely
      .updateTable('archive_exports')
      .set({
        status: end.status,
        error: end.error ?? null,
        finished_at: end.finishedAt,
        ...(end.archive === undefined
          ? {}
          : {
              blob_key: end.archive.blobKey,
              file_name: end.archive.fileName,
              size: end.archive.size,
              sha256: end.archive.sha256,
              expires_at: end.archive.expiresAt,
            }),
      })
      .where('id', '=', id)
      .where('status', 'in', ACTIVE)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async delete(id: string): Promise<void> {
    await this.db.kysely.deleteFrom('archive_exports').where('id', '=', id).execute();
  }

  /** A user's ready exports beyond the `keep` newest (their archives are to be let go). */
  async readyBeyond(
    userId: string,
    keep: number,
  ): Promise<{ id: string; blobKey: string | null }[]> {
    const rows = await this.db.kysely
      .selectFrom('archive_exports')
      .select(['id', 'blob_key'])
      .where('user_id', '=', userId)
      .where('status', '=', 'ready')
      .orderBy('finished_at', 'desc')
      .orderBy('created_at', 'desc')
      .execute();
    return rows.slice(keep).map((r) => ({ id: r.id, blobKey: r.blob_key }));
  }

  /** Ready exports whose archive has expired at `now`. */
  async expiredReady(now: number): Promise<{ id: string; blobKey: string | null }[]> {
    const rows = await this.db.kysely
      .selectFrom('archive_exports')
      .select(['id', 'blob_key'])
      .where('status', '=', 'ready')
      .where('expires_at', '<=', now)
      .execute();
    return rows.map((r) => ({ id: r.id, blobKey: r.blob_key }));
  }

  /** The row stays (the history is kept), without its archive. */
  async markExpired(id: string): Promise<void> {
    await this.db.kysely
      .updateTable('archive_exports')
      .set({ status: 'expired', blob_key: null })
      .where('id', '=', id)
      .execute();
  }
}
