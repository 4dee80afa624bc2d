/**
 * Reads an archive being imported, app by app (`AppArchiveReader` of the contract): data files
 * parsed without trusting them (no prototype keys, upgraded from older data versions by the
 * app's adapter, then parsed by their strict schema), and files whose bytes are checked
 * against the signed manifest while they stream. The archive was inspected whole before
 * (`inspect.ts`); the checks here hold even if the file changed on disk since.
 */
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { AppId } from '../../contracts/archive.ts';
import type { AppArchiveReader, ArchiveAdapter, RecordFile } from '../adapter.ts';
import { manifestSchema, MANIFEST, type Manifest } from '../format.ts';
import { recordProblems } from '../records.ts';
import { decodeArchiveText, parseArchiveJson, parseArchiveJsonBytes } from '../safe-json.ts';
import { lines } from '../verify-records.ts';
import { EntryError, ImportZip, type ZipEntryLocation } from './zip-entries.ts';

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
  const zip = await ImportZip.open(file);
  try {
    const manifestEntry = zip.entries.get(MANIFEST);
    if (manifestEntry === undefined) throw new RecordError(MANIFEST, undefined, 'missing');
    const parsed = parseArchiveJsonBytes(await zip.read(manifestEntry, MAX_MANIFEST_BYTES));
    if (!parsed.ok) throw new RecordError(MANIFEST, undefined, parsed.problems.join('; '));
    const manifest = manifestSchema.parse(parsed.value);
    const files = new Map(manifest.files.map((f) => [f.path, f]));
    return {
      manifest,
      apps: manifest.apps,
      reader: (app, adapter) => {
        const inArchive = manifest.apps[app];
        if (inArchive === undefined) return undefined;
        return new ZipAppReader(zip, files, inArchive.folder, inArchive.dataVersion, {
          current: adapter.dataVersion,
          upgrade: adapter.import?.upgrade?.bind(adapter.import),
        });
      },
      close: () => void zip.close(),
    };
  } catch (error) {
    await zip.close();
    throw error;
  }
}

/** A file whose bytes are not the manifest's, as a record error; other errors as they are. */
function damaged(path: string, error: unknown, line?: number): Error {
  if (error instanceof Error && !(error instanceof EntryError)) return error;
  if (!(error instanceof EntryError)) return new Error(String(error));
  return new RecordError(path, line, `does not match the manifest (${error.message})`);
}

interface VersionInfo {
  /** The data version this instance reads. */
  current: number;
  upgrade: ((file: string, record: unknown, from: number) => unknown) | undefined;
}

class ZipAppReader implements AppArchiveReader {
  readonly folder: string;
  readonly dataVersion: number;
  readonly #zip: ImportZip;
  readonly #files: ReadonlyMap<string, { path: string; size: number; sha256: string }>;
  readonly #version: VersionInfo;

  constructor(
    zip: ImportZip,
    files: ReadonlyMap<string, { path: string; size: number; sha256: string }>,
    folder: string,
    dataVersion: number,
    version: VersionInfo,
  ) {
    this.#zip = zip;
    this.#files = files;
    this.folder = folder;
    this.dataVersion = dataVersion;
    this.#version = version;
  }

  has(file: RecordFile): boolean {
    const path = `${this.folder}/${file.name}`;
    return this.#zip.entries.has(path) && this.#files.has(path);
  }

  /** A listed, present file and what the manifest says of it. */
  #listed(path: string): { entry: ZipEntryLocation; size: number; sha256: string } {
    const entry = this.#zip.entries.get(path);
    const listed = this.#files.get(path);
    if (entry === undefined || entry.isDirectory || listed === undefined)
      throw new RecordError(path, undefined, 'not in the archive');
    // The zip's own size must be the manifest's: the check of the bytes relies on both.
    if (entry.uncompressedSize !== listed.size)
      throw new RecordError(path, undefined, 'does not match the manifest');
    return { entry, size: listed.size, sha256: listed.sha256 };
  }

  /** A listed file's bytes, checked against the manifest (size, CRC-32, SHA-256). */
  #stream(path: string): { size: number; stream: Readable } {
    const { entry, size, sha256 } = this.#listed(path);
    return { size, stream: this.#zip.stream(entry, { sha256 }) };
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
    const path = `${this.folder}/${file.name}`;
    const { entry, size, sha256 } = this.#listed(path);
    if (size > MAX_JSON_BYTES) throw new RecordError(path, undefined, 'too large');
    let bytes: Buffer;
    try {
      bytes = await this.#zip.read(entry, MAX_JSON_BYTES, { sha256 });
    } catch (error) {
      throw damaged(path, error);
    }
    const text = decodeArchiveText(bytes);
    if (text === undefined) throw new RecordError(path, undefined, 'not valid UTF-8');
    return this.#parse(file, text);
  }

  async *ndjson<S extends z.ZodType>(
    file: RecordFile<S>,
  ): AsyncGenerator<{ line: number; record: z.output<S> }> {
    const path = `${this.folder}/${file.name}`;
    const { stream } = this.#stream(path);
    let at = 0;
    try {
      for await (const line of lines(stream)) {
        at = line.number;
        if (line.bytes === undefined) throw new RecordError(path, line.number, 'line too long');
        // Strictly: a decoder that replaced bad bytes would import a text the archive never held.
        const text = decodeArchiveText(line.bytes);
        if (text === undefined) throw new RecordError(path, line.number, 'not valid UTF-8');
        if (text.trim() === '') continue;
        yield { line: line.number, record: this.#parse(file, text, line.number) };
      }
    } catch (error) {
      throw damaged(path, error, at + 1);
    } finally {
      stream.destroy();
    }
  }

  open(path: string): Promise<{ size: number; stream: Readable }> {
    try {
      return Promise.resolve(this.#stream(path));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
