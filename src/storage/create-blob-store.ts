import type { Readable } from 'node:stream';
import type { BlobInfo, BlobPutOptions, BlobRange, BlobStore, PutResult } from './blob-store.ts';
import { LocalBlobStore } from './local-blob-store.ts';
import type { S3Config } from './s3-blob-store.ts';

export type BlobStoreConfig = { kind: 'local'; dir: string } | ({ kind: 's3' } & S3Config);

/** Builds the configured driver; no I/O happens until the first call (use `check()` at boot). */
export function createBlobStore(cfg: BlobStoreConfig): BlobStore {
  switch (cfg.kind) {
    case 'local':
      return new LocalBlobStore(cfg.dir);
    case 's3':
      return new LazyS3BlobStore(cfg);
  }
}

/**
 * The S3 driver, loaded on its first call: the AWS SDK costs ~30 MiB of memory in every
 * process (web, worker) that loads it, which those on the local store would pay for nothing.
 */
class LazyS3BlobStore implements BlobStore {
  readonly kind = 's3';
  readonly #cfg: S3Config;
  #driver: Promise<BlobStore> | undefined;

  constructor(cfg: S3Config) {
    this.#cfg = cfg;
  }

  #store(): Promise<BlobStore> {
    this.#driver ??= import('./s3-blob-store.ts').then((m) => new m.S3BlobStore(this.#cfg));
    return this.#driver;
  }

  async put(
    key: string,
    body: Readable | AsyncIterable<Uint8Array>,
    opts?: BlobPutOptions,
  ): Promise<PutResult> {
    return (await this.#store()).put(key, body, opts);
  }

  async get(key: string, range?: BlobRange): Promise<Readable> {
    return (await this.#store()).get(key, range);
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    return (await this.#store()).head(key);
  }

  async delete(key: string): Promise<void> {
    return (await this.#store()).delete(key);
  }

  async *list(prefix: string): AsyncGenerator<BlobInfo> {
    yield* (await this.#store()).list(prefix);
  }

  async check(): Promise<void> {
    return (await this.#store()).check();
  }

  async close(): Promise<void> {
    // Never used: nothing to close, and no reason to load the SDK now.
    if (this.#driver === undefined) return;
    return (await this.#driver).close();
  }
}
