import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, type Dirent } from 'node:fs';
import { mkdir, open, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import {
  assertValidBlobKey,
  assertValidBlobPrefix,
  assertValidBlobRange,
  BlobNotFoundError,
  BlobRangeNotSatisfiableError,
  InvalidBlobKeyError,
  isValidBlobKey,
  RESERVED_TOP_LEVEL_SEGMENT,
} from './blob-store.ts';
import type { BlobInfo, BlobPutOptions, BlobRange, BlobStore, PutResult } from './blob-store.ts';
import { HashingTransform } from './hashing-transform.ts';

/** Blobs up to this size are read whole, at once (readSmall). */
const SYNC_READ_BYTES = 64 * 1024;

/** Large chunks: blobs are archives of several GB, small reads would be syscall-bound. */
const CHUNK_SIZE = 1024 * 1024;

/**
 * Stored files are the users' own documents and archives: readable by the service's account
 * only (files 0600, folders 0700), whatever the process's umask.
 */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/** How often `put` retries when a concurrent `delete` prunes the directory it just created. */
const MOVE_ATTEMPTS = 3;

function errorCode(err: unknown): string | undefined {
  if (!(err instanceof Error) || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

/** ENOTDIR: a parent of the path is a file, so the blob cannot exist either. */
function isMissing(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Orders like S3: by the UTF-8 bytes of the key, not by UTF-16 code units. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * A blob of at most SYNC_READ_BYTES, read at once on the calling thread; undefined for a
 * bigger one. Four system calls on a file the page cache holds take microseconds, where four
 * trips through the thread pool (a lock and a thread switch each, a promise each) took 0.5 to
 * 3 ms a document on a busy machine: the cost of an export of many small documents. The
 * bytes are bounded, so the event loop is never held longer than one small read.
 */
function readSmall(key: string, file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if (isMissing(err)) throw new BlobNotFoundError(key, { cause: err });
    throw err;
  }
  try {
    const stats = fstatSync(fd);
    // Opening a directory succeeds on Linux; a directory is not a blob.
    if (!stats.isFile()) throw new BlobNotFoundError(key);
    if (stats.size > SYNC_READ_BYTES) return undefined;
    const bytes = Buffer.allocUnsafe(stats.size);
    let filled = 0;
    while (filled < bytes.length) {
      const read = readSync(fd, bytes, filled, bytes.length - filled, filled);
      if (read === 0) break;
      filled += read;
    }
    return filled === bytes.length ? bytes : bytes.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

/** The `size` bytes of an open file (fewer if it ends sooner), then closes it. */
async function readAll(handle: FileHandle, size: number): Promise<Buffer> {
  try {
    const bytes = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(bytes, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === size ? bytes : bytes.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/** Makes a completed rename survive a crash: the new directory entry must reach the disk too. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

interface WalkEntry {
  key: string;
  isDirectory: boolean;
  /** Key as it sorts among its siblings: a directory stands for all the keys below it. */
  sortKey: string;
}

/**
 * Blob store on a local (or network-mounted) directory. Keys map to files below `root`;
 * writes go to `root/.tmp/` first, so `root` must be a single filesystem for renames to be
 * atomic. `root` must already exist: it is never created, so that an unmounted volume is reported
 * instead of silently written under its mount point.
 *
 * The content type given to `put` is not persisted (`head`/`list` never report one), and since
 * keys are paths, `a` and `a/b` cannot both exist (`put` of the second one fails).
 */
export class LocalBlobStore implements BlobStore {
  readonly kind = 'local';
  readonly root: string;
  readonly #tmpDir: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.#tmpDir = path.join(this.root, RESERVED_TOP_LEVEL_SEGMENT);
  }

  async put(
    key: string,
    body: Readable | AsyncIterable<Uint8Array>,
    opts: BlobPutOptions = {},
  ): Promise<PutResult> {
    const target = this.#pathOf(key);
    opts.signal?.throwIfAborted();
    const tmp = path.join(this.#tmpDir, `${randomUUID()}.part`);
    const hasher = new HashingTransform();
    let handle: FileHandle | undefined;
    try {
      // The temporary folder is made when a put first finds it missing, not before each put
      // (a failing mkdir per document cost more than the write of a small one).
      handle = await open(tmp, 'wx', FILE_MODE).catch(async (err: unknown) => {
        if (errorCode(err) !== 'ENOENT') throw err;
        await this.#ensureTmpDir();
        return open(tmp, 'wx', FILE_MODE);
      });
      // flush: fsync before the stream closes the descriptor, so the rename below never
      // publishes a file whose data is still only in the page cache.
      const sink = handle.createWriteStream({ flush: true, highWaterMark: CHUNK_SIZE });
      await pipeline(body, hasher, sink, { signal: opts.signal });
      await this.#moveIntoPlace(tmp, target);
    } catch (err) {
      // Normally closed by the stream already; this covers a failure before it took over.
      await handle?.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    }
    return { key, size: hasher.byteCount, sha256: hasher.digestHex() };
  }

  localPath(key: string): string {
    return this.#pathOf(key);
  }

  async get(key: string, range?: BlobRange): Promise<Readable> {
    const file = this.#pathOf(key);
    if (range !== undefined) assertValidBlobRange(range);
    if (range === undefined) {
      const small = readSmall(key, file);
      if (small !== undefined) return Readable.from([small]);
    }

    const { handle, size } = await this.#openBlob(key, file);
    // A file of one chunk is read at once and closed: a stream would read it, then read again
    // to find its end, then close; with 20,000 small documents each thread-pool trip counts.
    if (range === undefined && size <= CHUNK_SIZE)
      return Readable.from([await readAll(handle, size)]);
    // Small files get a buffer their size: a 1 MiB buffer per 2 KiB note costs more than the read.
    const highWaterMark = Math.max(16 * 1024, Math.min(CHUNK_SIZE, size));
    if (range === undefined) return handle.createReadStream({ highWaterMark });
    if (range.start >= size) {
      await handle.close();
      throw new BlobRangeNotSatisfiableError(key, range, size);
    }
    return handle.createReadStream({
      start: range.start,
      end: range.end,
      highWaterMark,
    });
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    const file = this.#pathOf(key);
    try {
      const stats = await stat(file);
      if (!stats.isFile()) return undefined;
      return { key, size: stats.size, lastModified: stats.mtime };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.#pathOf(key);
    try {
      await unlink(file);
    } catch (err) {
      // EISDIR: `key` is only a directory of other blobs, there is no blob to delete.
      if (isMissing(err) || errorCode(err) === 'EISDIR') return;
      throw err;
    }
    await this.#pruneEmptyDirectories(path.dirname(file));
  }

  async *list(prefix: string): AsyncGenerator<BlobInfo> {
    assertValidBlobPrefix(prefix);
    // Start at the deepest directory the prefix names; only its last segment can be partial.
    yield* this.#walk(prefix.slice(0, prefix.lastIndexOf('/') + 1), prefix);
  }

  /** Checks that the root exists and that a file can be created, synced and removed in it. */
  async check(): Promise<void> {
    try {
      const stats = await stat(this.root);
      if (!stats.isDirectory()) throw new Error(`${this.root} is not a directory`);
      await this.#ensureTmpDir();
      const probe = path.join(this.#tmpDir, `check-${randomUUID()}`);
      try {
        const handle = await open(probe, 'wx', FILE_MODE);
        try {
          await handle.writeFile('ok');
          await handle.sync();
        } finally {
          await handle.close();
        }
      } finally {
        await rm(probe, { force: true });
      }
    } catch (err) {
      throw new Error(`Local blob store at ${this.root} is not usable`, { cause: err });
    }
  }

  async close(): Promise<void> {
    // Nothing to release: every operation opens and closes its own descriptors.
  }

  #pathOf(key: string): string {
    assertValidBlobKey(key);
    const file = path.join(this.root, ...key.split('/'));
    // Defence in depth: validation already rules this out.
    if (!file.startsWith(this.root + path.sep)) {
      throw new InvalidBlobKeyError(key, 'resolves outside the store');
    }
    return file;
  }

  async #ensureTmpDir(): Promise<void> {
    try {
      await mkdir(this.#tmpDir, { mode: DIR_MODE });
    } catch (err) {
      if (errorCode(err) !== 'EEXIST') throw err;
    }
  }

  async #openBlob(key: string, file: string): Promise<{ handle: FileHandle; size: number }> {
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      if (isMissing(err)) throw new BlobNotFoundError(key, { cause: err });
      throw err;
    }
    try {
      const stats = await handle.stat();
      // Opening a directory succeeds on Linux; a directory is not a blob.
      if (!stats.isFile()) throw new BlobNotFoundError(key);
      return { handle, size: stats.size };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async #moveIntoPlace(tmp: string, target: string): Promise<void> {
    const dir = path.dirname(target);
    for (let attempt = 1; ; attempt++) {
      await mkdir(dir, { recursive: true, mode: DIR_MODE });
      try {
        await rename(tmp, target);
        break;
      } catch (err) {
        // A concurrent delete may prune `dir` between mkdir and rename: recreate it and retry.
        if (errorCode(err) !== 'ENOENT' || attempt >= MOVE_ATTEMPTS) throw err;
      }
    }
    await syncDirectory(dir);
  }

  /** Removes directories left empty by a delete, so that the tree does not grow forever. */
  async #pruneEmptyDirectories(start: string): Promise<void> {
    for (let dir = start; dir.startsWith(this.root + path.sep); dir = path.dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        // Not empty (the usual case), or already gone: either way the blob is deleted, which
        // is all the caller asked for.
        return;
      }
    }
  }

  async *#walk(dirKey: string, prefix: string): AsyncGenerator<BlobInfo> {
    const dir = path.join(this.root, ...dirKey.split('/'));
    let dirents: Dirent[];
    try {
      dirents = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }

    const entries: WalkEntry[] = [];
    for (const dirent of dirents) {
      const key = dirKey + dirent.name;
      // Skips the reserved `.tmp/` and anything not written through this API (symlinks, names
      // with control characters...), which `get` could not address anyway.
      if (!isValidBlobKey(key)) continue;
      if (dirent.isDirectory()) {
        entries.push({ key, isDirectory: true, sortKey: `${key}/` });
      } else if (dirent.isFile()) {
        entries.push({ key, isDirectory: false, sortKey: key });
      }
    }
    // `a-b` sorts before `a/c` because '-' < '/': compare directories as `name/`.
    entries.sort((a, b) => compareUtf8(a.sortKey, b.sortKey));

    for (const entry of entries) {
      if (entry.isDirectory) {
        const childKey = `${entry.key}/`;
        if (childKey.startsWith(prefix) || prefix.startsWith(childKey)) {
          yield* this.#walk(childKey, prefix);
        }
        continue;
      }
      if (!entry.key.startsWith(prefix)) continue;
      const info = await this.head(entry.key);
      // Deleted since readdir: listing is not a snapshot, skip it.
      if (info !== undefined) yield info;
    }
  }
}
