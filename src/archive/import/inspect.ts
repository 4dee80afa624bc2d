/**
 * The safe analysis of an uploaded archive, before anything is written: structure, limits,
 * manifest, every file's CRC-32 and SHA-256, the signature. Nothing is extracted to disk;
 * memory holds one small record per entry and the manifest. Every problem the file can hold
 * is a result, never an exception (only I/O errors and `signal` throw).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { MANIFEST, manifestSchema, SIGNATURE, type Manifest } from '../format.ts';
import {
  ENTCORE_MANIFEST,
  parseEntcoreManifest,
  type EntcoreModule,
} from '../entcore/entcore-format.ts';
import {
  inspectEntcore,
  type EntcoreSignatureState,
  type FolderSizes,
} from '../entcore/entcore-inspect.ts';
import { verifySignature, type TrustedKey } from '../keys.ts';
import { parseArchiveJsonBytes } from '../safe-json.ts';
import {
  errorText,
  isSystemError,
  readEntryData,
  readZipStructure,
  shown,
  type InspectLimits,
  type StructureFailure,
  ZipFileReader,
  type ZipEntryLocation,
} from './zip-structure.ts';

export type { InspectLimits } from './zip-structure.ts';
export type { TrustedKey } from '../keys.ts';

const GiB = 1024 * 1024 * 1024;

/** Limits for an instance whose largest upload is `maxImportBytes` (MAX_IMPORT_SIZE). */
export function defaultInspectLimits(maxImportBytes = 10 * GiB): InspectLimits {
  return {
    maxEntries: 200_000,
    // Documents are stored as they are and JSON deflates ~5-10×: four times the upload is
    // room for any real account, and what a user may import is bounded by their quota anyway.
    maxTotalBytes: 4 * maxImportBytes,
    maxEntryBytes: 4 * GiB,
    maxRatio: 200,
  };
}

export const DEFAULT_INSPECT_LIMITS: InspectLimits = defaultInspectLimits();

export type SignatureState =
  | { state: 'trusted'; keyId: string }
  | { state: 'untrusted'; keyId: string }
  | { state: 'unsigned' };

export type InspectFailureCode =
  | 'archive_invalid'
  | 'archive_unsafe'
  | 'archive_too_large'
  | 'archive_corrupt'
  | 'archive_signature_invalid';

export interface InspectFailure {
  ok: false;
  code: InspectFailureCode;
  /** English, one line, naming the entry: for logs and the CLI. */
  message: string;
}

export type InspectResult =
  | {
      ok: true;
      format: 'mes-donnees';
      manifest: Manifest;
      signature: SignatureState;
      entries: number;
      totalBytes: number;
    }
  | {
      ok: true;
      format: 'open-ent-ng';
      /** The single root folder `<millis>_<userId>`. */
      root: string;
      modules: EntcoreModule[];
      signature: EntcoreSignatureState;
      /** Files and bytes in each module's folder. */
      folders: FolderSizes;
      entries: number;
      totalBytes: number;
    }
  | InspectFailure;

export interface InspectOptions {
  /** Keys whose signatures are trusted: this instance's own among them (the caller adds it). */
  trusted: readonly TrustedKey[];
  /** Open ENT NG platforms' RSA keys whose archives are trusted. */
  trustedEntcore?: readonly TrustedKey[];
  limits: InspectLimits;
  signal?: AbortSignal;
}

/** The manifest lists every file: 200,000 of them take ~40 MB of JSON. */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
const MAX_SIGNATURE_BYTES = 4096;
const MAX_ENTCORE_MANIFEST_BYTES = 1024 * 1024;
/** An Ed25519 signature is 64 bytes: 88 characters of base64. */
const SIGNATURE_TEXT = /^[A-Za-z0-9+/]{86}==$/;

const failure = (code: InspectFailureCode, message: string): InspectFailure => ({
  ok: false,
  code,
  // One line for logs, whatever a schema's message holds.
  message: message.replace(/\s*\n\s*/g, ' '),
});

/**
 * Analyses the archive `file`: a Mes Données archive whose every check holds (with the state
 * of its signature: trusted, by an unknown key, or none), an Open ENT NG archive (its modules,
 * every CRC-32, its RSA signature), or the first problem found, with its code.
 */
