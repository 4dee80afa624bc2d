import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

export interface ZipEntryInfo {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  isDirectory: boolean;
  isSymlink: boolean;
  entry: yauzl.Entry;
}

/** Opens a zip file for random access (central directory first; nothing extracted). */
export async function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(
      file,
      { lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true },
      (err, zip) => {
        if (err) reject(err);
        else resolve(zip);
      },
    );
  });
}

/** Every entry of the central directory, read lazily. */
export async function listEntries(zip: yauzl.ZipFile): Promise<ZipEntryInfo[]> {
  return new Promise((resolve, reject) => {
    const entries: ZipEntryInfo[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
      entries.push({
        name: entry.fileName,
        compressedSize: entry.compressedSize,
        uncompressedSize: entry.uncompressedSize,
        crc32: entry.crc32,
        isDirectory: entry.fileName.endsWith('/'),
        isSymlink: mode === 0o120000,
        entry,
      });
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', reject);
    zip.readEntry();
  });
}

export async function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err) reject(err);
      else resolve(stream);
    });
  });
}

/** Reads an entry whole (up to `maxBytes`: the manifest, a JSON data file), checking its CRC-32. */
export async function readEntry(
  zip: yauzl.ZipFile,
  info: ZipEntryInfo,
  maxBytes: number,
): Promise<Buffer> {
  if (info.uncompressedSize > maxBytes)
    throw new Error(`${info.name} is too large (${info.uncompressedSize} bytes)`);
  const chunks: Buffer[] = [];
  for await (const chunk of await openEntry(zip, info.entry)) {
    if (chunk instanceof Buffer) chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks);
  if (crc32(bytes) !== info.crc32) throw new Error(`${info.name}: CRC-32 mismatch`);
  return bytes;
}

/**
 * Streams an entry to compute its size, SHA-256 and CRC-32 (yauzl checks declared sizes, not
 * the CRC: we do, with zlib's fast crc32).
 */
export async function hashEntry(
  zip: yauzl.ZipFile,
  info: ZipEntryInfo,
): Promise<{ size: number; sha256: string; crcOk: boolean }> {
  const hash = createHash('sha256');
  let crc = 0;
  let size = 0;
  for await (const chunk of await openEntry(zip, info.entry)) {
    if (!(chunk instanceof Buffer)) continue;
    hash.update(chunk);
    crc = crc32(chunk, crc);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex'), crcOk: crc === info.crc32 };
}
