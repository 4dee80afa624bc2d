import type { Selectable } from 'kysely';
import { z } from 'zod';
import { newId, type Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { isUniqueViolation } from '../db/dialect.ts';
import { AppError } from '../errors.ts';
import {
  defineJob,
  type JobContext,
  type JobDefinition,
  type JobQueue,
} from '../jobs/job-queue.ts';
import type { User } from '../platform/accounts.service.ts';
import type { Platform } from '../platform/platform.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { ArchiveAdapter, ExportOptions } from './adapter.ts';
import type { ArchiveExportsTable, ExportStatus } from './archive.schema.ts';
import { buildArchive, type ExportProgress } from './archive-builder.ts';
import type { InstanceKey } from './keys.ts';

export interface ExportView {
  id: string;
  status: ExportStatus;
  apps: string[];
  options: ExportOptions;
  progress: ExportProgress;
  size: number | null;
  fileName: string | null;
  error: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  expiresAt: number | null;
}

const ACTIVE: ExportStatus[] = ['queued', 'running'];
/** Progress rows are written at most this often while an export runs. */
const PROGRESS_EVERY_MS = 500;

function parse<T>(text: string, schema: z.ZodType<T>, fallback: T): T {
  const result = schema.safeParse(JSON.parse(text));
  return result.success ? result.data : fallback;
}

const progressSchema = z.record(
  z.string(),
  z.object({
    status: z.enum(['pending', 'running', 'complete', 'failed']),
    items: z.number(),
    itemsTotal: z.number(),
    bytes: z.number(),
    bytesTotal: z.number(),
    error: z.string().optional(),
  }),
);
const optionsSchema = z.object({ includeDocuments: z.boolean(), includeShared: z.boolean() });

function toView(r: Selectable<ArchiveExportsTable>): ExportView {
  return {
    id: r.id,
    status: r.status,
    apps: parse(r.apps, z.array(z.string()), []),
    options: parse(r.options, optionsSchema, { includeDocuments: true, includeShared: true }),
    progress: parse(r.progress, progressSchema, {}),
    size: r.size,
    fileName: r.file_name,
    error: r.error,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    expiresAt: r.expires_at,
  };
}

export interface ExportServiceDeps {
  db: Db;
  blobs: BlobStore;
  clock: Clock;
  queue: () => JobQueue;
  platform: Platform;
  adapters: readonly ArchiveAdapter[];
  key: () => Promise<InstanceKey>;
  config: Pick<Config, 'exportTtlMs' | 'instanceName' | 'publicUrl'>;
}

/**
 * "Exporter": one export at a time per user, built by a job into the blob store, downloadable
 * by its owner until it expires. The row is the truth the API and the UI read.
 */
export class ExportService {
  private readonly deps: ExportServiceDeps;
  readonly job: JobDefinition<{ exportId: string }>;

  constructor(deps: ExportServiceDeps) {
    this.deps = deps;
    this.job = defineJob({
      type: 'archive.export',
      payload: z.strictObject({ exportId: z.string() }),
      run: (payload, ctx) => this.run(payload.exportId, ctx),
    });
  }

  /** The apps this user may export, with what each holds. */
  async exportableApps(
    user: User,
    options: ExportOptions = { includeDocuments: true, includeShared: true },
  ) {
    const items = [];
    for (const a of this.deps.adapters) {
      const count = await a.count(user, options);
      items.push({ id: a.app, label: a.label, items: count.items, bytes: count.bytes });
    }
    return items;
  }

  async create(
    user: User,
    input: { apps: string[]; includeDocuments?: boolean; includeShared?: boolean },
  ): Promise<ExportView> {
    await this.deps.platform.accounts.requireRight(user, 'archive.export');
    const known = new Set(this.deps.adapters.map((a) => a.app));
    const apps = [...new Set(input.apps)];
    const unknown = apps.filter((a) => !known.has(a));
    if (apps.length === 0)
      throw new AppError('invalid_request', 'Choose at least one app to export');
    if (unknown.length > 0)
      throw new AppError('invalid_request', `Unknown app(s): ${unknown.join(', ')}`);
    await this.reconcile(user.id);
    const id = newId();
    const now = this.deps.clock.now();
    const options: ExportOptions = {
      includeDocuments: input.includeDocuments ?? true,
      includeShared: input.includeShared ?? true,
    };
    try {
      await this.deps.db.kysely
        .insertInto('archive_exports')
        .values({
          id,
          user_id: user.id,
          status: 'queued',
          apps: JSON.stringify(apps),
          options: JSON.stringify(options),
          progress: '{}',
          created_at: now,
        })
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError('export_in_progress', 'An export is already being prepared', {
          cause: error,
        });
      }
      throw error;
    }
    const jobId = await this.deps.queue().enqueue(this.job, { exportId: id });
    await this.deps.db.kysely
      .updateTable('archive_exports')
      .set({ job_id: jobId })
      .where('id', '=', id)
      .execute();
    return this.get(user, id);
  }

  async list(user: User): Promise<ExportView[]> {
    await this.reconcile(user.id);
    const rows = await this.deps.db.kysely
      .selectFrom('archive_exports')
      .selectAll()
      .where('user_id', '=', user.id)
      .orderBy('created_at', 'desc')
      .limit(50)
      .execute();
    return rows.map(toView);
  }

  /** Owner only: anyone else gets 404. */
  async get(user: User, id: string): Promise<ExportView> {
    return toView(await this.row(user, id));
  }

  private async row(user: User, id: string): Promise<Selectable<ArchiveExportsTable>> {
    await this.reconcile(user.id);
    const row = await this.deps.db.kysely
      .selectFrom('archive_exports')
      .selectAll()
      .where('id', '=', id)
      .where('user_id', '=', user.id)
      .executeTakeFirst();
    if (row === undefined) throw new AppError('not_found', 'Export not found');
    return row;
  }

  async download(
    user: User,
    id: string,
  ): Promise<{ key: string; size: number; sha256: string; fileName: string }> {
    const row = await this.row(user, id);
    if (
      row.status !== 'ready' ||
      row.blob_key === null ||
      row.size === null ||
      row.sha256 === null
    ) {
      throw new AppError(
        'conflict',
        row.status === 'expired' ? 'This export has expired' : 'This export is not ready',
      );
    }
    return {
      key: row.blob_key,
      size: row.size,
      sha256: row.sha256,
      fileName: row.file_name ?? `${row.id}.zip`,
    };
  }

  /**
   * Cancels a queued or running export. One that has already finished is left as it is
   * (409), so a cancel racing the end of the job never deletes a ready archive.
   */
  async cancel(user: User, id: string): Promise<ExportView> {
    const row = await this.row(user, id);
    const res = await this.deps.db.kysely
      .updateTable('archive_exports')
      .set({ status: 'cancelled', finished_at: this.deps.clock.now() })
      .where('id', '=', id)
      .where('status', 'in', ACTIVE)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) {
      throw new AppError('conflict', 'This export has already finished');
    }
    if (row.job_id !== null) await this.deps.queue().cancel(row.job_id);
    return this.get(user, id);
  }

  /** Cancels a queued or running export; deletes a finished one and its archive. */
  async remove(user: User, id: string): Promise<void> {
    const row = await this.row(user, id);
    if (ACTIVE.includes(row.status)) {
      await this.deps.db.kysely
        .updateTable('archive_exports')
        .set({ status: 'cancelled', finished_at: this.deps.clock.now() })
        .where('id', '=', id)
        .where('status', 'in', ACTIVE)
        .execute();
      if (row.job_id !== null) await this.deps.queue().cancel(row.job_id);
      return;
    }
    if (row.blob_key !== null) await this.deps.blobs.delete(row.blob_key);
    await this.deps.db.kysely.deleteFrom('archive_exports').where('id', '=', id).execute();
  }

  /**
   * An export whose job ended without saying so (its worker died on the last try) is failed
   * here, so the user is never left waiting on a dead export.
   */
  private async reconcile(userId: string): Promise<void> {
    const stuck = await this.deps.db.kysely
      .selectFrom('archive_exports')
      .innerJoin('jobs', 'jobs.id', 'archive_exports.job_id')
      .select(['archive_exports.id', 'jobs.status as job_status', 'jobs.error as job_error'])
      .where('archive_exports.user_id', '=', userId)
      .where('archive_exports.status', 'in', ACTIVE)
      .where('jobs.status', 'in', ['failed', 'cancelled', 'succeeded'])
      .execute();
    for (const s of stuck) {
      const failed = s.job_status !== 'cancelled';
      await this.finish(s.id, failed ? 'failed' : 'cancelled', {
        error: failed
          ? `The export could not be completed: ${s.job_error ?? 'the job ended unexpectedly'}`
          : null,
      });
    }
  }

  private async finish(
    id: string,
    status: ExportStatus,
    set: { error?: string | null } = {},
  ): Promise<boolean> {
    const res = await this.deps.db.kysely
      .updateTable('archive_exports')
      .set({ status, error: set.error ?? null, finished_at: this.deps.clock.now() })
      .where('id', '=', id)
      .where('status', 'in', ACTIVE)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) > 0 && status === 'failed') {
      const row = await this.deps.db.kysely
        .selectFrom('archive_exports')
        .select('user_id')
        .where('id', '=', id)
        .executeTakeFirst();
      if (row !== undefined) {
        await this.deps.platform.timeline.notify(row.user_id, {
          type: 'archive',
          messageKey: 'export.failed',
          params: { reason: set.error ?? '' },
          link: '/archive',
        });
      }
    }
    return Number(res.numUpdatedRows) > 0;
  }

  /** The job: builds the archive into the blob store. Safe to run again after a crash. */
  private async run(exportId: string, ctx: JobContext): Promise<{ size: number } | null> {
    const { db, clock, blobs } = this.deps;
    const row = await db.kysely
      .selectFrom('archive_exports')
      .selectAll()
      .where('id', '=', exportId)
      .executeTakeFirst();
    if (row === undefined || !ACTIVE.includes(row.status)) return null;
    const user = await this.deps.platform.accounts.getUser(row.user_id);
    const view = toView(row);
    const adapters = this.deps.adapters.filter((a) => view.apps.includes(a.app));
    const now = clock.now();
    await db.kysely
      .updateTable('archive_exports')
      .set({ status: 'running', started_at: now })
      .where('id', '=', exportId)
      .execute();

    let lastWrite = 0;
    let pending: ExportProgress | undefined;
    const writeProgress = async (progress: ExportProgress) => {
      await db.kysely
        .updateTable('archive_exports')
        .set({ progress: JSON.stringify(progress) })
        .where('id', '=', exportId)
        .execute();
    };
    const key = `exports/${user.id}/${exportId}.zip`;
    const date = new Date(now).toISOString().slice(0, 10);
    const fileName = `mes-donnees-${user.login}-${date}.zip`;
    try {
      const { stored, manifest, progress } = await buildArchive(
        {
          exportId,
          user,
          adapters,
          options: view.options,
          key: await this.deps.key(),
          instance: { name: this.deps.config.instanceName, url: this.deps.config.publicUrl },
          now: new Date(now),
          signal: ctx.signal,
          onProgress: (p) => {
            pending = p;
            if (clock.now() - lastWrite < PROGRESS_EVERY_MS) return;
            lastWrite = clock.now();
            void writeProgress(p).catch((error: unknown) =>
              ctx.log.warn({ err: error }, 'progress not saved'),
            );
          },
        },
        (zip) => blobs.put(key, zip, { contentType: 'application/zip', signal: ctx.signal }),
      );
      pending = progress;
      await writeProgress(progress);
      const failed = Object.entries(manifest.apps).filter(([, a]) => a.status === 'failed');
      const allFailed = failed.length === Object.keys(manifest.apps).length;
      const done = await db.kysely
        .updateTable('archive_exports')
        .set({
          status: allFailed ? 'failed' : 'ready',
          blob_key: key,
          file_name: fileName,
          size: stored.size,
          sha256: stored.sha256,
          error:
            failed.length > 0
              ? failed.map(([id, a]) => `${id}: ${a.error ?? ''}`).join('; ')
              : null,
          finished_at: clock.now(),
          expires_at: clock.now() + this.deps.config.exportTtlMs,
        })
        .where('id', '=', exportId)
        .where('status', 'in', ACTIVE)
        .executeTakeFirst();
      if (Number(done.numUpdatedRows) === 0) {
        // Cancelled while it was being written: the archive is not wanted.
        await blobs.delete(key);
        return null;
      }
      await this.deps.platform.timeline.notify(user.id, {
        type: 'archive',
        messageKey: allFailed ? 'export.failed' : 'export.ready',
        params: allFailed ? { reason: failed.map(([, a]) => a.error ?? '').join('; ') } : {},
        // The page, not the file: the link outlives the archive's expiry.
        link: '/archive',
      });
      return { size: stored.size };
    } catch (error) {
      if (pending !== undefined) await writeProgress(pending).catch(() => undefined);
      if (ctx.signal.aborted) {
        await blobs.delete(key).catch(() => undefined);
        throw error;
      }
      // The last try records the failure for the user; earlier ones let the queue retry.
      if (ctx.attempt >= ctx.maxAttempts) {
        await this.finish(exportId, 'failed', {
          error: error instanceof Error ? error.message : String(error),
        });
      }
      throw error;
    }
  }

  /** Deletes expired archives (their rows stay, marked expired, so the history is kept). */
  async purgeExpired(): Promise<number> {
    const now = this.deps.clock.now();
    const rows = await this.deps.db.kysely
      .selectFrom('archive_exports')
      .select(['id', 'blob_key'])
      .where('status', '=', 'ready')
      .where('expires_at', '<=', now)
      .execute();
    for (const r of rows) {
      if (r.blob_key !== null) await this.deps.blobs.delete(r.blob_key);
      await this.deps.db.kysely
        .updateTable('archive_exports')
        .set({ status: 'expired', blob_key: null })
        .where('id', '=', r.id)
        .execute();
    }
    return rows.length;
  }
}
