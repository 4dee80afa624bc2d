/**
 * The analysis of an Open ENT NG archive once its structure holds (`zip-structure.ts` checked
 * every name, header and limit): every file's CRC-32, and `archive.signature` — per top-level
 * entry, base64 of an RSA SHA256withRSA signature over a file's bytes, or over a folder's name
 * then each child in Java name order (a file its bytes, a folder its name and children).
 *
 * RSA lets a public key recover what it signed: a trusted key that recovers a well-formed
 * SHA-256 DigestInfo signed the archive, so a digest that differs means the archive changed
 * after signing (refused); a signature no trusted key recovers was made by an unknown key.
 */
import { constants, createHash, publicDecrypt, type Hash } from 'node:crypto';
import type { TrustedKey } from '../keys.ts';
import {
  readEntryData,
  shown,
  type StructureFailure,
  type ZipEntryLocation,
  type ZipFileReader,
} from '../import/zip-structure.ts';
import { ENTCORE_SIGNATURE, javaCompare, type EntcoreModule } from './entcore-format.ts';

export type EntcoreSignatureState =
  { state: 'trusted'; keyId: string } | { state: 'untrusted' } | { state: 'unsigned' };

export interface EntcoreProblem {
  ok: false;
  code: 'archive_signature_invalid' | 'archive_corrupt' | 'archive_invalid';
  message: string;
}

/** Files and bytes under each top-level folder (a module's folder). */
export type FolderSizes = Record<string, { files: number; bytes: number }>;

const MAX_SIGNATURE_BYTES = 64 * 1024;
/** DER prefix of a SHA-256 DigestInfo (PKCS #1 v1.5), followed by the 32-byte digest. */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

const problem = (code: EntcoreProblem['code'], message: string): EntcoreProblem => ({
  ok: false,
  code,
  message,
});

interface Folder {
  folders: Map<string, Folder>;
  files: Map<string, ZipEntryLocation>;
}

/** The folders and files under the root, as the platform had them on disk. */
function treeOf(root: string, entries: readonly ZipEntryLocation[]): Folder {
  const top: Folder = { folders: new Map(), files: new Map() };
  for (const e of entries) {
    const parts = e.name.slice(root.length + 1).split('/');
    if (e.isDirectory) parts.pop(); // "a/b/" names the folder a/b
    let at = top;
    const folders = e.isDirectory ? parts : parts.slice(0, -1);
    for (const name of folders) {
      if (name === '') continue;
      let next = at.folders.get(name);
      if (next === undefined) {
        next = { folders: new Map(), files: new Map() };
        at.folders.set(name, next);
      }
      at = next;
    }
    const file = parts.at(-1);
    if (!e.isDirectory && file !== undefined && file !== '') at.files.set(file, e);
  }
  return top;
}

type Part = { name: string } | { entry: ZipEntryLocation };

/** What a folder's signature covers, in order. */
function* folderParts(name: string, folder: Folder): Generator<Part> {
  yield { name };
  const children = [...folder.folders.keys(), ...folder.files.keys()].sort(javaCompare);
  for (const child of children) {
    const file = folder.files.get(child);
    const sub = folder.folders.get(child);
    if (file !== undefined) yield { entry: file };
    if (sub !== undefined) yield* folderParts(child, sub);
  }
}

/** The SHA-256 DigestInfo's digest a key recovers from a signature; undefined if it cannot. */
function recoveredDigest(signature: Buffer, key: TrustedKey): Buffer | undefined {
  try {
    const info = publicDecrypt(
      { key: key.publicKey, padding: constants.RSA_PKCS1_PADDING },
      signature,
    );
    if (info.length !== SHA256_DIGEST_INFO.length + 32) return undefined;
    if (!info.subarray(0, SHA256_DIGEST_INFO.length).equals(SHA256_DIGEST_INFO)) return undefined;
    return info.subarray(SHA256_DIGEST_INFO.length);
  } catch {
    return undefined;
  }
}

function parseSignatures(bytes: Buffer): Map<string, Buffer> | string {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const out = new Map<string, Buffer>();
  for (const [name, sig] of Object.entries(value)) {
    if (typeof sig !== 'string' || !/^[A-Za-z0-9+/]{16,2048}={0,2}$/.test(sig))
      return `the signature of ${shown(name)} is not base64`;
    out.set(name, Buffer.from(sig, 'base64'));
  }
  return out;
}

