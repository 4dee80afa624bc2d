import { createPublicKey } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadOrCreateInstanceKey, type InstanceKey, type TrustedKey } from './keys.ts';
import { isoDate, recordFile, recordId, ref } from './records.ts';
import { verifyArchive } from './verify.ts';
import type { AppRecords } from './verify-records.ts';
import {
  ARCHIVE_TEST_USER as user,
  testBlogAdapter,
  writeTestArchive,
} from '../../test/support/test-archive.ts';
import {
  HOSTILE_ARCHIVES,
  signedZip,
  SOUND_ARCHIVES,
} from '../../test/fixtures/hostile-archives.ts';

// The blog's files as its schemas say them (a subset of the real ones is enough here).
const blogs = recordFile(
  'blogs.json',
  'json',
  z.array(
    z.strictObject({
      id: recordId(),
      title: z.string(),
      thumbnailId: ref('workspace/document').nullable(),
    }),
  ),
  'The blogs.',
);
const posts = recordFile(
  'posts.ndjson',
  'ndjson',
  z.strictObject({ id: recordId(), blogId: recordId(), title: z.string(), createdAt: isoDate() }),
  'The posts.',
);
const blogRecords: AppRecords = { app: 'blog', dataVersion: 1, records: [blogs, posts] };

// The same files, written without their schema: what a buggy or forged export could hold.
const loose = <K extends 'json' | 'ndjson'>(name: string, kind: K) =>
  recordFile(name, kind, z.unknown(), 'unchecked');

let dir: string;
let key: InstanceKey;
let trusted: TrustedKey[];

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'md-verify-'));
  key = await loadOrCreateInstanceKey(path.join(dir, 'instance.key'));
  trusted = [{ id: key.id, publicKey: createPublicKey(key.publicKeyPem), source: 'test' }];
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

/** A correctly signed archive whose blog wrote these values, unchecked (a string: raw NDJSON). */
async function archiveWith(
  name: string,
  blogJson: unknown,
  postLines: readonly unknown[] | string,
) {
  const adapter = testBlogAdapter({
    count: async () => ({ items: postLines.length, bytes: 0 }),
    async export(_ctx, out) {
      await out.json(loose('blogs.json', 'json'), blogJson);
      if (typeof postLines === 'string') {
        await out.text(out.folder, 'posts.ndjson', postLines, 'application/x-ndjson');
      } else {
        async function* rows() {
          yield* postLines;
        }
        await out.ndjson(loose('posts.ndjson', 'ndjson'), rows());
      }
      return { items: postLines.length, bytes: 0 };
    },
  });
  const file = path.join(dir, name);
  await writeTestArchive(file, { exportId: name, user, adapters: [adapter], key });
  return file;
}

const post = (id: string, title: unknown) => ({
  id,
  blogId: 'b1',
  title,
  createdAt: '2026-09-01T08:00:00.000Z',
});
const blog = { id: 'b1', title: 'Le blog de la classe', thumbnailId: null };

