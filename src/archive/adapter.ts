/**
 * The contract between Mes Données and the apps: what an app holds for a user, how it writes
 * its part of an archive (export), and how it will bring that part back (import).
 *
 * Each app folder carries one adapter (`src/apps/<app>/archive/`). The engines in this folder
 * own everything that is the same for every app: the zip, the manifest and its signature,
 * progress, jobs; for import, the analysis of the archive, dry run, resume, duplicates policy,
 * quota, undo and the report. Adapters only know their own records.
 */
import type { EntcoreTranslator } from './entcore/entcore-source.ts';
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { AppId, FailedItem } from '../contracts/archive.ts';
import type { User } from '../platform/accounts.service.ts';

// ---- Records -------------------------------------------------------------------------------

/**
 * One data file an app writes at a fixed name at the top of its folder: a JSON value, or
 * NDJSON (one record a line). Its zod schema is the single description of the file: the
 * export writes through it, the import and the tests read through it, `verify` checks every
 * record against it and `docs/archive-format.md` is made from it. Reference fields carry
 * `.meta({ references: 'app/type' })` (see `records.ts`).
 */
export interface RecordFile<S extends z.ZodType = z.ZodType> {
  /** The file's name in the app's folder ("posts.ndjson"). */
  readonly name: string;
  readonly kind: 'json' | 'ndjson';
  /** The whole value (json), or one line (ndjson). */
  readonly schema: S;
  /** One sentence for the format page. */
  readonly description: string;
}

// ---- Export --------------------------------------------------------------------------------

export interface ExportOptions {
  includeDocuments: boolean;
  includeShared: boolean;
}

export interface ExportContext {
  readonly user: User;
  readonly options: ExportOptions;
  readonly signal: AbortSignal;
  /**
   * Records workspace documents an app's content references (a post's image, an event's
   * attachment). The workspace adapter, exported last, includes those the user may read.
   */
  referenceDocuments(ids: Iterable<string>): void;
  referencedDocuments(): ReadonlySet<string>;
  /**
   * Runs `write` once every app is written, with where the archive put each workspace
   * document: pages that show documents link them by relative path (the workspace is exported
   * last). What `write` returns adds to the app's summary. Absent (an adapter run alone): the
   * caller writes at once, with no paths.
   */
  afterApps?(write: (paths: DocumentPaths) => Promise<{ items: number; bytes: number }>): void;
}

/** Where the archive put workspace documents: a document's full path, or undefined. */
export interface DocumentPaths {
  pathOf(documentId: string): string | undefined;
}

/** No document has a path (documents not included, or an adapter run alone). */
export const NO_DOCUMENT_PATHS: DocumentPaths = { pathOf: () => undefined };

/**
 * Runs `write` after every app (`ctx.afterApps`), or at once when the adapter runs alone: the
 * app's summary is what `write` returns then, zero otherwise (it is added later).
 */
export async function writeAfterApps(
  ctx: ExportContext,
  write: (paths: DocumentPaths) => Promise<{ items: number; bytes: number }>,
): Promise<{ items: number; bytes: number }> {
  if (ctx.afterApps === undefined) return write(NO_DOCUMENT_PATHS);
  ctx.afterApps(write);
  return { items: 0, bytes: 0 };
}

/**
 * Where an app writes its part of the archive. Every path given (`dir`) and returned is the
 * full path inside the archive: `folder` is the app's folder, and `text`/`file` put their
 * entry in `dir` (usually `folder` or below it) under a name made unique and safe.
 */
export interface AppExportWriter {
  /** The app's folder in the archive ("Espace documentaire"). */
  readonly folder: string;
  /** A JSON data file (UTF-8, deflated), each value checked against the file's schema. */
  json<S extends z.ZodType>(file: RecordFile<S>, value: z.input<S>): Promise<string>;
  /** An NDJSON data file streamed a record at a time, each checked against the schema. */
  ndjson<S extends z.ZodType>(
    file: RecordFile<S>,
    rows: AsyncIterable<z.input<S>>,
  ): Promise<string>;
  /**
   * A text file (HTML, iCalendar...), deflated, in `dir`; the name is made unique and safe.
   * An HTML page gives its `title`: `index.html` lists it by it.
   */
  text(
    dir: string,
    name: string,
    content: string,
    contentType: string,
    page?: { title: string },
  ): Promise<string>;
  /** A file streamed in (stored or deflated by type) in `dir`; returns its path in the archive. */
  file(
    dir: string,
    name: string,
    source: Readable,
    /** `documentId`: the workspace document the file is, so pages can link it (`DocumentPaths`). */
    meta: { size: number; contentType: string; documentId?: string },
  ): Promise<string>;
  /** Progress as work is done: counts add up. */
  progress(delta: { items?: number; bytes?: number }): void;
  /**
   * Records an item that could not be written (its source could not be opened): the app
   * goes on and ends `partial`, the item listed with its code. Open a file's source before
   * `file()`: an entry already started cannot be undone, so a source that fails mid-entry
   * fails the whole archive. `cause` goes to the logs only.
   */
  failed(item: FailedItem, cause?: unknown): void;
}

