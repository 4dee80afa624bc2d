/**
 * An Open ENT NG archive opened for import, seen through our own format: each app that
 * imports one of its modules (`ImportAdapter.entcore`) translates the module's folder into its
 * own records, so the apps' importers, the engine, the journal, duplicates, dry runs and undo
 * work on it unchanged. The archive was inspected whole before (`inspect.ts`: names, limits,
 * CRC-32, signature); the bytes stored are checked against the SHA-256 the translation read.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { AppId } from '../../contracts/archive.ts';
import type { AppArchiveReader, ArchiveAdapter, RecordFile } from '../adapter.ts';
import { RecordError, type ArchiveAppInfo, type ImportArchive } from '../import/archive-reader.ts';
import { recordProblems } from '../records.ts';
import { parseArchiveJson } from '../safe-json.ts';
import { ImportZip, type ZipEntryLocation } from '../import/zip-entries.ts';
import { errorText } from '../import/zip-structure.ts';
import {
  ENTCORE_MANIFEST,
  parseEntcoreManifest,
  rootInfo,
  type EntcoreModule,
} from './entcore-format.ts';
import type {
  EntcoreFile,
  EntcoreSource,
  EntcoreTranslation,
  EntcoreTranslator,
} from './entcore-source.ts';

const MAX_JSON_BYTES = 64 * 1024 * 1024;
const MAX_MANIFEST_BYTES = 1024 * 1024;
const NO_HASH = '0'.repeat(64);

/** The apps that import Open ENT NG modules. */
export type EntcoreApps = readonly (Pick<ArchiveAdapter, 'app' | 'label' | 'dataVersion'> & {
  import?: { entcore?: EntcoreTranslator | undefined } | undefined;
})[];

export interface EntcoreArchive extends ImportArchive {
  readonly root: string;
  readonly modules: readonly EntcoreModule[];
  /** The exporting user's id on the platform (from the root folder's name). */
  readonly exporter: string | undefined;
  readonly exportedAt: string | undefined;
  /** What an app's translation left out (undefined for an app it does not translate). */
  leftOut(app: string): Promise<EntcoreTranslation['leftOut'] | undefined>;
}

export interface EntcoreOpenOptions {
  /**
   * Whether documents' SHA-256 are computed (reading their bytes): the import checks what it
   * stores against them; the analysis only counts.
   */
  hashes: boolean;
  /** The trash too (the user asked for it at launch). */
  includeTrash: boolean;
}

/** The single root folder of the entries. */
function rootOf(entries: readonly ZipEntryLocation[]): string {
  const first = entries[0]?.name ?? '';
  const root = first.slice(0, first.indexOf('/'));
  if (root === '' || !entries.every((e) => e.name.startsWith(`${root}/`)))
    throw new RecordError(ENTCORE_MANIFEST, undefined, 'not a single root folder');
  return root;
}

export async function openEntcoreArchive(
  file: string,
  apps: EntcoreApps,
  options: EntcoreOpenOptions = { hashes: true, includeTrash: false },
): Promise<EntcoreArchive> {
  const zip = await ImportZip.open(file);
  try {
    // In the zip's order (the structure lists entries as the central directory does).
    const list = [...zip.entries.values()];
    const root = rootOf(list);
    const entries = new Map<string, ZipEntryLocation>();
    for (const e of list) entries.set(e.name.slice(root.length + 1), e);
    const manifestEntry = entries.get(ENTCORE_MANIFEST);
    if (manifestEntry === undefined) throw new RecordError(ENTCORE_MANIFEST, undefined, 'missing');
    const json = parseArchiveJson(
      (await zip.read(manifestEntry, MAX_MANIFEST_BYTES)).toString('utf8'),
    );
    if (!json.ok) throw new RecordError(ENTCORE_MANIFEST, undefined, json.problems.join('; '));
    const modules = parseEntcoreManifest(json.value);
    if ('problem' in modules) throw new RecordError(ENTCORE_MANIFEST, undefined, modules.problem);
    return new Entcore(zip, entries, root, modules, apps, options);
  } catch (error) {
    await zip.close();
    throw error;
  }
}