describe('verify checks every record against its schema', () => {
  it('accepts records that hold to their schemas, and counts them', async () => {
    const file = await archiveWith(
      'good.zip',
      [blog],
      [post('p1', 'Sortie'), post('p2', 'Retour')],
    );
    const result = await verifyArchive(file, trusted, { apps: [blogRecords] });
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.records).toBe(3);
  });

  it('refuses a correctly signed archive whose post has a number for a title, naming file, line and field', async () => {
    const file = await archiveWith('bad.zip', [blog], [post('p1', 'Sortie'), post('p2', 42)]);
    // Without the schemas the archive is sound: signed, every hash right.
    expect((await verifyArchive(file, trusted)).ok).toBe(true);
    const result = await verifyArchive(file, trusted, { apps: [blogRecords] });
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      expect.stringMatching(/^Blog\/posts\.ndjson:2: title: .*expected string, received number/),
    ]);
  });

  it('names the field of a JSON file, and a line that is not JSON', async () => {
    const file = await archiveWith(
      'fields.zip',
      [blog, { ...blog, id: 'b2', thumbnailId: '', extra: 1 }],
      `${JSON.stringify(post('p1', 'Sortie'))}\n{not json\n"a string"\n`,
    );
    const result = await verifyArchive(file, trusted, { apps: [blogRecords] });
    expect(result.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Blog\/blogs\.json: 1\.thumbnailId: /),
        expect.stringMatching(/^Blog\/blogs\.json: 1: .*extra/),
        expect.stringMatching(/^Blog\/posts\.ndjson:2: \(record\): not valid JSON/),
        expect.stringMatching(/^Blog\/posts\.ndjson:3: \(record\): .*expected object/),
      ]),
    );
  });

  it('refuses prototype keys wherever they are', async () => {
    const file = await archiveWith(
      'proto.zip',
      JSON.parse('[{"id":"b1","title":"t","thumbnailId":null,"__proto__":{"admin":true}}]'),
      [
        JSON.parse(
          '{"id":"p1","blogId":"b1","title":"t","createdAt":"2026-09-01T08:00:00.000Z","constructor":{}}',
        ),
      ],
    );
    const result = await verifyArchive(file, trusted, { apps: [blogRecords] });
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      'Blog/blogs.json: 0.__proto__: forbidden key',
      'Blog/posts.ndjson:1: constructor: forbidden key',
    ]);
  });

  it('leaves an archive of another data version unchecked, and says so', async () => {
    const file = await archiveWith('v2.zip', [blog], [post('p1', 42)]);
    const result = await verifyArchive(file, trusted, {
      apps: [{ ...blogRecords, dataVersion: 2 }],
    });
    expect(result.ok).toBe(true);
    expect(result.notes).toEqual([expect.stringContaining('blog: records not checked')]);
  });
});

describe('data files keep their names', () => {
  it('gives a user folder named like a data file another name, never the data file', async () => {
    const adapter = testBlogAdapter({
      records: [blogs, posts],
      count: async () => ({ items: 1, bytes: 0 }),
      async export(_ctx, out) {
        // A blog titled "posts.ndjson": its page folder comes before the data files.
        await out.text(`${out.folder}/posts.ndjson`, 'Sortie.html', '<p>x</p>', 'text/html');
        await out.json(blogs, [blog]);
        async function* rows() {
          yield { ...post('p1', 'Sortie'), title: 'Sortie' };
        }
        await out.ndjson(posts, rows());
        return { items: 1, bytes: 0 };
      },
    });
    const file = path.join(dir, 'kept.zip');
    await writeTestArchive(file, { exportId: 'kept', user, adapters: [adapter], key });
    const result = await verifyArchive(file, trusted, { apps: [blogRecords] });
    expect(result.problems).toEqual([]);
    expect(result.records).toBe(2);
  });
});

