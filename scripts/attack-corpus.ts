/**
 * The archive attack corpus: one zip per attack on the import and on `verify`, each with what
 * must come of it (refused with its code, or imported with its content neutralised). Written
 * into a folder, so nothing big is committed:
 *
 *   npx node scripts/attack-corpus.ts <dir> [--base export.zip --key instance.key]
 *
 * The attacks that tamper with a valid archive start from `--base` (a real export, signed by
 * the instance key `--key`, whose analysis must trust it), else from a small archive written
 * here through the real record schemas and signed with a fresh key. `test/security/
 * attack-corpus.test.ts` builds the corpus from a real export into a temp folder and runs each
 * fixture through the import's HTTP API and through `verify`.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { constants, crc32, deflateRawSync } from 'node:zlib';
import { MANIFEST, SIGNATURE } from '../src/archive/format.ts';
import type { ImportAppReason, ImportRefusal } from '../src/contracts/archive.ts';
import { loadOrCreateInstanceKey } from '../src/archive/keys.ts';
import { listEntries, openZip, readEntry } from '../src/archive/zip-reader.ts';
import {
  craftZip,
  manifestOf,
  makeKey,
  signedEntries,
  signedZip,
  STRANGER_KEY,
  type CraftEntry,
  type Signer,
} from '../test/fixtures/hostile-archives.ts';
import { writeBaseArchive } from '../test/fixtures/attack-base.ts';
import { XSS_PAYLOADS } from '../test/support/xss-payloads.ts';

/** What the import's analysis answers (`GET /api/archive/imports/:id`). */
export type AnalysisOutcome =
  | { refused: ImportRefusal }
  /** Analysed; each app named is importable (`true`) or not, for that reason. */
  | { analyzed: Partial<Record<string, true | ImportAppReason>> };

/** Content that gets imported, and must come out inert. */
export type Neutralised = 'xss-post' | 'svg-script' | 'html-as-png';

export interface AttackFixture {
  name: string;
  /** What it tries, in one line. */
  attack: string;
  analysis: AnalysisOutcome;
  /** `verify`: a line its problems must hold, or `ok` when the archive is sound for it. */
  verify: RegExp | 'ok';
  /** Checked once imported: how the hostile content must come out. */
  neutralised?: Neutralised;
  /** A bomb: the memory of whoever reads it is watched. */
  bomb?: boolean;
  build(dir: string, ctx: CorpusContext): Promise<string>;
}

export interface CorpusContext {
  /** The key the analysing instance trusts (its own). */
  signer: Signer;
  /** A real export signed by `signer`, for the attacks that tamper with a valid archive. */
  base: string;
}

const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
const text = (name: string, content = `Contenu de ${name}\n`): CraftEntry => ({
  name,
  data: content,
  deflate: true,
});

const write = async (dir: string, name: string, bytes: Buffer | string) => {
  const file = path.join(dir, `${name}.zip`);
  await fs.writeFile(file, bytes);
  return file;
};

/** An attack written byte by byte, signed by the trusted key so that only the attack fails. */
const crafted = (
  fixture: Omit<AttackFixture, 'build'>,
  make: (signer: Signer) => Buffer | Promise<Buffer>,
): AttackFixture => ({
  ...fixture,
  build: async (dir, ctx) => write(dir, fixture.name, await make(ctx.signer)),
});

// ---- bombs ------------------------------------------------------------------------------------

/**
 * Raw deflate data inflating to `mib` MiB of zeros, made without deflating them: one MiB
 * deflated with a full flush (byte-aligned, no reference to what came before) repeated, then
 * an empty final block. 4 GiB cost 4 MB and no time.
 */
function zerosDeflated(mib: number): Buffer {
  const chunk = deflateRawSync(Buffer.alloc(MiB), { finishFlush: constants.Z_FULL_FLUSH });
  const end = deflateRawSync(Buffer.alloc(0));
  return Buffer.concat([...Array.from({ length: mib }, () => chunk), end]);
}

/** 42.zip's idea: zips of zips, each layer 16 copies of the one below, 4 GiB of zeros inside. */
function nestedBomb(): Buffer {
  const inner = zerosDeflated(4095);
  let layer = craftZip([
    { name: 'zeros.bin', compressed: inner, size: 4095 * MiB, crc: crc32OfZeros(4095) },
  ]);
  for (let depth = 0; depth < 2; depth++) {
    const below = layer;
    layer = craftZip(
      Array.from({ length: 16 }, (_, i) => ({
        name: `${depth}-${i}.zip`,
        compressed: deflateRawSync(below, { level: 9 }),
        size: below.length,
        crc: crc32(below),
      })),
    );
  }
  return layer;
}

/** The CRC-32 of `mib` MiB of zeros. */
function crc32OfZeros(mib: number): number {
  const zeros = Buffer.alloc(MiB);
  let crc = 0;
  for (let i = 0; i < mib; i++) crc = crc32(zeros, crc);
  return crc;
}

