import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  BlobNotFoundError,
  BlobRangeNotSatisfiableError,
  InvalidBlobKeyError,
  type BlobInfo,
  type BlobStore,
} from './blob-store.ts';
import { createBlobStore } from './create-blob-store.ts';
import { LocalBlobStore } from './local-blob-store.ts';
import { letS3rverPaginate, S3rver, type S3rverInstance } from '../../test/support/s3rver.ts';
import { S3BlobStore } from './s3-blob-store.ts';

// ---------------------------------------------------------------------------------------------
// Helpers

const MiB = 1024 * 1024;

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function collect(iterable: AsyncIterable<BlobInfo>): Promise<BlobInfo[]> {
  const out: BlobInfo[] = [];
  for await (const info of iterable) out.push(info);
  return out;
}

async function listKeys(store: BlobStore, prefix: string): Promise<string[]> {
  return (await collect(store.list(prefix))).map((info) => info.key);
}

/** Yields `bytes` in chunks of `chunkSize`, like a network body would. */
async function* chunked(bytes: Buffer, chunkSize: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    await Promise.resolve();
    yield bytes.subarray(offset, offset + chunkSize);
  }
}

/** Yields `bytes` in chunks of very different sizes, from 1 byte to more than an S3 part. */
async function* unevenChunks(bytes: Buffer): AsyncGenerator<Uint8Array> {
  const sizes = [1, 7, 64 * 1024, 6 * MiB + 1, 1000, 300_000];
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    yield bytes.subarray(offset, offset + size);
    offset += size;
  }
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

// ---------------------------------------------------------------------------------------------
// Drivers under test

interface Harness {
  name: 'local' | 's3';
  /** Whether `head` reports the content type given to `put`. */
  persistsContentType: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A fresh, empty store; closed by `closeStores`. */
  createStore(): Promise<BlobStore>;
  closeStores(): Promise<void>;
  /** Scratch files a failed put could have left behind (local: `.tmp/`), as paths. */
  scratchFiles(store: BlobStore): Promise<string[]>;
}

function localHarness(): Harness {
  let base = '';
  let stores: BlobStore[] = [];
  return {
    name: 'local',
    persistsContentType: false,
    async start() {
      base = await mkdtemp(path.join(os.tmpdir(), 'blob-store-local-'));
    },
    async stop() {
      await rm(base, { recursive: true, force: true });
    },
    async createStore() {
      const store = createBlobStore({ kind: 'local', dir: await mkdtemp(path.join(base, 's-')) });
      stores.push(store);
      return store;
    },
    async closeStores() {
      await Promise.all(stores.map((s) => s.close()));
      stores = [];
    },
    async scratchFiles(store) {
      const tmp = path.join((store as LocalBlobStore).root, '.tmp');
      return readdir(tmp).catch(() => []);
    },
  };
}

