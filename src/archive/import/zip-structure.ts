/**
 * The structure of an uploaded zip, read without trusting it: the end records, the central
 * directory (yauzl, lazily), then every local header in file order. A zip has two tables of
 * its entries (the central directory and the local headers before each entry's data);
 * extractors disagree on which one they believe, so an archive where they differ, or whose
 * entries do not tile the file exactly, can show one thing to this analysis and another to
 * the next tool. We refuse it. Entry data is read here too (`readEntryData`), inflated with a
 * byte cap so that a lying size cannot make us inflate more than declared.
 */
import type { FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { crc32, createInflateRaw, inflateRaw, inflateRawSync } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

export interface InspectLimits {
  /** Entries in the central directory (IMPORT_MAX_ENTRIES). */
  maxEntries: number;
  /** Sum of the declared uncompressed sizes of every entry. */
  maxTotalBytes: number;
  /** Declared uncompressed size of one entry. */
  maxEntryBytes: number;
  /** Uncompressed / compressed size of one entry, for entries over RATIO_FLOOR_BYTES. */
  maxRatio: number;
}

export type StructureFailureCode =
  'archive_invalid' | 'archive_unsafe' | 'archive_too_large' | 'archive_corrupt';

export interface StructureFailure {
  ok: false;
  code: StructureFailureCode;
  message: string;
}

/** One entry, as small as it can be kept (200,000 of them stay in memory during analysis). */
export interface ZipEntryLocation {
  readonly name: string;
  readonly isDirectory: boolean;
  readonly method: number;
  /** General purpose flags of the central entry. */
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** Offset of the local header. */
  readonly offset: number;
  /** Offset of the entry's data, once the local header was read (0 until then). */
  dataStart: number;
}

export interface ZipStructure {
  ok: true;
  /** In central directory order. */
  entries: ZipEntryLocation[];
  totalBytes: number;
}

/** Entries smaller than this are never refused for their ratio (small text compresses well). */
export const RATIO_FLOOR_BYTES = 1024 * 1024;

const EOCD = 0x06054b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD = 0x06064b50;
const ZIP64_EOCD_SIZE = 56;
const LOCAL_HEADER = 0x04034b50;
const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const DESCRIPTOR = 0x08074b50;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_DESCRIPTOR = 0x0008;
const FLAG_STRONG_ENCRYPTION = 0x0040;
const FLAG_UTF8 = 0x0800;
const FLAG_MASKED_HEADERS = 0x2000;
/** Bits 1 and 2 only say how hard the deflater worked: tools need not copy them alike. */
const FLAGS_COMPARED = ~0x0006 & 0xffff;
const STORED = 0;
const DEFLATED = 8;
const MAX_32 = 0xffffffff;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

const fail = (code: StructureFailureCode, message: string): StructureFailure => ({
  ok: false,
  code,
  message,
});

/** A name as a message shows it: control characters escaped (JSON's way), very long names cut. */
export function shown(name: string): string {
  const visible = JSON.stringify(name).slice(1, -1);
  return visible.length > 200 ? `${visible.slice(0, 120)}…${visible.slice(-60)}` : visible;
}

/**
 * Why an entry name is unsafe to use as a path, if it is: what an extractor (ours is the
 * import, but a user may also unzip the file) could resolve outside its folder or read as
 * another name.
 */
export function unsafeNameReason(name: string): string | undefined {
  if (name === '') return 'the name is empty';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'the name holds a control character';
  if (name.includes('\\')) return 'the name holds a backslash';
  if (name.startsWith('/')) return 'the path is absolute';
  if (/^[a-zA-Z]:/.test(name)) return 'the path starts with a drive letter';
  const parts = (name.endsWith('/') ? name.slice(0, -1) : name).split('/');
  for (const part of parts) {
    if (part === '..') return 'the path climbs out of its folder (..)';
    if (part === '' || part === '.') return 'the path has an empty or "." component';
  }
  return undefined;
}

/** Strict, and a byte-order mark kept: yauzl and other tools keep it as part of the name. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * An entry name as yauzl gives it (UTF-8 when flag bit 11 says so, else CP437), or why it
 * cannot be trusted: invalid UTF-8 (decoders would each substitute differently), or an
 * Info-ZIP Unicode Path field naming the entry otherwise (tools that read it and tools that
 * do not would see two names).
 */
function decodeName(
  flags: number,
  raw: Buffer,
  extraFields: yauzl.ExtraField[],
): { name: string } | { problem: string } {
  let name: string;
  if ((flags & FLAG_UTF8) !== 0) {
    try {
      name = utf8.decode(raw);
    } catch {
      return { problem: 'the name is not valid UTF-8' };
    }
  } else {
    name = yauzl.getFileNameLowLevel(flags, raw, [], true);
  }
  if (extraFields.some((f) => f.id === 0x7075)) {
    const unicode = yauzl.getFileNameLowLevel(flags, raw, extraFields, true);
    if (unicode !== name) return { problem: 'a Unicode Path field gives it another name' };
  }
  return { name };
}

/** A 64-bit little-endian size; exact below 2^53, which a file this process can read is. */
const readUInt64 = (b: Buffer, at: number): number =>
  b.readUInt32LE(at + 4) * 0x100000000 + b.readUInt32LE(at);

/**
 * Positional reads of the zip through a window, so that walking the central directory and
 * small entries in file order costs a few large reads, not one per header (200,000 entries
 * read one by one take ~40 s of thread pool round trips; through the window, ~1 s).
 */
export class ZipFileReader {
  /** Allocated once and refilled in place: reading 1 GiB makes no garbage for the GC. */
  private readonly window: Buffer;
  private windowStart = 0;
  private windowLength = 0;
  private readonly chunk: Buffer;
  readonly handle: FileHandle;
  readonly size: number;

  constructor(handle: FileHandle, size: number, windowBytes = 1024 * 1024) {
    this.handle = handle;
    this.size = size;
    this.window = Buffer.allocUnsafe(Math.min(windowBytes, size));
    this.chunk = Buffer.allocUnsafe(Math.min(windowBytes, size));
  }

  static async open(handle: FileHandle): Promise<ZipFileReader> {
    const { size } = await handle.stat();
    return new ZipFileReader(handle, size);
  }

  /**
   * Exactly `length` bytes at `position`, or undefined past the end of the file. A view that
   * the next read may overwrite: copy what is kept.
   */
  async read(position: number, length: number): Promise<Buffer | undefined> {
    if (position < 0 || length < 0 || position + length > this.size) return undefined;
    const offset = position - this.windowStart;
    if (offset >= 0 && offset + length <= this.windowLength)
      return this.window.subarray(offset, offset + length);
    if (length > this.window.length) {
      const buffer = Buffer.allocUnsafe(length);
      return (await this.fill(buffer, position, length)) ? buffer : undefined;
    }
    const want = Math.min(this.window.length, this.size - position);
    this.windowLength = 0;
    if (!(await this.fill(this.window, position, want))) return undefined;
    this.windowStart = position;
    this.windowLength = want;
    return this.window.subarray(0, length);
  }

  /** `length` bytes at `position`, in chunks valid only during `onChunk`. */
  async readChunks(
    position: number,
    length: number,
    onChunk: (chunk: Buffer) => void,
    signal?: AbortSignal,
  ): Promise<boolean> {
    if (position < 0 || length < 0 || position + length > this.size) return false;
    // Small entries come from the window: their neighbours are read with them.
    if (length <= this.window.length) {
      const bytes = await this.read(position, length);
      if (bytes === undefined) return false;
      onChunk(bytes);
      return true;
    }
    for (let done = 0; done < length;) {
      signal?.throwIfAborted();
      const n = Math.min(this.chunk.length, length - done);
      if (!(await this.fill(this.chunk, position + done, n))) return false;
      onChunk(this.chunk.subarray(0, n));
      done += n;
    }
    return true;
  }

  private async fill(buffer: Buffer, position: number, length: number): Promise<boolean> {
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.handle.read(buffer, got, length - got, position + got);
      if (bytesRead === 0) return false;
      got += bytesRead;
    }
    return true;
  }
}

