import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { newId, type Clock } from '../../clock.ts';
import {
  isAppId,
  type AppId,
  type AppImportReport,
  type ImportAnalysis,
  type ImportAppAnalysis,
  type ImportReport,
  type ImportStatus,
} from '../../contracts/archive.ts';
import type { Db } from '../../db/database.ts';
import { AppError, type ErrorCode } from '../../errors.ts';
import {
  defineJob,
  type JobContext,
  type JobDefinition,
  type JobQueue,
} from '../../jobs/job-queue.ts';
import type { User } from '../../platform/accounts.service.ts';
import type { Platform } from '../../platform/platform.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import type { AppAnalysis, ArchiveAdapter, ImportAdapter, ImportContext } from '../adapter.ts';
import type { TrustedKey } from '../keys.ts';
import { openImportArchive, type ImportArchive } from './archive-reader.ts';
import { removeImported, runImport, type EngineApp } from './import-engine.ts';
import { DbImportJournal, MemoryImportJournal, type ImportJournal } from './import-journal.ts';
import { ProgressWriter } from '../progress-writer.ts';
import { ImportRepository, type ArchiveImport, type ImportOptions } from './import.repository.ts';
import type { UploadService } from './uploads.ts';
import {
  defaultInspectLimits,
  inspectArchive,
  type InspectLimits,
  type InspectResult,
} from './inspect.ts';
import { openEntcoreArchive } from '../entcore/entcore-archive.ts';

/** An import as its owner sees it. */
export type ImportView = Omit<
  ArchiveImport,
  'userId' | 'jobId' | 'blobKey' | 'memo' | 'sourceInstance'
>;

const PROGRESS_EVERY_MS = 500;

/** The page that shows this import (the timeline links there). */
export function importLink(id: string): string {
  return `/archive?tab=import&import=${encodeURIComponent(id)}`;
}

function toView(i: ArchiveImport): ImportView {
  return {
    id: i.id,
    status: i.status,
    fileName: i.fileName,
    size: i.size,
    analysis: i.analysis,
    options: i.options,
    progress: i.progress,
    report: i.report,
    error: i.error,
    createdAt: i.createdAt,
    startedAt: i.startedAt,
    finishedAt: i.finishedAt,
  };
}

export interface ImportServiceDeps {
  db: Db;
  blobs: BlobStore;
  clock: Clock;
  queue: JobQueue;
  platform: Platform;
  adapters: readonly ArchiveAdapter[];
  /** The keys whose signatures are trusted (this instance's own among them). */
  trustedKeys: () => Promise<readonly TrustedKey[]>;
  /** The Open ENT NG platforms' keys whose archives are trusted. */
  trustedEntcoreKeys?: () => Promise<readonly TrustedKey[]>;
  /** Resumable uploads (tus), when the web side offers them. */
  uploads?: UploadService;
  config: {
    maxImportBytes: number;
    allowUntrusted: boolean;
    /** Where archives are copied for reading (random access); the OS's temp folder by default. */
    workDir?: string;
    limits?: InspectLimits;
    /** Uploads never launched are deleted after this long. */
    uploadTtlMs?: number;
  };
}

/**
 * "Importer": an archive is uploaded, analysed (nothing written), then launched for the apps
 * the user picks; a job imports it through the engine, and the import can be undone. The row
 * is the truth the API and the page read; the journal (`archive_import_items`) holds the items.
 */
export class ImportService {
  readonly #deps: ImportServiceDeps;
  readonly #repo: ImportRepository;
  readonly analyzeJob: JobDefinition<{ importId: string }>;
  readonly runJob: JobDefinition<{ importId: string }>;

  constructor(deps: ImportServiceDeps) {
    this.#deps = deps;
    this.#repo = new ImportRepository(deps.db);
    this.analyzeJob = defineJob({
      type: 'archive.import.analyze',
      payload: z.strictObject({ importId: z.string() }),
      run: (p, ctx) => this.#analyze(p.importId, ctx),
    });
    this.runJob = defineJob({
      type: 'archive.import.run',
      payload: z.strictObject({ importId: z.string() }),
      run: (p, ctx) => this.#run(p.importId, ctx),
    });
    deps.queue.register(this.analyzeJob);
    deps.queue.register(this.runJob);
  }

