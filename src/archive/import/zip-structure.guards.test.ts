import fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import yauzl from 'yauzl';
import {
  errorText,
  type InspectLimits,
  isSystemError,
  RATIO_FLOOR_BYTES,
  readEntryData,
  readZipStructure,
  shown,
  unsafeNameReason,
  type ZipEntryLocation,
  ZipFileReader,
} from './zip-structure.ts';

/**
 * The promises of `zip-structure.ts`, one by one, on zips written byte by byte here (every
 * field of every header can be set) and read through a fake file handle that records its
 * reads: the window reader's bounds and I/O, names, end records, central directory, local
 * headers and layout, entry data in each of its paths, the error helpers.
 */

// ---------------------------------------------------------------------------------------------
// Bytes

const u16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v & 0xffff);
  return b;
};
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};
const u64 = (v: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
};
const cat = (parts: readonly Buffer[]) => Buffer.concat(parts);
const MAX_32 = 0xffffffff;
const UTF8 = 0x0800;
const DESCRIPTOR_FLAG = 0x0008;

/** An extra field. */
const field = (id: number, data: Buffer) => cat([u16(id), u16(data.length), data]);
/** An extended timestamp field (9 bytes): a field that is neither ZIP64 nor Unicode Path. */
const TIMESTAMP = field(0x5455, Buffer.from([1, 0, 0, 0, 0]));
/** An Info-ZIP Unicode Path field (version 1, CRC-32 of the header's name bytes). */
const unicodePath = (rawName: Buffer, name: string) =>
  field(0x7075, cat([Buffer.from([1]), u32(crc32(rawName)), Buffer.from(name, 'utf8')]));
/** A ZIP64 extended information field with both sizes (uncompressed first). */
const zip64Sizes = (usize: number, csize: number) => field(0x0001, cat([u64(usize), u64(csize)]));

/** Data descriptors: with signature (16, or 24 with 64-bit sizes), without (12, or 20). */
const desc16 = (crc: number, csize: number, usize: number) =>
  cat([u32(0x08074b50), u32(crc), u32(csize), u32(usize)]);
const desc24 = (crc: number, csize: number, usize: number) =>
  cat([u32(0x08074b50), u32(crc), u64(csize), u64(usize)]);
const desc12 = (crc: number, csize: number, usize: number) =>
  cat([u32(crc), u32(csize), u32(usize)]);
const desc20 = (crc: number, csize: number, usize: number) =>
  cat([u32(crc), u64(csize), u64(usize)]);

interface LocalFields {
  signature: number;
  flags: number;
  method: number;
  crc: number;
  csize: number;
  usize: number;
  name: Buffer;
  extra: Buffer;
  /** The name length field, instead of the name's. */
  nameLength?: number;
}

function localHeader(f: LocalFields): Buffer {
  return cat([
    u32(f.signature),
    u16(20),
    u16(f.flags),
    u16(f.method),
    u16(0),
    u16(0x5b21),
    u32(f.crc),
    u32(f.csize),
    u32(f.usize),
    u16(f.nameLength ?? f.name.length),
    u16(f.extra.length),
    f.name,
    f.extra,
  ]);
}

interface Spec {
  name: string;
  /** The name's bytes (both headers), instead of `name` in UTF-8. */
  raw?: Buffer;
  /** Uncompressed bytes. */
  data?: Buffer | string;
  deflate?: boolean;
  /** The bytes written as the entry's data, instead of `data` (deflated or not). */
  compressed?: Buffer;
  method?: number;
  /** Central flags (default: UTF-8); the local header repeats them unless told. */
  flags?: number;
  crc?: number;
  csize?: number;
  usize?: number;
  extra?: Buffer;
  comment?: Buffer;
  /** Unix mode in the external attributes (default: a regular file or a folder). */
  mode?: number;
  /** The central entry's local header offset, instead of where this one's was written. */
  offset?: number;
  /** Local header fields, where they differ from the central entry's; false: none written. */
  local?: Partial<LocalFields> | false;
  /** Bytes after the data (default with flag bit 3: a 16-byte descriptor). */
  descriptor?: Buffer;
  /** Bytes before the local header. */
  before?: Buffer;
}

interface ZipOptions {
  prefix?: Buffer;
  /** Bytes after the last entry, before the central directory. */
  beforeCd?: Buffer;
  /** Bytes inside the central directory after its last header (counted in its size). */
  cdTail?: Buffer;
  count?: number;
  cdSize?: number;
  cdOffset?: number;
  disk?: number;
  cdDisk?: number;
  comment?: Buffer;
  commentLength?: number;
  /** Bytes after the end record and its comment. */
  trailing?: Buffer;
  /** ZIP64 end records (the record's values are the real ones unless told). */
  zip64?: {
    disk?: number;
    cdDisk?: number;
    /** The record's own size field (default 44: a 56-byte record). */
    recordSize?: number;
    /** Bytes between the record and the locator. */
    between?: Buffer;
    /** The locator's record offset, instead of the record's. */
    recordOffset?: number;
  };
}

interface Built {
  bytes: Buffer;
  /** Where each local header was written. */
  offsets: number[];
  /** Where each central header was written. */
  centrals: number[];
  cdOffset: number;
}

function build(specs: readonly Spec[], o: ZipOptions = {}): Built {
  const parts: Buffer[] = [];
  let at = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    at += b.length;
  };
  if (o.prefix) push(o.prefix);
  const offsets: number[] = [];
  const centrals: Buffer[] = [];
  for (const s of specs) {
    const data = Buffer.from(s.data ?? '');
    const compressed = s.compressed ?? (s.deflate === true ? deflateRawSync(data) : data);
    const method = s.method ?? (s.compressed !== undefined || s.deflate === true ? 8 : 0);
    const flags = s.flags ?? UTF8;
    const crc = s.crc ?? crc32(data);
    const csize = s.csize ?? compressed.length;
    const usize = s.usize ?? data.length;
    const name = s.raw ?? Buffer.from(s.name, 'utf8');
    const hasDescriptor = (flags & DESCRIPTOR_FLAG) !== 0;
    if (s.before) push(s.before);
    offsets.push(at);
    if (s.local !== false) {
      const local = s.local ?? {};
      push(
        localHeader({
          signature: 0x04034b50,
          flags,
          method,
          crc: hasDescriptor ? 0 : crc,
          csize: hasDescriptor ? 0 : csize,
          usize: hasDescriptor ? 0 : usize,
          name,
          extra: Buffer.alloc(0),
          ...local,
        }),
      );
      push(compressed);
      const descriptor = s.descriptor ?? (hasDescriptor ? desc16(crc, csize, usize) : undefined);
      if (descriptor) push(descriptor);
    }
    const isDir = s.name.endsWith('/');
    const mode = s.mode ?? (isDir ? 0o040755 : 0o100644);
    const extra = s.extra ?? Buffer.alloc(0);
    const comment = s.comment ?? Buffer.alloc(0);
    centrals.push(
      cat([
        u32(0x02014b50),
        u16(0x033f),
        u16(20),
        u16(flags),
        u16(method),
        u16(0),
        u16(0x5b21),
        u32(crc),
        u32(csize),
        u32(usize),
        u16(name.length),
        u16(extra.length),
        u16(comment.length),
        u16(0),
        u16(0),
        u32(mode * 0x10000),
        u32(s.offset ?? offsets.at(-1) ?? 0),
        name,
        extra,
        comment,
      ]),
    );
  }
  if (o.beforeCd) push(o.beforeCd);
  const cdOffset = at;
  const centralAt: number[] = [];
  for (const c of centrals) {
    centralAt.push(at);
    push(c);
  }
  if (o.cdTail) push(o.cdTail);
  const cdSize = at - cdOffset;
  const count = o.count ?? specs.length;
  if (o.zip64) {
    const z = o.zip64;
    const recordAt = at;
    push(
      cat([
        u32(0x06064b50),
        u64(z.recordSize ?? 44),
        u16(0x033f),
        u16(45),
        u32(z.disk ?? 0),
        u32(z.cdDisk ?? 0),
        u64(count),
        u64(count),
        u64(o.cdSize ?? cdSize),
        u64(o.cdOffset ?? cdOffset),
      ]),
    );
    if (z.between) push(z.between);
    push(cat([u32(0x07064b50), u32(0), u64(z.recordOffset ?? recordAt), u32(1)]));
  }
  const comment = o.comment ?? Buffer.alloc(0);
  push(
    cat([
      u32(0x06054b50),
      u16(o.disk ?? 0),
      u16(o.cdDisk ?? 0),
      u16(o.zip64 ? 0xffff : count),
      u16(o.zip64 ? 0xffff : count),
      u32(o.zip64 ? MAX_32 : (o.cdSize ?? cdSize)),
      u32(o.zip64 ? MAX_32 : (o.cdOffset ?? cdOffset)),
      u16(o.commentLength ?? comment.length),
      comment,
    ]),
  );
  if (o.trailing) push(o.trailing);
  return { bytes: cat(parts), offsets, centrals: centralAt, cdOffset };
}

