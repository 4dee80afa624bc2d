import type { Readable } from 'node:stream';
import type { User } from '../platform/accounts.service.ts';

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
}

/** Where an app writes its part of the archive: paths are relative to the app's folder. */
export interface AppExportWriter {
  /** The app's folder in the archive ("Espace documentaire"). */
  readonly folder: string;
  /** A JSON file (UTF-8, deflated): for small collections. */
  json(name: string, value: unknown): Promise<string>;
  /** One JSON record a line, streamed: for collections of any size. */
  ndjson(name: string, rows: AsyncIterable<unknown>): Promise<string>;
  /** A text file (HTML, iCalendar...), deflated; the name is made unique and safe. */
  text(dir: string, name: string, content: string, contentType: string): Promise<string>;
  /** A file streamed in (stored or deflated by type); returns its path in the archive. */
  file(
    dir: string,
    name: string,
    source: Readable,
    meta: { size: number; contentType: string },
  ): Promise<string>;
  /** Progress as work is done: counts add up. */
  progress(delta: { items?: number; bytes?: number }): void;
}

/** One app's part in Mes Données: what it holds for a user, and how it exports. */
export interface ArchiveAdapter {
  readonly app: string;
  readonly label: string;
  readonly appVersion: string;
  /** Version of this app's archive data; bumped when its JSON changes shape. */
  readonly dataVersion: number;
  /** Apps whose ids this one references (imported first; exported after it). */
  readonly dependsOn?: readonly string[];
  count(user: User, options: ExportOptions): Promise<{ items: number; bytes: number }>;
  export(ctx: ExportContext, out: AppExportWriter): Promise<{ items: number; bytes: number }>;
}
