import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw, deflateRawSync } from 'node:zlib';
import {
  centralRecord,
  dataDescriptor,
  dosDateTime,
  endRecords,
  localHeader,
  STORED,
  DEFLATED,
  type ZipEntryRecord,
} from './export-zip-records.ts';
import { INDEX, MANIFEST, SIGNATURE } from './format.ts';
import {
  bytesOf,
  foldPath,
  MAX_COMPONENT_BYTES,
  MAX_PATH_BYTES,
  numberedName,
  prefixes,
  safeName,
} from './zip-names.ts';

const deflateRawAsync = promisify(deflateRaw);

/** Entries up to this size are read whole, then written with CRC and sizes first. */
export const WHOLE_ENTRY_BYTES = 1024 * 1024;
/** Deflated on the main thread up to this size: cheaper than a hop to the thread pool. */
const SYNC_DEFLATE_BYTES = 64 * 1024;
/** A streamed entry is deflated in blocks of this size. */
const DEFLATE_BLOCK = 1024 * 1024;
/** Small writes are gathered into chunks of this size before they reach the sink. */
const GATHER_BYTES = 256 * 1024;
/** What the output holds for the sink before writers wait. */
const OUTPUT_BUFFER = 4 * 1024 * 1024;
const CENTRAL_BLOCK = 64 * 1024;

export interface WrittenFile {
  path: string;
  size: number;
  sha256: string;
}

/** Types already compressed: deflating them costs ~10× storing and gains nothing. */
export function shouldCompress(contentType: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type === 'application/x-ndjson' ||
    type === 'application/xml' ||
    type === 'image/svg+xml' ||
    type === 'image/bmp' ||
    type === 'application/javascript' ||
    type === 'application/rtf' ||
    type === 'application/x-tex'
  );
}

export { safeName } from './zip-names.ts';

/** Room a folder leaves in a path for a file name of its own (see MAX_PATH_BYTES). */
const MIN_FILE_NAME_BYTES = 100;
const MAX_DIR_BYTES = MAX_PATH_BYTES - 1 - MIN_FILE_NAME_BYTES;
/** A folder name is flattened when it no longer fits whole with room for " (12)". */
const NUMBER_ROOM = 8;
/** The folder that holds, under an app's folder, the folders of a tree too deep to keep. */
const FLAT_FOLDER = '…';

/**
 * Writes a zip as a stream: entries are added one at a time, each resolved once its bytes are
 * handed to `output`, with their size and SHA-256 for the manifest. Nothing is held whole in
 * memory but small entries (WHOLE_ENTRY_BYTES) and the central directory in packed form;
 * ZIP64 where an entry or the archive needs it; names are UTF-8 (records: export-zip-records).
 * Its own writer rather than yazl: CRC-32 and SHA-256 computed once on each chunk, small files
 * written with no stream of their own, and small writes gathered, which a stream per entry
 * (five stream hops a chunk) made the cost of an export of many small files.
 */
export class ZipWriter {
  readonly output: Readable;
  private readonly files: WrittenFile[] = [];
  /** Folded paths (foldPath) of the files, and of every folder above a file. */
  private readonly fileKeys = new Set<string>();
  private readonly dirKeys = new Set<string>();
  /** A folder asked for (its parent's real path, NUL, its safe name) → its real path. */
  private readonly dirs = new Map<string, string>();
  /** Paths kept (keep) for a later reservePath of that very name. */
  private readonly kept = new Set<string>();
  private failure: Error | undefined;
  private readonly mtime: Date;
  private readonly dos: { date: number; time: number };
  private readonly central = new CentralDirectory();
  /** Bytes handed to `output` so far (with those gathered): the next record's offset. */
  private offset = 0;
  private gathered: Buffer | undefined;
  private gatheredBytes = 0;
  /** The sink holds OUTPUT_BUFFER: writers wait (`room`) until it reads. */
  private full = false;
  private waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private tail: Promise<void> = Promise.resolve();
  private ended = false;