/**
 * `count` empty entries (`0`, `1`...) streamed to `file` (1,000,000 of them make ~90 MB): local
 * headers, then the central directory, then ZIP64 end records (the count needs them).
 */
export async function writeManyEntries(file: string, count: number): Promise<void> {
  const out = createWriteStream(file, { highWaterMark: 4 * MiB });
  const put = async (b: Buffer) => {
    if (!out.write(b)) await once(out, 'drain');
  };
  const DOS_DATE = 0x5b21;
  let offset = 0;
  const batch = 10_000;
  for (let start = 0; start < count; start += batch) {
    const parts: Buffer[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const name = Buffer.from(String(i));
      const h = Buffer.alloc(30 + name.length);
      h.writeUInt32LE(0x04034b50, 0);
      h.writeUInt16LE(20, 4);
      h.writeUInt16LE(0x0800, 6);
      h.writeUInt16LE(DOS_DATE, 12);
      h.writeUInt16LE(name.length, 26);
      name.copy(h, 30);
      parts.push(h);
    }
    const b = Buffer.concat(parts);
    offset += b.length;
    await put(b);
  }
  const cdOffset = offset;
  let local = 0;
  let cdSize = 0;
  for (let start = 0; start < count; start += batch) {
    const parts: Buffer[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const name = Buffer.from(String(i));
      const c = Buffer.alloc(46 + name.length);
      c.writeUInt32LE(0x02014b50, 0);
      c.writeUInt16LE((3 << 8) | 63, 4);
      c.writeUInt16LE(20, 6);
      c.writeUInt16LE(0x0800, 8);
      c.writeUInt16LE(DOS_DATE, 14);
      c.writeUInt16LE(name.length, 28);
      c.writeUInt32LE(0o100644 * 0x10000, 38);
      c.writeUInt32LE(local, 42);
      name.copy(c, 46);
      parts.push(c);
      local += 30 + name.length;
      cdSize += c.length;
    }
    await put(Buffer.concat(parts));
  }
  const end = Buffer.alloc(76 + 22);
  end.writeUInt32LE(0x06064b50, 0);
  end.writeBigUInt64LE(44n, 4);
  end.writeUInt16LE(45, 14);
  end.writeBigUInt64LE(BigInt(count), 24);
  end.writeBigUInt64LE(BigInt(count), 32);
  end.writeBigUInt64LE(BigInt(cdSize), 40);
  end.writeBigUInt64LE(BigInt(cdOffset), 48);
  end.writeUInt32LE(0x07064b50, 56);
  end.writeBigUInt64LE(BigInt(cdOffset + cdSize), 64);
  end.writeUInt32LE(1, 72);
  end.writeUInt32LE(0x06054b50, 76);
  end.writeUInt16LE(0xffff, 76 + 8);
  end.writeUInt16LE(0xffff, 76 + 10);
  end.writeUInt32LE(0xffffffff, 76 + 12);
  end.writeUInt32LE(0xffffffff, 76 + 16);
  await put(end);
  out.end();
  await once(out, 'finish');
}

// ---- tampering with a valid archive ---------------------------------------------------------

interface ManifestJson {
  files: { path: string; size: number; sha256: string }[];
  [key: string]: unknown;
}

/** The entries of a zip read whole (a base archive is small), in zip order. */
async function readArchive(file: string): Promise<Map<string, Buffer>> {
  const zip = await openZip(file);
  try {
    const out = new Map<string, Buffer>();
    for (const e of await listEntries(zip)) {
      if (e.isDirectory) continue;
      out.set(e.name, await readEntry(zip, e, 64 * MiB));
    }
    return out;
  } finally {
    zip.close();
  }
}

interface Tamper {
  /** Changes the files (names → bytes; the manifest and its signature are apart). */
  files?(files: Map<string, Buffer>): void;
  /** Changes the manifest once its file list is made again from the files. */
  manifest?(manifest: ManifestJson): void;
  /** Who signs it again (the trusted key by default). */
  signer?: Signer;
  /** Keeps the base's manifest and signature whatever changed (a replay). */
  keepManifest?: boolean;
  /** Keeps the base's signature over a new manifest. */
  keepSignature?: boolean;
}

