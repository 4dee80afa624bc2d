import { createPublicKey } from 'node:crypto';
import { crc32 } from 'node:zlib';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  FIXTURE_KEY,
  SOUND_ARCHIVES,
  signedZip,
  STRANGER_KEY,
  type CraftEntry,
  type SignedOptions,
} from '../../test/fixtures/hostile-archives.ts';
import {
  ARCHIVE_TEST_USER as user,
  testBlogAdapter,
  writeTestArchive,
} from '../../test/support/test-archive.ts';
import type { ArchiveAdapter } from './adapter.ts';
import { loadOrCreateInstanceKey } from './keys.ts';
import { recordFile, recordId } from './records.ts';
import { nameFindings, nameProblems, verifyArchive } from './verify.ts';

/**
 * What `verify` promises, one promise a test, on small archives (each found untested, or
 * tested only by the minute-long test over every hostile archive, by mutation testing): a
 * sound archive passes with its signer and counts; no signature, an unknown signer, a file
 * unlisted or absent, bytes no check covers, names that collide, each give their one line.
 */

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'md-verify-guards-'));
});
afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

const trusted = [FIXTURE_KEY.trusted];
const text = (name: string, content = `Contenu de ${name}\n`): CraftEntry => ({
  name,
  data: content,
  deflate: true,
});
let n = 0;
async function verify(bytes: Buffer, options: Parameters<typeof verifyArchive>[2] = {}) {
  const file = path.join(dir, `${++n}.zip`);
  await fsp.writeFile(file, bytes);
  return verifyArchive(file, trusted, options);
}
const zip = (entries: CraftEntry[], options: SignedOptions = {}) => signedZip(entries, options);

/** The zip with `extra` (id, data) added to the central entry of each of `names`. */
function withCentralExtra(bytes: Buffer, names: readonly string[], id: number, data: Buffer) {
  let out = bytes;
  for (const name of names) {
    const eocd = out.length - 22;
    const field = Buffer.alloc(4 + data.length);
    field.writeUInt16LE(id, 0);
    field.writeUInt16LE(data.length, 2);
    data.copy(field, 4);
    let p = out.readUInt32LE(eocd + 16);
    for (;;) {
      if (p >= eocd) throw new Error(`no central entry ${name}`);
      const nameLength = out.readUInt16LE(p + 28);
      const extraLength = out.readUInt16LE(p + 30);
      const end = p + 46 + nameLength + extraLength;
      if (out.subarray(p + 46, p + 46 + nameLength).toString('utf8') === name) {
        const next = Buffer.concat([out.subarray(0, end), field, out.subarray(end)]);
        next.writeUInt16LE(extraLength + field.length, p + 30);
        next.writeUInt32LE(out.readUInt32LE(eocd + 12) + field.length, eocd + field.length + 12);
        out = next;
        break;
      }
      p = end + out.readUInt16LE(p + 32);
    }
  }
  return out;
}