/** A copy of a read, for what is kept past the next one. */
async function readCopy(
  reader: ZipFileReader,
  position: number,
  length: number,
): Promise<Buffer | undefined> {
  const view = await reader.read(position, length);
  return view === undefined ? undefined : Buffer.from(view);
}

/**
 * yauzl reading through our window (it asks for each header separately). Only the central
 * directory is read through yauzl: entry data never is (no read streams).
 */
class WindowedRandomAccessReader extends yauzl.RandomAccessReader {
  private readonly reader: ZipFileReader;

  constructor(reader: ZipFileReader) {
    super();
    this.reader = reader;
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null) => void,
  ): void {
    this.reader.read(position, length).then(
      (bytes) => {
        if (bytes === undefined) return callback(new Error('unexpected end of file'));
        bytes.copy(buffer, offset);
        callback(null);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }
}

interface EndRecords {
  entryCount: number;
  cdOffset: number;
  cdSize: number;
  /** Where the end records begin (the ZIP64 end record, or the classic one). */
  endStart: number;
}

/**
 * The end records, found as yauzl finds them (the last end-of-central-directory signature),
 * but strictly: no byte after the record and its comment, a ZIP64 record exactly where the
 * locator says and ending at the locator.
 */
async function readEndRecords(reader: ZipFileReader): Promise<EndRecords | StructureFailure> {
  const notZip = fail(
    'archive_invalid',
    'Not a zip file, or a truncated one: no end of central directory record',
  );
  const tailSize = Math.min(reader.size, EOCD_SIZE + 0xffff);
  const tail = await readCopy(reader, reader.size - tailSize, tailSize);
  if (tail === undefined || tailSize < EOCD_SIZE) return notZip;
  let at = -1;
  for (let i = tailSize - EOCD_SIZE; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0) return notZip;
  const eocdOffset = reader.size - tailSize + at;
  const commentLength = tail.readUInt16LE(at + 20);
  const trailing = tailSize - at - EOCD_SIZE - commentLength;
  if (trailing > 0)
    return fail('archive_unsafe', `${trailing} bytes of data after the end of the zip`);
  if (trailing < 0) return notZip;
  if (tail.readUInt16LE(at + 4) !== 0 || tail.readUInt16LE(at + 6) !== 0)
    return fail('archive_invalid', 'A multi-disk zip: not supported');
  let entryCount = tail.readUInt16LE(at + 10);
  let cdSize = tail.readUInt32LE(at + 12);
  let cdOffset = tail.readUInt32LE(at + 16);
  let endStart = eocdOffset;
  const locator =
    eocdOffset >= ZIP64_LOCATOR_SIZE
      ? await readCopy(reader, eocdOffset - ZIP64_LOCATOR_SIZE, ZIP64_LOCATOR_SIZE)
      : undefined;
  if (locator !== undefined && locator.readUInt32LE(0) === ZIP64_LOCATOR) {
    const recordOffset = readUInt64(locator, 8);
    const record = await readCopy(reader, recordOffset, ZIP64_EOCD_SIZE);
    if (record?.readUInt32LE(0) !== ZIP64_EOCD)
      return fail('archive_invalid', 'The ZIP64 end of central directory record is missing');
    if (recordOffset + 12 + readUInt64(record, 4) !== eocdOffset - ZIP64_LOCATOR_SIZE)
      return fail('archive_unsafe', 'Data between the ZIP64 end records');
    if (record.readUInt32LE(16) !== 0 || record.readUInt32LE(20) !== 0)
      return fail('archive_invalid', 'A multi-disk zip: not supported');
    entryCount = readUInt64(record, 32);
    cdSize = readUInt64(record, 40);
    cdOffset = readUInt64(record, 48);
    endStart = recordOffset;
  }
  if (cdOffset + cdSize !== endStart) {
    return cdOffset + cdSize < endStart
      ? fail('archive_unsafe', 'Data between the central directory and the end of the zip')
      : fail('archive_invalid', 'The central directory runs past its end record (truncated?)');
  }
  return { entryCount, cdOffset, cdSize, endStart };
}

interface CentralPass {
  entries: ZipEntryLocation[];
  totalBytes: number;
  /** The first problem with a name or a kind of entry (reported after the layout). */
  nameProblem?: StructureFailure;
  /** The first limit exceeded (reported after the names). */
  limitProblem?: StructureFailure;
}

/** The central directory, entry by entry through yauzl (nothing decoded or trusted by it). */
async function readCentralDirectory(
  reader: ZipFileReader,
  end: EndRecords,
  limits: InspectLimits,
  signal: AbortSignal | undefined,
): Promise<CentralPass | StructureFailure> {
  let zip: yauzl.ZipFile;
  try {
    zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
      yauzl.fromRandomAccessReader(
        new WindowedRandomAccessReader(reader),
        reader.size,
        {
          lazyEntries: true,
          autoClose: false,
          // Names stay bytes: `decodeName` decodes and `unsafeNameReason` judges them.
          decodeStrings: false,
          // Sizes are ours to judge, in our order (layout, names, then limits and sizes).
          validateEntrySizes: false,
        },
        (err, z) => (err ? reject(err) : resolve(z)),
      );
    });
  } catch (error) {
    if (isSystemError(error)) throw error;
    return fail('archive_invalid', `Not a readable zip file: ${errorText(error)}`);
  }
  try {
    const pass: CentralPass = { entries: [], totalBytes: 0 };
    let cdBytes = 0;
    const byName = new Set<string>();
    const onEntry = (entry: yauzl.Entry): StructureFailure | undefined => {
      cdBytes +=
        CENTRAL_HEADER_SIZE +
        entry.fileNameLength +
        entry.extraFieldLength +
        entry.fileCommentLength;
      if (cdBytes > end.cdSize)
        return fail('archive_invalid', 'The central directory holds more than its declared size');
      const raw: unknown = entry.fileName;
      if (!Buffer.isBuffer(raw)) return fail('archive_invalid', 'Unexpected entry name');
      const decoded = decodeName(entry.generalPurposeBitFlag, raw, entry.extraFields);
      // Reported at once: without its name the entry cannot be laid out nor compared.
      if ('problem' in decoded)
        return fail(
          'archive_unsafe',
          `Unsafe entry name ${shown(raw.toString('latin1'))}: ${decoded.problem}`,
        );
      const { name } = decoded;
      const flags = entry.generalPurposeBitFlag;
      if ((flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADERS)) !== 0)
        return fail('archive_invalid', `Encrypted entry: ${shown(name)} (not supported)`);
      if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED)
        return fail(
          'archive_invalid',
          `Entry ${shown(name)}: compression method ${entry.compressionMethod} is not supported`,
        );
      const isDirectory = name.endsWith('/');
      const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
      const reason =
        unsafeNameReason(name) ??
        (mode === S_IFLNK
          ? 'a symbolic link'
          : mode !== 0 && mode !== S_IFREG && mode !== S_IFDIR
            ? 'a special file (device, pipe or socket)'
            : isDirectory &&
                (entry.uncompressedSize !== 0 ||
                  // Empty deflate data: 2 bytes, or 5 as a level-0 Java Deflater writes it.
                  entry.compressedSize > (entry.compressionMethod === DEFLATED ? 5 : 0))
              ? 'a folder entry with data'
              : byName.has(name)
                ? 'a duplicate name'
                : undefined);
      if (reason !== undefined)
        pass.nameProblem ??= fail('archive_unsafe', `Unsafe entry ${shown(name)}: ${reason}`);
      byName.add(name);

      const usize = entry.uncompressedSize;
      const csize = entry.compressedSize;
      pass.totalBytes += usize;
      if (entry.compressionMethod === STORED && csize !== usize)
        pass.limitProblem ??= fail(
          'archive_corrupt',
          `Entry ${shown(name)} is stored but its sizes differ (${csize} and ${usize})`,
        );
      if (usize > limits.maxEntryBytes)
        pass.limitProblem ??= fail(
          'archive_too_large',
          `Entry ${shown(name)} is ${usize} bytes (at most ${limits.maxEntryBytes})`,
        );
      if (usize > RATIO_FLOOR_BYTES && usize > csize * limits.maxRatio)
        pass.limitProblem ??= fail(
          'archive_too_large',
          `Entry ${shown(name)} inflates ${csize === 0 ? 'from nothing' : `${Math.round(usize / csize)} times`} (at most ${limits.maxRatio}): a zip bomb?`,
        );
      if (pass.totalBytes > limits.maxTotalBytes)
        pass.limitProblem ??= fail(
          'archive_too_large',
          `The entries add up to more than ${limits.maxTotalBytes} bytes`,
        );
      pass.entries.push({
        name,
        isDirectory,
        method: entry.compressionMethod,
        flags,
        crc32: entry.crc32,
        compressedSize: csize,
        uncompressedSize: usize,
        offset: entry.relativeOffsetOfLocalHeader,
        dataStart: 0,
      });
      return undefined;
    };
    const outcome = await new Promise<StructureFailure | undefined>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        const problem = onEntry(entry);
        if (problem !== undefined) return resolve(problem);
        if (signal?.aborted === true) return resolve(undefined);
        zip.readEntry();
      });
      zip.once('end', () => resolve(undefined));
      zip.once('error', (error: unknown) => {
        // A failing disk is not the archive's fault.
        if (isSystemError(error)) reject(error instanceof Error ? error : new Error(String(error)));
        else resolve(fail('archive_invalid', `Unreadable central directory: ${errorText(error)}`));
      });
      zip.readEntry();
    });
    signal?.throwIfAborted();
    if (outcome !== undefined) return outcome;
    if (cdBytes !== end.cdSize)
      return fail('archive_unsafe', 'Data inside the central directory after its last entry');
    return pass;
  } finally {
    zip.close();
  }
}

