import fs from 'node:fs/promises';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config.ts';
import { migrateToLatest, openDatabase, type Db } from './db/database.ts';
import { createJobQueue } from './jobs/create-job-queue.ts';
import type { JobQueue } from './jobs/job-queue.ts';
import { allMigrations, APP_DEFINITIONS, createApps, type Apps } from './apps/registry.ts';
import { ExportService } from './archive/export.service.ts';
import { ImportService } from './archive/import/import.service.ts';
import { defaultInspectLimits } from './archive/import/inspect.ts';
import { UploadService } from './archive/import/uploads.ts';
import { allTrustedKeys, loadOrCreateInstanceKey, type InstanceKey } from './archive/keys.ts';
import { allTrustedEntcoreKeys } from './archive/entcore/entcore-keys.ts';
import type { AuditLog } from './platform/audit.ts';
import { createPlatform, type Platform } from './platform/platform.ts';
import type { BlobStore } from './storage/blob-store.ts';
import { createBlobStore } from './storage/create-blob-store.ts';

/** The dependencies every role shares, built once per process from the configuration. */
export interface Runtime {
  readonly config: Config;
  readonly log: Logger;
  readonly clock: Clock;
  readonly db: Db;
  readonly blobs: BlobStore;
  readonly queue: JobQueue;
  readonly platform: Platform;
  /** Who did what to which archive, for operators (the CLI's `audit`). */
  readonly audit: AuditLog;
  readonly apps: Apps;
  readonly exports: ExportService;
  readonly imports: ImportService;
  /** Resumable uploads (tus) of archives to import, in `DATA_DIR/uploads`. */
  readonly uploads: UploadService;
  /** The instance's Ed25519 signing key (made on first use when absent). */
  instanceKey(): Promise<InstanceKey>;
  close(): Promise<void>;
}

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, base: { service: 'mes-donnees' } });
}

/** Opens the database (migrating it), the blob store and the queue. */
export async function createRuntime(
  config: Config,
  log: Logger = createLogger(config),
): Promise<Runtime> {
  const clock = systemClock;
  const db = openDatabase(config.database);
  try {
    const applied = await migrateToLatest(db, allMigrations());
    if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');
  } catch (error) {
    await db.close();
    throw error;
  }
  // The first start makes the data folders; later, a missing folder is a fault the check reports.
  // Folders only the service's account reads (0700): they hold the users' files.
  await fs.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  if (config.blobStore.kind === 'local')
    await fs.mkdir(config.blobStore.dir, { recursive: true, mode: 0o700 });
  await fs.mkdir(path.join(config.dataDir, 'tmp'), { recursive: true, mode: 0o700 });
  // tus makes its folder world-readable (0777 less the umask) and its files 0644: made first,
  // 0700, nobody else reaches them.
  await fs.mkdir(path.join(config.dataDir, 'uploads'), { recursive: true, mode: 0o700 });
  const blobs = createBlobStore(config.blobStore);
  const platform = createPlatform({ db, clock, config, log, apps: APP_DEFINITIONS });
  const apps = createApps({ db, blobs, clock, platform, config });
  let key: Promise<InstanceKey> | undefined;
  const instanceKey = () => (key ??= loadOrCreateInstanceKey(config.signingKeyFile));
  const jobs = createJobQueue(config.queue, { db, clock, log });
  const exportService = new ExportService({
    db,
    blobs,
    clock,
    queue: jobs,
    platform,
    adapters: apps.list.flatMap((a) => (a.archive === undefined ? [] : [a.archive])),
    key: instanceKey,
    config,
  });
  const uploads = new UploadService({
    dir: path.join(config.dataDir, 'uploads'),
    maxBytes: config.limits.maxImportBytes,
    clock,
    log,
    ttlMs: config.imports.uploadTtlMs,
  });
  const importService = new ImportService({
    uploads,
    db,
    blobs,
    clock,
    queue: jobs,
    platform,
    adapters: apps.list.flatMap((a) => (a.archive === undefined ? [] : [a.archive])),
    trustedKeys: async () => allTrustedKeys(await instanceKey(), config),
    trustedEntcoreKeys: async () => allTrustedEntcoreKeys(config),
    config: {
      maxImportBytes: config.limits.maxImportBytes,
      allowUntrusted: config.imports.allowUntrusted,
      workDir: path.join(config.dataDir, 'tmp'),
      limits: {
        ...defaultInspectLimits(config.limits.maxImportBytes),
        maxEntries: config.imports.maxEntries,
      },
      uploadTtlMs: config.imports.uploadTtlMs,
    },
  });
  return {
    config,
    log,
    clock,
    db,
    blobs,
    queue: jobs,
    platform,
    audit: platform.audit,
    apps,
    exports: exportService,
    imports: importService,
    uploads,
    instanceKey,
    async close() {
      await jobs.stop(config.shutdownGraceMs);
      await blobs.close();
      await db.close();
    },
  };
}