describe('verify', () => {
  it('passes a sound signed archive: its signer, every file checked, no note', async () => {
    const result = await verify(zip([text('a.txt'), text('b/c.txt')]));
    expect(result).toMatchObject({
      ok: true,
      problems: [],
      notes: [],
      signedBy: FIXTURE_KEY.id,
      checked: 2,
      records: 0,
    });
    expect(result.manifest?.files.map((f) => f.path)).toEqual(['a.txt', 'b/c.txt']);
  });

  it('refuses an unsigned archive on one line, though every hash is right', async () => {
    const result = await verify(zip([text('a.txt')], { signature: null }));
    expect(result).toMatchObject({
      ok: false,
      problems: ['manifest.sig is missing: the archive is not signed'],
    });
    expect(result.signedBy).toBeUndefined();
  });

  it('refuses an archive signed by a key it does not trust, naming the key', async () => {
    const result = await verify(zip([text('a.txt')], { signer: STRANGER_KEY }));
    expect(result).toMatchObject({
      ok: false,
      problems: [
        `Signed by an unknown key (${STRANGER_KEY.id}): add it with "mes-donnees keys trust"`,
      ],
    });
    expect(result.signedBy).toBeUndefined();
  });

  it('refuses a file the manifest does not list, and a listed file the zip lacks', async () => {
    const listed = [{ path: 'a.txt', size: 17, sha256: '' }];
    const sound = await verify(zip([text('a.txt')]));
    listed[0] = { path: 'a.txt', size: 17, sha256: sound.manifest?.files[0]?.sha256 ?? '' };
    const unlisted = await verify(zip([text('a.txt'), text('cache.txt')], { files: listed }));
    expect(unlisted).toMatchObject({
      ok: false,
      problems: ['File not listed in manifest.json: cache.txt'],
      checked: 0,
    });
    const absent = await verify(
      zip([text('a.txt')], {
        files: [...listed, { path: 'parti.txt', size: 1, sha256: '0'.repeat(64) }],
      }),
    );
    expect(absent).toMatchObject({
      ok: false,
      problems: ['File listed in manifest.json but absent: parti.txt'],
      checked: 0,
    });
  });

  it('refuses a zip comment, and entry extra fields no check covers (at most 20 lines, then a count)', async () => {
    expect(await verify(zip([text('a.txt')], { comment: 'caché' }))).toMatchObject({
      ok: false,
      problems: ['The zip has a comment of 5 bytes that no check covers'],
    });
    const names = Array.from({ length: 23 }, (_, i) => `f${String(i).padStart(2, '0')}.txt`);
    const many = withCentralExtra(zip(names.map((x) => text(x))), names, 0xcafe, Buffer.alloc(3));
    const result = await verify(many);
    expect(result.ok).toBe(false);
    expect(result.problems).toHaveLength(21);
    expect(result.problems[0]).toBe(
      'Entry f00.txt has a central extra field 0xcafe of 3 bytes that no check covers',
    );
    expect(result.problems[20]).toBe('And 3 more entries with bytes that no check covers');
    // A known field within its size is covered: a timestamp, ZIP64 sizes.
    const stamp = Buffer.from([1, 0, 0, 0, 0x60]);
    expect(
      await verify(withCentralExtra(zip([text('a.txt')]), ['a.txt'], 0x5455, stamp)),
    ).toMatchObject({ ok: true, problems: [] });
    expect(
      (await verify(withCentralExtra(zip([text('a.txt')]), ['a.txt'], 0x5455, Buffer.alloc(14))))
        .problems,
    ).toEqual(['Entry a.txt has a central extra field 0x5455 of 14 bytes that no check covers']);
    expect(
      (await verify(withCentralExtra(zip([text('a.txt')]), ['a.txt'], 0x0001, Buffer.alloc(28))))
        .problems,
    ).not.toContainEqual(expect.stringMatching(/0x0001 of 28 bytes/));
  });

  it('says an Open ENT NG archive is not one it checks', async () => {
    const file = await SOUND_ARCHIVES.openEntNg.build(dir);
    const result = await verifyArchive(file, trusted);
    expect(result).toMatchObject({
      ok: false,
      problems: [
        'An Open ENT NG archive, not a Mes Données one: "verify" checks Mes Données archives (import it to check it)',
      ],
      checked: 0,
    });
  });

  it('answers a missing file or garbage on one line, never throwing', async () => {
    const missing = await verifyArchive(path.join(dir, 'absent.zip'), trusted);
    expect(missing).toMatchObject({ ok: false, checked: 0, records: 0 });
    expect(missing.problems).toEqual([
      expect.stringMatching(/^Cannot read .*absent\.zip: .*ENOENT/),
    ]);
    const garbage = await verify(Buffer.from('pas une archive\n'.repeat(10)));
    expect(garbage.ok).toBe(false);
    expect(garbage.problems).toHaveLength(1);
    expect(garbage.problems[0]).not.toMatch(/\n/);
  });

  it('checks records against their schemas when given the apps, and counts them', async () => {
    const key = await loadOrCreateInstanceKey(path.join(dir, 'instance.key'));
    const keys = [{ id: key.id, publicKey: createPublicKey(key.publicKeyPem), source: 'test' }];
    const items = recordFile(
      'items.json',
      'json',
      z.array(z.strictObject({ id: recordId(), title: z.string() })),
      'Items.',
    );
    const loose = recordFile('items.json', 'json', z.unknown(), 'unchecked');
    const adapterWith = (value: unknown): ArchiveAdapter =>
      testBlogAdapter({
        count: async () => ({ items: 1, bytes: 0 }),
        async export(_ctx, out) {
          await out.json(loose, value);
          return { items: 1, bytes: 0 };
        },
      });
    const apps = [{ app: 'blog' as const, dataVersion: 1, records: [items] }];
    const good = await writeTestArchive(path.join(dir, 'records-good.zip'), {
      exportId: 'good',
      user,
      adapters: [
        adapterWith([
          { id: 'i1', title: 'Un' },
          { id: 'i2', title: 'Deux' },
        ]),
      ],
      key,
    });
    const checked = await verifyArchive(good, keys, { apps });
    expect(checked).toMatchObject({ ok: true, problems: [], records: 1, signedBy: key.id });
    expect((await verifyArchive(good, keys)).records).toBe(0);
    const bad = await writeTestArchive(path.join(dir, 'records-bad.zip'), {
      exportId: 'bad',
      user,
      adapters: [adapterWith([{ id: 'i1', title: 3 }])],
      key,
    });
    const refused = await verifyArchive(bad, keys, { apps });
    expect(refused.ok).toBe(false);
    expect(refused.problems).toEqual([expect.stringMatching(/items\.json.*title/)]);
  });
});