/** `a/b/c` names the folders `a` and `a/b`: a file of either name makes two things of one. */
function fileAndFolderProblem(entries: readonly ZipEntryLocation[]): StructureFailure | undefined {
  const folders = new Set<string>();
  for (const e of entries) {
    const path = e.isDirectory ? e.name.slice(0, -1) : e.name;
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1))
      folders.add(path.slice(0, i));
    if (e.isDirectory) folders.add(path);
  }
  for (const e of entries) {
    if (!e.isDirectory && folders.has(e.name))
      return fail('archive_unsafe', `Entry ${shown(e.name)} is both a file and a folder`);
  }
  return undefined;
}

/**
 * The ZIP64 sizes of a local header's extra field: both sizes, uncompressed first, when
 * either 32-bit field says 0xFFFFFFFF (APPNOTE 4.5.3).
 */
function localZip64Sizes(extra: Buffer): { usize: number; csize: number } | undefined {
  for (const field of yauzl.parseExtraFields(extra)) {
    if (field.id !== 0x0001) continue;
    if (field.data.length < 16) return undefined;
    return { usize: readUInt64(field.data, 0), csize: readUInt64(field.data, 8) };
  }
  return undefined;
}

/**
 * Every local header, in file order: the same name, flags, method, CRC and sizes as its
 * central entry (in the data descriptor after the data when flag bit 3 says so), and the
 * entries laid end to end from byte 0 to the central directory, with nothing between.
 */
