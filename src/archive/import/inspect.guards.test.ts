import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  craftZip,
  FIXTURE_KEY,
  signedEntries,
  signedZip,
  STRANGER_KEY,
  type CraftEntry,
  type SignedOptions,
} from '../../../test/fixtures/hostile-archives.ts';
import { DEFAULT_INSPECT_LIMITS, inspectArchive } from './inspect.ts';

/**
 * The analysis' promises about the manifest and the signature, one by one through
 * `inspectArchive` (each found untested by mutation testing): every file listed is there and
 * every file there is listed, once, with its size and hash; the signature's states.
 */

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'md-inspect-guards-'));
});
afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

const text = (name: string, content = `Contenu de ${name}\n`): CraftEntry => ({
  name,
  data: content,
  deflate: true,
});
const sha256 = async (data: string) =>
  (await import('node:crypto')).createHash('sha256').update(data).digest('hex');

let n = 0;
async function inspect(bytes: Buffer, trusted = [FIXTURE_KEY.trusted]) {
  const file = path.join(dir, `${++n}.zip`);
  await fsp.writeFile(file, bytes);
  return inspectArchive(file, { trusted, limits: DEFAULT_INSPECT_LIMITS });
}
const zip = (entries: CraftEntry[], options: SignedOptions = {}) => signedZip(entries, options);

describe('the manifest and the files agree', () => {
  it('accepts a sound archive: counts its entries and bytes, folders need no listing', async () => {
    const a = text('a.txt');
    const result = await inspect(zip([{ name: 'dossier/' }, a, text('dossier/b.txt')]));
    expect(result).toMatchObject({
      ok: true,
      format: 'mes-donnees',
      signature: { state: 'trusted', keyId: FIXTURE_KEY.id },
      entries: 5,
    });
    if (!result.ok || result.format !== 'mes-donnees') throw new Error('not sound');
    expect(result.manifest.files.map((f) => f.path)).toEqual(['a.txt', 'dossier/b.txt']);
    expect(result.totalBytes).toBeGreaterThan(0);
  });

  it('refuses a file the manifest lists but the zip lacks', async () => {
    const files = [
      { path: 'a.txt', size: 17, sha256: await sha256('Contenu de a.txt\n') },
      { path: 'absent.txt', size: 3, sha256: await sha256('abc') },
    ];
    expect(await inspect(zip([text('a.txt')], { files }))).toEqual({
      ok: false,
      code: 'archive_corrupt',
      message: 'File listed in manifest.json but absent: absent.txt',
    });
  });

  it('refuses a listed file that is a folder in the zip', async () => {
    const files = [{ path: 'dossier/', size: 0, sha256: await sha256('') }];
    const result = await inspect(zip([{ name: 'dossier/' }], { files }));
    expect(result).toMatchObject({ ok: false, code: 'archive_corrupt' });
  });

  it('refuses a file the zip holds but the manifest does not list', async () => {
    const files = [{ path: 'a.txt', size: 17, sha256: await sha256('Contenu de a.txt\n') }];
    expect(await inspect(zip([text('a.txt'), text('cache.txt')], { files }))).toEqual({
      ok: false,
      code: 'archive_corrupt',
      message: 'File not listed in manifest.json: cache.txt',
    });
  });

  it('refuses a file listed twice, a wrong size and a wrong hash', async () => {
    const a = { path: 'a.txt', size: 17, sha256: await sha256('Contenu de a.txt\n') };
    expect(await inspect(zip([text('a.txt')], { files: [a, a] }))).toEqual({
      ok: false,
      code: 'archive_invalid',
      message: 'manifest.json lists a.txt twice',
    });
    expect(await inspect(zip([text('a.txt')], { files: [{ ...a, size: 18 }] }))).toEqual({
      ok: false,
      code: 'archive_corrupt',
      message: 'Size mismatch: a.txt is 17 bytes, manifest.json says 18',
    });
    const other = await sha256('autre chose');
    expect(await inspect(zip([text('a.txt')], { files: [{ ...a, sha256: other }] }))).toEqual({
      ok: false,
      code: 'archive_corrupt',
      message: 'SHA-256 mismatch: a.txt',
    });
  });

  it('reports the first bad file in the order of the zip, whatever the manifest order', async () => {
    const wrong = await sha256('autre chose');
    const files = [
      { path: 'b.txt', size: 17, sha256: wrong },
      { path: 'a.txt', size: 17, sha256: wrong },
    ];
    expect(await inspect(zip([text('a.txt'), text('b.txt')], { files }))).toMatchObject({
      message: 'SHA-256 mismatch: a.txt',
    });
  });

  it('names each field of a manifest that is not valid (at most five), or the manifest itself', async () => {
    const noFiles = JSON.stringify({ format: 'x' });
    const result = await inspect(zip([], { manifestText: noFiles, files: [] }));
    expect(result).toMatchObject({ ok: false, code: 'archive_invalid' });
    if (result.ok) throw new Error('accepted');
    expect(result.message).toMatch(/^manifest\.json is not valid: format: .+; formatVersion: /);
    expect(result.message.split('; ')).toHaveLength(5);
    const list = await inspect(zip([], { manifestText: '[]', files: [] }));
    expect(list).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^manifest\.json is not valid: \(manifest\): /),
    });
  });

  it('says "not a Mes Données archive" without a manifest, or with a folder of that name', async () => {
    const message = 'manifest.json is missing: not a Mes Données archive';
    expect(await inspect(craftZip([text('a.txt')]))).toEqual({
      ok: false,
      code: 'archive_invalid',
      message,
    });
    expect(await inspect(craftZip([{ name: 'manifest.json/' }, text('manifest.json/a')]))).toEqual({
      ok: false,
      code: 'archive_invalid',
      message,
    });
  });
});