/** The base archive changed by `t`, its manifest listing the files again, signed again. */
async function tampered(ctx: CorpusContext, t: Tamper): Promise<Buffer> {
  const all = await readArchive(ctx.base);
  const manifestBytes = all.get(MANIFEST);
  const signature = all.get(SIGNATURE);
  if (manifestBytes === undefined || signature === undefined)
    throw new Error(`${ctx.base} is not a signed Mes Données archive`);
  all.delete(MANIFEST);
  all.delete(SIGNATURE);
  t.files?.(all);
  const entries: CraftEntry[] = [...all].map(([name, data]) => ({
    name,
    data,
    deflate: /\.(json|ndjson|html|ics|txt|svg)$/.test(name),
  }));
  if (t.keepManifest === true)
    return craftZip([
      ...entries,
      { name: MANIFEST, data: manifestBytes, deflate: true },
      { name: SIGNATURE, data: signature },
    ]);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as ManifestJson;
  const before = new Map(manifest.files.map((f, i) => [f.path, i]));
  manifest.files = [...all]
    .map(([p, data]) => ({ path: p, size: data.length, sha256: sha256(data) }))
    .sort((a, b) => (before.get(a.path) ?? 1e9) - (before.get(b.path) ?? 1e9));
  t.manifest?.(manifest);
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  return signedZip(entries, {
    signer: t.signer ?? ctx.signer,
    manifestText,
    ...(t.keepSignature === true ? { signature: signature.toString('latin1') } : {}),
  });
}

/** The name in `files` that ends with `suffix` (an app's data file). */
function named(files: Map<string, Buffer>, suffix: string): string {
  const name = [...files.keys()].find((n) => n.endsWith(suffix));
  if (name === undefined) throw new Error(`No ${suffix} in the base archive`);
  return name;
}

/** Appends NDJSON lines to the data file ending with `suffix`. */
function appendLines(files: Map<string, Buffer>, suffix: string, lines: readonly string[]) {
  const name = named(files, suffix);
  const before = files.get(name)?.toString('utf8') ?? '';
  files.set(name, Buffer.from(`${before}${lines.map((l) => `${l}\n`).join('')}`));
}

/** The first record of an NDJSON data file, to copy from. */
function firstRecord(files: Map<string, Buffer>, suffix: string): Record<string, unknown> {
  const line = files.get(named(files, suffix))?.toString('utf8').split('\n')[0];
  if (line === undefined || line === '') throw new Error(`${suffix} is empty in the base archive`);
  return JSON.parse(line) as Record<string, unknown>;
}

const uuid = (n: number) => `0192f0a0-0000-7000-8000-${String(900_000_000_000 + n)}`;

/** A workspace document added to the base: its bytes and its record, typed as `contentType`. */
function addDocument(
  files: Map<string, Buffer>,
  n: number,
  name: string,
  contentType: string,
  bytes: Buffer,
) {
  const record = firstRecord(files, '/documents.ndjson');
  const folder = path.posix.dirname(String(record.path));
  const at = `${folder}/${name}`;
  files.set(at, bytes);
  appendLines(files, '/documents.ndjson', [
    JSON.stringify({
      ...record,
      id: uuid(n),
      name,
      contentType,
      size: bytes.length,
      sha256: sha256(bytes),
      path: at,
      appSource: null,
      appResourceId: null,
      trashed: false,
      section: 'mine',
      folderId: null,
    }),
  ]);
}

const from = (
  fixture: Omit<AttackFixture, 'build'>,
  t: Tamper | (() => Tamper),
): AttackFixture => ({
  ...fixture,
  build: async (dir, ctx) =>
    write(dir, fixture.name, await tampered(ctx, typeof t === 'function' ? t() : t)),
});

/** Markup that runs script in a browser if served as a page or an image of this site. */
export const SVG_SCRIPT =
  '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.cookie)</script><circle r="4"/></svg>\n';
export const HTML_PAGE =
  '<!doctype html><html><body><script>fetch("/api/auth/me").then(r=>r.text()).then(alert)</script></body></html>\n';

const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

// ---- the corpus -------------------------------------------------------------------------------

const unsafe = { refused: 'archive_unsafe' } as const;
const invalid = { refused: 'archive_invalid' } as const;
const tooLarge = { refused: 'archive_too_large' } as const;
const corrupt = { refused: 'archive_corrupt' } as const;
const harmless = { analyzed: {} } as const;

