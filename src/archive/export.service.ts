import { z } from 'zod';
import { newId, type Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { isActiveExport, type JobProgress } from '../contracts/archive.ts';
import type { Db } from '../db/database.ts';
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
import { buildArchive } from './archive-builder.ts';
import { ExportRepository, type ArchiveExport } from './export.repository.ts';
import type { InstanceKey } from './keys.ts';

/** An export as its owner sees it. */
export type ExportView = Omit<ArchiveExport, 'userId' | 'jobId' | 'blobKey' | 'sha256'>;

/** Progress rows are written at most this often while an export runs. */
const PROGRESS_EVERY_MS = 500;

function toView(e: ArchiveExport): ExportView {
  return {
    id: e.id,
    status: e.status,
    apps: e.apps,
    options: e.options,
    progress: e.progress,
    size: e.size,
    fileName: e.fileName,
    error: e.error,
    createdAt: e.createdAt,
    startedAt: e.startedAt,
    finishedAt: e.finishedAt,
    expiresAt: e.expiresAt,
  };
}

export interface ExportServiceDeps {
  db: Db;
  blobs: BlobStore;
  clock: Clock;
  /** The queue the export job is registered with (and enqueued on). */
  queue: JobQueue;
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
  private readonly repo: ExportRepository;
  readonly job: JobDefinition<{ exportId: string }>;

  constructor(deps: ExportServiceDeps) {
    this.deps = deps;
    this.repo = new ExportRepository(deps.db);
    this.job = defineJob({
      type: 'archive.export',
      payload: z.strictObject({ exportId: z.string() }),
      run: (payload, ctx) => this.run(payload.exportId, ctx),
    });
    deps.queue.register(this.job);
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
    const known = new Set<string>(this.deps.adapters.map((a) => a.app));
    const apps = [...new Set(input.apps)];
    const unknown = apps.filter((a) => !known.has(a));
    if (apps.length === 0)
      throw new AppError('invalid_request', 'Choose at least one app to export');
    if (unknown.length > 0)
      throw new AppError('invalid_request', `Unknown app(s): ${unknown.join(', ')}`);
    await this.reconcile(user.id);
    const id = newId();
    const options: ExportOptions = {
      includeDocuments: input.includeDocuments ?? true,
      includeShared: input.includeShared ?? true,
    };
    const created = await this.repo.insertQueued({
      id,
      userId: user.id,
      apps,
      options,
      createdAt: this.deps.clock.now(),
    });
    if (!created) throw new AppError('export_in_progress', 'An export is already being prepared');
    await this.repo.setJob(id, await this.deps.queue.enqueue(this.job, { exportId: id }));
    return this.get(user, id);
  }

  async list(user: User): Promise<ExportView[]> {
    await this.reconcile(user.id);
    return (await this.repo.listOf(user.id, 50)).map(toView);
  }

  /** Owner only: anyone else gets 404. */
  async get(user: User, id: string): Promise<ExportView> {
    return toView(await this.own(user, id));
  }

  private async own(user: User, id: string): Promise<ArchiveExport> {
    await this.reconcile(user.id);
    const found = await this.repo.findOf(user.id, id);
    if (found === undefined) throw new AppError('not_found', 'Export not found');
    return found;
  }

  async download(
    user: User,
    id: string,
  ): Promise<{ key: string; size: number; sha256: string; fileName: string }> {
    const e = await this.own(user, id);
    if (e.status !== 'ready' || e.blobKey === null || e.size === null || e.sha256 === null) {
      throw new AppError(
        'conflict',
        e.status === 'expired' ? 'This export has expired' : 'This export is not ready',
      );
    }
    return {
      key: e.blobKey,
      size: e.size,
      sha256: e.sha256,
      fileName: e.fileName ?? `${e.id}.zip`,
    };
  }

  /**
   * Cancels a queued or running export. One that has already finished is left as it is
   * (409), so a cancel racing the end of the job never deletes a ready archive.
   */
  async cancel(user: User, id: string): Promise<ExportView> {
    const e = await this.own(user, id);
    if (!(await this.stop(e))) throw new AppError('conflict', 'This export has already finished');
    return this.get(user, id);
  }

  /** Cancels a queued or running export; deletes a finished one and its archive. */
  async remove(user: User, id: string): Promise<void> {
    const e = await this.own(user, id);
    if (isActiveExport(e.status)) {
      // One that ended meanwhile stays as it is: the user sees it finished, and may delete it.
      await this.stop(e);
      return;
    }
    if (e.blobKey !== null) await this.deps.blobs.delete(e.blobKey);
    await this.repo.delete(id);
  }

  /** Marks an active export cancelled and cancels its job; false if it had already ended. */
  private async stop(e: ArchiveExport): Promise<boolean> {
    const stopped = await this.repo.endActive(e.id, {
      status: 'cancelled',
      finishedAt: this.deps.clock.now(),
    });
    if (stopped && e.jobId !== null) await this.deps.queue.cancel(e.jobId);
    return stopped;
  }

  /**
   * An export whose job ended without saying so (its worker died on the last try) is failed
   * here, so the user is never left waiting on a dead export.
   */
  private async reconcile(userId: string): Promise<void> {
    for (const s of await this.repo.activeWithEndedJob(userId)) {
      if (s.jobStatus === 'cancelled') {
        await this.repo.endActive(s.id, { status: 'cancelled', finishedAt: this.deps.clock.now() });
        continue;
      }
      await this.fail(
        s.id,
        userId,
        `The export could not be completed: ${s.jobError ?? 'the job ended unexpectedly'}`,
      );
    }
  }

  /** Fails an active export and tells its owner (once: a second call finds it ended). */
  private async fail(id: string, userId: string, error: string): Promise<void> {
    const failed = await this.repo.endActive(id, {
      status: 'failed',
      error,
      finishedAt: this.deps.clock.now(),
    });
    if (!failed) return;
    await this.deps.platform.timeline.notify(userId, {
      type: 'archive',
      messageKey: 'export.failed',
      params: { reason: error },
      link: '/archive',
    });
  }

  /** The job: builds the archive into the blob store. Safe to run again after a crash. */
  private async run(exportId: string, ctx: JobContext): Promise<{ size: number } | null> {
    const { clock, blobs } = this.deps;
    const e = await this.repo.find(exportId);
    if (e === undefined || !isActiveExport(e.status)) return null;
    const user = await this.deps.platform.accounts.getUser(e.userId);
    const adapters = this.deps.adapters.filter((a) => e.apps.includes(a.app));
    const now = clock.now();
    await this.repo.markRunning(exportId, now);

    let lastWrite = 0;
    let pending: JobProgress | undefined;
    const key = `exports/${user.id}/${exportId}.zip`;
    const date = new Date(now).toISOString().slice(0, 10);
    const fileName = `mes-donnees-${user.login}-${date}.zip`;
    try {
      const { stored, manifest, progress } = await buildArchive(
        {
          exportId,
          user,
          adapters,
          options: e.options,
          key: await this.deps.key(),
          instance: { name: this.deps.config.instanceName, url: this.deps.config.publicUrl },
          now: new Date(now),
          signal: ctx.signal,
          onProgress: (p) => {
            pending = p;
            if (clock.now() - lastWrite < PROGRESS_EVERY_MS) return;
            lastWrite = clock.now();
            void this.repo
              .saveProgress(exportId, p)
              .catch((error: unknown) => ctx.log.warn({ err: error }, 'progress not saved'));
          },
        },
        (zip) => blobs.put(key, zip, { contentType: 'application/zip', signal: ctx.signal }),
      );
      pending = progress;
      await this.repo.saveProgress(exportId, progress);
      const failed = Object.entries(manifest.apps).filter(([, a]) => a.status === 'failed');
      const allFailed = failed.length === Object.keys(manifest.apps).length;
      const done = await this.repo.endActive(exportId, {
        status: allFailed ? 'failed' : 'ready',
        error:
          failed.length > 0 ? failed.map(([id, a]) => `${id}: ${a.error ?? ''}`).join('; ') : null,
        finishedAt: clock.now(),
        archive: {
          blobKey: key,
          fileName,
          size: stored.size,
          sha256: stored.sha256,
          expiresAt: clock.now() + this.deps.config.exportTtlMs,
        },
      });
      if (!done) {
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
      if (pending !== undefined)
        await this.repo.saveProgress(exportId, pending).catch(() => undefined);
      if (ctx.signal.aborted) {
        await blobs.delete(key).catch(() => undefined);
        throw error;
      }
      // The last try records the failure for the user; earlier ones let the queue retry.
      if (ctx.attempt >= ctx.maxAttempts)
        await this.fail(exportId, user.id, error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  /** Deletes expired archives (their rows stay, marked expired, so the history is kept). */
  async purgeExpired(): Promise<number> {
    const rows = await this.repo.expiredReady(this.deps.clock.now());
    for (const r of rows) {
      if (r.blobKey !== null) await this.deps.blobs.delete(r.blobKey);
      await this.repo.markExpired(r.id);
    }
    return rows.length;
  }
}