export async function inspectArchive(
  file: string,
  options: InspectOptions,
): Promise<InspectResult> {
  const { signal } = options;
  signal?.throwIfAborted();
  const handle = await fs.open(file, 'r');
  try {
    return await inspectOpen(await ZipFileReader.open(handle), options);
  } catch (error) {
    signal?.throwIfAborted();
    if (isSystemError(error)) throw error;
    // A parser's surprise on crafted bytes is still the archive's problem, not a crash.
    return failure('archive_invalid', `Unreadable archive: ${errorText(error)}`);
  } finally {
    await handle.close();
  }
}

async function inspectOpen(
  zip: ZipFileReader,
  { trusted, trustedEntcore = [], limits, signal }: InspectOptions,
): Promise<InspectResult> {
  const structure = await readZipStructure(zip, limits, signal);
  if (!structure.ok) return structure;
  const byName = new Map<string, ZipEntryLocation>();
  for (const e of structure.entries) byName.set(e.name, e);

  const manifestEntry = byName.get(MANIFEST);
  if (manifestEntry === undefined || manifestEntry.isDirectory) {
    const found = await openEntNgRoot(zip, structure.entries, byName, signal);
    if (found === undefined)
      return failure('archive_invalid', `${MANIFEST} is missing: not a Mes Données archive`);
    if ('ok' in found) return found;
    const { root, modules } = found;
    const checked = await inspectEntcore(
      zip,
      root,
      structure.entries,
      modules,
      trustedEntcore,
      signal,
    );
    if (!checked.ok) return failure(checked.code, checked.message);
    return {
      ok: true,
      format: 'open-ent-ng',
      root,
      modules,
      signature: checked.signature,
      folders: checked.folders,
      entries: structure.entries.length,
      totalBytes: structure.totalBytes,
    };
  }

  const manifestBytes = await readWhole(zip, manifestEntry, MAX_MANIFEST_BYTES, signal);
  if (!Buffer.isBuffer(manifestBytes)) return manifestBytes;
  const manifest = parseManifest(manifestBytes);
  if ('ok' in manifest) return manifest;

  const listed = await checkListedFiles(zip, manifest, structure.entries, byName, signal);
  if (listed !== undefined) return listed;

  const signature = await signatureState(zip, byName.get(SIGNATURE), manifestBytes, manifest, {
    trusted,
    signal,
  });
  if ('ok' in signature) return signature;
  return {
    ok: true,
    format: 'mes-donnees',
    manifest,
    signature,
    entries: structure.entries.length,
    totalBytes: structure.totalBytes,
  };
}

