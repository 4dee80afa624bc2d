/**
 * The ZIP records an export writes (APPNOTE 6.3), laid out as yazl laid them out before the
 * export wrote its own zip (so readers, `verify` and the import see the same archive): UTF-8
 * names (flag 11), a data descriptor with its signature only for entries streamed with
 * unknown CRC and sizes (flag 3), ZIP64 fields only where a size or an offset needs them,
 * the Info-ZIP timestamp in the central directory, Unix regular files 0644.
 */

export const STORED = 0;
export const DEFLATED = 8;

const FLAG_DESCRIPTOR = 1 << 3;
const FLAG_UTF8 = 1 << 11;
/** Unix (3), spec 6.3. */
const VERSION_MADE_BY = (3 << 8) | 63;
const VERSION_NEEDED = 20;
const VERSION_NEEDED_ZIP64 = 45;
/** Past this, a 32-bit field says 0xFFFFFFFF and the value goes in a ZIP64 field (as yazl). */
const MAX_32 = 0xfffffffe;
const FILE_MODE = 0o100644;

export const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const TIMESTAMP_FIELD_SIZE = 9;
const ZIP64_FIELD_SIZE = 28;

/** What the central directory says of an entry, known once its data is written. */
export interface ZipEntryRecord {
  /** The name as UTF-8 bytes. */
  name: Buffer;
  method: typeof STORED | typeof DEFLATED;
  /** CRC and sizes follow the data (streamed entry) rather than lead it. */
  descriptor: boolean;
  crc32: number;
  compressedSize: number;
  size: number;
  /** Where the local header starts. */
  offset: number;
}

/** The DOS date and time of `date`, in local time, clamped to 1980–2107 (as yazl). */
export function dosDateTime(date: Date): { date: number; time: number } {
  const min = new Date(1980, 0, 1);
  const max = new Date(2107, 11, 31, 23, 59, 58);
  const d = date < min ? min : date > max ? max : date;
  return {
    date:
      (d.getDate() & 0x1f) |
      (((d.getMonth() + 1) & 0xf) << 5) |
      (((d.getFullYear() - 1980) & 0x7f) << 9),
    time:
      Math.floor(d.getSeconds() / 2) |
      ((d.getMinutes() & 0x3f) << 5) |
      ((d.getHours() & 0x1f) << 11),
  };
}

function writeUInt64(buffer: Buffer, value: number, at: number): void {
  buffer.writeUInt32LE(value % 0x100000000, at);
  buffer.writeUInt32LE(Math.floor(value / 0x100000000), at + 4);
}

const needsZip64 = (e: ZipEntryRecord) =>
  e.size > MAX_32 || e.compressedSize > MAX_32 || e.offset > MAX_32;

/** The local header; CRC and sizes are zero for a streamed entry (they follow the data). */
export function localHeader(
  e: Pick<ZipEntryRecord, 'name' | 'method' | 'descriptor' | 'crc32' | 'compressedSize' | 'size'>,
  dos: { date: number; time: number },
): Buffer {
  const b = Buffer.allocUnsafe(LOCAL_HEADER_SIZE + e.name.length);
  b.writeUInt32LE(0x04034b50, 0);
  b.writeUInt16LE(VERSION_NEEDED, 4);
  b.writeUInt16LE(FLAG_UTF8 | (e.descriptor ? FLAG_DESCRIPTOR : 0), 6);
  b.writeUInt16LE(e.method, 8);
  b.writeUInt16LE(dos.time, 10);
  b.writeUInt16LE(dos.date, 12);
  b.writeUInt32LE(e.descriptor ? 0 : e.crc32, 14);
  b.writeUInt32LE(e.descriptor ? 0 : e.compressedSize, 18);
  b.writeUInt32LE(e.descriptor ? 0 : e.size, 22);
  b.writeUInt16LE(e.name.length, 26);
  b.writeUInt16LE(0, 28);
  e.name.copy(b, LOCAL_HEADER_SIZE);
  return b;
}

