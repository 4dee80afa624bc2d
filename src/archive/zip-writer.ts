import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import yazl from 'yazl';
import './fast-crc.ts';

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

/** Characters that Windows, macOS or Linux refuse in a file name. */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[<>:"/\\|?*\u0000-\u001f\u007f]/g;
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/** A file or folder name every system accepts; the real name is kept in the app's JSON. */
export function safeName(name: string, fallback = 'sans nom'): string {
  let safe = name
    .normalize('NFC')
    .replace(FORBIDDEN, '_')
    .replace(/[. ]+$/, '')
    .trim();
  if (safe === '' || safe === '.' || safe === '..') safe = fallback;
  if (RESERVED.test(safe)) safe = `_${safe}`;
  // 255 bytes is the common limit of a path component.
  while (Buffer.byteLength(safe, 'utf8') > 200) safe = [...safe].slice(0, -1).join('');
  return safe;
}

/**
 * Writes a zip as a stream (yazl): entries are added one at a time, each resolved once its
 * bytes went through, with their size and SHA-256 for the manifest. Nothing is held whole in
 * memory; ZIP64 is used by yazl when an entry or the archive needs it; names are UTF-8.
 */
export class ZipWriter {
  readonly output: Readable;
  private readonly zip = new yazl.ZipFile();
  private readonly files: WrittenFile[] = [];
  private readonly taken = new Set<string>();
  private failure: Error | undefined;
  private readonly mtime: Date;

  constructor(mtime: Date) {
    this.mtime = mtime;
    const out: unknown = this.zip.outputStream;
    if (!(out instanceof Readable)) throw new TypeError('yazl output is not a Node stream');
    this.output = out;
    this.zip.on('error', (error: Error) => {
      this.failure = error;
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
   * A path unique in the archive, compared case-insensitively (two names differing only by case
   * would overwrite each other on Windows and macOS): "a.pdf", then "a (2).pdf"...
   */
  reservePath(rawDir: string, name: string): string {
    // Folder names come from users too: every component is made safe.
    const dir = rawDir
      .split('/')
      .map((part) => safeName(part))
      .join('/');
    const safe = safeName(name);
    const dot = safe.lastIndexOf('.');
    const [base, ext] = dot > 0 ? [safe.slice(0, dot), safe.slice(dot)] : [safe, ''];
    for (let i = 1; ; i++) {
      const candidate = `${dir}/${i === 1 ? safe : `${base} (${i})${ext}`}`;
      const key = candidate.toLowerCase();
      if (!this.taken.has(key)) {
        this.taken.add(key);
        return candidate;
      }
    }
  }

  /** Adds a stream as the entry `path` (already reserved, or fixed like `manifest.json`). */
  async addStream(
    path: string,
    source: Readable,
    options: { compress: boolean; size?: number },
  ): Promise<WrittenFile> {
    if (this.failure !== undefined) throw this.failure;
    this.taken.add(path.toLowerCase());
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      highWaterMark: 1024 * 1024,
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    // Resolved once yazl has read everything: one entry in flight at a time keeps memory flat.
    const done = new Promise<WrittenFile>((resolve, reject) => {
      const fail = (error: Error) => {
        // yazl is mid-entry: the archive cannot be finished any more.
        this.failure ??= error;
        reject(error);
      };
      source.on('error', fail);
      tap.on('error', fail);
      tap.on('end', () => resolve({ path, size, sha256: hash.digest('hex') }));
    });
    source.pipe(tap);
    this.zip.addReadStreamLazy(
      path,
      { compress: options.compress, mtime: this.mtime, size: options.size },
      (cb: (err: Error | null, stream: Readable) => void) => cb(null, tap),
    );
    const file = await done;
    this.files.push(file);
    return file;
  }

  async addBuffer(
    path: string,
    bytes: Buffer,
    options: { compress: boolean; listed?: boolean },
  ): Promise<WrittenFile> {
    if (this.failure !== undefined) throw this.failure;
    this.taken.add(path.toLowerCase());
    this.zip.addBuffer(bytes, path, { compress: options.compress, mtime: this.mtime });
    const file = {
      path,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
    if (options.listed !== false) this.files.push(file);
    return file;
  }

  end(): void {
    this.zip.end();
  }
}
