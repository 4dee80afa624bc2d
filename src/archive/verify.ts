import fs from 'node:fs/promises';
import yauzl from 'yauzl';
import { SIGNATURE, type Manifest } from './format.ts';
import {
  DEFAULT_INSPECT_LIMITS,
  inspectArchive,
  type InspectLimits,
  type InspectResult,
} from './import/inspect.ts';
import { shown, unsafeNameReason } from './import/zip-structure.ts';
import type { TrustedKey } from './keys.ts';
import { checkRecords, type AppRecords } from './verify-records.ts';
import { foldPath, nameProblem, prefixes } from './zip-names.ts';
import { listEntries, openZip, type ZipEntryInfo } from './zip-reader.ts';

export interface VerifyResult {
  ok: boolean;
  manifest?: Manifest;
  /** The trusted key that signed it, when one did. */
  signedBy?: string;
  problems: string[];
  /** What was not checked, and why (not problems: the archive may still be sound). */
  notes: string[];
  /** Files whose size and hashes were checked. */
  checked: number;
  /** Records found valid against their app's schema. */
  records: number;
}

export interface VerifyOptions {
  /** The apps whose records are checked against their schemas (the registry's adapters). */
  apps?: readonly AppRecords[];
}

/** Text with its control characters escaped (JSON's way): a problem stays one clean line. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;
const escaped = (text: string): string =>
  text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A name as a problem line shows it: control characters escaped, whole unless very long. */
function shownName(raw: string): string {
  const name = escaped(raw);
  return name.length > 300 ? `${name.slice(0, 200)}…${name.slice(-80)}` : name;
}

export interface NameFinding {
  /** The entry the problem is about. */
  name: string;
  problem: string;
}

/**
 * Names that would not extract as distinct files: too long or unsafe, a file that is also a
 * folder of another entry ("a" and "a/b"), two names Windows or macOS take for one ("A.txt"
 * and "a.txt", NFC and NFD...). One finding per problem.
 */
export function nameFindings(entries: readonly ZipEntryInfo[]): NameFinding[] {
  const found: NameFinding[] = [];
  const files = new Map<string, string>();
  const folders = new Map<string, string>();
  for (const e of entries) {
    const problem = nameProblem(e.name);
    if (problem !== undefined)
      found.push({
        name: e.name,
        problem: `Unsafe name: ${shownName(e.name)} (${escaped(problem)})`,
      });
    const name = e.isDirectory ? e.name.slice(0, -1) : e.name;
    const all = prefixes(name);
    if (!e.isDirectory) all.pop();
    for (const dir of all) if (!folders.has(foldPath(dir))) folders.set(foldPath(dir), dir);
  }
  for (const e of entries) {
    if (e.isDirectory) continue;
    const key = foldPath(e.name);
    const folder = folders.get(key);
    if (folder !== undefined)
      found.push({
        name: e.name,
        problem: `Both a file and a folder: ${shownName(e.name)} (folder ${shownName(folder)}/ of other entries)`,
      });
    const other = files.get(key);
    if (other !== undefined && other !== e.name)
      found.push({
        name: e.name,
        problem: `One name on Windows and macOS: ${shownName(other)} and ${shownName(e.name)}`,
      });
    else files.set(key, e.name);
  }
  return found;
}

/** The problems of `nameFindings`, one line each. */
export const nameProblems = (entries: readonly ZipEntryInfo[]): string[] =>
  nameFindings(entries).map((f) => f.problem);

/**
 * Extra fields a Mes Données archive may carry (yazl writes them): ZIP64 sizes, the Info-ZIP
 * timestamp, the Info-ZIP Unicode path (which the analysis checks against the name); each at
 * most this many bytes of data.
 */
const KNOWN_EXTRA_FIELDS = new Map([
  [0x0001, 28],
  [0x5455, 13],
  [0x7075, 5 + 0xffff],
]);
/** Lines of one kind at most; past it, a count (a forged zip may repeat a fault per entry). */
const MAX_LINES = 20;
const LOCAL_HEADER_SIZE = 30;

/**
 * Bytes of the zip that belong to no entry's checked data and that the analysis lets through:
 * the zip's comment, entry comments, extra fields (local or central) that are not ZIP64 sizes,
 * timestamps or Unicode names. Nothing checks them, so a sound archive has none. Also Unix
 * permissions no export gives (an extractor would apply them).
 */
async function uncoveredBytes(
  file: string,
  zipComment: string,
  entries: readonly ZipEntryInfo[],
): Promise<string[]> {
  const lines: string[] = [];
  // yauzl decodes a zip comment as CP437: one character a byte.
  if (zipComment.length > 0)
    lines.push(`The zip has a comment of ${zipComment.length} bytes that no check covers`);
  const found: string[] = [];
  const unknown = (name: string, where: string, fields: readonly yauzl.ExtraField[]) => {
    for (const f of fields) {
      const max = KNOWN_EXTRA_FIELDS.get(f.id);
      if (max === undefined || f.data.length > max) {
        const id = `0x${f.id.toString(16).padStart(4, '0')}`;
        found.push(
          `Entry ${shown(name)} has a ${where} extra field ${id} of ${f.data.length} bytes that no check covers`,
        );
        return;
      }
    }
  };
  const handle = await fs.open(file, 'r');
  try {
    for (const e of entries) {
      if (e.entry.fileComment !== '')
        found.push(`Entry ${shown(e.name)} has a comment that no check covers`);
      // Permissions an extractor would apply: no export gives a set-ID or sticky bit, nor
      // write access to everyone (ours are 0644; yazl, which wrote earlier ones, 0664).
      const permissions = (e.entry.externalFileAttributes >>> 16) & 0o7777;
      if ((permissions & 0o7002) !== 0)
        found.push(
          `Entry ${shown(e.name)} has Unix permissions ${permissions.toString(8).padStart(4, '0')} (a set-ID or sticky bit, or writable by everyone)`,
        );
      unknown(e.name, 'central', e.entry.extraFields);
      // The analysis made sure the local header is there and agrees with the central entry.
      const header = Buffer.alloc(LOCAL_HEADER_SIZE);
      const at = e.entry.relativeOffsetOfLocalHeader;
      await handle.read(header, 0, LOCAL_HEADER_SIZE, at);
      const nameLength = header.readUInt16LE(26);
      const extra = Buffer.alloc(header.readUInt16LE(28));
      await handle.read(extra, 0, extra.length, at + LOCAL_HEADER_SIZE + nameLength);
      // The analysis refused a malformed one (so this does not throw).
      unknown(e.name, 'local', yauzl.parseExtraFields(extra));
    }
  } finally {
    await handle.close();
  }
  lines.push(...found.slice(0, MAX_LINES));
  if (found.length > MAX_LINES)
    lines.push(`And ${found.length - MAX_LINES} more entries with bytes that no check covers`);
  return lines;
}