function s3Harness(): Harness {
  let dir = '';
  let endpoint = '';
  let server: S3rverInstance | undefined;
  let restoreCrypto = (): void => undefined;
  let stores: BlobStore[] = [];
  return {
    name: 's3',
    persistsContentType: true,
    async start() {
      dir = await mkdtemp(path.join(os.tmpdir(), 'blob-store-s3rver-'));
      restoreCrypto = letS3rverPaginate();
      server = new S3rver({
        address: '127.0.0.1',
        port: 0,
        directory: dir,
        silent: true,
        configureBuckets: [{ name: 'test' }],
      });
      const { port } = await server.run();
      endpoint = `http://127.0.0.1:${port}`;
    },
    async stop() {
      await server?.close();
      restoreCrypto();
      await rm(dir, { recursive: true, force: true });
    },
    createStore() {
      const store = createBlobStore({
        kind: 's3',
        endpoint,
        region: 'us-east-1',
        bucket: 'test',
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        forcePathStyle: true,
        // A fresh namespace per test keeps tests independent and exercises prefix handling.
        prefix: `t-${randomUUID()}`,
        // Tiny pages so every list test also goes through continuation tokens.
        listPageSize: 2,
      });
      stores.push(store);
      return Promise.resolve(store);
    },
    async closeStores() {
      await Promise.all(stores.map((s) => s.close()));
      stores = [];
    },
    scratchFiles() {
      return Promise.resolve([]);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The contract every driver must honour

describe.each([localHarness(), s3Harness()])('$name blob store contract', (harness) => {
  beforeAll(() => harness.start());
  afterAll(() => harness.stop());
  afterEach(() => harness.closeStores());

  it('has the expected kind', async () => {
    const store = await harness.createStore();
    expect(store.kind).toBe(harness.name);
  });

  describe('put/get', () => {
    it('round-trips bytes from a Readable and reports size and sha256', async () => {
      const store = await harness.createStore();
      const bytes = randomBytes(100_000);
      const result = await store.put('exports/2026/abc.zip', Readable.from([bytes]));

      expect(result).toEqual({ key: 'exports/2026/abc.zip', size: 100_000, sha256: sha256(bytes) });
      const read = await readAll(await store.get('exports/2026/abc.zip'));
      expect(read.equals(bytes)).toBe(true);
    });

    it('accepts an async iterable of Uint8Array chunks', async () => {
      const store = await harness.createStore();
      const bytes = randomBytes(300_001);
      const result = await store.put('iter.bin', chunked(bytes, 4096));

      expect(result.size).toBe(300_001);
      expect(result.sha256).toBe(sha256(bytes));
      expect((await readAll(await store.get('iter.bin'))).equals(bytes)).toBe(true);
    });

    it('stores an empty body', async () => {
      const store = await harness.createStore();
      const result = await store.put('empty', Readable.from([]));

      expect(result).toEqual({ key: 'empty', size: 0, sha256: sha256(Buffer.alloc(0)) });
      expect((await readAll(await store.get('empty'))).length).toBe(0);
      expect((await store.head('empty'))?.size).toBe(0);
    });

    it('streams a 20 MB body in and out unchanged', async () => {
      const store = await harness.createStore();
      const bytes = randomBytes(20 * 1000 * 1000 + 123);
      const result = await store.put('big/archive.zip', unevenChunks(bytes));

      expect(result.size).toBe(bytes.length);
      expect(result.sha256).toBe(sha256(bytes));
      const read = await readAll(await store.get('big/archive.zip'));
      expect(read.length).toBe(bytes.length);
      expect(read.equals(bytes)).toBe(true);
      expect((await store.head('big/archive.zip'))?.size).toBe(bytes.length);
    });

    it('replaces an existing blob', async () => {
      const store = await harness.createStore();
      await store.put('k', Readable.from([Buffer.from('first version, longer')]));
      await store.put('k', Readable.from([Buffer.from('second')]));

      expect((await readAll(await store.get('k'))).toString()).toBe('second');
      expect((await store.head('k'))?.size).toBe(6);
    });

    it('round-trips keys with spaces, unicode and dots inside segments', async () => {
      const store = await harness.createStore();
      const keys = ['a b/été €.zip', '.hidden', 'x/..y/z..', 'élève/日本.txt'];
      for (const key of keys) await store.put(key, Readable.from([Buffer.from(key)]));

      for (const key of keys) {
        expect((await readAll(await store.get(key))).toString()).toBe(key);
      }
      expect(await listKeys(store, '')).toEqual(
        [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
      );
    });

    it('throws BlobNotFoundError for an absent key', async () => {
      const store = await harness.createStore();
      const error: unknown = await store.get('nope/missing.zip').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(BlobNotFoundError);
      expect((error as BlobNotFoundError).key).toBe('nope/missing.zip');
    });

    it('throws BlobNotFoundError for a key that is only a "directory" of other blobs', async () => {
      const store = await harness.createStore();
      await store.put('dir/child', Readable.from([Buffer.from('x')]));

      await expect(store.get('dir')).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await store.head('dir')).toBeUndefined();
    });
  });

  describe('ranges', () => {
    const size = 3 * MiB + 17; // several 1 MiB read chunks
    let bytes: Buffer;
    let store: BlobStore;

    async function readRange(start: number, end?: number): Promise<Buffer> {
      return readAll(await store.get('r.bin', end === undefined ? { start } : { start, end }));
    }

    beforeAll(() => {
      bytes = randomBytes(size);
    });

    it('reads from a start offset to the end', async () => {
      store = await harness.createStore();
      await store.put('r.bin', Readable.from([bytes]));

      expect((await readRange(1_500_000)).equals(bytes.subarray(1_500_000))).toBe(true);
      expect((await readRange(0)).equals(bytes)).toBe(true);
    });

    it('reads an inclusive start-end range', async () => {
      store = await harness.createStore();
      await store.put('r.bin', Readable.from([bytes]));

      expect((await readRange(10, 19)).equals(bytes.subarray(10, 20))).toBe(true);
      const across = await readRange(MiB - 5, 2 * MiB + 5);
      expect(across.equals(bytes.subarray(MiB - 5, 2 * MiB + 6))).toBe(true);
    });

    it('reads single bytes: first, middle and last', async () => {
      store = await harness.createStore();
      await store.put('r.bin', Readable.from([bytes]));

      expect([...(await readRange(0, 0))]).toEqual([bytes[0]]);
      expect([...(await readRange(12_345, 12_345))]).toEqual([bytes[12_345]]);
      expect([...(await readRange(size - 1, size - 1))]).toEqual([bytes[size - 1]]);
      expect([...(await readRange(size - 1))]).toEqual([bytes[size - 1]]);
    });

    it('clamps an end past the end of the blob', async () => {
      store = await harness.createStore();
      await store.put('r.bin', Readable.from([bytes]));

      expect((await readRange(size - 10, size + 1000)).equals(bytes.subarray(size - 10))).toBe(
        true,
      );
    });

    it('rejects a start at or past the end, and malformed ranges', async () => {
      store = await harness.createStore();
      await store.put('r.bin', Readable.from([bytes]));

      const error: unknown = await store.get('r.bin', { start: size }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BlobRangeNotSatisfiableError);
      expect((error as BlobRangeNotSatisfiableError).size).toBe(size);
      await expect(store.get('r.bin', { start: 10, end: 9 })).rejects.toBeInstanceOf(RangeError);
      await expect(store.get('r.bin', { start: -1 })).rejects.toBeInstanceOf(RangeError);
      await expect(store.get('r.bin', { start: 1.5 })).rejects.toBeInstanceOf(RangeError);
    });

    it('throws BlobNotFoundError for a range on an absent key', async () => {
      store = await harness.createStore();
      await expect(store.get('absent', { start: 0, end: 0 })).rejects.toBeInstanceOf(
        BlobNotFoundError,
      );
    });
  });

  describe('head', () => {
    it('describes a present blob', async () => {
      const store = await harness.createStore();
      const before = Date.now();
      await store.put('h/one.zip', Readable.from([Buffer.alloc(1234, 7)]), {
        contentType: 'application/zip',
      });

      const info = await store.head('h/one.zip');
      expect(info?.key).toBe('h/one.zip');
      expect(info?.size).toBe(1234);
      expect(info?.lastModified).toBeInstanceOf(Date);
      // Second granularity on S3 (HTTP dates): allow for the truncation.
      expect(info!.lastModified!.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(info?.contentType).toBe(harness.persistsContentType ? 'application/zip' : undefined);
    });

    it('returns undefined for an absent blob', async () => {
      const store = await harness.createStore();
      expect(await store.head('h/absent')).toBeUndefined();
    });
  });

  describe('delete', () => {
    it('removes a blob and is idempotent', async () => {
      const store = await harness.createStore();
      await store.put('d/x/gone.txt', Readable.from([Buffer.from('bye')]));
      await store.put('d/x/kept.txt', Readable.from([Buffer.from('stay')]));

      await store.delete('d/x/gone.txt');
      expect(await store.head('d/x/gone.txt')).toBeUndefined();
      await expect(store.get('d/x/gone.txt')).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.delete('d/x/gone.txt')).resolves.toBeUndefined();
      await expect(store.delete('never/existed')).resolves.toBeUndefined();

      expect((await readAll(await store.get('d/x/kept.txt'))).toString()).toBe('stay');
      expect(await listKeys(store, '')).toEqual(['d/x/kept.txt']);
    });

    it('allows writing again under a key whose siblings were all deleted', async () => {
      const store = await harness.createStore();
      await store.put('p/q/r', Readable.from([Buffer.from('1')]));
      await store.delete('p/q/r');
      await store.put('p/q/r', Readable.from([Buffer.from('2')]));

      expect((await readAll(await store.get('p/q/r'))).toString()).toBe('2');
    });
  });

  describe('list', () => {
    const keys = ['list/c', 'list/b/d', 'lisz', 'list/a', 'other/x', 'list/b/c', 'list/bb'];

    async function seeded(): Promise<BlobStore> {
      const store = await harness.createStore();
      for (const [i, key] of keys.entries()) {
        await store.put(key, Readable.from([Buffer.alloc(i + 1, 1)]));
      }
      return store;
    }

    it('lists a prefix in lexicographic order, including nested keys, with sizes', async () => {
      const store = await seeded();
      const infos = await collect(store.list('list/'));

      expect(infos.map((i) => i.key)).toEqual([
        'list/a',
        'list/b/c',
        'list/b/d',
        'list/bb',
        'list/c',
      ]);
      expect(infos.map((i) => i.size)).toEqual([4, 6, 2, 7, 1]);
    });

    it('treats the prefix as a string prefix, not a directory', async () => {
      const store = await seeded();

      expect(await listKeys(store, 'list/b')).toEqual(['list/b/c', 'list/b/d', 'list/bb']);
      expect(await listKeys(store, 'list/b/')).toEqual(['list/b/c', 'list/b/d']);
      expect(await listKeys(store, 'lis')).toEqual([
        'list/a',
        'list/b/c',
        'list/b/d',
        'list/bb',
        'list/c',
        'lisz',
      ]);
    });

    it('lists everything for an empty prefix and nothing for an unknown one', async () => {
      const store = await seeded();

      expect(await listKeys(store, '')).toEqual([...keys].sort());
      expect(await listKeys(store, 'nope/')).toEqual([]);
      expect(await listKeys(store, 'list/a/')).toEqual([]);
    });

    it('is lazy: stopping early is fine', async () => {
      const store = await seeded();
      const seen: string[] = [];
      for await (const info of store.list('')) {
        seen.push(info.key);
        if (seen.length === 3) break;
      }
      expect(seen).toEqual([...keys].sort().slice(0, 3));
    });

    it('lists nothing in an empty store', async () => {
      const store = await harness.createStore();
      expect(await listKeys(store, '')).toEqual([]);
    });
  });

  describe('key validation', () => {
    const invalidKeys: [string, string][] = [
      ['empty', ''],
      ['parent segment first', '../x'],
      ['parent segment inside', 'a/../b'],
      ['parent segment last', 'a/..'],
      ['dot segment', './a'],
      ['lone dot', '.'],
      ['absolute', '/abs'],
      ['empty segment', 'a//b'],
      ['trailing slash', 'a/'],
      ['backslash', 'a\\b'],
      ['NUL', 'a\0b'],
      ['newline', 'a\nb'],
      ['DEL', 'a\u007fb'],
      ['reserved .tmp', '.tmp/x'],
      ['over 1024 bytes', 'x'.repeat(1025)],
      ['lone surrogate', 'bad\ud800surrogate'],
    ];

    it.each(invalidKeys)('rejects a key with %s everywhere', async (_label, key) => {
      const store = await harness.createStore();
      let consumed = false;
      const body = (async function* () {
        consumed = true;
        yield Buffer.from('x');
      })();

      await expect(store.put(key, body)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.get(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.head(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      expect(consumed).toBe(false);
      expect(await listKeys(store, '')).toEqual([]);
    });

    it.each(['../', '/abs', 'a//', 'a\\', '.tmp/', 'a\0'])(
      'rejects list prefix %j',
      async (prefix) => {
        const store = await harness.createStore();
        await expect(listKeys(store, prefix)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      },
    );

    it('accepts a 1024-byte key', async () => {
      const store = await harness.createStore();
      // Segments under 255 bytes: that is the filesystem limit, not ours.
      const key = Array.from({ length: 8 }, (_, i) => String(i).repeat(127)).join('/');
      expect(Buffer.byteLength(key)).toBe(1023);
      await store.put(`${key}x`, Readable.from([Buffer.from('ok')]));
      expect((await store.head(`${key}x`))?.size).toBe(2);
    });
  });

  describe('failed and aborted puts leave nothing', () => {
    async function expectNothingLeft(store: BlobStore, key: string): Promise<void> {
      expect(await store.head(key)).toBeUndefined();
      await expect(store.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
      expect(await listKeys(store, '')).toEqual([]);
      expect(await harness.scratchFiles(store)).toEqual([]);
    }

    it('when the source stream errors midway (small body)', async () => {
      const store = await harness.createStore();
      const body = (async function* () {
        yield randomBytes(100_000);
        throw new Error('source broke');
      })();

      await expect(store.put('f/small.zip', body)).rejects.toThrow('source broke');
      await expectNothingLeft(store, 'f/small.zip');
    });

    it('when the source stream errors midway (multipart-sized body)', async () => {
      const store = await harness.createStore();
      const body = (async function* () {
        for (let i = 0; i < 7; i++) yield randomBytes(MiB);
        throw new Error('source broke late');
      })();

      await expect(store.put('f/big.zip', body)).rejects.toThrow('source broke late');
      await expectNothingLeft(store, 'f/big.zip');
    });

    it('when a Readable source is destroyed with an error', async () => {
      const store = await harness.createStore();
      const source = new PassThrough();
      source.write(randomBytes(2 * MiB));
      // On a busy machine the timer can fire before put reaches its pipeline: the error is
      // then the store's to find on the stream, not an uncaught one of the test.
      source.on('error', () => undefined);
      setTimeout(() => source.destroy(new Error('client went away')), 50);

      await expect(store.put('f/readable.zip', source)).rejects.toThrow('client went away');
      await expectNothingLeft(store, 'f/readable.zip');
    });

    it('keeps the previous version when replacing fails', async () => {
      const store = await harness.createStore();
      await store.put('f/v.txt', Readable.from([Buffer.from('v1')]));
      const body = (async function* () {
        yield Buffer.from('v2 partial');
        throw new Error('nope');
      })();

      await expect(store.put('f/v.txt', body)).rejects.toThrow('nope');
      expect((await readAll(await store.get('f/v.txt'))).toString()).toBe('v1');
      expect(await harness.scratchFiles(store)).toEqual([]);
    });

    it('when the signal is aborted midway, with a stalled source', async () => {
      const store = await harness.createStore();
      const controller = new AbortController();
      // Never ends by itself, like a slow upload: only the abort can stop the put.
      const source = new PassThrough();
      source.write(randomBytes(6 * MiB));
      setTimeout(() => controller.abort(), 100);

      const error: unknown = await store
        .put('a/stalled.zip', source, { signal: controller.signal })
        .catch((e: unknown) => e);
      expect((error as Error).name).toBe('AbortError');
      expect(source.destroyed).toBe(true);
      await expectNothingLeft(store, 'a/stalled.zip');
    });

    it('when the signal is aborted midway, with a source still producing', async () => {
      const store = await harness.createStore();
      const controller = new AbortController();
      let produced = 0;
      const body = (async function* () {
        for (let i = 0; i < 40; i++) {
          if (i === 8) controller.abort();
          produced += 1;
          yield randomBytes(MiB);
        }
      })();

      const error: unknown = await store
        .put('a/abort.zip', body, { signal: controller.signal })
        .catch((e: unknown) => e);
      expect((error as Error).name).toBe('AbortError');
      expect(produced).toBeLessThan(40);
      await expectNothingLeft(store, 'a/abort.zip');
    });

    it('when the signal is already aborted, without reading the body', async () => {
      const store = await harness.createStore();
      let consumed = false;
      const body = (async function* () {
        consumed = true;
        yield Buffer.from('x');
      })();

      await expect(
        store.put('a/early.zip', body, { signal: AbortSignal.abort() }),
      ).rejects.toMatchObject({ name: 'AbortError' });
      expect(consumed).toBe(false);
      await expectNothingLeft(store, 'a/early.zip');
    });
  });

  describe('check', () => {
    it('passes on a usable store', async () => {
      const store = await harness.createStore();
      await expect(store.check()).resolves.toBeUndefined();
      // The probe leaves nothing visible.
      expect(await listKeys(store, '')).toEqual([]);
      expect(await harness.scratchFiles(store)).toEqual([]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Driver-specific behaviour

describe('local blob store', () => {
  let base = '';

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'blob-store-local-only-'));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  async function freshStore(): Promise<LocalBlobStore> {
    return new LocalBlobStore(await mkdtemp(path.join(base, 's-')));
  }

  it('check fails when the root does not exist, and put does not create it', async () => {
    const missing = path.join(base, 'missing', 'root');
    const store = new LocalBlobStore(missing);

    await expect(store.check()).rejects.toThrow(/not usable/);
    await expect(store.put('k', Readable.from([Buffer.from('x')]))).rejects.toMatchObject({
      code: 'ENOENT',
    });
    await expect(readdir(missing)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('check fails when the root is a file', async () => {
    const file = path.join(base, `file-${randomUUID()}`);
    await writeFile(file, 'not a directory');

    await expect(new LocalBlobStore(file).check()).rejects.toThrow(/not usable/);
  });

  it('stores blobs as plain files under the root and leaves .tmp empty', async () => {
    const store = await freshStore();
    await store.put('exports/2026/abc.zip', Readable.from([Buffer.from('zip bytes')]));

    expect(await readdir(path.join(store.root, 'exports', '2026'))).toEqual(['abc.zip']);
    expect(await readdir(path.join(store.root, '.tmp'))).toEqual([]);
  });

  it('does not list .tmp nor files that are not valid keys', async () => {
    const store = await freshStore();
    await store.put('ok', Readable.from([Buffer.from('1')]));
    await mkdir(path.join(store.root, '.tmp'), { recursive: true });
    await writeFile(path.join(store.root, '.tmp', 'leftover.part'), 'x');
    await writeFile(path.join(store.root, 'bad\nname'), 'x');

    expect(await listKeys(store, '')).toEqual(['ok']);
  });

  it('prunes directories emptied by delete', async () => {
    const store = await freshStore();
    await store.put('a/b/c/d.txt', Readable.from([Buffer.from('x')]));
    await store.put('a/keep.txt', Readable.from([Buffer.from('y')]));
    await store.delete('a/b/c/d.txt');

    expect((await readdir(path.join(store.root, 'a'))).sort()).toEqual(['keep.txt']);
  });

  it('orders keys by bytes across directory boundaries, like S3', async () => {
    const store = await freshStore();
    // '-' (0x2d) < '/' (0x2f) < '0' (0x30): a naive directory walk would put a/c first.
    for (const key of ['a0', 'a/c', 'a-b', 'a.txt', 'é', 'z']) {
      await store.put(key, Readable.from([Buffer.from(key)]));
    }
    expect(await listKeys(store, '')).toEqual(['a-b', 'a.txt', 'a/c', 'a0', 'z', 'é']);
    expect(await listKeys(store, 'a')).toEqual(['a-b', 'a.txt', 'a/c', 'a0']);
  });

  it('cannot hold both "a" and "a/b" (a filesystem limit) and reports it', async () => {
    const store = await freshStore();
    await store.put('a', Readable.from([Buffer.from('file')]));

    await expect(store.put('a/b', Readable.from([Buffer.from('x')]))).rejects.toThrow();
    expect((await readAll(await store.get('a'))).toString()).toBe('file');
    expect(await readdir(path.join(store.root, '.tmp'))).toEqual([]);
  });

  it('keeps concurrent writers to one key atomic', async () => {
    const store = await freshStore();
    const versions = Array.from({ length: 5 }, () => randomBytes(2 * MiB));
    const results = await Promise.all(
      versions.map((v) => store.put('race.bin', chunked(v, 128 * 1024))),
    );

    const stored = await readAll(await store.get('race.bin'));
    expect(results.map((r) => r.sha256)).toContain(sha256(stored));
    expect(await readdir(path.join(store.root, '.tmp'))).toEqual([]);
  });
});

describe('s3 blob store', () => {
  let server: S3rverInstance | undefined;
  let dir = '';
  let endpoint = '';
  const requests: string[] = [];
  const stores: S3BlobStore[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'blob-store-s3rver-only-'));
    server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      directory: dir,
      silent: true,
      configureBuckets: [{ name: 'test' }],
    });
    const { port } = await server.run();
    server.httpServer.on('request', (req: { method?: string; url?: string }) => {
      requests.push(`${req.method} ${req.url}`);
    });
    endpoint = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  function store(overrides: { bucket?: string; prefix?: string } = {}): S3BlobStore {
    const s = new S3BlobStore({
      endpoint,
      region: 'us-east-1',
      bucket: overrides.bucket ?? 'test',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
      prefix: overrides.prefix ?? `only-${randomUUID()}/`,
    });
    stores.push(s);
    return s;
  }

  it('check fails when the bucket does not exist', async () => {
    await expect(store({ bucket: 'no-such-bucket' }).check()).rejects.toThrow(/not usable/);
  });

  it('keeps blobs inside its prefix', async () => {
    const prefix = `ns-${randomUUID()}`;
    const a = store({ prefix });
    const outside = store({ prefix: '' });
    await a.put('k.txt', Readable.from([Buffer.from('x')]));

    expect(await listKeys(a, '')).toEqual(['k.txt']);
    expect(await outside.head(`${prefix}/k.txt`)).toMatchObject({ size: 1 });
  });

  it('rejects an invalid prefix in its configuration', () => {
    expect(() => store({ prefix: '../up' })).toThrow(InvalidBlobKeyError);
  });

  it('rejects half-configured credentials', () => {
    expect(
      () =>
        new S3BlobStore({
          endpoint,
          region: 'us-east-1',
          bucket: 'test',
          accessKeyId: 'S3RVER',
          forcePathStyle: true,
        }),
    ).toThrow(/both accessKeyId and secretAccessKey/);
  });

  it('stores raw bytes, not aws-chunked framing', async () => {
    const s = store({ prefix: `raw-${randomUUID()}` });
    const bytes = Buffer.from('exactly these bytes\n');
    await s.put('raw.txt', Readable.from([bytes]));

    const info = await s.head('raw.txt');
    expect(info?.size).toBe(bytes.length);
    expect(info?.etag).toBe(`"${createHash('md5').update(bytes).digest('hex')}"`);
  });

  it('aborts the multipart upload before reporting a failed big put', async () => {
    const s = store();
    const sent = requests.length;
    const mpuStarted = (): boolean =>
      requests.slice(sent).some((r) => r.startsWith('POST ') && /[?&]uploads(=|&|$)/.test(r));
    const body = (async function* () {
      for (let i = 0; i < 6; i++) yield randomBytes(MiB);
      // Fail only once the multipart upload exists, so there is something to clean up.
      await waitFor(mpuStarted, 'CreateMultipartUpload');
      throw new Error('late failure');
    })();

    await expect(s.put('mpu/fail.bin', body)).rejects.toThrow('late failure');

    const mine = requests.slice(sent);
    expect(mine.some((r) => r.startsWith('DELETE ') && /[?&]uploadId=/.test(r))).toBe(true);
    expect(mine.some((r) => r.startsWith('POST ') && /[?&]uploadId=/.test(r))).toBe(false);
    expect(await s.head('mpu/fail.bin')).toBeUndefined();
  });
});