/** The manifest, strictly (its raw JSON is left to the GC: 200,000 files weigh ~100 MB twice). */
function parseManifest(bytes: Buffer): Manifest | InspectFailure {
  const json = parseArchiveJsonBytes(bytes);
  if (!json.ok) return failure('archive_invalid', `${MANIFEST}: ${json.problems.join('; ')}`);
  const parsed = manifestSchema.safeParse(json.value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(manifest)'}: ${i.message}`);
  return failure('archive_invalid', `${MANIFEST} is not valid: ${issues.join('; ')}`);
}

/**
 * Every file the manifest lists is there with its size, CRC-32 and SHA-256; every file there
 * is listed (but the manifest and its signature). Files are read in the order of the zip.
 */
async function checkListedFiles(
  zip: ZipFileReader,
  manifest: Manifest,
  entries: readonly ZipEntryLocation[],
  byName: ReadonlyMap<string, ZipEntryLocation>,
  signal: AbortSignal | undefined,
): Promise<InspectFailure | undefined> {
  const expected = new Map<ZipEntryLocation, string>();
  for (const f of manifest.files) {
    const e = byName.get(f.path);
    if (e === undefined || e.isDirectory)
      return failure('archive_corrupt', `File listed in ${MANIFEST} but absent: ${shown(f.path)}`);
    if (expected.has(e))
      return failure('archive_invalid', `${MANIFEST} lists ${shown(f.path)} twice`);
    if (f.size !== e.uncompressedSize)
      return failure(
        'archive_corrupt',
        `Size mismatch: ${shown(f.path)} is ${e.uncompressedSize} bytes, ${MANIFEST} says ${f.size}`,
      );
    expected.set(e, f.sha256);
  }
  for (const e of entries) {
    if (e.isDirectory || e.name === MANIFEST || e.name === SIGNATURE || expected.has(e)) continue;
    return failure('archive_corrupt', `File not listed in ${MANIFEST}: ${shown(e.name)}`);
  }
  const ordered = [...expected.keys()].sort((a, b) => a.offset - b.offset);
  for (const e of ordered) {
    signal?.throwIfAborted();
    const hash = createHash('sha256');
    const problem = await readEntryData(zip, e, (chunk) => hash.update(chunk), signal);
    if (problem !== undefined) return problem;
    if (hash.digest('hex') !== expected.get(e))
      return failure('archive_corrupt', `SHA-256 mismatch: ${shown(e.name)}`);
  }
  return undefined;
}

async function signatureState(
  zip: ZipFileReader,
  entry: ZipEntryLocation | undefined,
  manifestBytes: Buffer,
  manifest: Manifest,
  { trusted, signal }: { trusted: readonly TrustedKey[]; signal: AbortSignal | undefined },
): Promise<SignatureState | InspectFailure> {
  if (entry === undefined || entry.isDirectory) return { state: 'unsigned' };
  if (entry.uncompressedSize > MAX_SIGNATURE_BYTES)
    return failure(
      'archive_signature_invalid',
      `${SIGNATURE} is ${entry.uncompressedSize} bytes (at most ${MAX_SIGNATURE_BYTES})`,
    );
  const bytes = await readWhole(zip, entry, MAX_SIGNATURE_BYTES, signal);
  if (!Buffer.isBuffer(bytes)) return bytes;
  const text = bytes.toString('latin1').trim();
  if (!SIGNATURE_TEXT.test(text))
    return failure(
      'archive_signature_invalid',
      `${SIGNATURE} does not hold a base64 Ed25519 signature`,
    );
  const keyId = manifest.instance.publicKeyId;
  const named = trusted.filter((k) => k.id === keyId);
  if (named.length > 0) {
    if (named.some((k) => verifySignature(manifestBytes, text, k.publicKey)))
      return { state: 'trusted', keyId };
    return failure(
      'archive_signature_invalid',
      `The signature of ${MANIFEST} does not verify with the trusted key ${shown(keyId)}: the archive was changed`,
    );
  }
  // Signed by a trusted key that the manifest names otherwise: what that key signed holds.
  const signer = trusted.find((k) => verifySignature(manifestBytes, text, k.publicKey));
  if (signer !== undefined) return { state: 'trusted', keyId: signer.id };
  return { state: 'untrusted', keyId };
}

/** An entry read whole (the manifest, its signature), at most `max` bytes. */
async function readWhole(
  zip: ZipFileReader,
  e: ZipEntryLocation,
  max: number,
  signal: AbortSignal | undefined,
): Promise<Buffer | InspectFailure> {
  if (e.uncompressedSize > max)
    return failure(
      'archive_too_large',
      `${shown(e.name)} is ${e.uncompressedSize} bytes (at most ${max})`,
    );
  const chunks: Buffer[] = [];
  const problem = await readEntryData(zip, e, (chunk) => chunks.push(Buffer.from(chunk)), signal);
  return problem ?? Buffer.concat(chunks);
}

/**
 * The root folder of an Open ENT NG archive and its modules: every entry under one folder
 * that holds a `Manifest.json` whose keys are `org.entcore.*` modules. Undefined when it is
 * not one; a failure when its manifest cannot be read.
 */
async function openEntNgRoot(
  zip: ZipFileReader,
  entries: readonly ZipEntryLocation[],
  byName: ReadonlyMap<string, ZipEntryLocation>,
  signal: AbortSignal | undefined,
): Promise<
  { root: string; modules: EntcoreModule[] } | StructureFailure | InspectFailure | undefined
> {
  const first = entries[0]?.name ?? '';
  const slash = first.indexOf('/');
  if (slash < 1) return undefined;
  const root = first.slice(0, slash);
  if (!entries.every((e) => e.name.startsWith(`${root}/`))) return undefined;
  const entry = byName.get(`${root}/${ENTCORE_MANIFEST}`);
  if (entry === undefined) return undefined;
  const bytes = await readWhole(zip, entry, MAX_ENTCORE_MANIFEST_BYTES, signal);
  if (!Buffer.isBuffer(bytes)) return bytes;
  const json = parseArchiveJsonBytes(bytes);
  if (!json.ok)
    return failure('archive_invalid', `${shown(entry.name)}: ${json.problems.join('; ')}`);
  const value = json.value;
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    !Object.keys(value).some((k) => k.startsWith('org.entcore.'))
  )
    return undefined;
  const modules = parseEntcoreManifest(value);
  if ('problem' in modules)
    return failure('archive_invalid', `${shown(entry.name)}: ${modules.problem}`);
  return { root, modules };
}