  #importers(): Map<string, ImportAdapter> {
    const map = new Map<string, ImportAdapter>();
    for (const a of this.#deps.adapters) if (a.import !== undefined) map.set(a.app, a.import);
    return map;
  }

  /**
   * Takes an uploaded archive (a stream, at most MAX_IMPORT_SIZE bytes) into the blob store and
   * queues its analysis. One import at a time per user.
   */
  async create(
    user: User,
    body: Readable,
    fileName: string | null,
    /** Whether the multipart parser cut the file at its size limit. */
    truncated: () => boolean = () => false,
  ): Promise<ImportView> {
    await this.#deps.platform.accounts.requireRight(user, 'archive.import');
    if (await this.#repo.hasActive(user.id))
      throw new AppError('import_in_progress', 'An import is already in progress');
    const id = newId();
    const key = `imports/${user.id}/${id}.zip`;
    const max = this.#deps.config.maxImportBytes;
    let size = 0;
    async function* limited(source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        size += chunk.length;
        if (size > max)
          throw new AppError('payload_too_large', `The archive is larger than ${max} bytes`);
        yield chunk;
      }
    }
    const stored = await this.#deps.blobs.put(key, limited(body), {
      contentType: 'application/zip',
    });
    if (truncated()) {
      await this.#deps.blobs.delete(key);
      throw new AppError('payload_too_large', `The archive is larger than ${max} bytes`);
    }
    const created = await this.#repo.insert({
      id,
      userId: user.id,
      fileName: fileName === null ? null : fileName.slice(0, 255),
      size: stored.size,
      blobKey: key,
      createdAt: this.#deps.clock.now(),
    });
    if (!created) {
      await this.#deps.blobs.delete(key);
      throw new AppError('import_in_progress', 'An import is already in progress');
    }
    await this.#repo.setJob(id, await this.#deps.queue.enqueue(this.analyzeJob, { importId: id }));
    return this.get(user, id);
  }

  /** Imports a complete resumable upload (tus) of this user; the upload is then deleted. */
  async createFromUpload(user: User, uploadId: string): Promise<ImportView> {
    const uploads = this.#deps.uploads;
    if (uploads === undefined) throw new AppError('not_found', 'Upload not found');
    await this.#deps.platform.accounts.requireRight(user, 'archive.import');
    if (await this.#repo.hasActive(user.id))
      throw new AppError('import_in_progress', 'An import is already in progress');
    const file = await uploads.claim(user, uploadId);
    if (file === undefined)
      throw new AppError('not_found', 'Upload not found, not complete, or already imported');
    try {
      return await this.create(user, createReadStream(file.path), file.fileName ?? null);
    } finally {
      await uploads.release(uploadId);
    }
  }

  async list(user: User): Promise<ImportView[]> {
    return (await this.#repo.listOf(user.id, 50)).map(toView);
  }

  /** Owner only: anyone else gets 404. */
  async get(user: User, id: string): Promise<ImportView> {
    return toView(await this.#own(user, id));
  }

  async #own(user: User, id: string): Promise<ArchiveImport> {
    const found = await this.#repo.findOf(user.id, id);
    if (found === undefined) throw new AppError('not_found', 'Import not found');
    return found;
  }

  async report(user: User, id: string): Promise<ImportReport> {
    const i = await this.#own(user, id);
    if (i.report === null) throw new AppError('conflict', 'This import has no report yet');
    return i.report;
  }

  /**
   * Starts the import of the chosen apps. Rights and quota are checked here again, on the
   * server, whatever the page showed.
   */
  async launch(
    user: User,
    id: string,
    input: {
      apps: string[];
      dryRun?: boolean | undefined;
      duplicates?: 'skip' | 'copy' | undefined;
      includeTrash?: boolean | undefined;
    },
  ): Promise<ImportView> {
    await this.#deps.platform.accounts.requireRight(user, 'archive.import');
    const i = await this.#own(user, id);
    if (i.status !== 'analyzed' || i.analysis === null)
      throw new AppError('conflict', 'This import cannot be launched now');
    const apps = [...new Set(input.apps)];
    if (apps.length === 0) throw new AppError('invalid_request', 'Choose at least one app');
    const fresh = await this.#appsAnalysis(user, i.analysis.apps);
    for (const app of apps) {
      const a = fresh.find((x) => x.app === app);
      if (a === undefined)
        throw new AppError('invalid_request', `The archive does not hold ${app}`);
      if (!a.importable)
        throw new AppError(
          a.reason === 'no_right' ? 'forbidden' : 'invalid_request',
          `${app} cannot be imported (${a.reason ?? 'not importable'})`,
          { details: { app, reason: a.reason } },
        );
    }
    const dryRun = input.dryRun ?? false;
    const includeTrash = input.includeTrash === true;
    if (!dryRun) {
      const needed = fresh
        .filter((a) => apps.includes(a.app))
        .reduce((n, a) => n + a.bytes + (includeTrash ? (a.trash?.bytes ?? 0) : 0), 0);
      const remaining = await this.#deps.platform.quota.remaining(user.id);
      if (needed > remaining)
        throw new AppError(
          'quota_exceeded',
          `Not enough space: ${needed} bytes needed, ${remaining} left`,
          { details: { needed, available: remaining } },
        );
    }
    const options: ImportOptions = {
      apps,
      dryRun,
      duplicates: input.duplicates ?? 'skip',
      ...(includeTrash ? { includeTrash } : {}),
    };
    const moved = await this.#repo.transition(id, ['analyzed'], 'queued', {
      options,
      report: null,
      error: null,
      finishedAt: null,
    });
    if (!moved) {
      if (await this.#repo.hasActive(user.id))
        throw new AppError('import_in_progress', 'An import is already in progress');
      throw new AppError('conflict', 'This import cannot be launched now');
    }
    await this.#repo.setJob(id, await this.#deps.queue.enqueue(this.runJob, { importId: id }));
    return this.get(user, id);
  }

  /** Removes everything the import created (only that), frees the quota: status `undone`. */
  async undo(user: User, id: string): Promise<ImportView> {
    const i = await this.#own(user, id);
    if (i.status !== 'done' && i.status !== 'failed')
      throw new AppError('conflict', 'Only a finished import can be undone');
    if (i.options?.dryRun === true) throw new AppError('conflict', 'A dry run wrote nothing');
    await removeImported(
      this.#importers(),
      new DbImportJournal(this.#deps.db, i.id),
      this.#context(user, i, new AbortController().signal),
    );
    await this.#repo.transition(id, ['done', 'failed'], 'undone', {
      finishedAt: this.#deps.clock.now(),
    });
    await this.#deps.platform.timeline.notify(user.id, {
      type: 'archive',
      messageKey: 'import.undone',
      link: importLink(id),
    });
    return this.get(user, id);
  }

  /**
   * Cancels an import: before launch, its archive is deleted; while it runs, the job stops
   * and what it wrote is removed. A finished import is undone instead (409).
   */
  async cancel(user: User, id: string): Promise<void> {
    const i = await this.#own(user, id);
    const now = this.#deps.clock.now();
    if (['uploaded', 'analyzing', 'analyzed', 'rejected'].includes(i.status)) {
      if (
        await this.#repo.transition(
          id,
          ['uploaded', 'analyzing', 'analyzed', 'rejected'],
          'cancelled',
          { finishedAt: now, blobKey: null },
        )
      ) {
        if (i.jobId !== null) await this.#deps.queue.cancel(i.jobId);
        if (i.blobKey !== null) await this.#deps.blobs.delete(i.blobKey);
      }
      return;
    }
    if (i.status === 'queued' || i.status === 'running') {
      if (
        await this.#repo.transition(id, ['queued', 'running'], 'cancelled', { finishedAt: now })
      ) {
        if (i.jobId !== null) await this.#deps.queue.cancel(i.jobId);
        await removeImported(
          this.#importers(),
          new DbImportJournal(this.#deps.db, i.id),
          this.#context(user, i, new AbortController().signal),
        );
        if (i.blobKey !== null) await this.#deps.blobs.delete(i.blobKey);
        await this.#repo.transition(id, ['cancelled'], 'cancelled', { blobKey: null });
      }
      return;
    }
    throw new AppError('conflict', 'This import has ended: undo it instead');
  }

  /** Deletes the archives of imports never launched, after the upload delay. */
  async purgeStale(): Promise<number> {
    const ttl = this.#deps.config.uploadTtlMs ?? 86_400_000;
    const rows = await this.#repo.stale(this.#deps.clock.now() - ttl);
    for (const r of rows) {
      if (
        await this.#repo.transition(r.id, [r.status], 'cancelled', {
          blobKey: null,
          finishedAt: this.#deps.clock.now(),
          error: 'upload_expired',
        })
      )
        if (r.blobKey !== null) await this.#deps.blobs.delete(r.blobKey);
    }
    return rows.length;
  }

  // ---- jobs ----------------------------------------------------------------------------------

  /** A local copy of the archive for random access (zip reading needs it). */
  async #localCopy(i: ArchiveImport, signal: AbortSignal): Promise<string> {
    if (i.blobKey === null) throw new Error('the import has no archive');
    const dir = await fs.mkdtemp(path.join(this.#deps.config.workDir ?? os.tmpdir(), 'md-import-'));
    const file = path.join(dir, 'archive.zip');
    await pipeline(
      await this.#deps.blobs.get(i.blobKey),
      createWriteStream(file, { mode: 0o600 }),
      { signal },
    );
    return file;
  }

  async #withArchive<T>(
    i: ArchiveImport,
    signal: AbortSignal,
    use: (file: string) => Promise<T>,
  ): Promise<T> {
    // Blobs kept as files are read in place (the archive does not change until deleted).
    if (i.blobKey !== null && this.#deps.blobs.localPath !== undefined)
      return use(this.#deps.blobs.localPath(i.blobKey));
    const file = await this.#localCopy(i, signal);
    try {
      return await use(file);
    } finally {
      await fs.rm(path.dirname(file), { recursive: true, force: true });
    }
  }

  async #reject(i: ArchiveImport, code: ErrorCode, analysis?: ImportAnalysis): Promise<void> {
    if (
      await this.#repo.transition(i.id, ['analyzing'], 'rejected', {
        error: code,
        finishedAt: this.#deps.clock.now(),
        blobKey: null,
        ...(analysis === undefined ? {} : { analysis }),
      })
    )
      if (i.blobKey !== null) await this.#deps.blobs.delete(i.blobKey);
  }

  async #analyze(importId: string, ctx: JobContext): Promise<void> {
    const i = await this.#repo.find(importId);
    if (i === undefined) return;
    if (i.status === 'uploaded')
      await this.#repo.transition(importId, ['uploaded'], 'analyzing', {
        startedAt: this.#deps.clock.now(),
      });
    else if (i.status !== 'analyzing') return;
    const user = await this.#deps.platform.accounts.getUser(i.userId);
    await this.#withArchive(i, ctx.signal, async (file) => {
      const inspected = await inspectArchive(file, {
        trusted: await this.#deps.trustedKeys(),
        trustedEntcore: await (this.#deps.trustedEntcoreKeys?.() ?? []),
        limits: this.#deps.config.limits ?? defaultInspectLimits(this.#deps.config.maxImportBytes),
        signal: ctx.signal,
      });
      if (!inspected.ok) {
        ctx.log.info(
          { importId, code: inspected.code, problem: inspected.message },
          'archive refused',
        );
        await this.#reject(i, inspected.code);
        return;
      }
      if (inspected.format === 'open-ent-ng') {
        await this.#analyzeEntcore(i, user, file, inspected);
        return;
      }
      const { manifest, signature } = inspected;
      const archive = await openImportArchive(file);
      try {
        const apps = await this.#appsAnalysis(
          user,
          Object.keys(manifest.apps).map((app) => ({ app })),
          archive,
          i,
        );
        await this.#analyzed(
          i,
          user,
          {
            format: 'mes-donnees',
            instance: manifest.instance.name,
            url: manifest.instance.url,
            keyId: manifest.instance.publicKeyId,
            signature: signature.state,
            exportedAt: manifest.export.createdAt,
            exportedBy: { login: manifest.user.login, displayName: manifest.user.displayName },
          },
          apps,
          manifest.instance.publicKeyId,
        );
      } finally {
        archive.close();
      }
    }).catch(async (error: unknown) => {
      if (ctx.signal.aborted) throw error;
      ctx.log.error({ err: error, importId }, 'the analysis failed');
      if (ctx.attempt >= ctx.maxAttempts) await this.#reject(i, 'archive_invalid');
      throw error;
    });
  }

  /**
   * The analysis, with the quota the importable apps need: `analyzed`, or refused when the
   * archive is not signed by a trusted key and the operator does not allow those.
   */
  async #analyzed(
    i: ArchiveImport,
    user: User,
    source: ImportAnalysis['source'],
    apps: ImportAppAnalysis[],
    sourceInstance: string,
  ): Promise<void> {
    const needed = apps.filter((a) => a.importable).reduce((n, a) => n + a.bytes, 0);
    const usage = await this.#deps.platform.quota.usage(user.id);
    const analysis: ImportAnalysis = {
      source,
      apps,
      quota: {
        needed,
        available: Math.max(0, usage.total - usage.used),
        used: usage.used,
        total: usage.total,
      },
    };
    if (source.signature !== 'trusted' && !this.#deps.config.allowUntrusted) {
      await this.#reject(i, 'archive_untrusted', analysis);
      return;
    }
    await this.#repo.transition(i.id, ['analyzing'], 'analyzed', { analysis, sourceInstance });
  }

  /** An Open ENT NG archive: its modules through our apps' importers, the others listed. */
  async #analyzeEntcore(
    i: ArchiveImport,
    user: User,
    file: string,
    inspected: Extract<InspectResult, { format: 'open-ent-ng' }>,
  ): Promise<void> {
    const archive = await openEntcoreArchive(file, this.#deps.adapters, {
      hashes: false,
      includeTrash: false,
    });
    try {
      const apps = await this.#appsAnalysis(
        user,
        Object.keys(archive.apps).map((app) => {
          const sizes = inspected.folders[archive.apps[app]?.label ?? ''];
          // Modules of another kind: what their folder holds, as files.
          return isAppId(app) || sizes === undefined
            ? { app }
            : { app, counts: { file: sizes.files }, items: sizes.files, bytes: sizes.bytes };
        }),
        archive,
        i,
      );
      for (const a of apps) {
        const left = await archive.leftOut(a.app);
        if (left !== undefined && left.trashed > 0)
          a.trash = { items: left.trashed, bytes: left.trashedBytes };
      }
      const { signature } = inspected;
      await this.#analyzed(
        i,
        user,
        {
          format: 'open-ent-ng',
          instance: 'Open ENT NG',
          ...(signature.state === 'trusted' ? { keyId: signature.keyId } : {}),
          signature: signature.state,
          ...(archive.exportedAt === undefined ? {} : { exportedAt: archive.exportedAt }),
        },
        apps,
        // Two archives of one account of one platform: the same ids, so the same items.
        `open-ent-ng:${archive.exporter ?? inspected.root}`,
      );
    } finally {
      archive.close();
    }
  }

  /**
   * Each app of the archive: importable or why not. With the archive open, the apps' own
   * analysis (counts, bytes, records) runs too; without it (at launch), the stored counts stay
   * and only what may have changed (rights, versions) is checked again.
   */
  async #appsAnalysis(
    user: User,
    apps: readonly {
      app: string;
      counts?: Record<string, number>;
      items?: number;
      bytes?: number;
      problems?: ImportAppAnalysis['problems'];
    }[],
    archive?: ImportArchive,
    i?: ArchiveImport,
  ): Promise<ImportAppAnalysis[]> {
    const rights = await this.#deps.platform.accounts.rightsOf(user);
    const out: ImportAppAnalysis[] = [];
    for (const entry of apps) {
      const inManifest = archive?.apps[entry.app];
      const adapter = this.#deps.adapters.find((a) => a.app === entry.app);
      const base: ImportAppAnalysis = {
        app: entry.app,
        label: inManifest?.label ?? adapter?.label ?? entry.app,
        appVersion: inManifest?.appVersion ?? '',
        dataVersion: inManifest?.dataVersion ?? 0,
        counts: entry.counts ?? {},
        items: entry.items ?? 0,
        bytes: entry.bytes ?? 0,
        importable: false,
        ...(entry.problems === undefined ? {} : { problems: entry.problems }),
      };
      const stored =
        i === undefined
          ? (apps as ImportAppAnalysis[]).find((a) => a.app === entry.app)
          : undefined;
      if (stored !== undefined)
        Object.assign(base, {
          label: stored.label,
          appVersion: stored.appVersion,
          dataVersion: stored.dataVersion,
          ...(stored.trash === undefined ? {} : { trash: stored.trash }),
        });
      const reason = ((): ImportAppAnalysis['reason'] => {
        if (adapter === undefined || !isAppId(entry.app)) return 'unknown_app';
        if (adapter.import === undefined) return 'not_importable';
        if (inManifest?.status === 'failed' || stored?.reason === 'failed_in_export')
          return 'failed_in_export';
        // Data version 0: records translated from another platform's, in today's version.
        const versioned = base.dataVersion > 0;
        if (versioned && base.dataVersion > adapter.dataVersion) return 'unsupported_version';
        if (
          versioned &&
          base.dataVersion < adapter.dataVersion &&
          adapter.import.upgrade === undefined
        )
          return 'unsupported_version';
        if (!rights.includes(`${adapter.app}.create` as never)) return 'no_right';
        if (stored?.reason === 'records_invalid') return 'records_invalid';
        return undefined;
      })();
      if (base.dataVersion > 0 && adapter !== undefined && base.dataVersion < adapter.dataVersion)
        base.upgradedFrom = base.dataVersion;
      // The app's own analysis: what it holds, and records that break their schema.
      if (
        archive !== undefined &&
        i !== undefined &&
        adapter?.import !== undefined &&
        reason !== 'unsupported_version' &&
        reason !== 'failed_in_export'
      ) {
        const reader = archive.reader(adapter.app, adapter);
        if (reader !== undefined) {
          const found: AppAnalysis = await adapter.import
            .analyze(reader, this.#context(user, i, new AbortController().signal, true))
            .catch((error: unknown) => ({
              counts: {},
              bytes: 0,
              problems: [
                {
                  code: 'record_invalid',
                  message: error instanceof Error ? error.message : String(error),
                },
              ],
            }));
          base.counts = { ...found.counts };
          base.items = Object.values(found.counts).reduce((n, c) => n + c, 0);
          base.bytes = found.bytes;
          if (found.problems.length > 0)
            base.problems = found.problems.slice(0, 50).map((p) => ({
              file: p.file,
              line: p.line,
              message: p.message,
            }));
        }
      }
      const finalReason =
        reason ??
        (base.problems !== undefined && base.problems.length > 0 ? 'records_invalid' : undefined);
      base.importable = finalReason === undefined;
      if (finalReason !== undefined) base.reason = finalReason;
      out.push(base);
    }
    return out;
  }

  #context(
    user: User,
    i: ArchiveImport,
    signal: AbortSignal,
    dryRun = i.options?.dryRun ?? false,
  ): ImportContext {
    const memo = { ...i.memo };
    return {
      user,
      importId: i.id,
      signal,
      dryRun,
      duplicates: i.options?.duplicates ?? 'skip',
      launchedAt: i.startedAt ?? this.#deps.clock.now(),
      memo: async <T extends string | number | boolean | null>(
        key: string,
        compute: () => Promise<T>,
      ): Promise<T> => {
        if (key in memo) return memo[key] as T;
        const value = await compute();
        memo[key] = value;
        if (!dryRun) await this.#repo.saveMemo(i.id, memo);
        return value;
      },
    };
  }

  async #run(importId: string, ctx: JobContext): Promise<void> {
    let i = await this.#repo.find(importId);
    if (i === undefined || i.options === null) return;
    if (i.status === 'queued')
      await this.#repo.transition(importId, ['queued'], 'running', {
        startedAt: this.#deps.clock.now(),
      });
    else if (i.status !== 'running') return;
    i = (await this.#repo.find(importId)) ?? i;
    const options = i.options ?? { apps: [], dryRun: false, duplicates: 'skip' as const };
    const user = await this.#deps.platform.accounts.getUser(i.userId);
    const clock = this.#deps.clock;
    const progressWriter = new ProgressWriter({
      save: (p) => this.#repo.saveProgress(importId, p),
      clock,
      everyMs: PROGRESS_EVERY_MS,
      onError: (error) => ctx.log.warn({ err: error }, 'progress not saved'),
    });
    const current = i;
    try {
      const apps = await this.#withArchive(current, ctx.signal, async (file) => {
        const archive: ImportArchive =
          current.analysis?.source.format === 'open-ent-ng'
            ? await openEntcoreArchive(file, this.#deps.adapters, {
                hashes: true,
                includeTrash: options.includeTrash === true,
              })
            : await openImportArchive(file);
        try {
          const engineApps: EngineApp[] = [];
          for (const app of options.apps) {
            const adapter = this.#deps.adapters.find((a) => a.app === app);
            const reader = adapter === undefined ? undefined : archive.reader(adapter.app, adapter);
            if (adapter?.import === undefined || reader === undefined) continue;
            engineApps.push({
              app: adapter.app,
              dependsOn: adapter.dependsOn,
              importer: adapter.import,
              reader,
              upgradedFrom:
                reader.dataVersion < adapter.dataVersion ? reader.dataVersion : undefined,
            });
          }
          const db = new DbImportJournal(
            this.#deps.db,
            importId,
            current.sourceInstance === null
              ? undefined
              : { userId: user.id, sourceInstance: current.sourceInstance },
          );
          const journal: ImportJournal = options.dryRun
            ? new MemoryImportJournal((app, ref) => db.earlier(app, ref))
            : db;
          return await runImport({
            apps: engineApps,
            ctx: this.#context(user, current, ctx.signal),
            journal,
            onProgress: (p) => progressWriter.update(p),
            onItemError: (app, item, cause) =>
              ctx.log.warn(
                { err: cause, importId, app, item: item.name, code: item.code },
                'an item was not imported',
              ),
          });
        } finally {
          archive.close();
        }
      });
      await progressWriter.flush();
      const report: ImportReport = { dryRun: options.dryRun, duplicates: options.duplicates, apps };
      await this.#finish(current, user, report);
    } catch (error) {
      progressWriter.stop();
      if (ctx.signal.aborted) throw error;
      ctx.log.error({ err: error, importId, attempt: ctx.attempt }, 'the import failed');
      if (ctx.attempt >= ctx.maxAttempts) {
        await progressWriter.flush().catch(() => undefined);
        if (
          await this.#repo.transition(importId, ['running'], 'failed', {
            error: 'import_failed',
            finishedAt: clock.now(),
            blobKey: null,
          })
        ) {
          if (current.blobKey !== null) await this.#deps.blobs.delete(current.blobKey);
          await this.#deps.platform.timeline.notify(user.id, {
            type: 'archive',
            messageKey: 'import.failed',
            params: { code: 'import_failed' },
            link: importLink(importId),
          });
        }
      }
      throw error;
    }
  }

  async #finish(i: ArchiveImport, user: User, report: ImportReport): Promise<void> {
    const now = this.#deps.clock.now();
    if (report.dryRun) {
      // A dry run leaves the import ready to launch for real, with what it would do.
      await this.#repo.transition(i.id, ['running'], 'analyzed', { report, finishedAt: now });
      return;
    }
    if (
      !(await this.#repo.transition(i.id, ['running'], 'done', {
        report,
        finishedAt: now,
        blobKey: null,
      }))
    )
      return;
    if (i.blobKey !== null) await this.#deps.blobs.delete(i.blobKey);
    const reports = Object.values(report.apps).filter((r): r is AppImportReport => r !== undefined);
    const imported = reports.reduce((n, r) => n + r.imported, 0);
    const failed = reports.reduce((n, r) => n + r.failed.length, 0);
    const duplicates = reports.reduce((n, r) => n + r.duplicates, 0);
    await this.#deps.platform.timeline.notify(user.id, {
      type: 'archive',
      messageKey: failed > 0 ? 'import.partial' : 'import.done',
      // `count` picks the plural: the items that failed, or those imported.
      params: { count: failed > 0 ? failed : imported, imported, duplicates, failed },
      link: importLink(i.id),
    });
  }
}

/** Statuses in which the import's archive is still held. */
export const HOLDS_ARCHIVE: readonly ImportStatus[] = [
  'uploaded',
  'analyzing',
  'analyzed',
  'queued',
  'running',
];
export type { AppId };
