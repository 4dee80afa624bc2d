/**
 * What every app's importer does the same way, with no app in it: the analysis of a folder's
 * data files, the problem a broken record makes, the id pass 1 allocated, the app's own
 * checks turned into item failures.
 */
import {
  ImportItemError,
  type AppAnalysis,
  type AppArchiveReader,
  type IdMap,
  type ImportAdapter,
  type ImportContext,
  type ImportItem,
  type RecordFile,
  type SourceRef,
} from '../adapter.ts';
import type { z } from 'zod';
import type { AppId } from '../../contracts/archive.ts';
import { AppError } from '../../errors.ts';

export type AnalysisProblem = AppAnalysis['problems'][number];

/**
 * A record the reader refused, for `AppAnalysis.problems`. The reader's error says where (the
 * file's path and the line); else `file`, and `line` when the caller knows it.
 */
export function recordProblem(error: unknown, file: string, line?: number): AnalysisProblem {
  const said = typeof error === 'object' && error !== null ? error : {};
  const path = 'file' in said && typeof said.file === 'string' ? said.file : file;
  const at = 'line' in said && typeof said.line === 'number' ? said.line : line;
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'record_invalid', file: path, ...(at === undefined ? {} : { line: at }), message };
}

/**
 * The records of a data file, each parsed (0 when the archive lacks the file): the length of
 * a JSON array (1 for another value), the records of an NDJSON file (counted, not read off
 * `line`: blank lines are skipped). A record that breaks its schema is added to `problems`.
 */
export async function countRecords(
  src: AppArchiveReader,
  file: RecordFile,
  problems: AnalysisProblem[],
): Promise<number> {
  if (!src.has(file)) return 0;
  if (file.kind === 'json') {
    try {
      const value: unknown = await src.json(file);
      return Array.isArray(value) ? value.length : 1;
    } catch (error) {
      problems.push(recordProblem(error, file.name));
      return 0;
    }
  }
  let n = 0;
  let line = 0;
  try {
    for await (const read of src.ndjson(file)) {
      line = read.line;
      n += 1;
    }
  } catch (error) {
    // Without a line in the error, the one after the last record read.
    problems.push(recordProblem(error, file.name, line + 1));
  }
  return n;
}

/**
 * The analysis of an app whose folder holds records only (no bytes): the records of each
 * file counted under its item type, in the order given.
 */
export async function analyzeRecords(
  src: AppArchiveReader,
  files: Readonly<Record<string, RecordFile>>,
): Promise<AppAnalysis> {
  const counts: Record<string, number> = {};
  const problems: AnalysisProblem[] = [];
  for (const [type, file] of Object.entries(files))
    counts[type] = await countRecords(src, file, problems);
  return { counts, bytes: 0, problems };
}

/** The records of an NDJSON data file, in order; none when the archive lacks the file. */
export async function* recordsOf<S extends z.ZodType>(
  src: AppArchiveReader,
  file: RecordFile<S>,
): AsyncGenerator<z.output<S>> {
  if (!src.has(file)) return;
  for await (const { record } of src.ndjson(file)) yield record;
}

/** An item that adds no bytes (every app's but the workspace's). */
export function recordItem<R>(
  type: string,
  sourceId: string,
  name: string,
  record: R,
): ImportItem<R> {
  return { type, sourceId, name, bytes: 0, record };
}

/** The new id the engine allocated for this item (pass 1). */
export async function allocatedId(app: AppId, item: SourceRef, ids: IdMap): Promise<string> {
  const id = await ids.resolve(app, { type: item.type, sourceId: item.sourceId });
  if (id === undefined)
    throw new ImportItemError(
      'import_failed',
      `No id was allocated for ${item.type} ${item.sourceId}`,
    );
  return id;
}

/**
 * `prepare` for an importer whose items hold no bytes: `rowOf` makes the item's row under the
 * id pass 1 allocated, adding every reference it cannot keep to `unresolved`.
 */
export function preparing<R, W>(
  app: AppId,
  rowOf: (
    record: R,
    id: string,
    ids: IdMap,
    ctx: ImportContext,
    unresolved: SourceRef[],
  ) => Promise<W>,
): ImportAdapter<R, W>['prepare'] {
  return async (item, ids, ctx) => {
    const id = await allocatedId(app, item, ids);
    const unresolved: SourceRef[] = [];
    const row = await rowOf(item.record, id, ids, ctx, unresolved);
    const { type, sourceId, name } = item;
    return { type, sourceId, id, name, bytes: 0, row, unresolved };
  };
}

/**
 * The duplicate rule's first half: of the ids earlier imports made of this item, the first
 * still in the same place (`samePlace`: there, the user's, in the parent this item goes to),
 * never the item's own id.
 */
export async function earlierInPlace(
  item: { readonly id: string },
  earlier: readonly string[],
  samePlace: (id: string) => Promise<boolean>,
): Promise<string | undefined> {
  for (const id of earlier) if (id !== item.id && (await samePlace(id))) return id;
  return undefined;
}

/** Runs a check of the app's own rules: what it refuses is an invalid record. */
export function checked<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof AppError && error.code === 'invalid_request')
      throw new ImportItemError('record_invalid', error.message, { cause: error });
    throw error;
  }
}
