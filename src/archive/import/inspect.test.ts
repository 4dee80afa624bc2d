import { createPublicKey, randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  FIXTURE_KEY,
  HOSTILE_ARCHIVES,
  SOUND_ARCHIVES,
  craftZip,
  signedZip,
} from '../../../test/fixtures/hostile-archives.ts';
import { loadOrCreateInstanceKey, type InstanceKey, type TrustedKey } from '../keys.ts';
import { recordFile, recordId } from '../records.ts';
import { DEFAULT_INSPECT_LIMITS, inspectArchive, type InspectLimits } from './inspect.ts';
import {
  ARCHIVE_TEST_USER as user,
  testBlogAdapter,
  writeTestArchive,
} from '../../../test/support/test-archive.ts';

const blogs = recordFile(
  'blogs.json',
  'json',
  z.array(z.strictObject({ id: recordId(), title: z.string() })),
  'The blogs.',
);
const posts = recordFile(
  'posts.ndjson',
  'ndjson',
  z.strictObject({ id: recordId(), title: z.string() }),
  'The posts.',
);
/** Incompressible: stored, like a real photo. */
const photo = randomBytes(300_000);

let dir: string;
let key: InstanceKey;
let trusted: TrustedKey[];
let genuine: string;

/** An archive as our export writes it: deflated JSON, NDJSON streamed with data descriptors, a stored file. */
async function buildGenuine(file: string): Promise<void> {
  const adapter = testBlogAdapter({
    records: [blogs, posts],
    count: async () => ({ items: 3, bytes: photo.length }),
    async export(_ctx, out) {
      await out.json(blogs, [{ id: 'b1', title: 'Le blog de la classe' }]);
      async function* rows() {
        for (let i = 0; i < 500; i++) yield { id: `p${i}`, title: `Sortie n°${i}` };
      }
      await out.ndjson(posts, rows());
      await out.file(`${out.folder}/Images`, 'photo.jpg', Readable.from([photo]), {
        size: photo.length,
        contentType: 'image/jpeg',
      });
      return { items: 3, bytes: photo.length };
    },
  });
  await writeTestArchive(file, { exportId: 'e1', user, adapters: [adapter], key });
}

const inspect = (file: string, keys = trusted, limits: InspectLimits = DEFAULT_INSPECT_LIMITS) =>
  inspectArchive(file, { trusted: keys, limits });

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'md-inspect-'));
  key = await loadOrCreateInstanceKey(path.join(dir, 'instance.key'));
  trusted = [
    { id: key.id, publicKey: createPublicKey(key.publicKeyPem), source: 'this instance' },
    FIXTURE_KEY.trusted,
  ];
  genuine = path.join(dir, 'genuine.zip');
  await buildGenuine(genuine);
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('an archive from our own export', () => {
  it('passes, signed by a trusted key, with its manifest, entries and bytes', async () => {
    const result = await inspect(genuine);
    expect(result).toMatchObject({
      ok: true,
      format: 'mes-donnees',
      signature: { state: 'trusted', keyId: key.id },
      manifest: { user: { login: 'prof' }, apps: { blog: { items: 3 } } },
    });
    if (!result.ok || result.format !== 'mes-donnees') return;
    // The blog's two data files, the photo, index.html, manifest.json, manifest.sig.
    expect(result.entries).toBe(6);
    expect(result.manifest.files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['Blog/posts.ndjson', 'Blog/Images/photo.jpg']),
    );
    const sizes = result.manifest.files.reduce((sum, f) => sum + f.size, 0);
    expect(result.totalBytes).toBeGreaterThan(sizes);
  });

  it('is signed by an unknown key when no key is trusted', async () => {
    expect(await inspect(genuine, [])).toMatchObject({
      ok: true,
      signature: { state: 'untrusted', keyId: key.id },
    });
  });

  it('is refused when one byte of a stored document changed', async () => {
    const bytes = await fsp.readFile(genuine);
    const at = bytes.indexOf(photo.subarray(1000, 1032));
    expect(at).toBeGreaterThan(0);
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    const file = path.join(dir, 'flipped.zip');
    await fsp.writeFile(file, bytes);
    expect(await inspect(file)).toEqual({
      ok: false,
      code: 'archive_corrupt',
      message: 'CRC-32 mismatch: Blog/Images/photo.jpg',
    });
  });

  it('is refused beyond the limits', async () => {
    const tight = (l: Partial<InspectLimits>) =>
      inspect(genuine, trusted, { ...DEFAULT_INSPECT_LIMITS, ...l });
    expect(await tight({ maxEntries: 5 })).toMatchObject({
      code: 'archive_too_large',
      message: 'The zip has 6 entries (at most 5)',
    });
    expect(await tight({ maxEntryBytes: 200_000 })).toMatchObject({
      code: 'archive_too_large',
      message: 'Entry Blog/Images/photo.jpg is 300000 bytes (at most 200000)',
    });
    expect(await tight({ maxTotalBytes: 300_000 })).toMatchObject({ code: 'archive_too_large' });
  });

  it('stops when its signal aborts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(
      inspectArchive(genuine, {
        trusted,
        limits: DEFAULT_INSPECT_LIMITS,
        signal: controller.signal,
      }),
    ).rejects.toThrow('cancelled');
  });
});