describe('names that would not extract as distinct files', () => {
  const entry = (name: string) => ({ name, isDirectory: name.endsWith('/') });
  const problems = (...names: string[]) =>
    nameProblems(names.map(entry) as unknown as Parameters<typeof nameProblems>[0]);

  it('finds a file that is also a folder, and two names Windows or macOS take for one', () => {
    expect(problems('a', 'a/b')).toEqual([
      'Both a file and a folder: a (folder a/ of other entries)',
    ]);
    expect(problems('Photo.JPG', 'photo.jpg')).toEqual([
      'One name on Windows and macOS: Photo.JPG and photo.jpg',
    ]);
    expect(problems('d/', 'd/x.txt', 'e/f/g.txt', 'e/h.txt')).toEqual([]);
  });

  it('reports an unsafe name with its control characters escaped, a long one shortened', () => {
    const [line] = problems('a\u0001b.txt');
    expect(line).toMatch(/^Unsafe name: a\\u0001b\.txt \(/);
    const long = `${'x'.repeat(400)}.txt`;
    const [shortened] = problems(long);
    expect(shortened).toContain(`Unsafe name: ${'x'.repeat(200)}…${'x'.repeat(76)}.txt (`);
  });

  it('says an unsafe name once (by the analysis or the name check, not both)', async () => {
    const result = await verify(zip([text('../evil.txt')]));
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      expect.stringMatching(/^Unsafe (name|entry):? \.\.\/evil\.txt/),
    ]);
  });

  it('says a verified archive with colliding names is not sound', async () => {
    const result = await verify(zip([text('Note.txt'), text('note.txt')]));
    expect(result.ok).toBe(false);
    expect(result.problems.join('\n')).toMatch(/Note\.txt.*note\.txt/);
  });
});

/** The central entry of `name` in `bytes`: its offset and the end of its fixed and variable parts. */
function centralEntry(bytes: Buffer, name: string) {
  const eocd = bytes.length - 22;
  let p = bytes.readUInt32LE(eocd + 16);
  while (p < eocd) {
    const nameLength = bytes.readUInt16LE(p + 28);
    const end = p + 46 + nameLength + bytes.readUInt16LE(p + 30) + bytes.readUInt16LE(p + 32);
    if (bytes.subarray(p + 46, p + 46 + nameLength).toString('utf8') === name) return { p, end };
    p = end;
  }
  throw new Error(`no central entry ${name}`);
}

/** The zip with `comment` as the file comment of the central entry of `name`. */
function withEntryComment(bytes: Buffer, name: string, comment: string) {
  const { p, end } = centralEntry(bytes, name);
  const added = Buffer.from(comment);
  const out = Buffer.concat([bytes.subarray(0, end), added, bytes.subarray(end)]);
  out.writeUInt16LE(bytes.readUInt16LE(p + 32) + added.length, p + 32);
  const eocd = out.length - 22;
  out.writeUInt32LE(out.readUInt32LE(eocd + 12) + added.length, eocd + 12);
  return out;
}

/** The zip with an extra field (id, data) in the local header of `name`, later offsets moved. */
function withLocalExtra(bytes: Buffer, name: string, id: number, data: Buffer) {
  const at = bytes.readUInt32LE(centralEntry(bytes, name).p + 42);
  const nameLength = bytes.readUInt16LE(at + 26);
  const extraLength = bytes.readUInt16LE(at + 28);
  const insertAt = at + 30 + nameLength + extraLength;
  const field = Buffer.alloc(4 + data.length);
  field.writeUInt16LE(id, 0);
  field.writeUInt16LE(data.length, 2);
  data.copy(field, 4);
  const out = Buffer.concat([bytes.subarray(0, insertAt), field, bytes.subarray(insertAt)]);
  out.writeUInt16LE(extraLength + field.length, at + 28);
  const eocd = out.length - 22;
  const cd = out.readUInt32LE(eocd + 16) + field.length;
  out.writeUInt32LE(cd, eocd + 16);
  for (let p = cd; p < eocd;) {
    const offset = out.readUInt32LE(p + 42);
    if (offset > at) out.writeUInt32LE(offset + field.length, p + 42);
    p += 46 + out.readUInt16LE(p + 28) + out.readUInt16LE(p + 30) + out.readUInt16LE(p + 32);
  }
  return out;
}

