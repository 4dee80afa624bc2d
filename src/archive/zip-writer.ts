import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import yazl from 'yazl';
import './fast-crc.ts';
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
 * Writes a zip as a stream (yazl): entries are added one at a time, each resolved once its
 * bytes went through, with their size and SHA-256 for the manifest. Nothing is held whole in
 * memory; ZIP64 is used by yazl when an entry or the archive needs it; names are UTF-8.
 */
export class ZipWriter {
  readonly output: Readable;
  private readonly zip = new yazl.ZipFile();
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

  /** `reserved`: paths written later by their fixed names (the manifest...), kept free. */
  constructor(mtime: Date, reserved: readonly string[] = [MANIFEST, SIGNATURE, INDEX]) {
    this.mtime = mtime;
    for (const path of reserved) this.claim(path);
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

  /** Adds a stream as the entry `path` (already reserved, or fixed like `manifest.json`). */
  async addStream(
    path: string,
    source: Readable,
    options: { compress: boolean; size?: number },
  ): Promise<WrittenFile> {
    if (this.failure !== undefined) throw this.failure;
    this.claim(path);
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
    this.claim(path);
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
