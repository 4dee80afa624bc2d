import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../src/config.ts';
import { createRuntime, type Runtime } from '../../src/runtime.ts';
import type { BlobStore } from '../../src/storage/blob-store.ts';
import { interposeBlobStore } from './faulty-blob-store.ts';
import { createTestDatabase, type TestDatabase } from './test-db.ts';
import type { TestDbKind } from './test-env.ts';

export interface TestRuntime {
  readonly runtime: Runtime;
  readonly config: Config;
  readonly dataDir: string;
  destroy(): Promise<void>;
}

export interface TestRuntimeOptions {
  /**
   * Puts a wrapper in front of the runtime's blob store, seen by every service (fault tests:
   * `(inner) => new FaultyBlobStore(inner)`).
   */
  blobs?: (inner: BlobStore) => BlobStore;
}

/** A full runtime (fresh database of the given kind, local blobs in a temp dir, embedded queue). */
export async function createTestRuntime(
  kind: TestDbKind,
  env: Record<string, string> = {},
  options: TestRuntimeOptions = {},
): Promise<TestRuntime> {
  const tdb: TestDatabase = await createTestDatabase(kind);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-data-'));
  const base = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env });
  const config: Config = Object.freeze({ ...base, database: tdb.config });
  await tdb.db.close();
  const runtime = await createRuntime(config, pino({ level: 'silent' }));
  if (options.blobs !== undefined) interposeBlobStore(runtime.blobs, options.blobs);
  return {
    runtime,
    config,
    dataDir,
    async destroy() {
      await runtime.close();
      await tdb.destroy();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
