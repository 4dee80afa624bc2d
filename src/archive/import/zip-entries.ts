/**
 * The zip of an import, read while the import runs: its structure checked again the way the
 * analysis checked it (`zip-structure.ts`: the file may have changed on disk since), then each
 * entry read by position on one descriptor, so that several documents are read at once. A
 * small entry is one read (one trip to the thread pool, not yauzl's 16 KiB chunks and local
 * header read per entry); a large one streams in 1 MiB chunks. Size, CRC-32 and, when the
 * caller gives it, SHA-256 are checked as the bytes pass: the last chunk of an entry that
 * differs is an error, never data.
 */
import { createHash } from 'node:crypto';
import fs, { type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { crc32, createInflateRaw, inflateRaw, inflateRawSync } from 'node:zlib';
import {
  readZipStructure,
  shown,
  ZipFileReader,
  type InspectLimits,
  type ZipEntryLocation,
} from './zip-structure.ts';

export type { ZipEntryLocation } from './zip-structure.ts';

const STORED = 0;
/** Reads of large entries, and the most a small entry is read in at once. */
const CHUNK_BYTES = 1024 * 1024;
/** Deflated entries up to this size are inflated whole; larger ones stream. */
const WHOLE_INFLATED_BYTES = 4 * 1024 * 1024;
/** Inflated on the main thread below this (~1 ms a MiB): cheaper than a trip to the pool. */
const SYNC_INFLATE_BYTES = 256 * 1024;

const inflateRawAsync = promisify(inflateRaw);

/**
 * Limits when the structure is read again for the run: the analysis applied the instance's
 * limits to this same file; here only what keeps the reading itself safe.
 */
const RUN_LIMITS: InspectLimits = {
  maxEntries: Number.MAX_SAFE_INTEGER,
  maxTotalBytes: Number.MAX_SAFE_INTEGER,
  maxEntryBytes: Number.MAX_SAFE_INTEGER,
  maxRatio: Number.MAX_SAFE_INTEGER,
};

/** An entry whose bytes are not what the zip (or the manifest) says. */
export class EntryError extends Error {
  readonly entry: string;
  constructor(entry: string, message: string) {
    super(`${shown(entry)}: ${message}`);
    this.name = 'EntryError';
    this.entry = entry;
  }
}

/** The bytes an entry must hold: its SHA-256 (hex), from a signed manifest. */
export interface EntryExpectation {
  sha256: string;
}

/** Checks the bytes of one entry as they pass. */
class EntryCheck {
  readonly #e: ZipEntryLocation;
  readonly #hash: ReturnType<typeof createHash> | undefined;
  readonly #sha256: string | undefined;
  #size = 0;
  #crc = 0;

  constructor(e: ZipEntryLocation, expected: EntryExpectation | undefined) {
    this.#e = e;
    this.#sha256 = expected?.sha256;
    this.#hash = expected === undefined ? undefined : createHash('sha256');
  }

  take(chunk: Buffer): void {
    this.#size += chunk.length;
    if (this.#size > this.#e.uncompressedSize)
      throw new EntryError(this.#e.name, 'more bytes than its declared size');
    this.#crc = crc32(chunk, this.#crc);
    this.#hash?.update(chunk);
  }

  end(): void {
    const e = this.#e;
    if (this.#size !== e.uncompressedSize)
      throw new EntryError(e.name, `${this.#size} bytes, not the declared ${e.uncompressedSize}`);
    if (this.#crc !== e.crc32) throw new EntryError(e.name, 'CRC-32 mismatch');
    if (this.#hash !== undefined && this.#hash.digest('hex') !== this.#sha256)
      throw new EntryError(e.name, 'SHA-256 mismatch');
  }
}

export class ImportZip {
  /** Files and folders by name. */
  readonly entries: ReadonlyMap<string, ZipEntryLocation>;
  readonly #handle: FileHandle;
  #closed = false;

  private constructor(handle: FileHandle, entries: ReadonlyMap<string, ZipEntryLocation>) {
    this.#handle = handle;
    this.entries = entries;
  }

  /** Opens `file` and reads its structure (refused as the analysis would refuse it). */
  static async open(file: string): Promise<ImportZip> {
    const handle = await fs.open(file, 'r');
    try {
      const structure = await readZipStructure(await ZipFileReader.open(handle), RUN_LIMITS);
      if (!structure.ok) throw new EntryError('(zip)', structure.message);
      return new ImportZip(handle, new Map(structure.entries.map((e) => [e.name, e])));
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** A whole entry (a data file, a manifest), at most `max` bytes, checked. */
  async read(e: ZipEntryLocation, max: number, expected?: EntryExpectation): Promise<Buffer> {
    if (e.uncompressedSize > max)
      throw new EntryError(e.name, `too large (${e.uncompressedSize} bytes)`);
    const chunks: Buffer[] = [];
    for await (const chunk of this.#bytes(e, expected)) chunks.push(chunk);
    return chunks.length === 1 ? (chunks[0] ?? Buffer.alloc(0)) : Buffer.concat(chunks);
  }

  /**
   * The bytes of an entry as a stream, checked as they pass (an error ends the stream). A
   * stream destroyed early stops reading.
   */
  stream(e: ZipEntryLocation, expected?: EntryExpectation): Readable {
    return Readable.from(this.#bytes(e, expected), { objectMode: false, highWaterMark: 1 });
  }

  /** Each chunk is its own buffer (kept by whoever reads it: the blob store, a parser). */
  async *#bytes(e: ZipEntryLocation, expected: EntryExpectation | undefined) {
    if (this.#closed) throw new Error('the archive is closed');
    if (e.isDirectory || e.dataStart === 0) throw new EntryError(e.name, 'not a file');
    const check = new EntryCheck(e, expected);
    if (e.method === STORED) {
      // The next chunk is read while this one is written: reading and writing overlap.
      const readFrom = (at: number) => {
        const read = this.#readAt(e, at, Math.min(CHUNK_BYTES, e.compressedSize - at));
        // Handled here too: a reader that stops early leaves the last read unawaited.
        read.catch(() => undefined);
        return read;
      };
      let next = e.compressedSize > 0 ? readFrom(0) : undefined;
      for (let at = 0; next !== undefined;) {
        const chunk = await next;
        at += chunk.length;
        next = at < e.compressedSize ? readFrom(at) : undefined;
        check.take(chunk);
        if (at === e.compressedSize) check.end();
        yield chunk;
      }
      if (e.compressedSize === 0) check.end();
      return;
    }
    if (e.compressedSize <= CHUNK_BYTES && e.uncompressedSize <= WHOLE_INFLATED_BYTES) {
      const raw = await this.#readAt(e, 0, e.compressedSize);
      // One more byte than declared is enough to know the entry lies.
      const options = {
        maxOutputLength: Math.max(1, e.uncompressedSize + 1),
        chunkSize: Math.max(64, Math.min(e.uncompressedSize + 1, CHUNK_BYTES)),
      };
      let bytes: Buffer;
      try {
        bytes =
          raw.length === 0
            ? raw
            : e.uncompressedSize <= SYNC_INFLATE_BYTES
              ? inflateRawSync(raw, options)
              : await inflateRawAsync(raw, options);
      } catch (error) {
        throw new EntryError(e.name, `does not inflate (${String(error)})`);
      }
      check.take(bytes);
      check.end();
      yield bytes;
      return;
    }
    // Our own positional reads, not a stream of the FileHandle: destroying such a stream
    // early (a reader that stops at the first record it needs) closes the shared descriptor
    // under every other entry being read.
    const readAt = (at: number) =>
      this.#readAt(e, at, Math.min(CHUNK_BYTES, e.compressedSize - at));
    const source = Readable.from(
      (async function* () {
        for (let at = 0; at < e.compressedSize;) {
          const chunk = await readAt(at);
          at += chunk.length;
          yield chunk;
        }
      })(),
      { objectMode: false, highWaterMark: 1 },
    );
    const inflate = createInflateRaw({ chunkSize: 256 * 1024 });
    source.on('error', (error) => inflate.destroy(error));
    // One chunk is held back, so that the last one comes only once the entry is checked.
    let held: Buffer | undefined;
    try {
      for await (const chunk of source.pipe(inflate)) {
        const bytes = chunk as Buffer;
        check.take(bytes);
        if (held !== undefined) yield held;
        held = bytes;
      }
    } catch (error) {
      if (error instanceof EntryError) throw error;
      throw new EntryError(e.name, `does not inflate (${String(error)})`);
    } finally {
      source.destroy();
      inflate.destroy();
    }
    check.end();
    if (held !== undefined) yield held;
  }

  /** `length` bytes of an entry's data from `offset`, in a buffer of their own. */
  async #readAt(e: ZipEntryLocation, offset: number, length: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(length);
    for (let got = 0; got < length;) {
      const { bytesRead } = await this.#handle.read(
        buffer,
        got,
        length - got,
        e.dataStart + offset + got,
      );
      if (bytesRead === 0) throw new EntryError(e.name, 'truncated');
      got += bytesRead;
    }
    return buffer;
  }

  /** Closes the file (never fails: a read-only descriptor has nothing left to lose). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.close().catch(() => undefined);
  }
}