// ---------------------------------------------------------------------------------------------
// A file handle in memory, that records its reads

interface Read {
  offset: number;
  length: number;
  position: number;
}

interface MemoryOptions {
  /** At most this many bytes a read (short reads). */
  maxRead?: number;
  /** Called before each read (to abort, or to throw). */
  onRead?: (read: Read) => void;
}

interface StreamOptions {
  start: number;
  end: number;
  autoClose?: boolean;
  highWaterMark?: number;
}

function memory(bytes: Buffer, options: MemoryOptions = {}) {
  const reads: Read[] = [];
  const streams: StreamOptions[] = [];
  let empty = 0;
  const fake = {
    read(buffer: Buffer, offset: number, length: number, position: number) {
      return Promise.resolve().then(() => {
        const read = { offset, length, position };
        reads.push(read);
        options.onRead?.(read);
        // As a FileHandle: a read past its buffer or at a negative position is refused.
        if (offset < 0 || length < 0 || offset + length > buffer.length || position < 0)
          throw new RangeError(`bad read ${offset} ${length} ${position}`);
        const n = Math.max(0, Math.min(length, options.maxRead ?? length, bytes.length - position));
        bytes.copy(buffer, offset, position, position + n);
        // A reader that keeps asking past the end would loop for ever: fail instead.
        empty = n === 0 && length > 0 ? empty + 1 : 0;
        if (empty > 3) throw new Error('read again and again past the end');
        return { bytesRead: n, buffer };
      });
    },
    stat: () => Promise.resolve({ size: bytes.length }),
    createReadStream(o: StreamOptions) {
      streams.push(o);
      const slice = bytes.subarray(o.start, o.end + 1);
      const step = o.highWaterMark ?? 64 * 1024;
      const chunks: Buffer[] = [];
      for (let i = 0; i < slice.length; i += step) chunks.push(slice.subarray(i, i + step));
      return Readable.from(chunks);
    },
  };
  return { handle: fake as unknown as FileHandle, reads, streams };
}

const systemError = () =>
  Object.assign(new Error('EIO: i/o error, read'), { syscall: 'read', code: 'EIO', errno: -5 });

// ---------------------------------------------------------------------------------------------
// Reading structures

const LIMITS: InspectLimits = {
  maxEntries: 100_000,
  maxTotalBytes: 2 ** 45,
  maxEntryBytes: 2 ** 45,
  maxRatio: 1_000_000,
};

/** The structure of `bytes`, with a live (never aborted) signal. */
function structure(bytes: Buffer, limits: Partial<InspectLimits> = {}, windowBytes?: number) {
  const reader = new ZipFileReader(memory(bytes).handle, bytes.length, windowBytes);
  return readZipStructure(reader, { ...LIMITS, ...limits }, new AbortController().signal);
}

async function names(bytes: Buffer, limits: Partial<InspectLimits> = {}) {
  const result = await structure(bytes, limits);
  if (!result.ok) return result;
  return result.entries.map((e) => e.name);
}

const unsafe = (message: string) => ({ ok: false, code: 'archive_unsafe', message });
const invalid = (message: string) => ({ ok: false, code: 'archive_invalid', message });
const tooLarge = (message: string) => ({ ok: false, code: 'archive_too_large', message });
const corrupt = (message: string) => ({ ok: false, code: 'archive_corrupt', message });
const mismatch = (name: string, what: string) =>
  unsafe(`The local header of ${name} differs from its central entry: ${what}`);
const NOT_ZIP = invalid('Not a zip file, or a truncated one: no end of central directory record');

const file = (name: string, data = `contenu de ${name}\n`): Spec => ({ name, data });

// ---------------------------------------------------------------------------------------------

describe('shown', () => {
  it('keeps a name of 200 characters whole', () => {
    const name = 'a'.repeat(200);
    expect(shown(name)).toBe(name);
  });

  it('cuts a name over 200 characters to its first 120 and its last 60', () => {
    const name = `${'a'.repeat(120)}${'b'.repeat(21)}${'c'.repeat(60)}`;
    expect(shown(name)).toBe(`${'a'.repeat(120)}…${'c'.repeat(60)}`);
  });

  it('escapes control characters, and counts their escapes in the length', () => {
    expect(shown('a\nb\u0001"')).toBe('a\\nb\\u0001\\"');
    const name = `${'a'.repeat(195)}\u0001`;
    expect(shown(name)).toBe(`${'a'.repeat(120)}…${'a'.repeat(54)}\\u0001`);
  });
});

describe('unsafeNameReason', () => {
  it.each([
    ['', 'the name is empty'],
    ['a\u0000b', 'the name holds a control character'],
    ['a\u001fb', 'the name holds a control character'],
    ['a\u007fb', 'the name holds a control character'],
    ['a\\b', 'the name holds a backslash'],
    ['/etc/passwd', 'the path is absolute'],
    ['C:/x', 'the path starts with a drive letter'],
    ['z:x', 'the path starts with a drive letter'],
    ['..', 'the path climbs out of its folder (..)'],
    ['a/../b', 'the path climbs out of its folder (..)'],
    ['ab/../', 'the path climbs out of its folder (..)'],
    ['a//b', 'the path has an empty or "." component'],
    ['a/./b', 'the path has an empty or "." component'],
    ['./a', 'the path has an empty or "." component'],
    ['a//', 'the path has an empty or "." component'],
  ])('refuses %j: %s', (name, reason) => {
    expect(unsafeNameReason(name)).toBe(reason);
  });

  it.each(['a', 'a/b.txt', 'a/', 'aC:/x', 'a/..b', 'a/.b/', '...', 'é/ü'])('accepts %j', (name) => {
    expect(unsafeNameReason(name)).toBeUndefined();
  });
});