/** What a count may ask of the other apps of the same export. */
export interface CountContext {
  /** The documents the other apps' exports will reference (computed once, on first ask). */
  referencedDocuments(): Promise<ReadonlySet<string>>;
}

/** One app's part in Mes Données. */
export interface ArchiveAdapter {
  readonly app: AppId;
  /** The French label users know: also the app's folder in archives. */
  readonly label: string;
  readonly appVersion: string;
  /** Version of this app's archive data; bumped when a record file changes shape. */
  readonly dataVersion: number;
  /**
   * Apps whose ids this one references: they are imported before it, and exported after it
   * (the workspace takes in the documents the others referenced). See `app-order.ts`.
   */
  readonly dependsOn: readonly AppId[];
  /** The data files the app writes, each with its schema. */
  readonly records: readonly RecordFile[];
  /**
   * What the export will write and progress: `items` and `bytes` add up to the `progress`
   * calls of `export` (what the archive holds). The workspace also counts the documents the
   * other apps reference (`refs.referencedDocuments`, asked only by the apps that need it).
   */
  count(
    user: User,
    options: ExportOptions,
    refs?: CountContext,
  ): Promise<{ items: number; bytes: number }>;
  /**
   * The workspace documents this app's export will pass to `ctx.referenceDocuments` (same
   * readability rule), so that the counts offered include them before the export runs.
   */
  referencedDocuments?(user: User, options: ExportOptions): Promise<ReadonlySet<string>>;
  export(ctx: ExportContext, out: AppExportWriter): Promise<{ items: number; bytes: number }>;
  /** The app's importer; absent: the app's content cannot be imported yet. */
  readonly import?: ImportAdapter;
}

// ---- Import --------------------------------------------------------------------------------

/**
 * An app's folder of an archive being imported. Every read checks the entry's size and
 * SHA-256 against the signed manifest before the bytes are used, and data files are parsed
 * with their schema (strict objects, no prototype keys) after `upgrade`.
 */
export interface AppArchiveReader {
  /** The app's folder in the archive, as the manifest names it. */
  readonly folder: string;
  /** The `dataVersion` the archive was written with (older ones are upgraded on read). */
  readonly dataVersion: number;
  /** Whether the archive holds this data file. */
  has(file: RecordFile): boolean;
  /** A JSON data file, upgraded and parsed. */
  json<S extends z.ZodType>(file: RecordFile<S>): Promise<z.output<S>>;
  /** An NDJSON data file, a record at a time, upgraded and parsed; `line` counts from 1. */
  ndjson<S extends z.ZodType>(
    file: RecordFile<S>,
  ): AsyncIterable<{ line: number; record: z.output<S> }>;
  /** The bytes of a file of the archive by its full path (checked while they stream). */
  open(path: string): Promise<{ size: number; stream: Readable }>;
}

/** What an import knows while it runs: who imports, the choices made, cancellation. */
export interface ImportContext {
  readonly user: User;
  readonly importId: string;
  readonly signal: AbortSignal;
  /** A dry run calls `analyze`, `items`, `prepare` and `findDuplicate` only: nothing is written. */
  readonly dryRun: boolean;
  /** What to do with a duplicate: count it and move on, or import it renamed (`copy`). */
  readonly duplicates: 'skip' | 'copy';
  /** When the import was launched (epoch ms): "Import du 5 décembre 2026". */
  readonly launchedAt: number;
  /**
   * A decision taken once per import and kept (persisted with the import): a resumed import
   * gets the same answer. Used for choices that depend on the user's content at launch (does
   * the user already have documents? then the import goes into a folder "Import du <date>").
   */
  memo<T extends string | number | boolean | null>(
    key: string,
    compute: () => Promise<T>,
  ): Promise<T>;
}

/** A duplicate's name under the `copy` policy: "Sortie au musée (copie)", extension kept. */
export function copyName(name: string): string {
  const dot = name.lastIndexOf('.');
  // A file's extension stays last ("photo (copie).png"); a title has none worth keeping.
  if (dot > 0 && dot >= name.length - 6 && /^\.[A-Za-z0-9]{1,5}$/.test(name.slice(dot)))
    return `${name.slice(0, dot)} (copie)${name.slice(dot)}`;
  return `${name} (copie)`;
}

/** An app's part of the analysis shown before anything is written. */
export interface AppAnalysis {
  /** What the archive holds, per type of item ("post": 12). */
  counts: Readonly<Record<string, number>>;
  /** Bytes of documents the app would add (counted against the quota). */
  bytes: number;
  /** Problems found, each with a code the page translates; an app with any is not importable. */
  problems: readonly { code: string; file?: string; line?: number; message: string }[];
}