async function checkLocalHeaders(
  reader: ZipFileReader,
  entries: readonly ZipEntryLocation[],
  cdOffset: number,
  signal: AbortSignal | undefined,
): Promise<StructureFailure | undefined> {
  const ordered = entries.slice().sort((a, b) => a.offset - b.offset);
  let expected = 0;
  for (let i = 0; i < ordered.length; i++) {
    if (i % 1024 === 0) signal?.throwIfAborted();
    const e = ordered[i];
    if (e === undefined) break;
    const name = e.name;
    const previous = ordered[i - 1];
    // Never before `expected`: the entry before refused any entry starting inside its data.
    if (e.offset > expected)
      return fail(
        'archive_unsafe',
        previous === undefined
          ? `${e.offset} bytes of data before the first entry (${shown(name)})`
          : `${e.offset - expected} bytes of data between entries ${shown(previous.name)} and ${shown(name)}`,
      );
    const header = await readCopy(reader, e.offset, LOCAL_HEADER_SIZE);
    if (header === undefined || e.offset + LOCAL_HEADER_SIZE > cdOffset)
      return fail(
        'archive_unsafe',
        `The local header of ${shown(name)} runs into the central directory`,
      );
    if (header.readUInt32LE(0) !== LOCAL_HEADER)
      return fail(
        'archive_unsafe',
        `No local header where the central directory puts ${shown(name)}`,
      );
    const flags = header.readUInt16LE(6);
    const nameLength = header.readUInt16LE(26);
    const extraLength = header.readUInt16LE(28);
    const dataStart = e.offset + LOCAL_HEADER_SIZE + nameLength + extraLength;
    const rest = await readCopy(reader, e.offset + LOCAL_HEADER_SIZE, nameLength + extraLength);
    if (rest === undefined || dataStart > cdOffset)
      return fail(
        'archive_unsafe',
        `The local header of ${shown(name)} runs into the central directory`,
      );
    const mismatch = (what: string) =>
      fail(
        'archive_unsafe',
        `The local header of ${shown(name)} differs from its central entry: ${what}`,
      );
    let extraFields: yauzl.ExtraField[];
    try {
      extraFields = yauzl.parseExtraFields(rest.subarray(nameLength));
    } catch {
      return mismatch('malformed extra field');
    }
    const local = decodeName(flags, rest.subarray(0, nameLength), extraFields);
    if ('problem' in local || local.name !== e.name) return mismatch('name');
    if ((flags & FLAGS_COMPARED) !== (e.flags & FLAGS_COMPARED)) return mismatch('flags');
    if (header.readUInt16LE(8) !== e.method) return mismatch('compression method');

    const crc = header.readUInt32LE(14);
    let csize = header.readUInt32LE(18);
    let usize = header.readUInt32LE(22);
    if (csize === MAX_32 || usize === MAX_32) {
      const zip64 = localZip64Sizes(rest.subarray(nameLength));
      if (zip64 === undefined) return mismatch('ZIP64 sizes missing');
      ({ csize, usize } = zip64);
    }
    const hasDescriptor = (flags & FLAG_DESCRIPTOR) !== 0;
    if (hasDescriptor) {
      // The local fields are zero then (APPNOTE 4.4.4); some writers fill them in anyway.
      if (crc !== 0 && crc !== e.crc32) return mismatch('CRC-32');
      if (csize !== 0 && csize !== e.compressedSize) return mismatch('compressed size');
      if (usize !== 0 && usize !== e.uncompressedSize) return mismatch('size');
    } else {
      if (crc !== e.crc32) return mismatch('CRC-32');
      if (csize !== e.compressedSize) return mismatch('compressed size');
      if (usize !== e.uncompressedSize) return mismatch('size');
    }

    const dataEnd = dataStart + e.compressedSize;
    const next = ordered[i + 1]?.offset ?? cdOffset;
    if (dataEnd > cdOffset)
      return fail('archive_unsafe', `The data of ${shown(name)} runs into the central directory`);
    if (next < dataEnd)
      return fail(
        'archive_unsafe',
        `Entry ${shown(ordered[i + 1]?.name ?? '')} overlaps entry ${shown(name)}`,
      );
    let descriptorLength = 0;
    if (hasDescriptor) {
      const room = next - dataEnd;
      const bytes = await reader.read(dataEnd, Math.min(room, 24));
      const found = bytes === undefined ? undefined : matchDescriptor(bytes, room, e);
      if (found === undefined)
        return room > 24
          ? fail('archive_unsafe', `${room - 24} bytes of data after entry ${shown(name)}`)
          : mismatch('data descriptor');
      descriptorLength = found;
    }
    e.dataStart = dataStart;
    expected = dataEnd + descriptorLength;
  }
  if (expected !== cdOffset) {
    const last = ordered.at(-1);
    return fail(
      'archive_unsafe',
      last === undefined
        ? `${cdOffset} bytes of data before the central directory`
        : `${cdOffset - expected} bytes of data after the last entry (${shown(last.name)})`,
    );
  }
  return undefined;
}