describe('other sound archives', () => {
  it('says an archive without manifest.sig is unsigned', async () => {
    expect(await inspect(await SOUND_ARCHIVES.unsigned.build(dir))).toMatchObject({
      ok: true,
      signature: { state: 'unsigned' },
    });
  });

  it('says an archive signed by another instance is untrusted, with its key id', async () => {
    const result = await inspect(await SOUND_ARCHIVES.untrusted.build(dir));
    expect(result).toMatchObject({ ok: true, signature: { state: 'untrusted' } });
    if (result.ok && result.format === 'mes-donnees')
      expect(result.signature).toEqual({
        state: 'untrusted',
        keyId: result.manifest.instance.publicKeyId,
      });
  });

  it('reads ZIP64 end records and 64-bit data descriptors (yazl forced to ZIP64)', async () => {
    expect(await inspect(await SOUND_ARCHIVES.zip64.build(dir))).toMatchObject({
      ok: true,
      format: 'mes-donnees',
      signature: { state: 'trusted', keyId: FIXTURE_KEY.id },
      entries: 4,
    });
  });

  it('recognises an Open ENT NG archive by its root folder and Manifest.json', async () => {
    expect(await inspect(await SOUND_ARCHIVES.openEntNg.build(dir))).toMatchObject({
      ok: true,
      format: 'open-ent-ng',
      root: '1725000000000_0b5c9e5a',
      modules: [
        { key: 'org.entcore.workspace', version: '6.14.18', folder: 'Espace documentaire' },
      ],
      // Its archive.signature signs nothing.
      signature: { state: 'unsigned' },
    });
  });

  it('does not take a root Manifest.json without org.entcore keys for Open ENT NG', async () => {
    const file = path.join(dir, 'not-entng.zip');
    await fsp.writeFile(file, craftZip([{ name: 'r/Manifest.json', data: '{"a":1}' }]));
    expect(await inspect(file)).toMatchObject({ ok: false, code: 'archive_invalid' });
  });

  it('passes a trusted archive whose manifest names another key id', async () => {
    // What a trusted key signed holds, whatever the manifest says of its signer.
    const file = path.join(dir, 'renamed-key.zip');
    const signer = { id: 'another-id', sign: (bytes: Uint8Array) => FIXTURE_KEY.sign(bytes) };
    await fsp.writeFile(file, signedZip([{ name: 'a.txt', data: 'a' }], { signer }));
    expect(await inspect(file)).toMatchObject({
      ok: true,
      signature: { state: 'trusted', keyId: FIXTURE_KEY.id },
    });
  });
});

describe('large entries, streamed', () => {
  // 20 MiB of zeros: over the size read whole, so inflated as a stream with its byte cap.
  const zeros = Buffer.alloc(20 * 1024 * 1024);
  const compressed = deflateRawSync(zeros);
  const lenient = { ...DEFAULT_INSPECT_LIMITS, maxRatio: 1_000_000 };

  it('checks a large entry whole', async () => {
    const file = path.join(dir, 'large.zip');
    await fsp.writeFile(file, signedZip([{ name: 'zeros.bin', data: zeros, compressed }]));
    expect(await inspect(file, trusted, lenient)).toMatchObject({
      ok: true,
      signature: { state: 'trusted', keyId: FIXTURE_KEY.id },
    });
  });

  it('reads a large stored entry in chunks, checking its CRC-32 over them all', async () => {
    const video = randomBytes(3 * 1024 * 1024);
    const bytes = signedZip([{ name: 'video.mp4', data: video }]);
    const file = path.join(dir, 'stored.zip');
    await fsp.writeFile(file, bytes);
    expect(await inspect(file)).toMatchObject({ ok: true });
    // The last byte: read in the last chunk.
    const at = bytes.indexOf(video.subarray(-32)) + 31;
    bytes[at] = (bytes[at] ?? 0) ^ 1;
    await fsp.writeFile(file, bytes);
    expect(await inspect(file)).toMatchObject({
      code: 'archive_corrupt',
      message: 'CRC-32 mismatch: video.mp4',
    });
  });

  it('stops a large entry at its declared size when it inflates to more', async () => {
    const declared = 17 * 1024 * 1024;
    const file = path.join(dir, 'large-bomb.zip');
    await fsp.writeFile(
      file,
      signedZip([{ name: 'zeros.bin', compressed, size: declared }], {
        files: [{ path: 'zeros.bin', size: declared, sha256: '0'.repeat(64) }],
      }),
    );
    expect(await inspect(file, trusted, lenient)).toEqual({
      ok: false,
      code: 'archive_too_large',
      message: `Entry zeros.bin inflates to more than its declared ${declared} bytes: a zip bomb?`,
    });
  });
});

describe('hostile archives', () => {
  it.each(HOSTILE_ARCHIVES.map((h) => [h.name, h] as const))(
    'refuses %s',
    async (_name, hostile) => {
      const result = await inspect(await hostile.build(dir));
      expect(result).toMatchObject({ ok: false, code: hostile.code });
      if (result.ok) return;
      expect(result.message).toMatch(hostile.message);
      expect(result.message).not.toMatch(/\n/);
    },
  );
});