/**
 * Reads every file once (CRC-32 checked), the signed ones in signature order, and says who
 * signed the archive. `root` is the single root folder; every entry is under it.
 */
export async function inspectEntcore(
  reader: ZipFileReader,
  root: string,
  entries: readonly ZipEntryLocation[],
  modules: readonly EntcoreModule[],
  trusted: readonly TrustedKey[],
  signal?: AbortSignal,
): Promise<
  | { ok: true; signature: EntcoreSignatureState; folders: FolderSizes }
  | EntcoreProblem
  | StructureFailure
> {
  const tree = treeOf(root, entries);
  const folders: FolderSizes = {};
  for (const m of modules) folders[m.folder] = { files: 0, bytes: 0 };
  for (const e of entries) {
    if (e.isDirectory) continue;
    const top = e.name.slice(root.length + 1).split('/')[0] ?? '';
    const sizes = folders[top];
    if (sizes !== undefined && e.name.length > root.length + top.length + 2) {
      sizes.files += 1;
      sizes.bytes += e.uncompressedSize;
    }
  }

  const read = (e: ZipEntryLocation, onChunk: (chunk: Buffer) => void) =>
    readEntryData(reader, e, onChunk, signal);
  const done = new Set<ZipEntryLocation>();

  // Files no signature covered (an unsigned archive): their CRC-32 all the same.
  const finish = async (signature: EntcoreSignatureState) => {
    for (const e of entries) {
      if (e.isDirectory || done.has(e)) continue;
      const failed = await read(e, () => undefined);
      if (failed !== undefined) return failed;
    }
    return { ok: true as const, signature, folders };
  };

  let signature: EntcoreSignatureState = { state: 'unsigned' };
  const signatureEntry = tree.files.get(ENTCORE_SIGNATURE);
  if (signatureEntry !== undefined) {
    if (signatureEntry.uncompressedSize > MAX_SIGNATURE_BYTES)
      return problem('archive_signature_invalid', `${ENTCORE_SIGNATURE} is too large`);
    const chunks: Buffer[] = [];
    const failed = await read(signatureEntry, (c) => chunks.push(Buffer.from(c)));
    if (failed !== undefined) return failed;
    done.add(signatureEntry);
    const signatures = parseSignatures(Buffer.concat(chunks));
    if (typeof signatures === 'string')
      return problem('archive_signature_invalid', `${ENTCORE_SIGNATURE}: ${signatures}`);
    // Signing nothing is not being signed (as if the file were absent: no one is trusted).
    if (signatures.size === 0) return finish({ state: 'unsigned' });
    const tops = [...tree.folders.keys(), ...tree.files.keys()].filter(
      (n) => n !== ENTCORE_SIGNATURE,
    );
    const unsigned = tops.find((n) => !signatures.has(n));
    if (unsigned !== undefined)
      return problem('archive_signature_invalid', `${shown(unsigned)} is not signed`);
    const absent = [...signatures.keys()].find((n) => !tops.includes(n));
    if (absent !== undefined)
      return problem('archive_signature_invalid', `${shown(absent)} is signed but absent`);

    // The trusted key that signed it: the one recovering a digest from the first signature.
    const first = signatures.get(tops.sort(javaCompare)[0] ?? '');
    const signer =
      first === undefined
        ? undefined
        : trusted.find((k) => recoveredDigest(first, k) !== undefined);
    for (const name of tops) {
      signal?.throwIfAborted();
      const hash: Hash = createHash('sha256');
      const file = tree.files.get(name);
      const parts: Iterable<Part> =
        file !== undefined
          ? [{ entry: file }]
          : folderParts(name, tree.folders.get(name) as Folder);
      for (const part of parts) {
        if ('name' in part) {
          hash.update(part.name, 'utf8');
          continue;
        }
        const failed = await read(part.entry, (c) => hash.update(c));
        if (failed !== undefined) return failed;
        done.add(part.entry);
      }
      if (signer === undefined) continue;
      const expected = recoveredDigest(signatures.get(name) as Buffer, signer);
      if (expected === undefined || !expected.equals(hash.digest()))
        return problem(
          'archive_signature_invalid',
          `The signature of ${shown(name)} does not verify with the trusted key ${signer.id}: the archive was changed`,
        );
    }
    signature =
      signer === undefined ? { state: 'untrusted' } : { state: 'trusted', keyId: signer.id };
  }

  return finish(signature);
}