/**
 * The length of the data descriptor in `bytes` (all `room` bytes up to the next entry, at
 * most 24 of them read): with or without its optional signature, with 32- or 64-bit sizes,
 * whichever fills the room exactly and holds the central entry's CRC and sizes.
 */
function matchDescriptor(bytes: Buffer, room: number, e: ZipEntryLocation): number | undefined {
  const variants: { length: number; at: number; wide: boolean }[] = [
    { length: 16, at: 4, wide: false },
    { length: 24, at: 4, wide: true },
    { length: 12, at: 0, wide: false },
    { length: 20, at: 0, wide: true },
  ];
  for (const v of variants) {
    if (v.length !== room || bytes.length < v.length) continue;
    if (v.at === 4 && bytes.readUInt32LE(0) !== DESCRIPTOR) continue;
    const crc = bytes.readUInt32LE(v.at);
    const csize = v.wide ? readUInt64(bytes, v.at + 4) : bytes.readUInt32LE(v.at + 4);
    const usize = v.wide ? readUInt64(bytes, v.at + 12) : bytes.readUInt32LE(v.at + 8);
    if (crc === e.crc32 && csize === e.compressedSize && usize === e.uncompressedSize)
      return v.length;
  }
  return undefined;
}

/**
 * Reads the structure of a zip: end records, central directory (names, kinds, limits), local
 * headers and layout. Problems come in this order: layout, names, limits. Never throws for
 * what the file holds (only for I/O errors and `signal`).
 */