export const ATTACK_CORPUS: readonly AttackFixture[] = [
  // Traversal, in every spelling an extractor may resolve.
  crafted(
    {
      name: 'traversal-dotdot',
      attack: 'an entry named ../ climbs out of the extraction folder',
      analysis: unsafe,
      verify: /^Unsafe entry \.\.\/evil\.txt: .*\(\.\.\)$/,
    },
    (signer) => signedZip([text('../evil.txt')], { signer }),
  ),
  crafted(
    {
      name: 'traversal-deep',
      attack: 'a name climbing out from inside an app folder',
      analysis: unsafe,
      verify: /^Unsafe entry Blog\/\.\.\/\.\.\/\.\.\/tmp\/evil\.html: /,
    },
    (signer) => signedZip([text('Blog/../../../tmp/evil.html')], { signer }),
  ),
  crafted(
    {
      name: 'traversal-backslash',
      attack: '..\\ climbs out on Windows',
      analysis: unsafe,
      verify: /^Unsafe entry \.\.\\\\evil\.txt: the name holds a backslash$/,
    },
    (signer) => signedZip([text('..\\evil.txt')], { signer }),
  ),
  crafted(
    {
      name: 'traversal-url-encoded',
      attack: '%2e%2e/ and ..%2f: a tool that URL-decodes names would climb out',
      // The import never decodes names nor writes entries to disk: a literal, harmless name.
      analysis: harmless,
      verify: 'ok',
    },
    (signer) =>
      signedZip([text('%2e%2e/%2e%2e/evil.txt'), text('..%2f..%2fevil.txt'), text('%2e%2e%5cx')], {
        signer,
      }),
  ),
  crafted(
    {
      name: 'traversal-overlong-utf8',
      attack: 'C0 AE is an overlong "." that lenient UTF-8 decoders turn into ..',
      analysis: unsafe,
      verify: /^Unsafe entry name .*: the name is not valid UTF-8$/,
    },
    (signer) =>
      signedZip(
        [
          {
            ...text('x.txt'),
            rawName: Buffer.concat([
              Buffer.from([0xc0, 0xae, 0xc0, 0xae]),
              Buffer.from('/evil.txt'),
            ]),
          },
        ],
        { signer },
      ),
  ),
  crafted(
    {
      name: 'absolute-path',
      attack: 'an absolute name writes anywhere',
      analysis: unsafe,
      verify: /^Unsafe entry \/tmp\/evil\.txt: the path is absolute$/,
    },
    (signer) => signedZip([text('/tmp/evil.txt')], { signer }),
  ),
  crafted(
    {
      name: 'drive-letter',
      attack: 'C:/ names a Windows drive',
      analysis: unsafe,
      verify: /^Unsafe entry C:\/Windows\/evil\.txt: the path starts with a drive letter$/,
    },
    (signer) => signedZip([text('C:/Windows/evil.txt')], { signer }),
  ),
  crafted(
    {
      name: 'drive-relative',
      attack: 'C:evil.txt is relative to the current folder of drive C',
      analysis: unsafe,
      verify: /^Unsafe entry C:evil\.txt: the path starts with a drive letter$/,
    },
    (signer) => signedZip([text('C:evil.txt')], { signer }),
  ),
  crafted(
    {
      name: 'unc-path',
      attack: '\\\\host\\share names a network share on Windows',
      analysis: unsafe,
      verify: /^Unsafe entry \\\\\\\\host\\\\share\\\\evil\.txt: the name holds a backslash$/,
    },
    (signer) => signedZip([text('\\\\host\\share\\evil.txt')], { signer }),
  ),
  crafted(
    {
      name: 'unc-slashes',
      attack: '//host/share is a UNC path to Windows APIs that take slashes',
      analysis: unsafe,
      verify: /^Unsafe entry \/\/host\/share\/evil\.txt: the path is absolute$/,
    },
    (signer) => signedZip([text('//host/share/evil.txt')], { signer }),
  ),
  // Links and special files (Unix mode bits in the external attributes).
  crafted(
    {
      name: 'symlink',
      attack: 'a symbolic link to /etc/passwd, then a file written through it',
      analysis: unsafe,
      verify: /^Unsafe entry lien: a symbolic link$/,
    },
    (signer) =>
      signedZip([{ name: 'lien', data: '/etc/passwd', mode: 0o120777 }, text('lien/x')], {
        signer,
      }),
  ),
  crafted(
    {
      name: 'symlink-dir',
      attack: 'a folder entry that is a symbolic link to /',
      analysis: unsafe,
      verify: /^Unsafe entry racine\/: a symbolic link$/,
    },
    (signer) => signedZip([{ name: 'racine/', mode: 0o120777 }], { signer }),
  ),
  crafted(
    {
      name: 'hard-link',
      // Zip has no hard-link entry: two names for one data is its hard link (a tar-like
      // extractor would link them); and a device file is the other non-regular kind.
      attack: 'two central entries share one local header and its data',
      analysis: unsafe,
      verify: /^Entry (a|b)\.txt overlaps entry (a|b)\.txt$/,
    },
    (signer) =>
      signedZip([text('a.txt'), { ...text('b.txt'), sameLocalAs: 'a.txt' }], {
        signer,
        files: [
          { path: 'a.txt', size: 18, sha256: sha256('Contenu de a.txt\n') },
          { path: 'b.txt', size: 18, sha256: sha256('Contenu de b.txt\n') },
        ],
      }),
  ),
  crafted(
    {
      name: 'device-file',
      attack: 'a character device entry (mode 020644)',
      analysis: unsafe,
      verify: /^Unsafe entry tty: a special file \(device, pipe or socket\)$/,
    },
    (signer) => signedZip([{ name: 'tty', data: '', mode: 0o020644 }], { signer }),
  ),
  // Names that are one on Windows or macOS.
  crafted(
    {
      name: 'duplicate-exact',
      attack: 'one name twice: which one an extractor keeps depends on the tool',
      analysis: unsafe,
      verify: /^Unsafe entry a\.txt: a duplicate name$/,
    },
    (signer) => signedZip([text('a.txt'), text('a.txt', 'autre')], { signer }),
  ),
  crafted(
    {
      name: 'duplicate-case',
      attack: 'Photo.txt and photo.txt overwrite each other on Windows and macOS',
      // The import extracts nothing: two documents; verify warns whoever unzips it.
      analysis: harmless,
      verify: /^One name on Windows and macOS: Photo\.txt and photo\.txt$/,
    },
    (signer) => signedZip([text('Photo.txt'), text('photo.txt', 'autre')], { signer }),
  ),
  crafted(
    {
      name: 'duplicate-normalisation',
      attack: 'café in NFC and in NFD are one name on macOS',
      analysis: harmless,
      verify: /^One name on Windows and macOS: caf\S+\.txt and caf\S+\.txt$/,
    },
    (signer) =>
      signedZip([text('café.txt'.normalize('NFC')), text('café.txt'.normalize('NFD'), 'autre')], {
        signer,
      }),
  ),
  // Bombs.
  crafted(
    {
      name: 'nested-bomb',
      attack: '42.zip: zips of zips, 16 × 16 × 4 GiB of zeros once all unpacked',
      // A zip inside is a file like any other: never opened, so nothing to inflate.
      analysis: harmless,
      verify: 'ok',
      bomb: true,
    },
    (signer) => signedZip([{ name: 'Documents/42.zip', data: nestedBomb() }], { signer }),
  ),
  crafted(
    {
      name: 'ratio-bomb',
      attack: 'one entry of 4 GiB of zeros in 4 MB',
      analysis: tooLarge,
      verify: /^Entry zeros\.bin inflates \d+ times \(at most 200\): a zip bomb\?$/,
      bomb: true,
    },
    (signer) => {
      const size = 4095 * MiB;
      return signedZip(
        [{ name: 'zeros.bin', compressed: zerosDeflated(4095), size, crc: crc32OfZeros(4095) }],
        { signer, files: [{ path: 'zeros.bin', size, sha256: '0'.repeat(64) }] },
      );
    },
  ),
  crafted(
    {
      name: 'lying-size-bomb',
      attack: 'declares 1 MiB (no ratio to see) and inflates to 4 GiB',
      analysis: tooLarge,
      verify: /^Entry petit\.bin inflates to more than its declared 1048576 bytes: a zip bomb\?$/,
      bomb: true,
    },
    (signer) =>
      signedZip([{ name: 'petit.bin', compressed: zerosDeflated(4095), size: MiB }], {
        signer,
        files: [{ path: 'petit.bin', size: MiB, sha256: sha256(Buffer.alloc(MiB)) }],
      }),
  ),
  {
    name: 'million-entries',
    attack: '1,000,000 empty entries: memory and time of whoever lists them',
    analysis: tooLarge,
    verify: /^The zip has 1000000 entries \(at most 200000\)$/,
    bomb: true,
    build: async (dir) => {
      const file = path.join(dir, 'million-entries.zip');
      await writeManyEntries(file, 1_000_000);
      return file;
    },
  },
  // Lies of the zip's structure.
  crafted(
    {
      name: 'central-size-lie',
      attack: 'both headers declare 100 bytes for 30 real ones',
      analysis: corrupt,
      verify: /^Entry a\.txt holds 17 bytes, not the declared 100$/,
    },
    (signer) => signedZip([{ ...text('a.txt'), size: 100 }], { signer }),
  ),
  crafted(
    {
      name: 'local-size-differs',
      attack: 'the local header gives another size than the central directory',
      analysis: unsafe,
      verify: /^The local header of a\.txt differs from its central entry: size$/,
    },
    (signer) => signedZip([{ ...text('a.txt'), localSize: 5 }], { signer }),
  ),
  crafted(
    {
      name: 'local-name-differs',
      attack: 'the local header names ../../../../tmp/evil.html, the central directory a.html',
      analysis: unsafe,
      verify: /^The local header of a\.html differs from its central entry: name$/,
    },
    (signer) =>
      signedZip([{ ...text('a.html'), localName: '../../../../tmp/evil.html' }], { signer }),
  ),
  crafted(
    {
      name: 'local-crc-differs',
      attack: 'the local header gives another CRC-32',
      analysis: unsafe,
      verify: /^The local header of a\.txt differs from its central entry: CRC-32$/,
    },
    (signer) => signedZip([{ ...text('a.txt'), localCrc: 0xdeadbeef }], { signer }),
  ),
  crafted(
    {
      name: 'overlapping-entries',
      attack: "b.txt's local header and data sit inside a.txt's data",
      analysis: unsafe,
      verify: /^Entry b\.txt overlaps entry a\.txt$/,
    },
    (signer) => overlapping(signer),
  ),
  crafted(
    {
      name: 'data-before-first-entry',
      attack: 'a script before the first entry (a zip that is also a shell script)',
      analysis: unsafe,
      verify: /^\d+ bytes of data before the first entry \(a\.txt\)$/,
    },
    (signer) => signedZip([text('a.txt')], { signer, prefix: Buffer.from('#!/bin/sh\nexit 0\n') }),
  ),
  crafted(
    {
      name: 'folder-with-data',
      attack: 'a folder entry holding bytes no check reads',
      analysis: unsafe,
      verify: /^Unsafe entry dossier\/: a folder entry with data$/,
    },
    (signer) => signedZip([{ name: 'dossier/', data: 'caché' }, text('a.txt')], { signer }),
  ),
  crafted(
    {
      name: 'zip-comment',
      attack: 'a zip comment: bytes that no check covers',
      // The import reads no comment; verify accounts for every byte.
      analysis: harmless,
      verify: /^The zip has a comment of 16 bytes that no check covers$/,
    },
    (signer) => signedZip([text('a.txt')], { signer, comment: 'charge cachée !!' }),
  ),
  crafted(
    {
      name: 'manifest-bad-crc',
      attack: 'manifest.json whose CRC-32 is wrong in both headers',
      analysis: corrupt,
      verify: /^CRC-32 mismatch: manifest\.json$/,
    },
    (signer) =>
      craftZip(
        signedEntries([text('a.txt')], { signer }).map((e) =>
          e.name === MANIFEST ? { ...e, crc: 0x12345678 } : e,
        ),
      ),
  ),
  // The manifest.
  crafted(
    {
      name: 'manifest-lists-twice',
      attack: 'the manifest lists one file twice',
      analysis: invalid,
      verify: /^manifest\.json lists a\.txt twice$/,
    },
    (signer) => {
      const f = { path: 'a.txt', size: 17, sha256: sha256('Contenu de a.txt\n') };
      return signedZip([text('a.txt')], { signer, files: [f, f] });
    },
  ),
  crafted(
    {
      name: 'huge-manifest',
      attack: 'a 65 MiB manifest, to be read whole',
      analysis: tooLarge,
      verify: /^manifest\.json is \d+ bytes \(at most 67108864\)$/,
      bomb: true,
    },
    (signer) => {
      const m = manifestOf(
        [{ path: 'a.txt', size: 17, sha256: sha256('Contenu de a.txt\n') }],
        signer,
      );
      const padding = 'x'.repeat(65 * MiB);
      return signedZip([text('a.txt')], {
        signer,
        manifestText: JSON.stringify({ ...m, padding }),
        storeManifest: true,
      });
    },
  ),
  crafted(
    {
      name: 'manifest-deep-json',
      attack: 'JSON nested 100,000 deep: recursive parsers and printers overflow their stack',
      analysis: invalid,
      verify: /^manifest\.json is not valid: /,
      bomb: true,
    },
    (signer) =>
      signedZip([text('a.txt')], {
        signer,
        manifestText: JSON.stringify(manifestOf([], signer)).replace(
          '"apps":{}',
          `"apps":{},"x":${deep(100_000)}`,
        ),
      }),
  ),
  crafted(
    {
      name: 'manifest-proto',
      attack: '__proto__ in the manifest: prototype pollution once merged',
      analysis: invalid,
      verify: /^manifest\.json: user\.__proto__: forbidden key$/,
    },
    (signer) =>
      signedZip([], {
        signer,
        manifestText: JSON.stringify(manifestOf([], signer)).replace(
          '"user":{',
          '"user":{"__proto__":{"isAdmin":true},',
        ),
      }),
  ),
  crafted(
    {
      name: 'manifest-constructor',
      attack: 'constructor.prototype in the manifest',
      analysis: invalid,
      verify: /^manifest\.json: apps\.constructor: forbidden key$/,
    },
    (signer) =>
      signedZip([], {
        signer,
        manifestText: JSON.stringify(manifestOf([], signer)).replace(
          '"apps":{}',
          '"apps":{"constructor":{"prototype":{"isAdmin":true}}}',
        ),
      }),
  ),
  crafted(
    {
      name: 'manifest-infinity',
      attack: '1e999 parses to Infinity: a size no check can compare',
      analysis: invalid,
      verify: /^manifest\.json is not valid: files\.0\.size: /,
    },
    (signer) =>
      signedZip([text('a.txt')], {
        signer,
        manifestText: JSON.stringify(
          manifestOf([{ path: 'a.txt', size: 17, sha256: sha256('Contenu de a.txt\n') }], signer),
        ).replace('"size":17', '"size":1e999'),
      }),
  ),
  crafted(
    {
      name: 'manifest-nan',
      attack: 'NaN where a number goes (not JSON, but some parsers take it)',
      analysis: invalid,
      verify: /^manifest\.json: \(record\): not valid JSON/,
    },
    (signer) =>
      signedZip([text('a.txt')], {
        signer,
        manifestText: JSON.stringify(
          manifestOf([{ path: 'a.txt', size: 17, sha256: sha256('Contenu de a.txt\n') }], signer),
        ).replace('"size":17', '"size":NaN'),
      }),
  ),
  crafted(
    {
      name: 'manifest-invalid-utf8',
      attack: 'bytes that are not UTF-8 in the manifest: each decoder reads them its way',
      analysis: invalid,
      verify: /^manifest\.json:? .*not valid UTF-8$/,
    },
    (signer) => {
      const json = JSON.stringify(manifestOf([], signer));
      const at = json.indexOf('Fixture');
      const bytes = Buffer.concat([
        Buffer.from(json.slice(0, at)),
        Buffer.from([0xff, 0xfe, 0xc0, 0xaf]),
        Buffer.from(json.slice(at)),
      ]);
      return signedZip([], { signer, manifestText: bytes });
    },
  ),
  // A valid export, tampered with.
  from(
    {
      name: 'record-deep-json',
      attack: 'a post nested 100,000 deep',
      analysis: { analyzed: { blog: 'records_invalid', workspace: true } },
      verify: /^Blog\/posts\.ndjson:\d+: /,
      bomb: true,
    },
    { files: (f) => appendLines(f, 'Blog/posts.ndjson', [deep(100_000)]) },
  ),
  from(
    {
      name: 'record-proto',
      attack: '__proto__ and constructor keys in a post',
      analysis: { analyzed: { blog: 'records_invalid', workspace: true } },
      verify: /^Blog\/posts\.ndjson:\d+: __proto__: forbidden key$/,
    },
    {
      files: (f) => {
        const post = firstRecord(f, 'Blog/posts.ndjson');
        appendLines(f, 'Blog/posts.ndjson', [
          JSON.stringify({ ...post, id: uuid(1) }).replace(/^\{/, '{"__proto__":{"isAdmin":true},'),
        ]);
      },
    },
  ),
  from(
    {
      name: 'record-infinity',
      attack: 'a document whose size is 1e999 (Infinity)',
      analysis: { analyzed: { workspace: 'records_invalid' } },
      verify: /^Espace documentaire\/documents\.ndjson:\d+: size: /,
    },
    {
      files: (f) => {
        const doc = firstRecord(f, '/documents.ndjson');
        appendLines(f, '/documents.ndjson', [
          JSON.stringify({ ...doc, id: uuid(2), size: 17 }).replace('"size":17', '"size":1e999'),
        ]);
      },
    },
  ),
  from(
    {
      name: 'record-invalid-utf8',
      attack: 'a post title whose bytes are not UTF-8',
      analysis: { analyzed: { blog: 'records_invalid', workspace: true } },
      verify: /^Blog\/posts\.ndjson:\d+: \(record\): not valid UTF-8$/,
    },
    {
      files: (f) => {
        const post = firstRecord(f, 'Blog/posts.ndjson');
        const line = JSON.stringify({ ...post, id: uuid(3), title: 'TITLE' });
        const at = line.indexOf('TITLE');
        const name = named(f, 'Blog/posts.ndjson');
        f.set(
          name,
          Buffer.concat([
            f.get(name) ?? Buffer.alloc(0),
            Buffer.from(line.slice(0, at)),
            Buffer.from([0xc0, 0xbc, 0x73, 0xff]),
            Buffer.from(`${line.slice(at + 5)}\n`),
          ]),
        );
      },
    },
  ),
  from(
    {
      name: 'xss-post',
      attack: 'posts whose content and title are the XSS payload list',
      analysis: { analyzed: { blog: true, workspace: true } },
      verify: 'ok',
      neutralised: 'xss-post',
    },
    {
      files: (f) => {
        const post = firstRecord(f, 'Blog/posts.ndjson');
        appendLines(
          f,
          'Blog/posts.ndjson',
          XSS_PAYLOADS.map((payload, i) =>
            JSON.stringify({ ...post, id: uuid(100 + i), title: payload, content: payload }),
          ),
        );
      },
    },
  ),
  from(
    {
      name: 'svg-script',
      attack: 'an SVG document that runs script when opened from this site',
      analysis: { analyzed: { blog: true, workspace: true } },
      verify: 'ok',
      neutralised: 'svg-script',
    },
    { files: (f) => addDocument(f, 4, 'dessin.svg', 'image/svg+xml', Buffer.from(SVG_SCRIPT)) },
  ),
  from(
    {
      name: 'html-as-png',
      attack: 'an HTML page named .png and typed image/png, to be sniffed as HTML',
      analysis: { analyzed: { blog: true, workspace: true } },
      verify: 'ok',
      neutralised: 'html-as-png',
    },
    { files: (f) => addDocument(f, 5, 'page.png', 'image/png', Buffer.from(HTML_PAGE)) },
  ),
  from(
    {
      name: 'untrusted-signature',
      attack: 'an archive changed and signed again by a key nobody trusts',
      analysis: { refused: 'archive_untrusted' },
      verify: /^Signed by an unknown key \([^)]+\): add it with "mes-donnees keys trust"$/,
    },
    () => ({
      signer: STRANGER_KEY,
      files: (f) => addDocument(f, 6, 'note.txt', 'text/plain', Buffer.from('changé\n')),
      manifest: (m) => {
        m.instance = { ...(m.instance as object), publicKeyId: STRANGER_KEY.id };
      },
    }),
  ),
  from(
    {
      name: 'forged-key-id',
      attack: 'signed by an unknown key, the manifest naming the trusted key',
      analysis: { refused: 'archive_signature_invalid' },
      verify: /^The signature of manifest\.json does not verify with the trusted key /,
    },
    () => ({
      signer: STRANGER_KEY,
      files: (f) => addDocument(f, 8, 'note.txt', 'text/plain', Buffer.from('changé\n')),
    }),
  ),
  from(
    {
      name: 'replayed-signature',
      attack: 'a file changed, the manifest updated, the old signature kept',
      analysis: { refused: 'archive_signature_invalid' },
      verify: /^The signature of manifest\.json does not verify with the trusted key /,
    },
    {
      keepSignature: true,
      files: (f) => addDocument(f, 7, 'note.txt', 'text/plain', Buffer.from('changé\n')),
    },
  ),
  from(
    {
      name: 'replayed-manifest',
      attack: 'a file changed, the old manifest and signature kept',
      analysis: corrupt,
      verify: /^SHA-256 mismatch: Blog\/posts\.ndjson$/,
    },
    {
      keepManifest: true,
      files: (f) => {
        const name = named(f, 'Blog/posts.ndjson');
        const bytes = Buffer.from(f.get(name) ?? Buffer.alloc(0));
        const at = bytes.indexOf('Sortie');
        if (at >= 0) bytes.write('Pirate', at);
        f.set(name, bytes);
      },
    },
  ),
];

