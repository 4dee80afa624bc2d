import type { BlobStore } from './blob-store.ts';
import { LocalBlobStore } from './local-blob-store.ts';
import { S3BlobStore } from './s3-blob-store.ts';
import type { S3Config } from './s3-blob-store.ts';

export type BlobStoreConfig = { kind: 'local'; dir: string } | ({ kind: 's3' } & S3Config);

/** Builds the configured driver; no I/O happens until the first call (use `check()` at boot). */
export function createBlobStore(cfg: BlobStoreConfig): BlobStore {
  switch (cfg.kind) {
    case 'local':
      return new LocalBlobStore(cfg.dir);
    case 's3':
      return new S3BlobStore(cfg);
  }
}