class Entcore implements EntcoreArchive {
  readonly apps: Record<string, ArchiveAppInfo> = {};
  readonly root: string;
  readonly modules: readonly EntcoreModule[];
  readonly exporter: string | undefined;
  readonly exportedAt: string | undefined;
  readonly #zip: ImportZip;
  /** Entries by their path under the root. */
  readonly #entries: ReadonlyMap<string, ZipEntryLocation>;
  readonly #options: EntcoreOpenOptions;
  readonly #translators = new Map<AppId, EntcoreTranslator>();
  readonly #translations = new Map<AppId, Promise<EntcoreTranslation>>();
  readonly #files = new Map<string, EntcoreFile[]>();
  readonly #byFile = new Map<EntcoreFile, ZipEntryLocation>();

  constructor(
    zip: ImportZip,
    entries: ReadonlyMap<string, ZipEntryLocation>,
    root: string,
    modules: readonly EntcoreModule[],
    apps: EntcoreApps,
    options: EntcoreOpenOptions,
  ) {
    this.#zip = zip;
    this.#entries = entries;
    this.#options = options;
    this.root = root;
    this.modules = modules;
    const info = rootInfo(root);
    this.exporter = info.userId;
    this.exportedAt = info.exportedAt;
    for (const m of modules) {
      const app = apps.find((a) => a.import?.entcore?.module === m.key);
      const key = app?.app ?? m.key;
      this.apps[key] = { label: m.folder, appVersion: m.version, dataVersion: 0 };
      if (app?.import?.entcore !== undefined) this.#translators.set(app.app, app.import.entcore);
    }
    // Apps brought by another module (the blogs' pictures are workspace documents).
    for (const a of apps) {
      const t = a.import?.entcore;
      if (t === undefined || this.#translators.has(a.app)) continue;
      if (!(t.alsoFrom ?? []).some((m) => this.files(m).length > 0)) continue;
      this.#translators.set(a.app, t);
      this.apps[a.app] = { label: a.label, appVersion: '', dataVersion: 0 };
    }
  }

  // ---- EntcoreSource ---------------------------------------------------------------------------

  folderOf(module: string): string | undefined {
    return this.modules.find((m) => m.key === module)?.folder;
  }

  files(module: string): readonly EntcoreFile[] {
    const folder = this.folderOf(module);
    if (folder === undefined) return [];
    let files = this.#files.get(folder);
    if (files === undefined) {
      files = [];
      const prefix = `${folder}/`;
      for (const [name, e] of this.#entries) {
        if (e.isDirectory || !name.startsWith(prefix)) continue;
        const file = { path: name.slice(prefix.length), size: e.uncompressedSize };
        files.push(file);
        this.#byFile.set(file, e);
      }
      this.#files.set(folder, files);
    }
    return files;
  }

  #entry(file: EntcoreFile): ZipEntryLocation {
    const entry = this.#byFile.get(file);
    if (entry === undefined) throw new RecordError(file.path, undefined, 'not in the archive');
    return entry;
  }