describe('errorText and isSystemError', () => {
  it('gives the first line of a message only', () => {
    expect(errorText(new Error('first line\nsecond line'))).toBe('first line');
    expect(errorText('plain\ntext')).toBe('plain');
    expect(errorText(new Error(''))).toBe('');
    expect(errorText(42)).toBe('42');
  });

  it('tells a file system error (an Error with a syscall) from others', () => {
    expect(isSystemError(systemError())).toBe(true);
    expect(isSystemError(new Error('EIO'))).toBe(false);
    expect(isSystemError(Object.assign(new Error('x'), { syscall: 5 }))).toBe(false);
    expect(isSystemError({ message: 'x', syscall: 'read' })).toBe(false);
    expect(isSystemError(undefined)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------

describe('ZipFileReader', () => {
  const bytes = Buffer.from(Array.from({ length: 100 }, (_, i) => i));

  it('refuses reads before the start, of a negative length, or past the end, without I/O', async () => {
    const m = memory(bytes);
    const reader = new ZipFileReader(m.handle, 100, 16);
    expect(await reader.read(-1, 2)).toBeUndefined();
    expect(await reader.read(0, -1)).toBeUndefined();
    expect(await reader.read(99, 2)).toBeUndefined();
    expect(await reader.read(101, 0)).toBeUndefined();
    expect(m.reads).toEqual([]);
  });

  it('reads up to exactly the end of the file', async () => {
    const m = memory(bytes);
    const reader = new ZipFileReader(m.handle, 100, 16);
    expect(await reader.read(98, 2)).toEqual(Buffer.from([98, 99]));
    expect(await reader.read(100, 0)).toEqual(Buffer.alloc(0));
  });

  it('fills a window of its size (or up to the end), and serves reads inside it without I/O', async () => {
    const m = memory(bytes);
    const reader = new ZipFileReader(m.handle, 100, 16);
    expect(await reader.read(10, 4)).toEqual(bytes.subarray(10, 14));
    expect(await reader.read(10, 4)).toEqual(bytes.subarray(10, 14));
    expect(await reader.read(12, 4)).toEqual(bytes.subarray(12, 16));
    expect(await reader.read(20, 6)).toEqual(bytes.subarray(20, 26));
    expect(m.reads).toEqual([{ offset: 0, length: 16, position: 10 }]);
    expect(await reader.read(9, 2)).toEqual(bytes.subarray(9, 11));
    expect(await reader.read(95, 2)).toEqual(bytes.subarray(95, 97));
    expect(m.reads).toEqual([
      { offset: 0, length: 16, position: 10 },
      { offset: 0, length: 16, position: 9 },
      { offset: 0, length: 5, position: 95 },
    ]);
  });

  it('reads more than its window directly, and keeps its window then', async () => {
    const m = memory(bytes);
    const reader = new ZipFileReader(m.handle, 100, 16);
    expect(await reader.read(0, 4)).toEqual(bytes.subarray(0, 4));
    expect(await reader.read(20, 17)).toEqual(bytes.subarray(20, 37));
    expect(await reader.read(2, 4)).toEqual(bytes.subarray(2, 6));
    expect(m.reads).toEqual([
      { offset: 0, length: 16, position: 0 },
      { offset: 0, length: 17, position: 20 },
    ]);
  });

  it('reads as much as its window through the window', async () => {
    const m = memory(bytes);
    const reader = new ZipFileReader(m.handle, 100, 16);
    expect(await reader.read(30, 16)).toEqual(bytes.subarray(30, 46));
    expect(await reader.read(31, 2)).toEqual(bytes.subarray(31, 33));
    expect(m.reads).toEqual([{ offset: 0, length: 16, position: 30 }]);
  });

  it('completes short reads, each where the last one ended', async () => {
    const m = memory(bytes, { maxRead: 5 });
    const reader = new ZipFileReader(m.handle, 100, 16);
    expect(await reader.read(10, 4)).toEqual(bytes.subarray(10, 14));
    expect(await reader.read(40, 20)).toEqual(bytes.subarray(40, 60));
    expect(m.reads).toEqual([
      { offset: 0, length: 16, position: 10 },
      { offset: 5, length: 11, position: 15 },
      { offset: 10, length: 6, position: 20 },
      { offset: 15, length: 1, position: 25 },
      { offset: 0, length: 20, position: 40 },
      { offset: 5, length: 15, position: 45 },
      { offset: 10, length: 10, position: 50 },
      { offset: 15, length: 5, position: 55 },
    ]);
  });

  it('gives nothing when the file shrank under it (a read of 0 bytes)', async () => {
    const m = memory(bytes.subarray(0, 50));
    const reader = new ZipFileReader(m.handle, 100, 16);
    expect(await reader.read(45, 4)).toBeUndefined();
    expect(await reader.read(40, 30)).toBeUndefined();
    // The failed fill left no window behind.
    expect(await reader.read(45, 2)).toBeUndefined();
    expect(await reader.readChunks(40, 40, () => undefined)).toBe(false);
    expect(await reader.readChunks(45, 8, () => undefined)).toBe(false);
  });

  it('never allocates a window larger than the file', async () => {
    const m = memory(bytes.subarray(0, 10));
    const reader = new ZipFileReader(m.handle, 10, 1024);
    expect(await reader.read(2, 3)).toEqual(bytes.subarray(2, 5));
    expect(m.reads).toEqual([{ offset: 0, length: 8, position: 2 }]);
  });

  it('opens a handle at its size', async () => {
    const m = memory(bytes);
    const reader = await ZipFileReader.open(m.handle);
    expect(reader.size).toBe(100);
    expect(reader.handle).toBe(m.handle);
  });

  describe('readChunks', () => {
    const collect = async (
      reader: ZipFileReader,
      position: number,
      length: number,
      signal?: AbortSignal,
    ) => {
      const chunks: Buffer[] = [];
      const ok = await reader.readChunks(
        position,
        length,
        (c) => chunks.push(Buffer.from(c)),
        signal,
      );
      return { ok, chunks };
    };

    it('refuses ranges before the start or past the end, calling nothing', async () => {
      const m = memory(bytes);
      const reader = new ZipFileReader(m.handle, 100, 16);
      expect(await collect(reader, -1, 2)).toEqual({ ok: false, chunks: [] });
      expect(await collect(reader, -1, 40)).toEqual({ ok: false, chunks: [] });
      expect(await collect(reader, 0, -1)).toEqual({ ok: false, chunks: [] });
      expect(await collect(reader, 99, 2)).toEqual({ ok: false, chunks: [] });
      expect(await collect(reader, 70, 40)).toEqual({ ok: false, chunks: [] });
      expect(m.reads).toEqual([]);
    });

    it('gives a range up to exactly the end, and an empty range as one empty chunk', async () => {
      const m = memory(bytes);
      const reader = new ZipFileReader(m.handle, 100, 16);
      expect(await collect(reader, 90, 10)).toEqual({ ok: true, chunks: [bytes.subarray(90)] });
      expect(await collect(reader, 60, 40)).toEqual({
        ok: true,
        chunks: [bytes.subarray(60, 76), bytes.subarray(76, 92), bytes.subarray(92, 100)],
      });
      expect(await collect(reader, 0, 0)).toEqual({ ok: true, chunks: [Buffer.alloc(0)] });
    });

    it('gives a range of at most its window in one chunk through the window', async () => {
      const m = memory(bytes);
      const reader = new ZipFileReader(m.handle, 100, 16);
      expect(await collect(reader, 10, 16)).toEqual({ ok: true, chunks: [bytes.subarray(10, 26)] });
      expect(await reader.read(12, 4)).toEqual(bytes.subarray(12, 16));
      expect(await collect(reader, 11, 3)).toEqual({ ok: true, chunks: [bytes.subarray(11, 14)] });
      expect(m.reads).toEqual([{ offset: 0, length: 16, position: 10 }]);
    });

    it('gives a larger range in chunks of the window size, read past the window', async () => {
      const m = memory(bytes);
      const reader = new ZipFileReader(m.handle, 100, 16);
      expect(await collect(reader, 3, 40)).toEqual({
        ok: true,
        chunks: [bytes.subarray(3, 19), bytes.subarray(19, 35), bytes.subarray(35, 43)],
      });
      expect(m.reads).toEqual([
        { offset: 0, length: 16, position: 3 },
        { offset: 0, length: 16, position: 19 },
        { offset: 0, length: 8, position: 35 },
      ]);
    });

    it('checks its signal before each chunk', async () => {
      const controller = new AbortController();
      const reason = new Error('stop');
      const m = memory(bytes);
      const reader = new ZipFileReader(m.handle, 100, 16);
      const chunks: number[] = [];
      const reading = reader.readChunks(
        0,
        40,
        (c) => {
          chunks.push(c.length);
          controller.abort(reason);
        },
        controller.signal,
      );
      await expect(reading).rejects.toBe(reason);
      expect(chunks).toEqual([16]);
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('end records', () => {
  const EMPTY = build([]).bytes;

  it('reads an empty zip (its end record alone, at offset 0)', async () => {
    expect(EMPTY.length).toBe(22);
    expect(await structure(EMPTY)).toEqual({ ok: true, entries: [], totalBytes: 0 });
  });

  it('finds the end record behind a comment', async () => {
    const bytes = build([file('a.txt')], { comment: Buffer.from('un commentaire') }).bytes;
    expect(await names(bytes)).toEqual(['a.txt']);
  });

  it('refuses fewer than 22 bytes, and bytes without an end record', async () => {
    expect(await structure(EMPTY.subarray(0, 21))).toEqual(NOT_ZIP);
    expect(await structure(EMPTY.subarray(1))).toEqual(NOT_ZIP);
    expect(await structure(Buffer.alloc(100))).toEqual(NOT_ZIP);
    expect(await structure(Buffer.alloc(0))).toEqual(NOT_ZIP);
  });

  it('refuses a comment length running past the end of the file', async () => {
    expect(await structure(build([], { commentLength: 5 }).bytes)).toEqual(NOT_ZIP);
    const bytes = build([file('a.txt')], { comment: Buffer.from('abc'), commentLength: 4 }).bytes;
    expect(await structure(bytes)).toEqual(NOT_ZIP);
  });

  it('refuses bytes after the end record and its comment, saying how many', async () => {
    const bytes = build([file('a.txt')], { comment: Buffer.from('c'), trailing: Buffer.alloc(7) });
    expect(await structure(bytes.bytes)).toEqual(
      unsafe('7 bytes of data after the end of the zip'),
    );
  });

  it('refuses a multi-disk zip by either disk field', async () => {
    const multi = invalid('A multi-disk zip: not supported');
    expect(await structure(build([file('a')], { disk: 1 }).bytes)).toEqual(multi);
    expect(await structure(build([file('a')], { cdDisk: 1 }).bytes)).toEqual(multi);
  });

  it('reads ZIP64 end records', async () => {
    const bytes = build([file('a.txt'), file('b.txt')], { zip64: {} }).bytes;
    expect(await names(bytes)).toEqual(['a.txt', 'b.txt']);
  });

  it('refuses a ZIP64 locator whose record is not where it says', async () => {
    const bytes = build([file('a.txt')], { zip64: { recordOffset: 3 } }).bytes;
    expect(await structure(bytes)).toEqual(
      invalid('The ZIP64 end of central directory record is missing'),
    );
    const past = build([file('a.txt')], { zip64: { recordOffset: 2 ** 33 + 1 } }).bytes;
    expect(await structure(past)).toEqual(
      invalid('The ZIP64 end of central directory record is missing'),
    );
  });

  it('refuses data between the ZIP64 record and its locator', async () => {
    const bytes = build([file('a.txt')], { zip64: { between: Buffer.alloc(4) } }).bytes;
    expect(await structure(bytes)).toEqual(unsafe('Data between the ZIP64 end records'));
    const longer = build([file('a.txt')], { zip64: { recordSize: 48 } }).bytes;
    expect(await structure(longer)).toEqual(unsafe('Data between the ZIP64 end records'));
  });

  it('accepts a ZIP64 record with an extensible data sector its size counts', async () => {
    const bytes = build([file('a.txt')], {
      zip64: { recordSize: 48, between: Buffer.alloc(4) },
    }).bytes;
    expect(await names(bytes)).toEqual(['a.txt']);
  });

  it('refuses a multi-disk ZIP64 zip by either disk field of its record', async () => {
    const multi = invalid('A multi-disk zip: not supported');
    expect(await structure(build([file('a')], { zip64: { disk: 1 } }).bytes)).toEqual(multi);
    expect(await structure(build([file('a')], { zip64: { cdDisk: 1 } }).bytes)).toEqual(multi);
  });

  it('looks for a ZIP64 locator right at offset 0 (an end record at offset 20)', async () => {
    const locator = cat([u32(0x07064b50), u32(0), u64(1000), u32(1)]);
    const bytes = cat([locator, EMPTY]);
    expect(await structure(bytes)).toEqual(
      invalid('The ZIP64 end of central directory record is missing'),
    );
  });

  it('refuses a central directory ending before its end record', async () => {
    const built = build([file('a.txt')]);
    const smaller = build([file('a.txt')], {
      cdSize: built.bytes.length - 22 - built.cdOffset - 1,
    });
    expect(await structure(smaller.bytes)).toEqual(
      unsafe('Data between the central directory and the end of the zip'),
    );
    const earlier = build([file('a.txt')], { cdOffset: built.cdOffset - 1 });
    expect(await structure(earlier.bytes)).toEqual(
      unsafe('Data between the central directory and the end of the zip'),
    );
  });

  it('refuses a central directory running past its end record', async () => {
    const built = build([file('a.txt')]);
    const larger = build([file('a.txt')], { cdSize: built.bytes.length - 22 - built.cdOffset + 1 });
    expect(await structure(larger.bytes)).toEqual(
      invalid('The central directory runs past its end record (truncated?)'),
    );
    const zip64 = build([file('a.txt')], { zip64: {}, cdOffset: built.cdOffset + 1 });
    expect(await structure(zip64.bytes)).toEqual(
      invalid('The central directory runs past its end record (truncated?)'),
    );
  });

  it('allows as many entries as the limit, not one more', async () => {
    const bytes = build([file('a'), file('b'), file('c')]).bytes;
    expect(await names(bytes, { maxEntries: 3 })).toEqual(['a', 'b', 'c']);
    expect(await structure(bytes, { maxEntries: 2 })).toEqual(
      tooLarge('The zip has 3 entries (at most 2)'),
    );
  });

  it('reads 64-bit values whole (a high word that is not zero)', async () => {
    // The ZIP64 record counts 2^32 + 1 entries: refused by the limit before anything is read.
    const bytes = build([file('a')], { zip64: {}, count: 2 ** 32 + 1 }).bytes;
    expect(await structure(bytes)).toEqual(
      tooLarge('The zip has 4294967297 entries (at most 100000)'),
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('central directory', () => {
  it('keeps each entry where it is, and its sizes and flags', async () => {
    const built = build([
      { name: 'dossier/', data: '' },
      { name: 'dossier/a.txt', data: 'bonjour bonjour bonjour', deflate: true },
      { name: 'b.bin', data: Buffer.from([1, 2, 3]) },
    ]);
    const deflated = deflateRawSync('bonjour bonjour bonjour');
    const result = await structure(built.bytes);
    expect(result).toEqual({
      ok: true,
      totalBytes: 26,
      entries: [
        {
          name: 'dossier/',
          isDirectory: true,
          method: 0,
          flags: UTF8,
          crc32: 0,
          compressedSize: 0,
          uncompressedSize: 0,
          offset: 0,
          dataStart: 38,
        },
        {
          name: 'dossier/a.txt',
          isDirectory: false,
          method: 8,
          flags: UTF8,
          crc32: crc32('bonjour bonjour bonjour'),
          compressedSize: deflated.length,
          uncompressedSize: 23,
          offset: 38,
          dataStart: 38 + 30 + 13,
        },
        {
          name: 'b.bin',
          isDirectory: false,
          method: 0,
          flags: UTF8,
          crc32: crc32(Buffer.from([1, 2, 3])),
          compressedSize: 3,
          uncompressedSize: 3,
          offset: 38 + 30 + 13 + deflated.length,
          dataStart: 38 + 30 + 13 + deflated.length + 35,
        },
      ],
    });
  });

  it('counts an entry comment in the size of the central directory', async () => {
    const bytes = build([{ ...file('a.txt'), comment: Buffer.from('note') }, file('b.txt')]).bytes;
    expect(await names(bytes)).toEqual(['a.txt', 'b.txt']);
  });

  it('refuses an entry running over the central directory end (its comment)', async () => {
    const built = build([file('a.txt')]);
    // The comment's length takes in the end record: yauzl reads it, the size says otherwise.
    const central = built.centrals[0] ?? 0;
    const bytes = Buffer.from(built.bytes);
    bytes.writeUInt16LE(22, central + 32);
    expect(await structure(bytes)).toEqual(
      invalid('The central directory holds more than its declared size'),
    );
  });

  it('refuses bytes inside the declared central directory after its last entry', async () => {
    const bytes = build([file('a.txt')], { cdTail: Buffer.alloc(5) }).bytes;
    expect(await structure(bytes)).toEqual(
      unsafe('Data inside the central directory after its last entry'),
    );
  });

  it('refuses a central directory yauzl cannot read, with its reason', async () => {
    const built = build([file('a.txt'), file('b.txt')]);
    const bytes = Buffer.from(built.bytes);
    bytes.writeUInt32LE(0x02014b51, built.centrals[1] ?? 0);
    expect(await structure(bytes)).toEqual(
      invalid(
        'Unreadable central directory: invalid central directory file header signature: 0x2014b51',
      ),
    );
  });

  it('rethrows the error of a read that fails during the walk: a disk error is not the archive’s', async () => {
    const built = build([file('a.txt'), file('b.txt')]);
    const m = memory(built.bytes, {
      onRead: (r) => {
        if (r.position === built.cdOffset) throw systemError();
      },
    });
    const reader = new ZipFileReader(m.handle, built.bytes.length, 48);
    await expect(readZipStructure(reader, LIMITS)).rejects.toMatchObject({
      code: 'EIO',
      syscall: 'read',
    });
  });

  it('rethrows the error of a read that fails while yauzl opens the zip', async () => {
    const built = build([file('a.txt')]);
    let atStart = 0;
    const m = memory(built.bytes, {
      onRead: (r) => {
        // Our end records read the start first; yauzl's own look at the end reads it again.
        if (r.position === 0 && ++atStart === 2) throw systemError();
      },
    });
    const reader = new ZipFileReader(m.handle, built.bytes.length, 48);
    await expect(readZipStructure(reader, LIMITS)).rejects.toMatchObject({
      code: 'EIO',
      syscall: 'read',
    });
  });

  it('refuses a central entry running past the end of the file', async () => {
    const built = build([file('a.txt')]);
    const bytes = Buffer.from(built.bytes);
    bytes.writeUInt16LE(1000, (built.centrals[0] ?? 0) + 32);
    expect(await structure(bytes)).toEqual(
      invalid('Unreadable central directory: unexpected end of file'),
    );
  });

  it('refuses encrypted entries, by each of the three flags', async () => {
    const encrypted = (flags: number) =>
      build([{ ...file('s.txt'), deflate: true, flags: UTF8 | flags }]).bytes;
    expect(await structure(encrypted(0x0001))).toEqual(
      invalid('Encrypted entry: s.txt (not supported)'),
    );
    expect(await structure(encrypted(0x2000))).toEqual(
      invalid('Encrypted entry: s.txt (not supported)'),
    );
    // Strong encryption: yauzl refuses it before us.
    expect(await structure(encrypted(0x0040))).toEqual(
      invalid('Unreadable central directory: strong encryption is not supported'),
    );
  });

  it('refuses a compression method other than stored or deflated', async () => {
    const bytes = build([{ ...file('a.bz2'), method: 12 }]).bytes;
    expect(await structure(bytes)).toEqual(
      invalid('Entry a.bz2: compression method 12 is not supported'),
    );
  });

  it.each([
    [0o120777, 'a symbolic link'],
    [0o020644, 'a special file (device, pipe or socket)'],
    [0o060644, 'a special file (device, pipe or socket)'],
    [0o010644, 'a special file (device, pipe or socket)'],
    [0o140644, 'a special file (device, pipe or socket)'],
  ])('refuses an entry of mode %o: %s', async (mode, reason) => {
    const bytes = build([{ ...file('x'), mode }]).bytes;
    expect(await structure(bytes)).toEqual(unsafe(`Unsafe entry x: ${reason}`));
  });

  it('accepts an entry with no mode (written on another system)', async () => {
    const bytes = build([
      { ...file('x'), mode: 0 },
      { name: 'd/', mode: 0 },
    ]).bytes;
    expect(await names(bytes)).toEqual(['x', 'd/']);
  });

  it('accepts a folder with empty deflate data (2 bytes, or 5 from a level-0 deflater)', async () => {
    const bytes = build([
      { name: 'a/', compressed: Buffer.from([0x03, 0x00]) },
      { name: 'b/', compressed: Buffer.from([0x01, 0x00, 0x00, 0xff, 0xff]) },
    ]).bytes;
    expect(await names(bytes)).toEqual(['a/', 'b/']);
  });

  it('refuses a folder with data', async () => {
    const withData = (spec: Partial<Spec>) => build([{ ...spec, name: 'd/' }]).bytes;
    const refused = unsafe('Unsafe entry d/: a folder entry with data');
    expect(await structure(withData({ data: 'x' }))).toEqual(refused);
    expect(await structure(withData({ compressed: Buffer.alloc(6) }))).toEqual(refused);
    // Deflate data small enough, but inflating to something.
    expect(await structure(withData({ compressed: Buffer.from([0x03, 0x00]), usize: 1 }))).toEqual(
      refused,
    );
    // Stored bytes declared to inflate to nothing: a folder with data, before its sizes.
    expect(await structure(withData({ data: 'abc', usize: 0, local: { usize: 0 } }))).toEqual(
      refused,
    );
  });

  it('refuses a stored entry whose sizes differ, as corrupt, after the names', async () => {
    const stored = { ...file('a', 'abc'), usize: 5, local: { usize: 5 } };
    expect(await structure(build([stored]).bytes)).toEqual({
      ok: false,
      code: 'archive_corrupt',
      message: 'Entry a is stored but its sizes differ (3 and 5)',
    });
    expect(await structure(build([stored, file('b'), file('b')]).bytes)).toEqual(
      unsafe('Unsafe entry b: a duplicate name'),
    );
  });

  it('refuses a duplicate name', async () => {
    const bytes = build([file('a.txt'), file('b.txt'), file('a.txt')]).bytes;
    expect(await structure(bytes)).toEqual(unsafe('Unsafe entry a.txt: a duplicate name'));
  });

  it('refuses an unsafe name, with its reason', async () => {
    const bytes = build([file('a/../b')]).bytes;
    expect(await structure(bytes)).toEqual(
      unsafe('Unsafe entry a/../b: the path climbs out of its folder (..)'),
    );
    const empty = build([file('')]).bytes;
    expect(await structure(empty)).toEqual(unsafe('Unsafe entry : the name is empty'));
  });

  it('refuses a file that is also a folder, by a folder entry or a path through it', async () => {
    const both = unsafe('Entry x is both a file and a folder');
    expect(await structure(build([{ name: 'x/' }, file('x')]).bytes)).toEqual(both);
    expect(await structure(build([file('x'), file('x/y')]).bytes)).toEqual(both);
    const deep = unsafe('Entry a/b is both a file and a folder');
    expect(await structure(build([{ name: 'a/b/' }, file('a/b')]).bytes)).toEqual(deep);
    expect(await structure(build([file('a/b/c/d'), file('a/b')]).bytes)).toEqual(deep);
  });

  it('does not take a name that merely begins another for a folder', async () => {
    const bytes = build([file('ab'), file('abc'), file('a.d/e'), file('a.d.txt')]).bytes;
    expect(await names(bytes)).toEqual(['ab', 'abc', 'a.d/e', 'a.d.txt']);
  });

  describe('limits', () => {
    it('allows an entry of exactly the largest size, not one byte more', async () => {
      const bytes = build([file('a', 'abcd'), file('b', 'abcde')]).bytes;
      expect(await structure(bytes, { maxEntryBytes: 4 })).toEqual(
        tooLarge('Entry b is 5 bytes (at most 4)'),
      );
      expect(await names(bytes, { maxEntryBytes: 5 })).toEqual(['a', 'b']);
    });

    it('allows any ratio up to RATIO_FLOOR_BYTES, and up to the largest ratio above', async () => {
      const floor = build([
        { ...file('a'), compressed: Buffer.from([0x03, 0x00]), usize: RATIO_FLOOR_BYTES },
      ]);
      expect(await names(floor.bytes, { maxRatio: 2 })).toEqual(['a']);
      const above = build([
        { ...file('a'), compressed: Buffer.alloc(100_000), usize: 2_000_000 },
      ]).bytes;
      expect(await names(above, { maxRatio: 20 })).toEqual(['a']);
      expect(await structure(above, { maxRatio: 19 })).toEqual(
        tooLarge('Entry a inflates 20 times (at most 19): a zip bomb?'),
      );
    });

    it('rounds the ratio it reports', async () => {
      const bytes = build([
        { ...file('a'), compressed: Buffer.alloc(200_000), usize: 2_100_001 },
      ]).bytes;
      expect(await structure(bytes, { maxRatio: 10 })).toEqual(
        tooLarge('Entry a inflates 11 times (at most 10): a zip bomb?'),
      );
    });

    it('says an entry of no compressed bytes inflates from nothing', async () => {
      const bytes = build([
        { ...file('a'), compressed: Buffer.alloc(0), usize: RATIO_FLOOR_BYTES + 1 },
      ]).bytes;
      expect(await structure(bytes)).toEqual(
        tooLarge('Entry a inflates from nothing (at most 1000000): a zip bomb?'),
      );
    });

    it('allows entries adding up to exactly the total, not one byte more', async () => {
      const bytes = build([file('a', 'abc'), file('b', 'de'), file('c', 'fgh')]).bytes;
      expect(await names(bytes, { maxTotalBytes: 8 })).toEqual(['a', 'b', 'c']);
      expect(await structure(bytes, { maxTotalBytes: 7 })).toEqual(
        tooLarge('The entries add up to more than 7 bytes'),
      );
    });

    it('reports the first limit exceeded', async () => {
      const bytes = build([file('a', 'abcdef'), file('b', 'abcdefg')]).bytes;
      expect(await structure(bytes, { maxEntryBytes: 5, maxTotalBytes: 3 })).toEqual(
        tooLarge('Entry a is 6 bytes (at most 5)'),
      );
      expect(await structure(bytes, { maxEntryBytes: 6, maxTotalBytes: 3 })).toEqual(
        tooLarge('The entries add up to more than 3 bytes'),
      );
    });
  });

  describe('which problem is reported', () => {
    it('the layout before the names, the names before the limits', async () => {
      const limits = { maxEntryBytes: 1 };
      const names = build([file('a//b'), file('c')]);
      expect(await structure(names.bytes, limits)).toEqual(
        unsafe('Unsafe entry a//b: the path has an empty or "." component'),
      );
      const layout = build([file('a//b'), file('c')], { beforeCd: Buffer.alloc(3) });
      expect(await structure(layout.bytes, limits)).toEqual(
        unsafe('3 bytes of data after the last entry (c)'),
      );
    });

    it('the first name problem, and a file-and-folder after the names', async () => {
      const bytes = build([file('x'), { name: 'x/' }, file('a\\b'), file('/c')]).bytes;
      expect(await structure(bytes)).toEqual(
        unsafe('Unsafe entry a\\\\b: the name holds a backslash'),
      );
      const both = build([file('x'), { name: 'x/' }]).bytes;
      expect(await structure(both, { maxEntryBytes: 1 })).toEqual(
        unsafe('Entry x is both a file and a folder'),
      );
    });
  });

  it('releases the central directory reader, whatever the outcome', async () => {
    const close = vi.spyOn(yauzl.RandomAccessReader.prototype, 'close');
    try {
      expect(await names(build([file('a')]).bytes)).toEqual(['a']);
      expect(close).toHaveBeenCalledTimes(1);
      await structure(build([{ ...file('a'), method: 12 }]).bytes);
      expect(close).toHaveBeenCalledTimes(2);
    } finally {
      close.mockRestore();
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('names', () => {
  it('reads a name without the UTF-8 flag as CP437', async () => {
    const bytes = build([
      { ...file('x'), raw: Buffer.from('caf\x82.txt', 'latin1'), flags: 0 },
    ]).bytes;
    expect(await names(bytes)).toEqual(['café.txt']);
  });

  it('keeps a byte-order mark that begins a UTF-8 name, as yauzl and other tools do', async () => {
    const bytes = build([{ ...file('x'), raw: Buffer.from([0xef, 0xbb, 0xbf, 0x61]) }]).bytes;
    expect(await names(bytes)).toEqual(['\uFEFFa']);
  });

  it('keeps a backslash of a CP437 name (no translation to a slash)', async () => {
    const bytes = build([{ ...file('x'), raw: Buffer.from('a\\b'), flags: 0 }]).bytes;
    expect(await structure(bytes)).toEqual(
      unsafe('Unsafe entry a\\\\b: the name holds a backslash'),
    );
  });

  it('refuses a name flagged UTF-8 that is not', async () => {
    const bytes = build([{ ...file('x'), raw: Buffer.from('caf\xe9', 'latin1') }]).bytes;
    expect(await structure(bytes)).toEqual(
      unsafe('Unsafe entry name café: the name is not valid UTF-8'),
    );
  });

  it('accepts a Unicode Path field that agrees with the name, after another field', async () => {
    const raw = Buffer.from('caf\x82', 'latin1');
    const extra = cat([TIMESTAMP, unicodePath(raw, 'café')]);
    const bytes = build([{ ...file('x'), raw, flags: 0, extra, local: { extra } }]).bytes;
    expect(await names(bytes)).toEqual(['café']);
  });

  it('refuses a Unicode Path field naming the entry otherwise', async () => {
    const raw = Buffer.from('a.txt');
    const refused = unsafe('Unsafe entry name a.txt: a Unicode Path field gives it another name');
    const alone = build([{ ...file('a.txt'), extra: unicodePath(raw, 'b.txt') }]).bytes;
    expect(await structure(alone)).toEqual(refused);
    const second = cat([TIMESTAMP, unicodePath(raw, 'b.txt')]);
    expect(await structure(build([{ ...file('a.txt'), extra: second }]).bytes)).toEqual(refused);
  });

  it('judges a name with a backslash by itself when its Unicode Path field agrees', async () => {
    const raw = Buffer.from('a\\b');
    const extra = unicodePath(raw, 'a\\b');
    const bytes = build([{ ...file('x'), raw, extra, local: { extra } }]).bytes;
    expect(await structure(bytes)).toEqual(
      unsafe('Unsafe entry a\\\\b: the name holds a backslash'),
    );
  });

  it('ignores a Unicode Path field of another name (its CRC-32 is not this name’s)', async () => {
    const extra = unicodePath(Buffer.from('other'), 'b.txt');
    const bytes = build([{ ...file('a.txt'), extra }]).bytes;
    expect(await names(bytes)).toEqual(['a.txt']);
  });

  it('refuses a local header whose Unicode Path field names the entry otherwise', async () => {
    const extra = unicodePath(Buffer.from('a.txt'), 'b.txt');
    const bytes = build([{ ...file('a.txt'), local: { extra } }]).bytes;
    expect(await structure(bytes)).toEqual(mismatch('a.txt', 'name'));
  });
});

// ---------------------------------------------------------------------------------------------

describe('local headers and layout', () => {
  it('lays out entries in file order, keeping the central order in the result', async () => {
    const built = build([file('a'), file('b'), file('c')]);
    const [a, b, c] = built.offsets;
    // The central directory lists c, a, b: rewrite it in that order.
    const order = [2, 0, 1];
    const centrals = built.centrals.map((at, i) =>
      built.bytes.subarray(at, built.centrals[i + 1] ?? built.bytes.length - 22),
    );
    const bytes = cat([
      built.bytes.subarray(0, built.cdOffset),
      ...order.map((i) => centrals[i] ?? Buffer.alloc(0)),
      built.bytes.subarray(built.bytes.length - 22),
    ]);
    const result = await structure(bytes);
    expect(result.ok && result.entries.map((e) => [e.name, e.offset])).toEqual([
      ['c', c],
      ['a', a],
      ['b', b],
    ]);
  });

  it('refuses two entries sharing a local header', async () => {
    const bytes = build([file('a'), { ...file('b'), local: false, offset: 0 }]).bytes;
    expect(await structure(bytes)).toEqual(unsafe('Entry b overlaps entry a'));
  });

  it('refuses data before the first entry, between entries, after the last, saying how much', async () => {
    expect(await structure(build([file('a')], { prefix: Buffer.alloc(5) }).bytes)).toEqual(
      unsafe('5 bytes of data before the first entry (a)'),
    );
    expect(
      await structure(build([file('a'), { ...file('b'), before: Buffer.alloc(3) }]).bytes),
    ).toEqual(unsafe('3 bytes of data between entries a and b'));
    expect(
      await structure(
        build([file('a'), { ...file('b'), before: Buffer.alloc(3) }], { prefix: Buffer.alloc(7) })
          .bytes,
      ),
    ).toEqual(unsafe('7 bytes of data before the first entry (a)'));
    expect(
      await structure(build([file('a'), file('b')], { beforeCd: Buffer.alloc(4) }).bytes),
    ).toEqual(unsafe('4 bytes of data after the last entry (b)'));
    expect(await structure(build([file('a')], { beforeCd: Buffer.alloc(2) }).bytes)).toEqual(
      unsafe('2 bytes of data after the last entry (a)'),
    );
  });

  it('refuses a central directory not at 0 when there are no entries', async () => {
    expect(await structure(build([], { prefix: Buffer.alloc(9) }).bytes)).toEqual(
      unsafe('9 bytes of data before the central directory'),
    );
  });

  it('refuses a local header running into the central directory', async () => {
    // The central directory starts 10 bytes in, inside what would be the local header.
    const central = build([{ ...file('a'), offset: 0 }]);
    const cd = central.bytes.subarray(central.cdOffset);
    const bytes = cat([Buffer.alloc(10), cd]);
    bytes.writeUInt32LE(10, bytes.length - 6);
    expect(await structure(bytes)).toEqual(
      unsafe('The local header of a runs into the central directory'),
    );
  });

  it('accepts a local header ending exactly at the central directory', async () => {
    const bytes = build([file('', '')]).bytes;
    expect(await structure(bytes)).toEqual(unsafe('Unsafe entry : the name is empty'));
  });

  it('refuses a local name running into the central directory', async () => {
    const bytes = build([{ ...file('a', ''), local: { nameLength: 40 } }]).bytes;
    expect(await structure(bytes)).toEqual(
      unsafe('The local header of a runs into the central directory'),
    );
  });

  it('refuses a central entry pointing at something other than a local header', async () => {
    const bytes = build([{ ...file('a'), local: { signature: 0x04034b51 } }]).bytes;
    expect(await structure(bytes)).toEqual(
      unsafe('No local header where the central directory puts a'),
    );
  });

  it('finds the data after a local extra field', async () => {
    const built = build([{ ...file('a'), local: { extra: TIMESTAMP } }, file('b')]);
    const result = await structure(built.bytes);
    expect(result.ok && result.entries.map((e) => e.dataStart)).toEqual([
      30 + 1 + 9,
      (built.offsets[1] ?? 0) + 30 + 1,
    ]);
  });

  it('refuses a malformed local extra field', async () => {
    const extra = cat([u16(0x5455), u16(20), Buffer.alloc(3)]);
    const bytes = build([{ ...file('a'), local: { extra } }]).bytes;
    expect(await structure(bytes)).toEqual(mismatch('a', 'malformed extra field'));
  });

  it('refuses a local header differing by name, flags, method, CRC-32 or a size', async () => {
    const data = 'contenu';
    const one = (local: Partial<LocalFields>) =>
      structure(build([{ ...file('a', data), local }]).bytes);
    expect(await one({ name: Buffer.from('b') })).toEqual(mismatch('a', 'name'));
    expect(await one({ flags: 0 })).toEqual(mismatch('a', 'flags'));
    expect(await one({ flags: UTF8 | 0x0010 })).toEqual(mismatch('a', 'flags'));
    expect(await one({ method: 8 })).toEqual(mismatch('a', 'compression method'));
    expect(await one({ crc: crc32(data) + 1 })).toEqual(mismatch('a', 'CRC-32'));
    expect(await one({ csize: 8 })).toEqual(mismatch('a', 'compressed size'));
    expect(await one({ usize: 8 })).toEqual(mismatch('a', 'size'));
  });

  it('does not compare flag bits 1 and 2 (how hard the deflater worked)', async () => {
    const bytes = build([
      {
        ...file('a', 'aaaa'),
        deflate: true,
        flags: UTF8 | 0x0002,
        local: { flags: UTF8 | 0x0004 },
      },
      { ...file('b', 'bbbb'), deflate: true, flags: UTF8, local: { flags: UTF8 | 0x0006 } },
    ]).bytes;
    expect(await names(bytes)).toEqual(['a', 'b']);
  });

  describe('ZIP64 sizes in a local header', () => {
    const data = 'contenu de a';
    const n = data.length;

    it('reads them when either 32-bit size says 0xFFFFFFFF', async () => {
      const extra = zip64Sizes(n, n);
      for (const local of [
        { csize: MAX_32, usize: MAX_32, extra },
        { csize: MAX_32, extra },
        { usize: MAX_32, extra },
        { usize: MAX_32, extra: cat([TIMESTAMP, extra]) },
      ]) {
        expect(await names(build([{ ...file('a', data), local }]).bytes)).toEqual(['a']);
      }
    });

    it('compares them with the central entry', async () => {
      const local = { csize: MAX_32, usize: MAX_32, extra: zip64Sizes(n + 1, n) };
      expect(await structure(build([{ ...file('a', data), local }]).bytes)).toEqual(
        mismatch('a', 'size'),
      );
    });

    it('refuses their absence, or a field too short for them', async () => {
      const missing = mismatch('a', 'ZIP64 sizes missing');
      const one = (local: Partial<LocalFields>) =>
        structure(build([{ ...file('a', data), local }]).bytes);
      expect(await one({ usize: MAX_32 })).toEqual(missing);
      expect(await one({ csize: MAX_32, extra: TIMESTAMP })).toEqual(missing);
      expect(await one({ csize: MAX_32, extra: field(0x0001, u64(n)) })).toEqual(missing);
      expect(
        await one({ csize: MAX_32, extra: field(0x0001, cat([u64(n), Buffer.alloc(7)])) }),
      ).toEqual(missing);
    });

    it('reads a size over 4 GiB whole', async () => {
      const usize = 2 ** 32 + 5;
      const bytes = build([
        {
          ...file('a'),
          compressed: Buffer.from([0x03, 0x00]),
          usize: MAX_32,
          extra: field(0x0001, u64(usize)),
          local: { usize: MAX_32, csize: MAX_32, extra: zip64Sizes(usize, 2) },
        },
      ]).bytes;
      const result = await structure(bytes, { maxRatio: 2 ** 32 });
      expect(result.ok && result.entries.map((e) => e.uncompressedSize)).toEqual([usize]);
    });
  });

  describe('data', () => {
    it('refuses data running into the central directory', async () => {
      const bytes = build([
        { ...file('a', 'abc'), deflate: true, csize: 80, local: { csize: 80 } },
      ]).bytes;
      expect(await structure(bytes)).toEqual(
        unsafe('The data of a runs into the central directory'),
      );
    });

    it('refuses data running into the next entry', async () => {
      const bytes = build([
        { ...file('a', 'abc'), deflate: true, csize: 10, local: { csize: 10 } },
        file('b'),
      ]).bytes;
      expect(await structure(bytes)).toEqual(unsafe('Entry b overlaps entry a'));
      const described = build([
        { ...file('a', 'abc'), deflate: true, csize: 30, flags: UTF8 | DESCRIPTOR_FLAG },
        file('b'),
      ]).bytes;
      expect(await structure(described)).toEqual(unsafe('Entry b overlaps entry a'));
    });
  });

  describe('data descriptors', () => {
    const data = 'contenu de a, contenu de a';
    const deflated = deflateRawSync(data);
    const crc = crc32(data);
    const described = (
      descriptor: Buffer,
      local: Partial<LocalFields> = {},
      spec: Partial<Spec> = {},
    ) =>
      build([
        {
          name: 'a',
          data,
          deflate: true,
          flags: UTF8 | DESCRIPTOR_FLAG,
          descriptor,
          local,
          ...spec,
        },
        file('b'),
      ]).bytes;

    it('accepts each of the four forms', async () => {
      for (const d of [desc16, desc24, desc12, desc20]) {
        const bytes = described(d(crc, deflated.length, data.length));
        expect(await names(bytes)).toEqual(['a', 'b']);
      }
    });

    it('accepts each form for an empty entry too (sizes of zero)', async () => {
      const empty = Buffer.from([0x03, 0x00]);
      for (const d of [desc16, desc24, desc12, desc20]) {
        const bytes = build([
          { name: 'e', compressed: empty, flags: UTF8 | DESCRIPTOR_FLAG, descriptor: d(0, 2, 0) },
        ]).bytes;
        expect(await names(bytes)).toEqual(['e']);
      }
    });

    it('refuses a descriptor that does not hold the central CRC-32 and sizes', async () => {
      const wrong = mismatch('a', 'data descriptor');
      const n = deflated.length;
      expect(await structure(described(desc16(crc + 1, n, data.length)))).toEqual(wrong);
      expect(await structure(described(desc16(crc, n + 1, data.length)))).toEqual(wrong);
      expect(await structure(described(desc16(crc, n, data.length + 1)))).toEqual(wrong);
      expect(await structure(described(desc24(crc, n, data.length + 1)))).toEqual(wrong);
      expect(await structure(described(desc12(crc, n + 1, data.length)))).toEqual(wrong);
      expect(await structure(described(desc20(crc, n, data.length + 2 ** 32)))).toEqual(wrong);
      expect(await structure(described(Buffer.alloc(0)))).toEqual(wrong);
    });

    it('refuses a 16- or 24-byte descriptor without its signature', async () => {
      const wrong = mismatch('a', 'data descriptor');
      const n = deflated.length;
      const unsigned16 = cat([u32(7), desc12(crc, n, data.length)]);
      expect(await structure(described(unsigned16))).toEqual(wrong);
      const unsigned24 = cat([u32(7), desc20(crc, n, data.length)]);
      expect(await structure(described(unsigned24))).toEqual(wrong);
    });

    it('says how many bytes follow an entry when there is room for more than a descriptor', async () => {
      const bytes = described(cat([desc16(crc, deflated.length, data.length), Buffer.alloc(14)]));
      expect(await structure(bytes)).toEqual(unsafe('6 bytes of data after entry a'));
    });

    it('takes local fields of zero, or equal to the central ones, with a descriptor', async () => {
      const d = desc16(crc, deflated.length, data.length);
      expect(await names(described(d))).toEqual(['a', 'b']);
      const filled = { crc, csize: deflated.length, usize: data.length };
      expect(await names(described(d, filled))).toEqual(['a', 'b']);
      expect(await names(described(d, { crc }))).toEqual(['a', 'b']);
      expect(await names(described(d, { csize: deflated.length }))).toEqual(['a', 'b']);
      expect(await names(described(d, { usize: data.length }))).toEqual(['a', 'b']);
    });

    it('refuses local fields differing from the central ones, with a descriptor', async () => {
      const d = desc16(crc, deflated.length, data.length);
      expect(await structure(described(d, { crc: crc + 1 }))).toEqual(mismatch('a', 'CRC-32'));
      expect(await structure(described(d, { csize: 1 }))).toEqual(mismatch('a', 'compressed size'));
      expect(await structure(described(d, { usize: 1 }))).toEqual(mismatch('a', 'size'));
    });
  });
});

// ---------------------------------------------------------------------------------------------

describe('aborting', () => {
  it('stops walking the central directory at the entry where the abort is seen', async () => {
    const built = build([file('a'), file('b'), file('c')]);
    const controller = new AbortController();
    const reason = new Error('stop');
    let seen = -1;
    const m = memory(built.bytes, {
      onRead: (r) => {
        // The first central header: its entry is the last one read.
        if (r.position === built.cdOffset) {
          controller.abort(reason);
          seen = m.reads.length;
        }
      },
    });
    const reader = new ZipFileReader(m.handle, built.bytes.length, 48);
    await expect(readZipStructure(reader, LIMITS, controller.signal)).rejects.toBe(reason);
    expect(seen).toBeGreaterThan(0);
    const second = built.centrals[1] ?? 0;
    expect(m.reads.slice(seen).filter((r) => r.position >= second)).toEqual([]);
  });

  it('checks its signal once every 1024 local headers, not at each', async () => {
    const built = build([file('a'), file('b'), file('c')]);
    const controller = new AbortController();
    const m = memory(built.bytes, {
      onRead: (r) => {
        if (r.position === built.offsets[1]) controller.abort();
      },
    });
    const reader = new ZipFileReader(m.handle, built.bytes.length, 30);
    const result = await readZipStructure(reader, LIMITS, controller.signal);
    expect(controller.signal.aborted).toBe(true);
    expect(result.ok && result.entries.length).toBe(3);
  });

  it('stops laying out entries at the 1024th local header after an abort', async () => {
    const specs = Array.from({ length: 1100 }, (_, i) => file(`f${i}`, ''));
    const built = build(specs);
    const controller = new AbortController();
    const reason = new Error('stop');
    const m = memory(built.bytes, {
      onRead: (r) => {
        if (r.position === built.offsets[5]) controller.abort(reason);
      },
    });
    const reader = new ZipFileReader(m.handle, built.bytes.length, 31);
    await expect(readZipStructure(reader, LIMITS, controller.signal)).rejects.toBe(reason);
    expect(m.reads.some((r) => r.position === built.offsets[1023])).toBe(true);
    expect(m.reads.some((r) => r.position === built.offsets[1024])).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------

describe('readEntryData', () => {
  const location = (over: Partial<ZipEntryLocation>): ZipEntryLocation => ({
    name: 'f',
    isDirectory: false,
    method: 8,
    flags: 0,
    crc32: 0,
    compressedSize: 0,
    uncompressedSize: 0,
    offset: 0,
    dataStart: 0,
    ...over,
  });

  /** `data` deflated (or as given) in a file at offset 3, read by `readEntryData`. */
  async function read(
    data: Buffer,
    over: Partial<ZipEntryLocation> & { compressed?: Buffer } = {},
    options: MemoryOptions & { signal?: AbortSignal; windowBytes?: number } = {},
  ) {
    const { compressed: given, ...rest } = over;
    const method = rest.method ?? 8;
    const compressed = given ?? (method === 8 ? deflateRawSync(data) : data);
    const bytes = cat([Buffer.from('PK!'), compressed, Buffer.from('after')]);
    const m = memory(bytes, options);
    const reader = new ZipFileReader(m.handle, bytes.length, options.windowBytes);
    const e = location({
      method,
      crc32: crc32(data),
      compressedSize: compressed.length,
      uncompressedSize: data.length,
      dataStart: 3,
      ...rest,
    });
    const chunks: Buffer[] = [];
    const result = await readEntryData(
      reader,
      e,
      (c) => chunks.push(Buffer.from(c)),
      options.signal,
    );
    return { result, data: cat(chunks), chunks: chunks.length, streams: m.streams, reads: m.reads };
  }

  const SMALL = Buffer.from('bonjour '.repeat(100));
  const MEDIUM = Buffer.alloc(300 * 1024, 'medium ');
  const FOUR_MIB = 4 * 1024 * 1024;

  it('reads a stored entry', async () => {
    const r = await read(SMALL, { method: 0 });
    expect(r.result).toBeUndefined();
    expect(r.data).toEqual(SMALL);
  });

  it('reads a stored entry larger than the window in chunks', async () => {
    const r = await read(SMALL, { method: 0 }, { windowBytes: 256 });
    expect(r.result).toBeUndefined();
    expect(r.data).toEqual(SMALL);
    expect(r.chunks).toBe(4);
  });

  it('reads empty entries, stored or deflated', async () => {
    expect((await read(Buffer.alloc(0), { method: 0 })).result).toBeUndefined();
    expect((await read(Buffer.alloc(0), { compressed: Buffer.alloc(0) })).result).toBeUndefined();
    expect(
      (await read(Buffer.alloc(0), { compressed: Buffer.from([0x03, 0x00]) })).result,
    ).toBeUndefined();
  });

  it('inflates small and medium entries whole, without a stream', async () => {
    for (const data of [SMALL, MEDIUM]) {
      const r = await read(data);
      expect(r.result).toBeUndefined();
      expect(r.data.equals(data)).toBe(true);
      expect(r.streams).toEqual([]);
    }
  });

  it('inflates whole up to 4 MiB declared and 1 MiB compressed', async () => {
    const four = await read(Buffer.alloc(FOUR_MIB));
    expect(four.result).toBeUndefined();
    expect(four.data.length).toBe(FOUR_MIB);
    expect(four.streams).toEqual([]);
    // Deflate data of exactly 1 MiB: stored blocks.
    const data = Buffer.alloc(1024 * 1024 - 80, 7);
    const mib = await read(data, { compressed: storedBlocks(data, 16) });
    expect(mib.result).toBeUndefined();
    expect(mib.streams).toEqual([]);
  });

  it('streams an entry over 4 MiB declared, or over 1 MiB compressed, exactly its bytes', async () => {
    const big = Buffer.alloc(FOUR_MIB + 1, 'x');
    const r = await read(big);
    expect(r.result).toBeUndefined();
    expect(r.data.equals(big)).toBe(true);
    const compressedSize = deflateRawSync(big).length;
    expect(r.streams).toEqual([
      { start: 3, end: 3 + compressedSize - 1, autoClose: false, highWaterMark: 256 * 1024 },
    ]);
    const data = Buffer.alloc(1024 * 1024 - 79, 7);
    const over = await read(data, { compressed: storedBlocks(data, 16) });
    expect(over.result).toBeUndefined();
    expect(over.streams).toEqual([
      { start: 3, end: 3 + 1024 * 1024, autoClose: false, highWaterMark: 256 * 1024 },
    ]);
  });

  it('reads nothing for a deflated entry of no compressed bytes', async () => {
    const r = await read(Buffer.alloc(FOUR_MIB + 10), { compressed: Buffer.alloc(0) });
    expect(r.result).toEqual(corrupt(`Entry f holds 0 bytes, not the declared ${FOUR_MIB + 10}`));
    expect(r.streams).toEqual([]);
    const small = await read(Buffer.alloc(10), { compressed: Buffer.alloc(0) });
    expect(small.result).toEqual(corrupt('Entry f holds 0 bytes, not the declared 10'));
  });

  it('refuses a truncated entry, stored or deflated', async () => {
    const truncated = corrupt('Entry f is truncated');
    expect((await read(SMALL, { method: 0, compressedSize: 1000 })).result).toEqual(truncated);
    expect((await read(SMALL, { compressedSize: 10_000 })).result).toEqual(truncated);
  });

  it('refuses fewer bytes than declared, in each path', async () => {
    for (const [data, declared] of [
      [SMALL, SMALL.length + 1],
      [MEDIUM, MEDIUM.length + 1],
      [Buffer.alloc(FOUR_MIB + 1), FOUR_MIB + 2],
    ] as const) {
      const r = await read(data, { uncompressedSize: declared });
      expect(r.result).toEqual(
        corrupt(`Entry f holds ${data.length} bytes, not the declared ${declared}`),
      );
    }
    const stored = await read(SMALL, { method: 0, uncompressedSize: 801 });
    expect(stored.result).toEqual(corrupt('Entry f holds 800 bytes, not the declared 801'));
  });

  it('refuses more bytes than declared (a zip bomb), in each path', async () => {
    for (const [data, declared, over] of [
      [SMALL, 799, {}],
      [SMALL, 799, { method: 0 }],
      [SMALL, 799, { method: 0, windowBytes: 256 }],
      [MEDIUM, MEDIUM.length - 1, {}],
      [Buffer.alloc(FOUR_MIB * 2), FOUR_MIB + 1, {}],
    ] as const) {
      const { windowBytes, ...rest } = over as { windowBytes?: number; method?: number };
      const r = await read(data, { uncompressedSize: declared, ...rest }, { windowBytes });
      expect(r.result).toEqual(
        tooLarge(`Entry f inflates to more than its declared ${declared} bytes: a zip bomb?`),
      );
    }
  });

  it('refuses a CRC-32 mismatch', async () => {
    const r = await read(SMALL, { crc32: crc32(SMALL) ^ 1 });
    expect(r.result).toEqual(corrupt('CRC-32 mismatch: f'));
    const stored = await read(SMALL, { method: 0, crc32: 0 });
    expect(stored.result).toEqual(corrupt('CRC-32 mismatch: f'));
  });

  it('refuses data that does not inflate, in each path, with zlib’s reason', async () => {
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff]);
    for (const declared of [10, 300 * 1024, FOUR_MIB + 1]) {
      const r = await read(Buffer.alloc(declared), { compressed: garbage });
      expect(r.result).toEqual(corrupt('Entry f does not inflate: invalid block type'));
    }
  });

  it('rethrows a file system error instead of blaming the archive', async () => {
    const error = systemError();
    const failing = {
      onRead: () => {
        throw error;
      },
    };
    await expect(read(SMALL, { method: 0 }, failing)).rejects.toBe(error);
    await expect(read(SMALL, {}, failing)).rejects.toBe(error);
  });

  it('rejects with the abort reason when aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(
      read(SMALL, { method: 0 }, { windowBytes: 256, signal: controller.signal }),
    ).rejects.toBe(reason);
  });

  it('stops a stream when aborted during it', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const data = Buffer.alloc(FOUR_MIB * 2, 'x');
    const compressed = deflateRawSync(data);
    const e = location({
      crc32: crc32(data),
      compressedSize: compressed.length,
      uncompressedSize: data.length,
    });
    const m = memory(compressed);
    const reader = new ZipFileReader(m.handle, compressed.length);
    // Aborted from the first chunk on: the stream ends there, the data is not all read.
    const reading = readEntryData(reader, e, () => controller.abort(reason), controller.signal);
    await expect(reading).rejects.toBe(reason);
    expect(m.streams.length).toBe(1);
  });

  describe('on a real file', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'md-zip-structure-'));
    });
    afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

    it('streams two large entries in a row from the same handle (it stays open)', async () => {
      const one = Buffer.alloc(FOUR_MIB + 100, 'a');
      const two = Buffer.alloc(FOUR_MIB + 200, 'b');
      const built = build([
        { name: 'one', data: one, deflate: true },
        { name: 'two', data: two, deflate: true },
      ]);
      const zip = path.join(dir, 'two.zip');
      await fsp.writeFile(zip, built.bytes);
      const handle = await fsp.open(zip);
      try {
        const reader = await ZipFileReader.open(handle);
        const result = await readZipStructure(reader, LIMITS);
        if (!result.ok) throw new Error(result.message);
        const sizes: number[] = [];
        for (const e of result.entries) {
          let size = 0;
          expect(await readEntryData(reader, e, (c) => (size += c.length))).toBeUndefined();
          sizes.push(size);
        }
        expect(sizes).toEqual([one.length, two.length]);
      } finally {
        await handle.close();
      }
    });
  });
});

/** Raw deflate data of `blocks` stored blocks: exactly `data.length + 5 * blocks` bytes. */
function storedBlocks(data: Buffer, blocks: number): Buffer {
  const per = Math.ceil(data.length / blocks);
  const parts: Buffer[] = [];
  for (let i = 0; i < blocks; i++) {
    const part = data.subarray(i * per, (i + 1) * per);
    const head = Buffer.alloc(5);
    head[0] = i === blocks - 1 ? 1 : 0;
    head.writeUInt16LE(part.length, 1);
    head.writeUInt16LE(~part.length & 0xffff, 3);
    parts.push(head, part);
  }
  return cat(parts);
}