/** The analysis' limits, but for size: an export of any size is verified (ratio still bounded). */
const VERIFY_LIMITS: InspectLimits = {
  ...DEFAULT_INSPECT_LIMITS,
  maxTotalBytes: Number.MAX_SAFE_INTEGER,
  maxEntryBytes: Number.MAX_SAFE_INTEGER,
};

/** An error as one line (a message, never a stack). */
const oneLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');

/**
 * Whether the analysis refused `message` for a name that `names` already reports: the same
 * entry, refused for its name (not for being a link, a duplicate... which names do not see).
 */
function reportedByName(message: string, names: readonly NameFinding[]): boolean {
  return names.some((n) => {
    const reason = unsafeNameReason(n.name);
    return (
      (reason !== undefined && message === `Unsafe entry ${shown(n.name)}: ${reason}`) ||
      message === `Entry ${shown(n.name)} is both a file and a folder`
    );
  });
}

/**
 * Checks a Mes Données archive end to end. The structure, every file (size, CRC-32, SHA-256,
 * none unlisted, none missing) and the signature are the import's own analysis
 * (`inspectArchive`): every byte of the zip belongs to an entry, both tables of entries agree,
 * nothing is read outside its limits. To that `verify` adds what only matters here: an
 * archive must be signed by a trusted key, hold no bytes that no check covers (comments,
 * unknown extra fields), have names that extract as distinct files on Windows and macOS, and
 * hold records that match their apps' schemas. Every problem is one line; an archive the analysis refuses gets its
 * one line (the analysis stops at the first), plus any name problem.
 */
export async function verifyArchive(
  file: string,
  trusted: readonly TrustedKey[],
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const problems: string[] = [];
  const notes: string[] = [];
  let analysis: InspectResult;
  try {
    analysis = await inspectArchive(file, { trusted, limits: VERIFY_LIMITS });
  } catch (error) {
    return {
      ok: false,
      problems: [`Cannot read ${shownName(file)}: ${oneLine(error)}`],
      notes,
      checked: 0,
      records: 0,
    };
  }
  // The names are listed again (through yauzl) only for an archive whose entries the analysis
  // counted and read within its limits: listing the 1,000,000 entries of a refused zip took
  // ten minutes and 840 MB.
  if (!analysis.ok && analysis.code !== 'archive_unsafe')
    return { ok: false, problems: [analysis.message], notes, checked: 0, records: 0 };
  const zip = await openZip(file).catch(() => undefined);
  try {
    const entries = zip === undefined ? undefined : await listEntries(zip).catch(() => undefined);
    const names = entries === undefined ? [] : nameFindings(entries);
    if (!analysis.ok) {
      // Refused as unsafe (any other refusal returned above).
      if (!reportedByName(analysis.message, names)) problems.push(analysis.message);
      problems.push(...names.map((n) => n.problem));
      return { ok: false, problems, notes, checked: 0, records: 0 };
    }
    problems.push(...names.map((n) => n.problem));
    if (analysis.format !== 'mes-donnees') {
      problems.push(
        'An Open ENT NG archive, not a Mes Données one: "verify" checks Mes Données archives (import it to check it)',
      );
      return { ok: false, problems, notes, checked: 0, records: 0 };
    }
    const { manifest, signature } = analysis;
    let signedBy: string | undefined;
    if (signature.state === 'trusted') signedBy = signature.keyId;
    else if (signature.state === 'unsigned')
      problems.push(`${SIGNATURE} is missing: the archive is not signed`);
    else
      problems.push(
        `Signed by an unknown key (${signature.keyId}): add it with "mes-donnees keys trust"`,
      );
    if (zip === undefined || entries === undefined) {
      problems.push('Not a readable zip file');
      return { ok: false, manifest, signedBy, problems, notes, checked: 0, records: 0 };
    }
    problems.push(
      ...(await uncoveredBytes(file, zip.comment, entries).catch((error: unknown) => [
        `Cannot read ${shownName(file)}: ${oneLine(error)}`,
      ])),
    );
    let records = 0;
    if (options.apps !== undefined) {
      const byName = new Map(entries.map((e) => [e.name, e]));
      const found = await checkRecords(zip, manifest, byName, options.apps).catch(
        (error: unknown) => ({
          problems: [`Records could not be read: ${oneLine(error)}`],
          notes: [],
          valid: 0,
        }),
      );
      problems.push(...found.problems);
      notes.push(...found.notes);
      records = found.valid;
    }
    return {
      ok: problems.length === 0,
      manifest,
      signedBy,
      problems,
      notes,
      checked: manifest.files.length,
      records,
    };
  } finally {
    zip?.close();
  }
}