  /** `reserved`: paths written later by their fixed names (the manifest...), kept free. */
  constructor(mtime: Date, reserved: readonly string[] = [MANIFEST, SIGNATURE, INDEX]) {
    this.mtime = mtime;
    this.dos = dosDateTime(mtime);
    for (const path of reserved) this.claim(path);
    this.output = new Readable({
      highWaterMark: OUTPUT_BUFFER,
      read: () => this.wake(),
    });
    // The sink gave up (storage down, cancelled): nothing written from now on can reach it.
    this.output.once('close', () => {
      if (this.ended) return;
      this.failure ??= new Error('The zip stream was closed before its end');
      this.wake(this.failure);
    });
  }

  /** True once the zip stream failed: nothing more can be written to it. */
  broken(): boolean {
    return this.failure !== undefined;
  }

  /** Every file written so far (the manifest's list). */
  written(): readonly WrittenFile[] {
    return this.files;
  }

  /**
   * A path unique in the archive for the file `name` in the folder `rawDir` ("a/b/c", names as
   * users gave them), as Windows and macOS compare names (foldName: case, Unicode forms...):
   * no other file has it, and it is no folder of another path, nor the other way round. A
   * later clash is numbered "a (2).pdf", "Classeur (2)". Every name is made safe and short
   * enough (MAX_COMPONENT_BYTES, MAX_PATH_BYTES); a folder too deep to fit goes under "…" in
   * the first folder (the app's), its own subfolders under it. The same `rawDir` always gives
   * the same folder. Never throws: any name gets a path.
   */
  reservePath(rawDir: string, name: string): string {
    let dir = '';
    for (const part of rawDir.split('/')) dir = this.folder(dir, safeName(part));
    const safe = safeName(name);
    const max = Math.min(MAX_COMPONENT_BYTES, MAX_PATH_BYTES - bytesOf(dir) - 1);
    for (let i = 1; ; i++) {
      const candidate = `${dir}/${numberedName(safe, i, max, true)}`;
      if (i === 1 && this.kept.delete(candidate)) return candidate;
      const key = foldPath(candidate);
      if (!this.fileKeys.has(key) && !this.dirKeys.has(key)) {
        this.claim(candidate);
        return candidate;
      }
    }
  }

  /**
   * Keeps the file `name` of the folder `rawDir` for a later reservePath of exactly that name
   * (an app's data files, `Blog/posts.ndjson`): no folder nor other file takes it meanwhile,
   * whatever users named their content. Returns the path kept.
   */
  keep(rawDir: string, name: string): string {
    const path = this.reservePath(rawDir, name);
    this.kept.add(path);
    return path;
  }

  /** The real path of the folder `name` (safe) asked for in the folder `parent` (real). */
  private folder(parent: string, name: string, flat = false): string {
    const asked = `${parent}\u0000${flat ? '\u0001' : ''}${name}`;
    const known = this.dirs.get(asked);
    if (known !== undefined) return known;
    let under = parent;
    if (parent !== '' && bytesOf(parent) + 1 + bytesOf(name) + NUMBER_ROOM > MAX_DIR_BYTES) {
      const top = parent.split('/')[0] ?? parent;
      under = this.folder(top, FLAT_FOLDER, true);
    }
    const max = Math.min(
      MAX_COMPONENT_BYTES,
      under === '' ? MAX_COMPONENT_BYTES : MAX_DIR_BYTES - bytesOf(under) - 1,
    );
    for (let i = 1; ; i++) {
      const component = numberedName(name, i, max, false);
      const path = under === '' ? component : `${under}/${component}`;
      const key = foldPath(path);
      if (!this.fileKeys.has(key) && !this.dirKeys.has(key)) {
        this.dirKeys.add(key);
        this.dirs.set(asked, path);
        return path;
      }
    }
  }

  /** Marks `path` as a file, and each folder above it as a folder. */
  private claim(path: string): void {
    const all = prefixes(path);
    const file = all.pop();
    if (file !== undefined) this.fileKeys.add(foldPath(file));
    for (const dir of all) this.dirKeys.add(foldPath(dir));
  }