describe('the signature', () => {
  it('is "unsigned" without manifest.sig, or when manifest.sig is a folder', async () => {
    expect(await inspect(zip([text('a.txt')], { signature: null }))).toMatchObject({
      ok: true,
      signature: { state: 'unsigned' },
    });
    const entries = signedEntries([text('a.txt')], { signature: null });
    expect(await inspect(craftZip([...entries, { name: 'manifest.sig/' }]))).toMatchObject({
      ok: true,
      signature: { state: 'unsigned' },
    });
  });

  it('is "untrusted" with the key the manifest names when no trusted key verifies it', async () => {
    expect(await inspect(zip([text('a.txt')], { signer: STRANGER_KEY }))).toMatchObject({
      ok: true,
      signature: { state: 'untrusted', keyId: STRANGER_KEY.id },
    });
    expect(await inspect(zip([text('a.txt')]), [])).toMatchObject({
      ok: true,
      signature: { state: 'untrusted', keyId: FIXTURE_KEY.id },
    });
  });

  it('is trusted when a trusted key verifies it, even if the manifest names another key', async () => {
    const result = await inspect(zip([text('a.txt')]), [STRANGER_KEY.trusted, FIXTURE_KEY.trusted]);
    expect(result).toMatchObject({ signature: { state: 'trusted', keyId: FIXTURE_KEY.id } });
    // Signed by FIXTURE_KEY, the manifest naming the stranger: what FIXTURE_KEY signed holds.
    const entries = signedEntries([text('a.txt')], { signer: STRANGER_KEY, signature: null });
    const manifest = entries.find((e) => e.name === 'manifest.json')?.data ?? '';
    const signed = craftZip([
      ...entries,
      { name: 'manifest.sig', data: FIXTURE_KEY.sign(Buffer.from(manifest)) },
    ]);
    expect(await inspect(signed)).toMatchObject({
      ok: true,
      signature: { state: 'trusted', keyId: FIXTURE_KEY.id },
    });
  });

  it('refuses a changed manifest under the trusted key it names', async () => {
    const entries = signedEntries([text('a.txt')], { signature: null });
    const result = await inspect(
      craftZip([...entries, { name: 'manifest.sig', data: FIXTURE_KEY.sign(Buffer.from('x')) }]),
    );
    expect(result).toEqual({
      ok: false,
      code: 'archive_signature_invalid',
      message: `The signature of manifest.json does not verify with the trusted key ${FIXTURE_KEY.id}: the archive was changed`,
    });
  });

  it('refuses a signature that is not base64 Ed25519, and one over 4 KiB, before reading it', async () => {
    expect(await inspect(zip([text('a.txt')], { signature: 'pas une signature' }))).toEqual({
      ok: false,
      code: 'archive_signature_invalid',
      message: 'manifest.sig does not hold a base64 Ed25519 signature',
    });
    // A valid signature with white space around it is read trimmed.
    const entries = signedEntries([text('a.txt')], { signature: null });
    const manifest = Buffer.from(entries.find((e) => e.name === 'manifest.json')?.data ?? '');
    const spaced = craftZip([
      ...entries,
      { name: 'manifest.sig', data: `\n ${FIXTURE_KEY.sign(manifest)}\r\n` },
    ]);
    expect(await inspect(spaced)).toMatchObject({ ok: true, signature: { state: 'trusted' } });
    expect(await inspect(zip([text('a.txt')], { signature: 'A'.repeat(4097) }))).toEqual({
      ok: false,
      code: 'archive_signature_invalid',
      message: 'manifest.sig is 4097 bytes (at most 4096)',
    });
    // Exactly 4 KiB is read (and then is not a signature).
    expect(
      await inspect(zip([text('a.txt')], { signature: `${'A'.repeat(86)}==`.padEnd(4096, '#') })),
    ).toEqual({
      ok: false,
      code: 'archive_signature_invalid',
      message: 'manifest.sig does not hold a base64 Ed25519 signature',
    });
  });
});

