import type { Readable } from 'node:stream';
import type yauzl from 'yauzl';
import type { ArchiveAdapter, RecordFile } from './adapter.ts';
import type { Manifest } from './format.ts';
import { recordProblems } from './records.ts';
import { parseArchiveJsonBytes } from './safe-json.ts';
import { openEntry, readEntry, type ZipEntryInfo } from './zip-reader.ts';

/** What `verify` needs of an app to check its records: its id, data version and schemas. */
export type AppRecords = Pick<ArchiveAdapter, 'app' | 'dataVersion' | 'records'>;

/** A JSON data file is read whole; an NDJSON file a line at a time, each line bounded. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;
const MAX_LINE_BYTES = 64 * 1024 * 1024;
/** Problems listed per file; past it, a count (a broken export repeats one fault per line). */
const MAX_PROBLEMS_PER_FILE = 50;

export interface RecordCheck {
  /** One line per problem: `<path>:<line>: <field path>: <message>` (no line for JSON). */
  problems: string[];
  /** Apps whose records were not checked, and why. */
  notes: string[];
  /** Records found valid. */
  valid: number;
}

/**
 * Checks every record of every data file of the given apps against its schema. An app's
 * folder is the one the manifest names; files absent from the archive are left to the
 * manifest check (an app that failed may not have written them).
 */
export async function checkRecords(
  zip: yauzl.ZipFile,
  manifest: Manifest,
  entries: ReadonlyMap<string, ZipEntryInfo>,
  apps: readonly AppRecords[],
): Promise<RecordCheck> {
  const result: RecordCheck = { problems: [], notes: [], valid: 0 };
  for (const app of apps) {
    const inArchive = manifest.apps[app.app];
    if (inArchive === undefined) continue;
    if (inArchive.dataVersion !== app.dataVersion) {
      result.notes.push(
        `${app.app}: records not checked (data version ${inArchive.dataVersion}; this instance writes ${app.dataVersion})`,
      );
      continue;
    }
    for (const file of app.records) {
      const path = `${inArchive.folder}/${file.name}`;
      const entry = entries.get(path);
      if (entry === undefined) continue;
      const found = await checkFile(zip, entry, file, path).catch((error: unknown) => ({
        problems: [
          `${path}: unreadable (${error instanceof Error ? error.message : String(error)})`,
        ],
        valid: 0,
      }));
      result.problems.push(...found.problems);
      result.valid += found.valid;
    }
  }
  return result;
}

async function checkFile(
  zip: yauzl.ZipFile,
  entry: ZipEntryInfo,
  file: RecordFile,
  path: string,
): Promise<{ problems: string[]; valid: number }> {
  const problems: string[] = [];
  let more = 0;
  let valid = 0;
  const report = (where: string, found: readonly string[]) => {
    for (const p of found) {
      if (problems.length < MAX_PROBLEMS_PER_FILE) problems.push(`${where}: ${p}`);
      else more += 1;
    }
  };
  const check = (where: string, bytes: Buffer) => {
    const parsed = parseArchiveJsonBytes(bytes);
    const found = parsed.ok ? recordProblems(file.schema, parsed.value) : parsed.problems;
    if (found.length === 0) valid += 1;
    report(where, found);
  };
  switch (file.kind) {
    case 'json':
      check(path, await readEntry(zip, entry, MAX_JSON_BYTES));
      break;
    case 'ndjson':
      for await (const line of lines(await openEntry(zip, entry.entry))) {
        const where = `${path}:${line.number}`;
        if (line.bytes === undefined)
          report(where, [`(record): longer than ${MAX_LINE_BYTES} bytes`]);
        else check(where, line.bytes);
      }
      break;
  }
  if (more > 0) problems.push(`${path}: ${more} more problem(s)`);
  return { problems, valid };
}

/**
 * The lines of a stream, numbered from 1: their bytes, and their text decoded leniently (U+FFFD
 * for what is not UTF-8: `decodeArchiveText` on the bytes is the strict reading). A line
 * longer than the bound comes without either (and is not held in memory). A final newline does
 * not make an empty last line.
 */
export async function* lines(
  stream: Readable,
): AsyncGenerator<{ number: number; text?: string; bytes?: Buffer }> {
  let parts: Buffer[] = [];
  let length = 0;
  let tooLong = false;
  let number = 0;
  const end = () => {
    number += 1;
    const bytes = tooLong ? undefined : Buffer.concat(parts);
    const line = bytes === undefined ? { number } : { number, bytes, text: bytes.toString('utf8') };
    parts = [];
    length = 0;
    tooLong = false;
    return line;
  };
  for await (const chunk of stream) {
    if (!Buffer.isBuffer(chunk)) continue;
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      if (!tooLong) parts.push(chunk.subarray(start, nl));
      yield end();
      start = nl + 1;
    }
    if (tooLong || start === chunk.length) continue;
    length += chunk.length - start;
    if (length > MAX_LINE_BYTES) {
      tooLong = true;
      parts = [];
    } else parts.push(chunk.subarray(start));
  }
  if (length > 0 || tooLong) yield end();
}
