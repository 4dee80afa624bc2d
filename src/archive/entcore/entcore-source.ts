/**
 * How an app imports Open ENT NG archives: it translates its module's folder into the records
 * of its own format (`EntcoreTranslator`, registered on its `ImportAdapter`), reading the
 * archive through an `EntcoreSource`. Its importer then runs on those records unchanged.
 */

/** A file of a module's folder. */
export interface EntcoreFile {
  /** Its path under the module's folder (`Documents personnels/Cours/a.pdf`). */
  readonly path: string;
  readonly size: number;
}

/** The archive, as a translator reads it. */
export interface EntcoreSource {
  /** The exporting user's id on the platform (from the root folder's name). */
  readonly exporter: string | undefined;
  /** When the archive was made (ISO 8601): the date of records that have none. */
  readonly exportedAt: string;
  /** Whether the user asked for the trash too (it goes into their trash). */
  readonly includeTrash: boolean;
  /** The folder of a module of the archive; undefined when the archive lacks the module. */
  folderOf(module: string): string | undefined;
  /** The files under a module's folder (none when the archive lacks it). */
  files(module: string): readonly EntcoreFile[];
  /** A JSON file of a module's folder, parsed without trusting it (no prototype keys). */
  json(module: string, file: EntcoreFile): Promise<unknown>;
  /** A file's SHA-256 (hex); a placeholder while the archive is only analysed. */
  sha256(module: string, file: EntcoreFile): Promise<string>;
}

export interface EntcoreTranslation {
  /** The app's folder as its records' paths name it (`path` fields start with it and `/`). */
  folder: string;
  /** Records per data file of the app's own format (`documents.ndjson`: [...]). */
  records: Readonly<Record<string, readonly unknown[]>>;
  /** Where the bytes of each path the records name are. */
  files: ReadonlyMap<string, { module: string; file: EntcoreFile }>;
  /** Records left out, and why (the trash when not asked for, records that are not records). */
  leftOut: { trashed: number; trashedBytes: number; invalid: number };
}

export interface EntcoreTranslator {
  /** The Open ENT NG module the app imports (`org.entcore.workspace`). */
  readonly module: string;
  /** Other modules whose presence brings the app too (the blogs' pictures are documents). */
  readonly alsoFrom?: readonly string[];
  translate(src: EntcoreSource): Promise<EntcoreTranslation>;
}