export async function readZipStructure(
  reader: ZipFileReader,
  limits: InspectLimits,
  signal?: AbortSignal,
): Promise<ZipStructure | StructureFailure> {
  const end = await readEndRecords(reader);
  if ('ok' in end) return end;
  if (end.entryCount > limits.maxEntries)
    return fail(
      'archive_too_large',
      `The zip has ${end.entryCount} entries (at most ${limits.maxEntries})`,
    );
  const central = await readCentralDirectory(reader, end, limits, signal);
  if ('ok' in central) return central;
  const layout = await checkLocalHeaders(reader, central.entries, end.cdOffset, signal);
  if (layout !== undefined) return layout;
  if (central.nameProblem !== undefined) return central.nameProblem;
  const both = fileAndFolderProblem(central.entries);
  if (both !== undefined) return both;
  if (central.limitProblem !== undefined) return central.limitProblem;
  return { ok: true, entries: central.entries, totalBytes: central.totalBytes };
}

const inflateRawAsync = promisify(inflateRaw);
/** Entries this small are inflated whole on the main thread (~1 ms a MiB): cheaper than a hop. */
const SYNC_BYTES = 256 * 1024;
/** Deflated entries this small are inflated whole (in zlib's thread pool), not streamed. */
const WHOLE_BYTES = 4 * 1024 * 1024;
/** Compressed bytes read whole: the reader's window. */
const WHOLE_COMPRESSED_BYTES = 1024 * 1024;