  async json(module: string, file: EntcoreFile): Promise<unknown> {
    const entry = this.#entry(file);
    const text = (await this.#zip.read(entry, MAX_JSON_BYTES)).toString('utf8');
    const json = parseArchiveJson(text);
    if (!json.ok)
      throw new RecordError(
        `${this.folderOf(module) ?? module}/${file.path}`,
        undefined,
        json.problems.join('; '),
      );
    return json.value;
  }

  async sha256(_module: string, file: EntcoreFile): Promise<string> {
    if (!this.#options.hashes) return NO_HASH;
    const entry = this.#entry(file);
    const hash = createHash('sha256');
    try {
      // Size and CRC-32 checked as the bytes pass.
      for await (const chunk of this.#zip.stream(entry)) hash.update(chunk as Buffer);
    } catch (error) {
      throw new RecordError(entry.name, undefined, errorText(error));
    }
    return hash.digest('hex');
  }

  // ---- ImportArchive ---------------------------------------------------------------------------

  #translation(app: AppId, translator: EntcoreTranslator): Promise<EntcoreTranslation> {
    let t = this.#translations.get(app);
    if (t === undefined) {
      const source: EntcoreSource = {
        exporter: this.exporter,
        // Records without dates: the archive's (or, lacking it, the epoch: never "now").
        exportedAt: this.exportedAt ?? new Date(0).toISOString(),
        includeTrash: this.#options.includeTrash,
        folderOf: (m) => this.folderOf(m),
        files: (m) => this.files(m),
        json: (m, f) => this.json(m, f),
        sha256: (m, f) => this.sha256(m, f),
      };
      t = translator.translate(source);
      this.#translations.set(app, t);
    }
    return t;
  }

  async leftOut(app: string): Promise<EntcoreTranslation['leftOut'] | undefined> {
    const translator = this.#translators.get(app as AppId);
    if (translator === undefined) return undefined;
    return (await this.#translation(app as AppId, translator)).leftOut;
  }

  reader(
    app: AppId,
    adapter: Pick<ArchiveAdapter, 'dataVersion' | 'import'>,
  ): AppArchiveReader | undefined {
    const translator = this.#translators.get(app);
    if (translator === undefined) return undefined;
    const folder = this.folderOf(translator.module) ?? this.apps[app]?.label ?? app;
    return new TranslatedReader(
      folder,
      adapter.dataVersion,
      () => this.#translation(app, translator),
      (_module, file) =>
        Promise.resolve({ stream: this.#zip.stream(this.#entry(file)), size: file.size }),
    );
  }

  close(): void {
    void this.#zip.close();
  }
}

/** Records made by a translation, checked by the app's schemas like those of our archives. */
class TranslatedReader implements AppArchiveReader {
  readonly #load: () => Promise<EntcoreTranslation>;
  readonly #open: (
    module: string,
    file: EntcoreFile,
  ) => Promise<{ size: number; stream: Readable }>;
  readonly folder: string;
  readonly dataVersion: number;

  constructor(
    folder: string,
    dataVersion: number,
    load: () => Promise<EntcoreTranslation>,
    open: (module: string, file: EntcoreFile) => Promise<{ size: number; stream: Readable }>,
  ) {
    this.folder = folder;
    this.dataVersion = dataVersion;
    this.#load = load;
    this.#open = open;
  }

  has(): boolean {
    // Every data file the app's importer asks for: the translation has it (maybe empty).
    return true;
  }

  #check<S extends z.ZodType>(file: RecordFile<S>, value: unknown, line?: number): z.output<S> {
    const result = file.schema.safeParse(value);
    if (!result.success)
      throw new RecordError(
        `${this.folder}/${file.name}`,
        line,
        recordProblems(file.schema, value).join('; '),
      );
    return result.data;
  }

  async json<S extends z.ZodType>(file: RecordFile<S>): Promise<z.output<S>> {
    const { records } = await this.#load();
    return this.#check(file, records[file.name] ?? []);
  }

  async *ndjson<S extends z.ZodType>(
    file: RecordFile<S>,
  ): AsyncGenerator<{ line: number; record: z.output<S> }> {
    const { records } = await this.#load();
    let line = 0;
    for (const value of records[file.name] ?? []) {
      line += 1;
      yield { line, record: this.#check(file, value, line) };
    }
  }

  async open(path: string): Promise<{ size: number; stream: Readable }> {
    const { files } = await this.#load();
    const found = files.get(path);
    if (found === undefined) throw new RecordError(path, undefined, 'not in the archive');
    return this.#open(found.module, found.file);
  }
}
