import { z } from 'zod';
import { newId, type Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { isActiveExport, type FailureCode, type JobProgress } from '../contracts/archive.ts';
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
import { ArchiveAbandoned, buildArchive, countContext } from './archive-builder.ts';
import { ExportRepository, type ArchiveExport } from './export.repository.ts';
import { ProgressWriter } from './progress-writer.ts';
import type { InstanceKey } from './keys.ts';

/** An export as its owner sees it. */
export type ExportView = Omit<ArchiveExport, 'userId' | 'jobId' | 'blobKey' | 'sha256'>;

/** Progress rows are written at most this often while an export runs. */
const PROGRESS_EVERY_MS = 500;

/** The page that shows this export (the timeline links there; the link outlives the file). */
export function exportLink(id: string): string {
  return `/archive?export=${encodeURIComponent(id)}`;
}

/**
 * `mes-donnees-<login>-2026-12-05-0815.zip`, in French time: two exports of one day get
 * different names (and one in the same minute a suffix, see `run`).
 */
export function exportFileName(login: string, at: number, suffix = 1): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Paris',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(at))
      .map((p) => [p.type, p.value]),
  );
  const stamp = `${parts.year}-${parts.month}-${parts.day}-${parts.hour}${parts.minute}`;
  return `mes-donnees-${login}-${stamp}${suffix > 1 ? `-${suffix}` : ''}.zip`;
}

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
  config: Pick<Config, 'exportTtlMs' | 'instanceName' | 'publicUrl'> &
    Partial<Pick<Config, 'keepReady'>>;
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
    // Counted as if every app were exported: the workspace's count takes in the documents the
    // others reference, as the archive of all apps holds them.
    const refs = countContext(this.deps.adapters, user, options);
    for (const a of this.deps.adapters) {
      const count = await a.count(user, options, refs);
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
    if (!stopped) return false;
    // No app row stays "running" in a cancelled export (the job's own writes stop here).
    await this.repo.settleProgress(e.id, 'cancelled');
    if (e.jobId !== null) await this.deps.queue.cancel(e.jobId);
    return true;
  }

  /**
   * An export whose job ended without saying so (its worker died on the last try) is failed
   * here, so the user is never left waiting on a dead export.
   */
  private async reconcile(userId: string): Promise<void> {
    for (const s of await this.repo.activeWithEndedJob(userId)) {
      if (s.jobStatus === 'cancelled') {
        if (
          await this.repo.endActive(s.id, {
            status: 'cancelled',
            finishedAt: this.deps.clock.now(),
          })
        )
          await this.repo.settleProgress(s.id, 'cancelled');
        continue;
      }
      await this.fail(s.id, userId, 'export_failed');
    }
  }

  /**
   * Fails an active export and tells its owner (once: a second call finds it ended). The
   * status holds a code the page translates; the cause is logged by the caller.
   */
  private async fail(id: string, userId: string, code: FailureCode): Promise<void> {
    const failed = await this.repo.endActive(id, {
      status: 'failed',
      error: code,
      finishedAt: this.deps.clock.now(),
    });
    if (!failed) return;
    await this.repo.settleProgress(id, 'failed');
    await this.deps.platform.timeline.notify(userId, {
      type: 'archive',
      messageKey: 'export.failed',
      params: { code },
      link: exportLink(id),
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

    const progressWriter = new ProgressWriter({
      save: (p) => this.repo.saveProgress(exportId, p),
      clock,
      everyMs: PROGRESS_EVERY_MS,
      onError: (error) => ctx.log.warn({ err: error }, 'progress not saved'),
    });
    const key = `exports/${user.id}/${exportId}.zip`;
    const taken = new Set(await this.repo.fileNamesOf(user.id, exportId));
    let fileName = exportFileName(user.login, now);
    for (let i = 2; taken.has(fileName); i++) fileName = exportFileName(user.login, now, i);
    let storageFailed = false;
    let lastProgress: JobProgress | undefined;
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
            lastProgress = p;
            progressWriter.update(p);
          },
          onAppError: (app, error) => {
            ctx.log.error({ err: error, exportId, app }, 'an app of the export failed');
          },
          onItemError: (app, item, cause) => {
            ctx.log.warn(
              { err: cause, exportId, app, item: item.name, code: item.code },
              'an item was not exported',
            );
          },
        },
        (zip) =>
          blobs
            .put(key, zip, { contentType: 'application/zip', signal: ctx.signal })
            .catch((error: unknown) => {
              // Failed by itself, not cut short because the build failed (then it is not
              // the storage's fault: the export failed).
              if (!(zip.errored instanceof ArchiveAbandoned)) storageFailed = true;
              throw error;
            }),
      );
      await progressWriter.flush(progress);
      const apps = Object.values(manifest.apps);
      const failedApps = apps.filter((a) => a.status === 'failed').length;
      const failedItems = apps.reduce((n, a) => n + (a.failed?.length ?? 0), 0);
      const allFailed = failedApps === apps.length;
      const done = await this.repo.endActive(exportId, {
        status: allFailed ? 'failed' : 'ready',
        // Each app's code is in its progress; the export's own error says only that all failed.
        error: allFailed ? 'app_failed' : null,
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
      await this.keepNewest(user.id);
      // The page, not the file: the link outlives the archive's expiry.
      const link = exportLink(exportId);
      if (allFailed)
        await this.deps.platform.timeline.notify(user.id, {
          type: 'archive',
          messageKey: 'export.failed',
          params: { code: 'app_failed' },
          link,
        });
      else if (failedApps > 0)
        await this.deps.platform.timeline.notify(user.id, {
          type: 'archive',
          messageKey: 'export.partialApps',
          params: { count: failedApps, items: failedItems },
          link,
        });
      else if (failedItems > 0)
        await this.deps.platform.timeline.notify(user.id, {
          type: 'archive',
          messageKey: 'export.partial',
          params: { count: failedItems },
          link,
        });
      else
        await this.deps.platform.timeline.notify(user.id, {
          type: 'archive',
          messageKey: 'export.ready',
          link,
        });
      return { size: stored.size };
    } catch (error) {
      await progressWriter.flush().catch(() => undefined);
      if (ctx.signal.aborted) {
        await blobs.delete(key).catch(() => undefined);
        throw error;
      }
      ctx.log.error(
        { err: error, exportId, attempt: ctx.attempt },
        storageFailed ? 'the archive could not be stored' : 'the export failed',
      );
      // The last try records the failure for the user; earlier ones let the queue retry.
      // Its apps still pending or running are saved failed before the export is: a reader
      // never sees a failed export with an app still waiting.
      if (ctx.attempt >= ctx.maxAttempts && lastProgress !== undefined)
        await this.repo
          .saveProgress(exportId, settledProgress(lastProgress))
          .catch(() => undefined);
      if (ctx.attempt >= ctx.maxAttempts)
        await this.fail(exportId, user.id, storageFailed ? 'storage_unavailable' : 'export_failed');
      throw error;
    }
  }

  /** Deletes expired archives (their rows stay, marked expired, so the history is kept). */
  /**
   * A user keeps their `keepReady` newest archives: a new one lets the oldest go (its row stays
   * in the history, expired), so finished exports cannot fill the disk.
   */
  private async keepNewest(userId: string): Promise<void> {
    for (const r of await this.repo.readyBeyond(userId, this.deps.config.keepReady ?? 3)) {
      if (r.blobKey !== null) await this.deps.blobs.delete(r.blobKey);
      await this.repo.markExpired(r.id);
    }
  }

  async purgeExpired(): Promise<number> {
    const rows = await this.repo.expiredReady(this.deps.clock.now());
    for (const r of rows) {
      if (r.blobKey !== null) await this.deps.blobs.delete(r.blobKey);
      await this.repo.markExpired(r.id);
    }
    return rows.length;
  }
}

/** `progress` with the apps still pending or running marked failed. */
function settledProgress(progress: JobProgress): JobProgress {
  const settled: JobProgress = {};
  for (const [app, p] of Object.entries(progress)) {
    if (p === undefined) continue;
    settled[app] =
      p.status === 'pending' || p.status === 'running' ? { ...p, status: 'failed' } : p;
  }
  return settled;
}