describe('verify, line by line', () => {
  it('refuses an entry comment, and names an unknown local extra field with its id', async () => {
    expect((await verify(withEntryComment(zip([text('a.txt')]), 'a.txt', 'vu'))).problems).toEqual([
      'Entry a.txt has a comment that no check covers',
    ]);
    const local = withLocalExtra(zip([text('a.txt')]), 'a.txt', 0x00ab, Buffer.alloc(2));
    expect(await verify(local)).toMatchObject({
      ok: false,
      problems: ['Entry a.txt has a local extra field 0x00ab of 2 bytes that no check covers'],
    });
  });

  it('refuses Unix permissions no export gives: set-ID, sticky, writable by everyone', async () => {
    const withMode = (mode: number): CraftEntry => ({ ...text('a.txt'), mode });
    const refused = (name: string, shownMode: string) =>
      `Entry ${name} has Unix permissions ${shownMode} (a set-ID or sticky bit, or writable by everyone)`;
    for (const [mode, shownMode] of [
      [0o100777, '0777'],
      [0o100646, '0646'],
      [0o104755, '4755'],
      [0o102755, '2755'],
    ] as const)
      expect((await verify(zip([withMode(mode)]))).problems).toEqual([refused('a.txt', shownMode)]);
    expect((await verify(zip([{ name: 'd/', mode: 0o041755 }, text('d/a.txt')]))).problems).toEqual(
      [refused('d/', '1755')],
    );
    // Ours (0644), yazl's (0664, earlier exports), others' and none (a zip made elsewhere).
    for (const mode of [0o100644, 0o100664, 0o100755, 0o100775, 0o100400, 0])
      expect(await verify(zip([withMode(mode)]))).toMatchObject({ ok: true, problems: [] });
  });

  it('takes an Info-ZIP Unicode Path field that agrees with the name as covered', async () => {
    const name = Buffer.from('été.txt');
    const unicode = Buffer.concat([Buffer.from([1]), Buffer.alloc(4), name]);
    unicode.writeUInt32LE(crc32(name), 1);
    const result = await verify(
      withCentralExtra(zip([text('été.txt')]), ['été.txt'], 0x7075, unicode),
    );
    expect(result).toMatchObject({ ok: true, problems: [] });
  });

  it('lists exactly 20 entries with uncovered bytes without a count line', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `f${String(i).padStart(2, '0')}.txt`);
    const many = withCentralExtra(zip(names.map((x) => text(x))), names, 0xcafe, Buffer.alloc(1));
    const result = await verify(many);
    expect(result.problems).toHaveLength(20);
    expect(result.problems.at(-1)).toBe(
      'Entry f19.txt has a central extra field 0xcafe of 1 bytes that no check covers',
    );
  });

  it('does not take a first entry that is not UTF-8 for the manifest', async () => {
    const binary: CraftEntry = { name: 'image.bin', data: Buffer.from([0xff, 0xfe, 0x00, 0x81]) };
    expect(await verify(zip([binary, text('a.txt')]))).toMatchObject({ ok: true, problems: [] });
  });

  it('says a name problem once: by its name line when the analysis refused that name', async () => {
    expect((await verify(zip([text('a'), text('a/b')]))).problems).toEqual([
      'Both a file and a folder: a (folder a/ of other entries)',
    ]);
    const control = await verify(zip([text('a\u0001.txt')]));
    expect(control.problems).toHaveLength(1);
    expect(control.problems[0]).toMatch(/^Unsafe name: a\\u0001\.txt \(/);
  });

  it('keeps the analysis’ line when its refusal is not about a name, beside the name lines', async () => {
    const link: CraftEntry = { name: 'lien', data: '/etc/passwd', mode: 0o120777 };
    expect((await verify(zip([link, text('A.txt'), text('a.txt')]))).problems).toEqual([
      'Unsafe entry lien: a symbolic link',
      'One name on Windows and macOS: A.txt and a.txt',
    ]);
  });

  it('keeps the analysis’ line about one entry beside the name line of another', async () => {
    const link: CraftEntry = { name: 'lien', data: '/etc/passwd', mode: 0o120777 };
    const result = await verify(zip([link, text('b\u0001.txt')]));
    expect(result.problems).toHaveLength(2);
    expect(result.problems[0]).toBe('Unsafe entry lien: a symbolic link');
    expect(result.problems[1]).toMatch(/^Unsafe name: b\\u0001\.txt \(/);
  });

  it('stops at the analysis’ line when the archive is corrupt, without reading names', async () => {
    const corrupt = zip([{ ...text('A.txt'), crc: 1 }, text('a.txt')]);
    expect((await verify(corrupt)).problems).toEqual(['CRC-32 mismatch: A.txt']);
  });

  it('puts an unreadable path on one line', async () => {
    const file = path.join(dir, 'absent\n  here.zip');
    const result = await verifyArchive(file, trusted);
    expect(result.problems).toEqual([
      `Cannot read ${dir}/absent\\u000a  here.zip: ENOENT: no such file or directory, open '${dir}/absent here.zip'`,
    ]);
  });

  it('puts a failure of an app’s record check on one line', async () => {
    const key = await loadOrCreateInstanceKey(path.join(dir, 'instance-lines.key'));
    const keys = [{ id: key.id, publicKey: createPublicKey(key.publicKeyPem), source: 'test' }];
    const adapter = testBlogAdapter({ export: async () => ({ items: 0, bytes: 0 }) });
    const file = await writeTestArchive(path.join(dir, 'records-throw.zip'), {
      exportId: 'throw',
      user,
      adapters: [adapter],
      key,
    });
    const broken = {
      app: 'blog' as const,
      dataVersion: 1,
      get records(): never {
        throw new Error('schemas\n   unavailable');
      },
    };
    expect(await verifyArchive(file, keys, { apps: [broken] })).toMatchObject({
      ok: false,
      problems: ['Records could not be read: schemas unavailable'],
      notes: [],
      records: 0,
    });
  });

  it('closes what it opened, whatever the outcome', async () => {
    const open = async () => (await fsp.readdir('/proc/self/fd')).length;
    const sound = zip([text('a.txt')]);
    const named = zip([text('a'), text('a/b')]);
    const before = await open();
    for (let i = 0; i < 5; i++) {
      await verify(sound);
      await verify(named);
      await verify(withCentralExtra(sound, ['a.txt'], 0xcafe, Buffer.alloc(1)));
    }
    expect(await open()).toBe(before);
  });
});