/** a.txt (stored) holds b.txt's local header and data; b's central entry points inside it. */
function overlapping(signer: Signer): Buffer {
  const b = craftZip([text('b.txt')]);
  const inner = b.subarray(0, b.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])));
  const zip = signedZip([{ name: 'a.txt', data: inner }, text('b.txt')], { signer });
  // Point b.txt's central entry at the copy inside a.txt: 30 + "a.txt" past a's header.
  const central = zip.indexOf(Buffer.concat([Buffer.from([0x50, 0x4b, 0x01, 0x02])]));
  const bCentral = zip.indexOf(Buffer.from('b.txt'), central) - 46;
  zip.writeUInt32LE(30 + 'a.txt'.length, bCentral + 42);
  return zip;
}

/** Builds every fixture of the corpus in `dir`: the file of each, by name. */
export async function buildAttackCorpus(
  dir: string,
  ctx: CorpusContext,
  only?: (f: AttackFixture) => boolean,
): Promise<Map<string, string>> {
  await fs.mkdir(dir, { recursive: true });
  const out = new Map<string, string>();
  for (const f of ATTACK_CORPUS)
    if (only === undefined || only(f)) out.set(f.name, await f.build(dir, ctx));
  return out;
}

async function main(argv: string[]): Promise<void> {
  const [dir, ...rest] = argv;
  const option = (name: string) => {
    const at = rest.indexOf(name);
    return at < 0 ? undefined : rest[at + 1];
  };
  if (dir === undefined || dir.startsWith('-')) {
    process.stderr.write(
      'usage: npx node scripts/attack-corpus.ts <dir> [--base export.zip --key instance.key]\n',
    );
    process.exitCode = 2;
    return;
  }
  await fs.mkdir(dir, { recursive: true });
  const keyFile = option('--key');
  // The base must be signed by this key: the replays keep its signature.
  const signer = keyFile === undefined ? makeKey() : await loadOrCreateInstanceKey(keyFile);
  const base = option('--base') ?? (await writeBaseArchive(path.join(dir, 'base.zip'), signer));
  const files = await buildAttackCorpus(dir, { signer, base });
  for (const f of ATTACK_CORPUS) {
    const expected =
      'refused' in f.analysis ? `refused ${f.analysis.refused}` : (f.neutralised ?? 'analysed');
    process.stdout.write(`${f.name}\t${expected}\t${files.get(f.name) ?? ''}\n`);
  }
  if (keyFile === undefined)
    process.stdout.write(`Signed with a fresh key ${signer.id}: trust it to analyse them.\n`);
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) await main(process.argv.slice(2));
