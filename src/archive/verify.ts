import type { KeyObject } from 'node:crypto';
import { MANIFEST, manifestSchema, SIGNATURE, type Manifest } from './format.ts';
import { verifySignature } from './keys.ts';
import { parseArchiveJson } from './safe-json.ts';
import { checkRecords, type AppRecords } from './verify-records.ts';
import { foldPath, nameProblem, prefixes } from './zip-names.ts';
import { hashEntry, listEntries, openZip, readEntry, type ZipEntryInfo } from './zip-reader.ts';

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

const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

/**
 * Names that would not extract as distinct files: too long or unsafe, a file that is also a
 * folder of another entry ("a" and "a/b"), two names Windows or macOS take for one ("A.txt"
 * and "a.txt", NFC and NFD...). One line per problem.
 */
/** A name as a problem line shows it: whole unless very long. */
const shown = (name: string): string =>
  name.length > 300 ? `${name.slice(0, 200)}…${name.slice(-80)}` : name;

export function nameProblems(entries: readonly ZipEntryInfo[]): string[] {
  const problems: string[] = [];
  const files = new Map<string, string>();
  const folders = new Map<string, string>();
  for (const e of entries) {
    const problem = nameProblem(e.name);
    if (problem !== undefined) problems.push(`Unsafe name: ${shown(e.name)} (${problem})`);
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
      problems.push(`Both a file and a folder: ${e.name} (folder ${folder}/ of other entries)`);
    const other = files.get(key);
    if (other !== undefined && other !== e.name)
      problems.push(`One name on Windows and macOS: ${other} and ${e.name}`);
    else files.set(key, e.name);
  }
  return problems;
}

/**
 * Checks a Mes Données archive end to end: structure, the signature of `manifest.json` by a
 * trusted key, every file listed (size, SHA-256, CRC-32) and no file unlisted, then every
 * record of the given apps' data files against its schema. Every problem is reported, not
 * only the first.
 */
export async function verifyArchive(
  file: string,
  trusted: readonly { id: string; publicKey: KeyObject; source: string }[],
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const problems: string[] = [];
  const notes: string[] = [];
  const failed = () => ({ ok: false, problems, notes, checked: 0, records: 0 });
  const zip = await openZip(file).catch((error: unknown) => {
    problems.push(
      `Not a readable zip file: ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  });
  if (zip === undefined) return failed();
  try {
    const entries = await listEntries(zip);
    const byName = new Map<string, (typeof entries)[number]>();
    for (const e of entries) {
      if (byName.has(e.name)) problems.push(`Duplicate entry: ${e.name}`);
      byName.set(e.name, e);
      if (e.isSymlink) problems.push(`Symbolic link entry: ${e.name}`);
    }
    problems.push(...nameProblems(entries));
    const manifestEntry = byName.get(MANIFEST);
    const sigEntry = byName.get(SIGNATURE);
    if (manifestEntry === undefined)
      problems.push(`${MANIFEST} is missing: not a Mes Données archive`);
    if (sigEntry === undefined) problems.push(`${SIGNATURE} is missing: the archive is not signed`);
    if (manifestEntry === undefined) return failed();

    const manifestBytes = await readEntry(zip, manifestEntry, MAX_MANIFEST_BYTES);
    let manifest: Manifest | undefined;
    const json = parseArchiveJson(manifestBytes.toString('utf8'));
    const parsed = json.ok ? manifestSchema.safeParse(json.value) : undefined;
    if (!json.ok) problems.push(...json.problems.map((p) => `${MANIFEST}: ${p}`));
    else if (parsed?.success === true) manifest = parsed.data;
    else
      problems.push(
        `${MANIFEST} is not valid: ${(parsed?.error.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );

    let signedBy: string | undefined;
    if (sigEntry !== undefined) {
      const signature = (await readEntry(zip, sigEntry, 4096)).toString('utf8');
      const key = trusted.find((k) => verifySignature(manifestBytes, signature, k.publicKey));
      if (key !== undefined) signedBy = key.id;
      else if (
        manifest !== undefined &&
        !trusted.some((k) => k.id === manifest.instance.publicKeyId)
      ) {
        problems.push(
          `Signed by an unknown key (${manifest.instance.publicKeyId}): add it with "mes-donnees keys trust"`,
        );
      } else {
        problems.push('The signature of manifest.json does not verify: the archive was changed');
      }
    }

    let checked = 0;
    if (manifest !== undefined) {
      const listed = new Set<string>();
      for (const f of manifest.files) {
        listed.add(f.path);
        const e = byName.get(f.path);
        if (e === undefined) {
          problems.push(`Missing file: ${f.path}`);
          continue;
        }
        const actual = await hashEntry(zip, e).catch((error: unknown) => {
          problems.push(
            `Unreadable file: ${f.path} (${error instanceof Error ? error.message : String(error)})`,
          );
          return undefined;
        });
        if (actual === undefined) continue;
        checked += 1;
        if (!actual.crcOk) problems.push(`CRC-32 mismatch: ${f.path}`);
        if (actual.size !== f.size)
          problems.push(`Size mismatch: ${f.path} (${actual.size}, expected ${f.size})`);
        else if (actual.sha256 !== f.sha256) problems.push(`SHA-256 mismatch: ${f.path}`);
      }
      for (const e of entries) {
        if (e.isDirectory || e.name === MANIFEST || e.name === SIGNATURE) continue;
        if (!listed.has(e.name)) problems.push(`File not listed in the manifest: ${e.name}`);
      }
    }
    let records = 0;
    if (manifest !== undefined && options.apps !== undefined) {
      const found = await checkRecords(zip, manifest, byName, options.apps);
      problems.push(...found.problems);
      notes.push(...found.notes);
      records = found.valid;
    }
    return { ok: problems.length === 0, manifest, signedBy, problems, notes, checked, records };
  } finally {
    zip.close();
  }
}
