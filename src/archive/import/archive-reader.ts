/**
 * Reads an archive being imported, app by app (`AppArchiveReader` of the contract): data files
 * parsed without trusting them (no prototype keys, upgraded from older data versions by the
 * app's adapter, then parsed by their strict schema), and files whose bytes are checked
 * against the signed manifest while they stream. The archive was inspected whole before
 * (`inspect.ts`); the checks here hold even if the file changed on disk since.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type yauzl from 'yauzl';
import type { z } from 'zod';
import type { AppId } from '../../contracts/archive.ts';
import type { AppArchiveReader, ArchiveAdapter, RecordFile } from '../adapter.ts';
import { manifestSchema, MANIFEST, type Manifest } from '../format.ts';
import { recordProblems } from '../records.ts';
import { parseArchiveJson } from '../safe-json.ts';
import { lines } from '../verify-records.ts';
import { listEntries, openEntry, openZip, readEntry, type ZipEntryInfo } from '../zip-reader.ts';

const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;
const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** A record that breaks its schema (or a file that cannot be read): where, and why. */
export class RecordError extends Error {
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, line: number | undefined, message: string) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${message}`);
    this.name = 'RecordError';
    this.file = file;
    this.line = line;
  }
}

/** What an archive says of one of its apps (ours: from its manifest). */
export interface ArchiveAppInfo {
  label: string;
  appVersion: string;
  /** The records' data version; 0 when unknown (an app of another platform). */
  dataVersion: number;
  /** How the app's export ended, when the archive says. */
  status?: string | undefined;
}

/** An archive opened for import: what it says of its apps, and a reader per app. */
export interface ImportArchive {
  readonly apps: Readonly<Record<string, ArchiveAppInfo>>;
  /** The reader of an app's folder; undefined when the archive does not hold the app. */
  reader(
    app: AppId,
    adapter: Pick<ArchiveAdapter, 'dataVersion' | 'import'>,
  ): AppArchiveReader | undefined;
  close(): void;
}

export async function openImportArchive(
  file: string,
): Promise<ImportArchive & { readonly manifest: Manifest }> {
  const zip = await openZip(file);
  try {
    const entries = new Map<string, ZipEntryInfo>();
    for (const e of await listEntries(zip)) entries.set(e.name, e);
    const manifestEntry = entries.get(MANIFEST);
    if (manifestEntry === undefined) throw new RecordError(MANIFEST, undefined, 'missing');
    const parsed = parseArchiveJson(
      (await readEntry(zip, manifestEntry, MAX_MANIFEST_BYTES)).toString('utf8'),
    );
    if (!parsed.ok) throw new RecordError(MANIFEST, undefined, parsed.problems.join('; '));
    const manifest = manifestSchema.parse(parsed.value);
    const files = new Map(manifest.files.map((f) => [f.path, f]));
    return {
      manifest,
      apps: manifest.apps,
      reader: (app, adapter) => {
        const inArchive = manifest.apps[app];
        if (inArchive === undefined) return undefined;
        return new ZipAppReader(zip, entries, files, inArchive.folder, inArchive.dataVersion, {
          current: adapter.dataVersion,
          upgrade: adapter.import?.upgrade?.bind(adapter.import),
        });
      },
      close: () => zip.close(),
    };
  } catch (error) {
    zip.close();
    throw error;
  }
}

/** Fails the stream at its end when the bytes are not those the manifest lists. */
class CheckedBytes extends Transform {
  readonly #hash = createHash('sha256');
  #size = 0;
  readonly #expected: { path: string; size: number; sha256: string };

  constructor(expected: { path: string; size: number; sha256: string }) {
    super();
    this.#expected = expected;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.#size += chunk.length;
    if (this.#size > this.#expected.size) {
      callback(new RecordError(this.#expected.path, undefined, 'larger than the manifest says'));
      return;
    }
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#size !== this.#expected.size || this.#hash.digest('hex') !== this.#expected.sha256)
      callback(new RecordError(this.#expected.path, undefined, 'does not match the manifest'));
    else callback();
  }
}

interface VersionInfo {
  /** The data version this instance reads. */
  current: number;
  upgrade: ((file: string, record: unknown, from: number) => unknown) | undefined;
}

class ZipAppReader implements AppArchiveReader {
  readonly folder: string;
  readonly dataVersion: number;
  readonly #zip: yauzl.ZipFile;
  readonly #entries: ReadonlyMap<string, ZipEntryInfo>;
  readonly #files: ReadonlyMap<string, { path: string; size: number; sha256: string }>;
  readonly #version: VersionInfo;

  constructor(
    zip: yauzl.ZipFile,
    entries: ReadonlyMap<string, ZipEntryInfo>,
    files: ReadonlyMap<string, { path: string; size: number; sha256: string }>,
    folder: string,
    dataVersion: number,
    version: VersionInfo,
  ) {
    this.#zip = zip;
    this.#entries = entries;
    this.#files = files;
    this.folder = folder;
    this.dataVersion = dataVersion;
    this.#version = version;
  }

  has(file: RecordFile): boolean {
    const path = `${this.folder}/${file.name}`;
    return this.#entries.has(path) && this.#files.has(path);
  }

  /** A listed, present entry, streamed through the manifest check. */
  async #stream(path: string): Promise<{ size: number; stream: Readable }> {
    const entry = this.#entries.get(path);
    const listed = this.#files.get(path);
    if (entry === undefined || listed === undefined)
      throw new RecordError(path, undefined, 'not in the archive');
    const raw = await openEntry(this.#zip, entry.entry);
    const checked = new CheckedBytes(listed);
    raw.on('error', (error) => checked.destroy(error));
    return { size: listed.size, stream: raw.pipe(checked) };
  }

  #parse<S extends z.ZodType>(file: RecordFile<S>, text: string, line?: number): z.output<S> {
    const path = `${this.folder}/${file.name}`;
    const parsed = parseArchiveJson(text);
    if (!parsed.ok) throw new RecordError(path, line, parsed.problems.join('; '));
    let value = parsed.value;
    if (this.dataVersion < this.#version.current && this.#version.upgrade !== undefined)
      value = this.#version.upgrade(file.name, value, this.dataVersion);
    const result = file.schema.safeParse(value);
    if (!result.success)
      throw new RecordError(path, line, recordProblems(file.schema, value).join('; '));
    return result.data;
  }

  async json<S extends z.ZodType>(file: RecordFile<S>): Promise<z.output<S>> {
    const { size, stream } = await this.#stream(`${this.folder}/${file.name}`);
    if (size > MAX_JSON_BYTES)
      throw new RecordError(`${this.folder}/${file.name}`, undefined, 'too large');
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return this.#parse(file, Buffer.concat(chunks).toString('utf8'));
  }

  async *ndjson<S extends z.ZodType>(
    file: RecordFile<S>,
  ): AsyncGenerator<{ line: number; record: z.output<S> }> {
    const path = `${this.folder}/${file.name}`;
    const { stream } = await this.#stream(path);
    try {
      for await (const line of lines(stream)) {
        if (line.text === undefined) throw new RecordError(path, line.number, 'line too long');
        if (line.text.trim() === '') continue;
        yield { line: line.number, record: this.#parse(file, line.text, line.number) };
      }
    } finally {
      stream.destroy();
    }
  }

  open(path: string): Promise<{ size: number; stream: Readable }> {
    return this.#stream(path);
  }
}