describe('verify reuses the import analysis, and asks more', () => {
  /** The zip with a comment after its end record (the crafted zips have none). */
  const withComment = (zip: Buffer, comment: string): Buffer => {
    const bytes = Buffer.from(comment, 'latin1');
    const out = Buffer.concat([zip, bytes]);
    out.writeUInt16LE(bytes.length, zip.length - 22 + 20);
    return out;
  };
  const a = { name: 'a.txt', data: 'Contenu de a.txt\n', deflate: true };
  const write = async (name: string, bytes: Buffer) => {
    const file = path.join(dir, `${name}.zip`);
    await fsp.writeFile(file, bytes);
    return file;
  };

  it('accepts a sound archive signed by a trusted key, every file checked', async () => {
    const result = await verifyArchive(
      await write('sain', signedZip([a], { signer: key })),
      trusted,
    );
    expect(result).toMatchObject({ ok: true, problems: [], signedBy: key.id, checked: 1 });
  });

  // One test per archive, so that mutation testing runs only those that reach a mutant.
  it.each(HOSTILE_ARCHIVES.map((h) => [h.name, h] as const))(
    'refuses the hostile archive "%s" with one line naming its problem, never throwing',
    async (_name, h) => {
      const result = await verifyArchive(await h.build(dir, key), trusted);
      expect(result.ok).toBe(false);
      expect(result.problems.length).toBeGreaterThanOrEqual(1);
      for (const line of result.problems) expect(line).not.toMatch(/\n|\s{4}at /);
    },
    120_000, // 200,001 entries, 8 MiB bombs...
  );

  it('refuses an unsigned archive, and one signed by a key it does not trust', async () => {
    const unsigned = await verifyArchive(await SOUND_ARCHIVES.unsigned.build(dir, key), trusted);
    expect(unsigned).toMatchObject({
      ok: false,
      problems: ['manifest.sig is missing: the archive is not signed'],
    });
    const untrusted = await verifyArchive(await SOUND_ARCHIVES.untrusted.build(dir, key), trusted);
    expect(untrusted.ok).toBe(false);
    expect(untrusted.problems).toEqual([
      expect.stringMatching(
        /^Signed by an unknown key \(.+\): add it with "mes-donnees keys trust"$/,
      ),
    ]);
  });

  it('refuses a zip comment: bytes that no check covers', async () => {
    const file = await write('commentaire', withComment(signedZip([a], { signer: key }), 'caché'));
    const result = await verifyArchive(file, trusted);
    expect(result).toMatchObject({
      ok: false,
      problems: ['The zip has a comment of 5 bytes that no check covers'],
    });
  });

  /** The zip with `extra` (id, data) added to the central entry of `name`. */
  const withCentralExtra = (zip: Buffer, name: string, id: number, data: Buffer): Buffer => {
    const eocd = zip.length - 22;
    const field = Buffer.alloc(4 + data.length);
    field.writeUInt16LE(id, 0);
    field.writeUInt16LE(data.length, 2);
    data.copy(field, 4);
    for (let p = zip.readUInt32LE(eocd + 16); p < eocd;) {
      const n = zip.readUInt16LE(p + 28);
      const m = zip.readUInt16LE(p + 30);
      const k = zip.readUInt16LE(p + 32);
      const end = p + 46 + n + m;
      if (zip.subarray(p + 46, p + 46 + n).toString('utf8') === name) {
        const out = Buffer.concat([zip.subarray(0, end), field, zip.subarray(end)]);
        out.writeUInt16LE(m + field.length, p + 30);
        out.writeUInt32LE(zip.readUInt32LE(eocd + 12) + field.length, eocd + field.length + 12);
        return out;
      }
      p = end + k;
    }
    throw new Error(`no central entry ${name}`);
  };

  it('refuses an extra field that is not a timestamp, ZIP64 sizes or a Unicode name', async () => {
    const zip = signedZip([a], { signer: key });
    const hidden = await write(
      'extra',
      withCentralExtra(zip, 'a.txt', 0xcafe, Buffer.alloc(100, 7)),
    );
    expect(await verifyArchive(hidden, trusted)).toMatchObject({
      ok: false,
      problems: ['Entry a.txt has a central extra field 0xcafe of 100 bytes that no check covers'],
    });
    const stamp = Buffer.from([1, 0, 0, 0, 0x60]);
    const stamped = await write('stamp', withCentralExtra(zip, 'a.txt', 0x5455, stamp));
    expect(await verifyArchive(stamped, trusted)).toMatchObject({ ok: true, problems: [] });
    const padded = await write(
      'stamp-long',
      withCentralExtra(zip, 'a.txt', 0x5455, Buffer.alloc(200)),
    );
    expect((await verifyArchive(padded, trusted)).problems).toEqual([
      'Entry a.txt has a central extra field 0x5455 of 200 bytes that no check covers',
    ]);
  });

  it('says an Open ENT NG archive is not one it checks', async () => {
    const result = await verifyArchive(await SOUND_ARCHIVES.openEntNg.build(dir, key), trusted);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([expect.stringMatching(/^An Open ENT NG archive/)]);
  });

  it('reports an unreadable file on one line', async () => {
    const result = await verifyArchive(path.join(dir, 'absent.zip'), trusted);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      expect.stringMatching(/^Cannot read .*absent\.zip: .*ENOENT/),
    ]);
  });
});