class TooLong extends Error {}

/**
 * Reads an entry's data (after `readZipStructure` set `dataStart`), inflating at most its
 * declared size: the bytes go to `onChunk` in order (each chunk valid during the call only:
 * copy what is kept); the CRC-32 is checked. A failure says
 * which entry and why: more bytes than declared (`archive_too_large`), fewer, a CRC-32
 * mismatch, data that does not inflate (`archive_corrupt`).
 */
export async function readEntryData(
  reader: ZipFileReader,
  e: ZipEntryLocation,
  onChunk: (chunk: Buffer) => void,
  signal?: AbortSignal,
): Promise<StructureFailure | undefined> {
  const name = e.name;
  const declared = e.uncompressedSize;
  let size = 0;
  let crc = 0;
  const take = (chunk: Buffer) => {
    size += chunk.length;
    if (size > declared) throw new TooLong();
    crc = crc32(chunk, crc);
    onChunk(chunk);
  };
  try {
    if (e.method === STORED) {
      if (!(await reader.readChunks(e.dataStart, e.compressedSize, take, signal)))
        return fail('archive_corrupt', `Entry ${shown(name)} is truncated`);
    } else if (e.compressedSize <= WHOLE_COMPRESSED_BYTES && declared <= WHOLE_BYTES) {
      const raw = await reader.read(e.dataStart, e.compressedSize);
      if (raw === undefined) return fail('archive_corrupt', `Entry ${shown(name)} is truncated`);
      // One more byte than declared is enough to know it lies.
      const maxOutputLength = Math.max(1, declared + 1);
      // Output buffers of the size expected, not zlib's 16 KiB each (200,000 small files).
      const chunkSize = Math.max(64, Math.min(declared + 1, 1024 * 1024));
      if (raw.length === 0) take(raw);
      else if (declared <= SYNC_BYTES) take(inflateRawSync(raw, { maxOutputLength, chunkSize }));
      // No read happens meanwhile: `raw`, a view of the reader's window, stays whole.
      else take(await inflateRawAsync(raw, { maxOutputLength, chunkSize }));
    } else if (e.compressedSize > 0) {
      const source = reader.handle.createReadStream({
        start: e.dataStart,
        end: e.dataStart + e.compressedSize - 1,
        autoClose: false,
        highWaterMark: 256 * 1024,
      });
      const sink = async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) take(chunk);
      };
      await pipeline(source, createInflateRaw({ chunkSize: 256 * 1024 }), sink, { signal });
    }
  } catch (error) {
    signal?.throwIfAborted();
    if (
      error instanceof TooLong ||
      (error instanceof RangeError && 'code' in error && error.code === 'ERR_BUFFER_TOO_LARGE')
    )
      return fail(
        'archive_too_large',
        `Entry ${shown(name)} inflates to more than its declared ${declared} bytes: a zip bomb?`,
      );
    if (isSystemError(error)) throw error;
    return fail('archive_corrupt', `Entry ${shown(name)} does not inflate: ${errorText(error)}`);
  }
  if (size < declared)
    return fail(
      'archive_corrupt',
      `Entry ${shown(name)} holds ${size} bytes, not the declared ${declared}`,
    );
  if (crc !== e.crc32) return fail('archive_corrupt', `CRC-32 mismatch: ${shown(name)}`);
  return undefined;
}

export const errorText = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';

/** An error of the file system (the upload vanished, a disk failed): not the archive's fault. */
export const isSystemError = (error: unknown): boolean =>
  error instanceof Error && 'syscall' in error && typeof error.syscall === 'string';