describe('what the analysis says, exactly', () => {
  it('names a nested field by its dotted path', async () => {
    const result = await inspect(
      zip([], { manifestText: JSON.stringify({ instance: {} }), files: [] }),
    );
    if (result.ok) throw new Error('accepted');
    expect(result.message).toMatch(/; instance\.[a-zA-Z]+: /);
  });

  it('joins several problems of the manifest’s JSON with "; "', async () => {
    const twice = '{"__proto__": {}, "user": {"__proto__": {}}}';
    expect(await inspect(zip([], { manifestText: twice, files: [] }))).toEqual({
      ok: false,
      code: 'archive_invalid',
      message: 'manifest.json: __proto__: forbidden key; user.__proto__: forbidden key',
    });
  });

  it('keeps a failure on one line, whatever the parser quoted', async () => {
    // V8 quotes the JSON around a syntax error, its line break and indent included: one space.
    const result = await inspect(zip([], { manifestText: '{"a": 1,\n  "x": NaN}', files: [] }));
    expect(result).toEqual({
      ok: false,
      code: 'archive_invalid',
      message:
        'manifest.json: (record): not valid JSON (Unexpected token \'N\', "{"a": 1, "x": NaN}" is not valid JSON)',
    });
  });

  it('refuses a signature with anything before its 88 base64 characters', async () => {
    const entries = signedEntries([text('a.txt')], { signature: null });
    const manifest = Buffer.from(entries.find((e) => e.name === 'manifest.json')?.data ?? '');
    const prefixed = craftZip([
      ...entries,
      { name: 'manifest.sig', data: `x${FIXTURE_KEY.sign(manifest)}` },
    ]);
    expect(await inspect(prefixed)).toEqual({
      ok: false,
      code: 'archive_signature_invalid',
      message: 'manifest.sig does not hold a base64 Ed25519 signature',
    });
  });

  it('is trusted when any of the trusted keys named by the manifest verifies it', async () => {
    // Two trusted keys under one id (an id is a hash of its key: only a test makes two).
    const impostor = { ...STRANGER_KEY.trusted, id: FIXTURE_KEY.id };
    expect(await inspect(zip([text('a.txt')]), [impostor, FIXTURE_KEY.trusted])).toMatchObject({
      ok: true,
      signature: { state: 'trusted', keyId: FIXTURE_KEY.id },
    });
  });

  it('throws an error of the file system instead of blaming the archive', async () => {
    // A folder opens for reading on Linux; reading it fails with EISDIR.
    await expect(
      inspectArchive(dir, { trusted: [], limits: DEFAULT_INSPECT_LIMITS }),
    ).rejects.toMatchObject({ code: 'EISDIR', syscall: 'read' });
  });

  it('closes the archive it opened, whatever the outcome', async () => {
    const open = async () => (await fsp.readdir('/proc/self/fd')).length;
    const before = await open();
    for (let i = 0; i < 5; i++) {
      await inspect(zip([text('a.txt')]));
      await inspect(craftZip([text('a.txt')]));
      await inspect(Buffer.from('pas un zip'));
    }
    expect(await open()).toBe(before);
  });
});