/** Items an app's archive holds, each keyed by its type and id in the source instance. */
export interface SourceRef {
  readonly type: string;
  readonly sourceId: string;
}

/** One item to import, as read from the archive (parsed and upgraded). */
export interface ImportItem<R = unknown> extends SourceRef {
  /** A name for the report ("Sortie au musée"). */
  readonly name: string;
  /** Bytes of documents it adds (quota). */
  readonly bytes: number;
  readonly record: R;
  /**
   * Made by the import itself, not read from the archive (the "Import du …" folder): written
   * and undone like the others, but not counted in the progress or the report.
   */
  readonly synthetic?: boolean;
}

/**
 * New ids for every source id, persisted for the whole import and shared across apps: a post
 * of the blog finds the id of the workspace document its image points at. `allocate` is
 * idempotent (a resumed import gets the ids it had), so writes keyed by the new id are too.
 */
export interface IdMap {
  allocate(app: AppId, ref: SourceRef): Promise<string>;
  /** The new id of an item of this or an earlier app; undefined: not imported (report it). */
  resolve(app: AppId, ref: SourceRef): Promise<string | undefined>;
}

/** An item ready to write: its new id, the record with every reference rewritten. */
export interface PreparedItem<W = unknown> extends SourceRef {
  readonly id: string;
  readonly name: string;
  readonly bytes: number;
  readonly row: W;
  /** References that pointed at nothing the import holds: reported, neutralised in `row`. */
  readonly unresolved: readonly SourceRef[];
}

/** What `remove` did: `kept` when the item now holds things the import did not create. */
export type RemoveOutcome = 'removed' | 'missing' | 'kept';

/**
 * How an app imports (one file per app in its `archive/` folder; the engine in
 * `import-engine.ts` drives it):
 *
 * 1. `analyze` reads the folder without writing anything (every record parsed: a record that
 *    breaks its schema is a problem with its file and line).
 * 2. `items` yields the items in write order (parents first); the engine allocates a new id
 *    for each in the id map (pass 1), then for each (pass 2) calls `prepare`, applies the
 *    duplicates policy with `findDuplicate` (and `copy`), checks the quota, and calls `write`.
 *    An item skipped as a duplicate maps to the existing resource's id, so its children go
 *    into it.
 * 3. `write` is idempotent, keyed by the new id: after a crash the engine writes again.
 * 4. `remove` undoes a write (undo or cancel of the whole import, item by item, children
 *    first); it tolerates an item that was never written.
 *
 * An item that throws costs only that item: the engine reports it (`ImportItemError` gives
 * the code) and goes on.
 */
export interface ImportAdapter<R = unknown, W = unknown> {
  /** Brings a record of an older `dataVersion` to the current shape (before parsing). */
  upgrade?(file: string, record: unknown, from: number): unknown;
  /** Translates an Open ENT NG module into this format's records, when the app imports one. */
  entcore?: EntcoreTranslator;
  analyze(src: AppArchiveReader, ctx: ImportContext): Promise<AppAnalysis>;
  items(src: AppArchiveReader, ctx: ImportContext): AsyncIterable<ImportItem<R>>;
  prepare(item: ImportItem<R>, ids: IdMap, ctx: ImportContext): Promise<PreparedItem<W>>;
  /**
   * The id of an existing resource of the user this item duplicates, if any: one of
   * `earlier` (what previous imports of the same source made of this item) that still exists
   * in the same place, or the same content in the same place (a document with the same
   * SHA-256 and name in the same folder). Never the item's own new id (a resumed import may
   * have written it already).
   */
  findDuplicate(
    item: PreparedItem<W>,
    ctx: ImportContext,
    earlier: readonly string[],
  ): Promise<string | undefined>;
  /** The item renamed for the `copy` policy (`copyName`). */
  copy(item: PreparedItem<W>): PreparedItem<W>;
  /** Writes the item (its bytes read from `src` when it has some); writing twice is a no-op. */
  write(item: PreparedItem<W>, src: AppArchiveReader, ctx: ImportContext): Promise<void>;
  remove(item: { type: string; id: string }, ctx: ImportContext): Promise<RemoveOutcome>;
  /**
   * Items that may be imported at the same time as their neighbours of the same type (their
   * writes wait on disk more than on the CPU: documents): a key, and items of equal keys still
   * go one after the other (two files of the same name in one folder: the second finds the
   * first). Undefined: the item waits for everything before it, and everything after waits
   * for it (parents before children).
   */
  parallelKey?(item: ImportItem<R>): string | undefined;
  /**
   * Called once the app's items are all handled (not in a dry run): tidy what only the end
   * can tell (an "Import du <date>" folder that received nothing is removed).
   */
  finish?(ctx: ImportContext): Promise<void>;
}

/** An item that could not be imported, with the code the report shows ("document_missing"). */
export class ImportItemError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ImportItemError';
    this.code = code;
  }
}