describe('nameFindings, entry by entry', () => {
  const entries = (...names: string[]) =>
    names.map((name) => ({ name, isDirectory: name.endsWith('/') })) as unknown as Parameters<
      typeof nameFindings
    >[0];

  it('finds a file named like a folder entry, and like a folder of a folder entry', () => {
    expect(nameFindings(entries('d/', 'd'))).toEqual([
      { name: 'd', problem: 'Both a file and a folder: d (folder d/ of other entries)' },
    ]);
    expect(nameFindings(entries('x/y/', 'x/y', 'x'))).toEqual([
      { name: 'x/y', problem: 'Both a file and a folder: x/y (folder x/y/ of other entries)' },
      { name: 'x', problem: 'Both a file and a folder: x (folder x/ of other entries)' },
    ]);
    // A file's own name is not a folder; a folder entry's is.
    expect(nameFindings(entries('p/q', 'p/'))).toEqual([]);
  });

  it('names the folder by its first spelling', () => {
    expect(nameFindings(entries('A/x', 'a/y', 'a'))).toEqual([
      { name: 'a', problem: 'Both a file and a folder: a (folder A/ of other entries)' },
    ]);
  });

  it('lets two folder entries differing by case merge into one folder', () => {
    expect(nameFindings(entries('D/', 'd/', 'd/x.txt'))).toEqual([]);
  });

  it('leaves a name repeated exactly to the analysis (it refuses duplicates)', () => {
    expect(nameFindings(entries('a.txt', 'a.txt'))).toEqual([]);
  });

  it('shows a name of 300 characters whole, and cuts a longer one', () => {
    const name300 = `${'abcdefghi/'.repeat(29)}abcdef.txt`;
    expect(nameFindings(entries(name300, name300.toUpperCase()))[0]?.problem).toBe(
      `One name on Windows and macOS: ${name300} and ${name300.toUpperCase()}`,
    );
    const name301 = `${'abcdefghi/'.repeat(29)}abcdefg.txt`;
    const cut = (name: string) => `${name.slice(0, 200)}…${name.slice(-80)}`;
    expect(nameFindings(entries(name301, name301.toUpperCase()))[0]?.problem).toBe(
      `One name on Windows and macOS: ${cut(name301)} and ${cut(name301.toUpperCase())}`,
    );
  });
});