  /**
   * Adds a stream as the entry `path` (already reserved, or fixed like `manifest.json`). A
   * stream of a known `size` up to WHOLE_ENTRY_BYTES is taken whole first: a failure while
   * reading it costs that entry only (nothing was written), and it needs no data descriptor.
   * A bigger one is streamed: a failure then breaks the archive (`broken()`).
   */
  addStream(
    path: string,
    source: Readable,
    options: { compress: boolean; size?: number },
  ): Promise<WrittenFile> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.claim(path);
    return this.serial(async () => {
      const chunks = source[Symbol.asyncIterator]() as AsyncIterator<unknown>;
      const head: Buffer[] = [];
      if (options.size !== undefined && options.size <= WHOLE_ENTRY_BYTES) {
        let bytes = 0;
        for (;;) {
          const next = await chunks.next();
          if (next.done === true) {
            const whole =
              head.length === 1 && head[0] !== undefined ? head[0] : Buffer.concat(head, bytes);
            const file = await this.whole(path, whole, options.compress);
            this.files.push(file);
            return file;
          }
          const chunk = asBuffer(next.value);
          head.push(chunk);
          bytes += chunk.length;
          // Bigger than it said: streamed after all, from what was read.
          if (bytes > WHOLE_ENTRY_BYTES) break;
        }
      }
      const file = await this.streamed(path, head, chunks, options.compress);
      this.files.push(file);
      return file;
    });
  }

  addBuffer(
    path: string,
    bytes: Buffer,
    options: { compress: boolean; listed?: boolean },
  ): Promise<WrittenFile> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.claim(path);
    return this.serial(async () => {
      const file = await this.whole(path, bytes, options.compress);
      if (options.listed !== false) this.files.push(file);
      return file;
    });
  }

  /** Writes the central directory and the end records once every entry added is written. */
  end(): void {
    void this.tail.then(() => {
      if (this.failure !== undefined) {
        this.output.destroy(this.failure);
        return;
      }
      const cdOffset = this.offset;
      for (const block of this.central.blocks()) this.write(block);
      const cdSize = this.offset - cdOffset;
      this.write(endRecords(this.central.count, cdOffset, cdSize, this.offset));
      this.flushGathered();
      this.ended = true;
      this.output.push(null);
    });
  }

  /** Entries are written one after the other, in the order they were added. */
  private serial<R>(run: () => Promise<R>): Promise<R> {
    const result = this.tail.then(run);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** An entry whose bytes are all here: CRC and sizes lead the data, no descriptor. */
  private async whole(path: string, bytes: Buffer, compress: boolean): Promise<WrittenFile> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const crc = crc32(bytes);
    let data = bytes;
    let method: ZipEntryRecord['method'] = STORED;
    if (compress && bytes.length > 0) {
      const deflated =
        bytes.length <= SYNC_DEFLATE_BYTES
          ? deflateRawSync(bytes, smallDeflate(bytes.length))
          : await deflateRawAsync(bytes);
      // Deflate that gains nothing (a tiny or random file) is stored: less for every reader.
      if (deflated.length < bytes.length) {
        data = deflated;
        method = DEFLATED;
      }
    }
    await this.room();
    const entry: ZipEntryRecord = {
      name: Buffer.from(path, 'utf8'),
      method,
      descriptor: false,
      crc32: crc,
      compressedSize: data.length,
      size: bytes.length,
      offset: this.offset,
    };
    this.write(localHeader(entry, this.dos));
    this.write(data);
    this.central.add(centralRecord(entry, this.dos, this.mtime));
    return { path, size: bytes.length, sha256 };
  }

  /**
   * An entry streamed with CRC and sizes in a data descriptor after it. Deflated in blocks
   * (DEFLATE_BLOCK) in zlib's thread pool, each ended by a sync flush and the last by the
   * final block: one valid deflate stream, as pigz writes it, without a stream per entry.
   */
  private async streamed(
    path: string,
    head: readonly Buffer[],
    rest: AsyncIterator<unknown>,
    compress: boolean,
  ): Promise<WrittenFile> {
    await this.room();
    const entry: ZipEntryRecord = {
      name: Buffer.from(path, 'utf8'),
      method: compress ? DEFLATED : STORED,
      descriptor: true,
      crc32: 0,
      compressedSize: 0,
      size: 0,
      offset: this.offset,
    };
    const hash = createHash('sha256');
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const emit = async (data: Buffer) => {
      await this.room();
      this.write(data);
      entry.compressedSize += data.length;
    };
    const take = async (chunk: Buffer) => {
      hash.update(chunk);
      entry.crc32 = crc32(chunk, entry.crc32);
      entry.size += chunk.length;
      if (!compress) return emit(chunk);
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes < DEFLATE_BLOCK) return;
      const block = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await emit(await deflateRawAsync(block, { finishFlush: constants.Z_SYNC_FLUSH }));
    };
    // From the header on, a failure leaves an entry half written: the archive is lost.
    this.write(localHeader(entry, this.dos));
    try {
      for (const chunk of head) await take(chunk);
      for (;;) {
        const next = await rest.next();
        if (next.done === true) break;
        await take(asBuffer(next.value));
      }
      if (compress) await emit(await deflateRawAsync(Buffer.concat(pending, pendingBytes)));
    } catch (error) {
      this.failure ??= error instanceof Error ? error : new Error(String(error));
      throw error;
    }
    this.write(dataDescriptor(entry));
    this.central.add(centralRecord(entry, this.dos, this.mtime));
    return { path, size: entry.size, sha256: hash.digest('hex') };
  }

  /** Waits while the sink has more than OUTPUT_BUFFER to take. */
  private async room(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (!this.full) return;
    await new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private wake(error?: Error): void {
    this.full = false;
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) {
      if (error === undefined) w.resolve();
      else w.reject(error);
    }
  }

  /**
   * Small writes (headers, small files) are gathered into GATHER_BYTES chunks: the sink's
   * cost is per chunk (hash, write call), not per byte, with 20,000 files of 2 KB.
   */
  private write(bytes: Buffer): void {
    this.offset += bytes.length;
    if (bytes.length >= GATHER_BYTES / 4) {
      this.flushGathered();
      this.push(bytes);
      return;
    }
    if (this.gathered !== undefined && this.gatheredBytes + bytes.length > GATHER_BYTES)
      this.flushGathered();
    this.gathered ??= Buffer.allocUnsafe(GATHER_BYTES);
    this.gatheredBytes += bytes.copy(this.gathered, this.gatheredBytes);
  }

  private flushGathered(): void {
    if (this.gathered === undefined) return;
    this.push(this.gathered.subarray(0, this.gatheredBytes));
    this.gathered = undefined;
    this.gatheredBytes = 0;
  }

  private push(bytes: Buffer): void {
    if (!this.output.push(bytes)) this.full = true;
  }
}

function asBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
  throw new TypeError('A zip entry stream gave something else than bytes');
}

/**
 * zlib options for a small buffer: a window just big enough and a smaller hash. The default
 * state (256 KiB, zeroed) costs more than deflating a 2 KB note; any inflater reads the result.
 */
function smallDeflate(bytes: number): { windowBits: number; memLevel: number } {
  let windowBits = 9;
  while (windowBits < 15 && 1 << windowBits < bytes) windowBits++;
  return { windowBits, memLevel: Math.max(1, Math.min(8, windowBits - 6)) };
}

/** The central directory as it grows: records packed in blocks, ~100 bytes an entry. */
class CentralDirectory {
  count = 0;
  private readonly full: Buffer[] = [];
  private current = Buffer.allocUnsafe(CENTRAL_BLOCK);
  private used = 0;

  add(record: Buffer): void {
    if (this.used + record.length > this.current.length) {
      this.full.push(this.current.subarray(0, this.used));
      this.current = Buffer.allocUnsafe(Math.max(CENTRAL_BLOCK, record.length));
      this.used = 0;
    }
    this.used += record.copy(this.current, this.used);
    this.count += 1;
  }

  blocks(): Buffer[] {
    return [...this.full, this.current.subarray(0, this.used)];
  }
}