describe('an Open ENT NG archive, recognised', () => {
  const entcoreManifest = (value: unknown) => ({
    name: 'r/Manifest.json',
    data: typeof value === 'string' ? value : JSON.stringify(value),
  });
  const notOurs = {
    ok: false,
    code: 'archive_invalid',
    message: 'manifest.json is missing: not a Mes Données archive',
  };

  it('by a root folder of any name whose Manifest.json has an org.entcore module among others', async () => {
    const result = await inspect(
      craftZip([entcoreManifest({ 'org.entcore.workspace': '6.1', 'fr.wseduc.x': '1' })]),
    );
    expect(result).toMatchObject({
      ok: true,
      format: 'open-ent-ng',
      root: 'r',
      modules: [{ key: 'org.entcore.workspace' }, { key: 'fr.wseduc.x' }],
    });
  });

  it('not when an entry lies outside the root folder, nor without an org.entcore key', async () => {
    const manifest = entcoreManifest({ 'org.entcore.workspace': '6.1' });
    expect(await inspect(craftZip([manifest, text('ailleurs.txt')]))).toEqual(notOurs);
    expect(await inspect(craftZip([manifest, text('r2/a.txt')]))).toEqual(notOurs);
    expect(await inspect(craftZip([entcoreManifest({ a: 1 })]))).toEqual(notOurs);
    expect(await inspect(craftZip([entcoreManifest('"org.entcore.workspace"')]))).toEqual(notOurs);
  });

  it('refuses its Manifest.json when it is not JSON, not modules, or over 1 MiB', async () => {
    expect(await inspect(craftZip([entcoreManifest('{"org.entcore.a": 1, ')]))).toMatchObject({
      ok: false,
      code: 'archive_invalid',
      message: expect.stringMatching(/^r\/Manifest\.json: \(record\): not valid JSON \(/),
    });
    const protos = '{"__proto__": {}, "org.entcore.a": {"__proto__": {}}}';
    expect(await inspect(craftZip([entcoreManifest(protos)]))).toEqual({
      ok: false,
      code: 'archive_invalid',
      message: 'r/Manifest.json: __proto__: forbidden key; org.entcore.a.__proto__: forbidden key',
    });
    expect(await inspect(craftZip([entcoreManifest({ 'org.entcore.a': 1 })]))).toEqual({
      ok: false,
      code: 'archive_invalid',
      message: 'r/Manifest.json: module org.entcore.a: not an object',
    });
    const big = `{"org.entcore.a": "1"}${' '.repeat(1024 * 1024 - 21)}`;
    expect(await inspect(craftZip([entcoreManifest(big)]))).toEqual({
      ok: false,
      code: 'archive_too_large',
      message: 'r/Manifest.json is 1048577 bytes (at most 1048576)',
    });
    // Exactly 1 MiB is read.
    expect(await inspect(craftZip([entcoreManifest(big.slice(0, -1))]))).toMatchObject({
      ok: true,
      format: 'open-ent-ng',
    });
  });
});
