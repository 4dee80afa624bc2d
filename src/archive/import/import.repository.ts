import type { Selectable } from 'kysely';
import { z } from 'zod';
import {
  ACTIVE_IMPORT_STATUSES,
  type AppProgress,
  type ImportAnalysis,
  type ImportReport,
  type ImportStatus,
} from '../../contracts/archive.ts';
import type { Db } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/dialect.ts';
import { AppError } from '../../errors.ts';
import type { ArchiveImportsTable } from '../archive.schema.ts';
import { jobProgressSchema } from '../contract.schemas.ts';

export interface ImportOptions {
  apps: string[];
  dryRun: boolean;
  duplicates: 'skip' | 'copy';
  /** An Open ENT NG archive's trash too (into the trash). */
  includeTrash?: boolean | undefined;
}

/** One row of `archive_imports`, its JSON columns parsed. */
export interface ArchiveImport {
  id: string;
  userId: string;
  status: ImportStatus;
  fileName: string | null;
  size: number;
  blobKey: string | null;
  jobId: string | null;
  sourceInstance: string | null;
  analysis: ImportAnalysis | null;
  options: ImportOptions | null;
  progress: Record<string, AppProgress>;
  report: ImportReport | null;
  memo: Record<string, string | number | boolean | null>;
  error: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

/** JSON the service itself wrote: parsed, not re-validated field by field. */
function json<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function toImport(r: Selectable<ArchiveImportsTable>): ArchiveImport {
  const progress = jobProgressSchema.safeParse(json(r.progress, {}));
  return {
    id: r.id,
    userId: r.user_id,
    status: r.status,
    fileName: r.file_name,
    size: Number(r.size),
    blobKey: r.blob_key,
    jobId: r.job_id,
    sourceInstance: r.source_instance,
    analysis: json<ImportAnalysis | null>(r.analysis, null),
    options: json<ImportOptions | null>(r.options, null),
    progress: progress.success ? progress.data : {},
    report: json<ImportReport | null>(r.report, null),
    memo: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .catch({})
      .parse(json(r.memo, {})),
    error: r.error,
    createdAt: Number(r.created_at),
    startedAt: r.started_at === null ? null : Number(r.started_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
  };
}

/**
 * The SQL of `archive_imports`. A partial unique index keeps one active import per user;
 * status changes are conditional on the status they leave, so a cancel and the job's end
 * never both win.
 */
export class ImportRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** A new uploaded import; false when the user already has an active one. */
  async insert(row: {
    id: string;
    userId: string;
    fileName: string | null;
    size: number;
    blobKey: string;
    createdAt: number;
  }): Promise<boolean> {
    try {
      await this.#db.kysely
        .insertInto('archive_imports')
        .values({
          id: row.id,
          user_id: row.userId,
          status: 'uploaded',
          file_name: row.fileName,
          size: row.size,
          blob_key: row.blobKey,
          progress: '{}',
          memo: '{}',
          created_at: row.createdAt,
        })
        .execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async hasActive(userId: string): Promise<boolean> {
    const row = await this.#db.kysely
      .selectFrom('archive_imports')
      .select('id')
      .where('user_id', '=', userId)
      .where('status', 'in', [...ACTIVE_IMPORT_STATUSES])
      .executeTakeFirst();
    return row !== undefined;
  }

  async find(id: string): Promise<ArchiveImport | undefined> {
    const r = await this.#db.kysely
      .selectFrom('archive_imports')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return r === undefined ? undefined : toImport(r);
  }

  async findOf(userId: string, id: string): Promise<ArchiveImport | undefined> {
    const found = await this.find(id);
    return found?.userId === userId ? found : undefined;
  }

  async listOf(userId: string, limit: number): Promise<ArchiveImport[]> {
    const rows = await this.#db.kysely
      .selectFrom('archive_imports')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toImport);
  }

  /** Moves the import from one of `from` to `to` with the given fields; false if it was not in `from`. */
  async transition(
    id: string,
    from: readonly ImportStatus[],
    to: ImportStatus,
    fields: Partial<{
      analysis: ImportAnalysis;
      options: ImportOptions;
      report: ImportReport | null;
      error: string | null;
      jobId: string;
      sourceInstance: string | null;
      blobKey: string | null;
      startedAt: number;
      finishedAt: number | null;
    }> = {},
  ): Promise<boolean> {
    try {
      return await this.#transition(id, from, to, fields);
    } catch (error) {
      // Becoming active while another import of the user is: the partial unique index says no.
      if (isUniqueViolation(error))
        throw new AppError('import_in_progress', 'An import is already in progress');
      throw error;
    }
  }

  async #transition(
    id: string,
    from: readonly ImportStatus[],
    to: ImportStatus,
    fields: Parameters<ImportRepository['transition']>[3] = {},
  ): Promise<boolean> {
    const res = await this.#db.kysely
      .updateTable('archive_imports')
      .set({
        status: to,
        ...(fields.analysis === undefined ? {} : { analysis: JSON.stringify(fields.analysis) }),
        ...(fields.options === undefined ? {} : { options: JSON.stringify(fields.options) }),
        ...(fields.report === undefined
          ? {}
          : { report: fields.report === null ? null : JSON.stringify(fields.report) }),
        ...(fields.error === undefined ? {} : { error: fields.error }),
        ...(fields.jobId === undefined ? {} : { job_id: fields.jobId }),
        ...(fields.sourceInstance === undefined ? {} : { source_instance: fields.sourceInstance }),
        ...(fields.blobKey === undefined ? {} : { blob_key: fields.blobKey }),
        ...(fields.startedAt === undefined ? {} : { started_at: fields.startedAt }),
        ...(fields.finishedAt === undefined ? {} : { finished_at: fields.finishedAt }),
      })
      .where('id', '=', id)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async setJob(id: string, jobId: string): Promise<void> {
    await this.#db.kysely
      .updateTable('archive_imports')
      .set({ job_id: jobId })
      .where('id', '=', id)
      .execute();
  }

  async saveProgress(id: string, progress: unknown): Promise<void> {
    await this.#db.kysely
      .updateTable('archive_imports')
      .set({ progress: JSON.stringify(progress) })
      .where('id', '=', id)
      .execute();
  }

  async saveMemo(id: string, memo: Record<string, unknown>): Promise<void> {
    await this.#db.kysely
      .updateTable('archive_imports')
      .set({ memo: JSON.stringify(memo) })
      .where('id', '=', id)
      .execute();
  }

  /** Imports uploaded or analysed but never launched, created before `before`. */
  async stale(before: number): Promise<ArchiveImport[]> {
    const rows = await this.#db.kysely
      .selectFrom('archive_imports')
      .selectAll()
      .where('status', 'in', ['uploaded', 'analyzed', 'rejected'])
      .where('created_at', '<', before)
      .limit(500)
      .execute();
    return rows.map(toImport);
  }

  async delete(id: string): Promise<void> {
    await this.#db.kysely.deleteFrom('archive_imports').where('id', '=', id).execute();
  }
}