/** The data descriptor of a streamed entry, with its signature; 64-bit sizes when needed. */
export function dataDescriptor(e: ZipEntryRecord): Buffer {
  if (!needsZip64(e)) {
    const b = Buffer.allocUnsafe(16);
    b.writeUInt32LE(0x08074b50, 0);
    b.writeUInt32LE(e.crc32, 4);
    b.writeUInt32LE(e.compressedSize, 8);
    b.writeUInt32LE(e.size, 12);
    return b;
  }
  const b = Buffer.allocUnsafe(24);
  b.writeUInt32LE(0x08074b50, 0);
  b.writeUInt32LE(e.crc32, 4);
  writeUInt64(b, e.compressedSize, 8);
  writeUInt64(b, e.size, 16);
  return b;
}

/** The entry's central directory record. */
export function centralRecord(
  e: ZipEntryRecord,
  dos: { date: number; time: number },
  mtime: Date,
): Buffer {
  const zip64 = needsZip64(e);
  const extra = TIMESTAMP_FIELD_SIZE + (zip64 ? ZIP64_FIELD_SIZE : 0);
  const b = Buffer.allocUnsafe(CENTRAL_HEADER_SIZE + e.name.length + extra);
  b.writeUInt32LE(0x02014b50, 0);
  b.writeUInt16LE(VERSION_MADE_BY, 4);
  b.writeUInt16LE(zip64 ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED, 6);
  b.writeUInt16LE(FLAG_UTF8 | (e.descriptor ? FLAG_DESCRIPTOR : 0), 8);
  b.writeUInt16LE(e.method, 10);
  b.writeUInt16LE(dos.time, 12);
  b.writeUInt16LE(dos.date, 14);
  b.writeUInt32LE(e.crc32, 16);
  b.writeUInt32LE(zip64 ? 0xffffffff : e.compressedSize, 20);
  b.writeUInt32LE(zip64 ? 0xffffffff : e.size, 24);
  b.writeUInt16LE(e.name.length, 28);
  b.writeUInt16LE(extra, 30);
  b.writeUInt16LE(0, 32); // comment
  b.writeUInt16LE(0, 34); // disk
  b.writeUInt16LE(0, 36); // internal attributes
  b.writeUInt32LE((FILE_MODE << 16) >>> 0, 38);
  b.writeUInt32LE(zip64 ? 0xffffffff : e.offset, 42);
  let at = CENTRAL_HEADER_SIZE;
  at += e.name.copy(b, at);
  // Info-ZIP universal timestamp ("UT"): modification time in UTC; the atime flag is set as
  // Info-ZIP sets it, the central copy never holds atime.
  b.writeUInt16LE(0x5455, at);
  b.writeUInt16LE(TIMESTAMP_FIELD_SIZE - 4, at + 2);
  b.writeUInt8(0b11, at + 4);
  const seconds = Math.floor(mtime.getTime() / 1000);
  b.writeInt32LE(Math.max(-0x80000000, Math.min(0x7fffffff, seconds)), at + 5);
  at += TIMESTAMP_FIELD_SIZE;
  if (zip64) {
    b.writeUInt16LE(0x0001, at);
    b.writeUInt16LE(ZIP64_FIELD_SIZE - 4, at + 2);
    writeUInt64(b, e.size, at + 4);
    writeUInt64(b, e.compressedSize, at + 12);
    writeUInt64(b, e.offset, at + 20);
  }
  return b;
}

/**
 * The end of central directory record, after the ZIP64 record and locator when the entry
 * count, the directory's size or its offset need them. `at`: where these records start.
 */
export function endRecords(entries: number, cdOffset: number, cdSize: number, at: number): Buffer {
  const zip64 = entries >= 0xffff || cdOffset >= 0xffffffff || cdSize >= 0xffffffff;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(zip64 && entries >= 0xffff ? 0xffff : entries, 8);
  eocd.writeUInt16LE(zip64 && entries >= 0xffff ? 0xffff : entries, 10);
  eocd.writeUInt32LE(cdSize >= 0xffffffff ? 0xffffffff : cdSize, 12);
  eocd.writeUInt32LE(cdOffset >= 0xffffffff ? 0xffffffff : cdOffset, 16);
  if (!zip64) return eocd;
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  writeUInt64(record, 56 - 12, 4);
  record.writeUInt16LE(VERSION_MADE_BY, 12);
  record.writeUInt16LE(VERSION_NEEDED_ZIP64, 14);
  writeUInt64(record, entries, 24);
  writeUInt64(record, entries, 32);
  writeUInt64(record, cdSize, 40);
  writeUInt64(record, cdOffset, 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  writeUInt64(locator, at, 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([record, locator, eocd]);
}
