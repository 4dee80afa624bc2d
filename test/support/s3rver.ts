/**
 * s3rver (an S3-compatible server in-process) for the tests of the S3 blob store and of
 * anything stored through it.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

// ---------------------------------------------------------------------------------------------
// s3rver has no type declarations: load it through require and describe the little we use.

interface S3rverOptions {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
}
export interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer: Server;
}
type S3rverConstructor = new (options: S3rverOptions) => S3rverInstance;

const require = createRequire(import.meta.url);
export const S3rver = require('s3rver') as S3rverConstructor;

interface CipherLike {
  update(data: string | Buffer, encoding?: BufferEncoding): Buffer;
  final(): Buffer;
}
type CipherFactory = (algorithm: string, ...rest: unknown[]) => CipherLike;
const patchableCrypto = require('node:crypto') as {
  createCipheriv: CipherFactory;
  createDecipheriv: CipherFactory;
};

/**
 * s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node >= 17) no
 * longer provides: every truncated listing fails with InternalError. While s3rver runs, serve
 * 'des' with an identity cipher (the token becomes readable, which nothing cares about) so that
 * pagination can be tested against it. Returns the function restoring the real ones.
 */
export function letS3rverPaginate(): () => void {
  const { createCipheriv, createDecipheriv } = patchableCrypto;
  const identity: CipherLike = {
    update: (data, encoding) => (typeof data === 'string' ? Buffer.from(data, encoding) : data),
    final: () => Buffer.alloc(0),
  };
  patchableCrypto.createCipheriv = (algorithm, ...rest) =>
    algorithm === 'des' ? identity : createCipheriv(algorithm, ...rest);
  patchableCrypto.createDecipheriv = (algorithm, ...rest) =>
    algorithm === 'des' ? identity : createDecipheriv(algorithm, ...rest);
  return () => {
    patchableCrypto.createCipheriv = createCipheriv;
    patchableCrypto.createDecipheriv = createDecipheriv;
  };
}

/** Starts s3rver on a free port with the given buckets; `stop` closes it and removes its files. */
export async function startS3rver(
  buckets: string[] = ['test'],
): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'md-s3rver-'));
  const restoreCrypto = letS3rverPaginate();
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: dir,
    silent: true,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      await server.close();
      restoreCrypto();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
