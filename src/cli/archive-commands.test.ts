import { spawnSync } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadOrCreateInstanceKey } from '../archive/keys.ts';
import { recordFile } from '../archive/records.ts';
import {
  ARCHIVE_TEST_USER as user,
  testBlogAdapter,
  writeTestArchive,
} from '../../test/support/test-archive.ts';
import {
  craftZip,
  HOSTILE_ARCHIVES,
  manifestOf,
  signedZip,
  SOUND_ARCHIVES,
} from '../../test/fixtures/hostile-archives.ts';
import { MANIFEST, SIGNATURE } from '../archive/format.ts';

const bin = path.resolve('bin/mes-donnees.js');
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'md-cli-verify-'));
  env = {
    DATA_DIR: dir,
    DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`,
    SIGNING_KEY_FILE: path.join(dir, 'instance.pem'),
    LOG_LEVEL: 'warn',
  };
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

/** An archive signed with the instance's own key, whose blog wrote these posts unchecked. */
async function signedArchive(name: string, posts: readonly unknown[]): Promise<string> {
  const adapter = testBlogAdapter({
    count: async () => ({ items: posts.length, bytes: 0 }),
    async export(_ctx, out) {
      async function* rows() {
        yield* posts;
      }
      await out.ndjson(recordFile('posts.ndjson', 'ndjson', z.unknown(), 'unchecked'), rows());
      return { items: posts.length, bytes: 0 };
    },
  });
  const file = path.join(dir, name);
  await writeTestArchive(file, {
    exportId: name,
    user,
    adapters: [adapter],
    key: await loadOrCreateInstanceKey(env.SIGNING_KEY_FILE!),
  });
  return file;
}

function verify(...files: string[]) {
  return spawnSync(process.execPath, [bin, 'verify', ...files], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 55_000,
  });
}

const post = (id: string, title: unknown) => ({
  id,
  blogId: 'b1',
  title,
  content: '<p>Bonjour</p>',
  state: 'PUBLISHED',
  authorId: 'u1',
  authorName: 'Prof',
  createdAt: '2026-09-01T08:00:00.000Z',
  modifiedAt: '2026-09-01T08:00:00.000Z',
  firstPublishedAt: '2026-09-01T08:00:00.000Z',
});

describe('mes-donnees verify', () => {
  it('checks records with the schemas of the registered apps: a post whose title is a number is refused, by file and line', async () => {
    const good = verify(
      await signedArchive('good.zip', [post('p1', 'Sortie'), post('p2', 'Retour')]),
    );
    expect(good.stdout).toMatch(/^OK: \d+ files and 2 records checked/m);
    expect(good.status).toBe(0);

    const bad = verify(await signedArchive('bad.zip', [post('p1', 'Sortie'), post('p2', 42)]));
    expect(bad.stdout).toMatch(/^PROBLEM: Blog\/posts\.ndjson:2: title: .*expected string/m);
    expect(bad.stdout).not.toContain('posts.ndjson:1:');
    expect(bad.stdout).toContain('INVALID');
    expect(bad.status).toBe(1);
  }, 120_000); // two CLI processes, each opening (and migrating) its database
});

/** The zip with a comment of `comment` after its end record (the crafted zips have none). */
function withComment(zip: Buffer, comment: string): Buffer {
  const bytes = Buffer.from(comment);
  const out = Buffer.concat([zip, bytes]);
  out.writeUInt16LE(bytes.length, zip.length - 22 + 20);
  return out;
}

/** Where verify's own name check says it, for every system the archive may be extracted on. */
const NAME_LINES: Record<string, RegExp> = {
  'file-and-folder': /^Both a file and a folder: a \(folder a\/ of other entries\)$/,
  'nul-in-name': /^Unsafe name: a\\u0000\.txt \("a\\u0000\.txt" has a character Windows refuses\)$/,
};

describe('mes-donnees verify on hostile archives', () => {
  it('answers each crafted zip with one clean line naming its problem, and INVALID; a sound archive is OK', async () => {
    const key = await loadOrCreateInstanceKey(env.SIGNING_KEY_FILE!);
    const hostileDir = await fsp.mkdtemp(path.join(dir, 'hostile-'));
    const a = { name: 'a.txt', data: 'Contenu de a.txt\n', deflate: true };
    const manifest = Buffer.from(
      JSON.stringify(
        manifestOf(
          [
            {
              path: 'a.txt',
              size: 17,
              sha256: 'ea003c87c88115b4960a4a9b8b432197451d44fa74e0732ff47aefb987c3e644',
            },
          ],
          key,
        ),
      ),
    );
    const write = async (name: string, bytes: Buffer) => {
      const file = path.join(hostileDir, `${name}.zip`);
      await fsp.writeFile(file, bytes);
      return file;
    };
    // What the fixtures name, and what only verify looks for (bytes no check would cover).
    const cases: { file: string; problem: RegExp }[] = [];
    for (const h of HOSTILE_ARCHIVES)
      cases.push({
        file: await h.build(hostileDir, key),
        problem: NAME_LINES[h.name] ?? h.message,
      });
    cases.push(
      {
        file: await write(
          'manifest-crc',
          craftZip([
            a,
            { name: MANIFEST, data: manifest, deflate: true, crc: 0x12345678 },
            { name: SIGNATURE, data: key.sign(manifest) },
          ]),
        ),
        problem: /^CRC-32 mismatch: manifest\.json$/,
      },
      {
        file: await write(
          'folder-with-data',
          signedZip([a, { name: 'dossier/', data: 'cachés ici' }], { signer: key }),
        ),
        problem: /^Unsafe entry dossier\/: a folder entry with data$/,
      },
      {
        file: await write('zip-comment', withComment(signedZip([a], { signer: key }), 'caché')),
        problem: /^The zip has a comment of 6 bytes that no check covers$/,
      },
      {
        file: await write(
          'evil-local-name',
          signedZip([{ ...a, localName: '../../../../tmp/evil.html' }], { signer: key }),
        ),
        problem: /^The local header of a\.txt differs from its central entry: name$/,
      },
    );

    const run = verify(...cases.map((c) => c.file));
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).not.toMatch(/\n\s+at /);
    expect(run.stdout).not.toMatch(/OK:/);
    const lines = run.stdout.split('\n');
    for (const c of cases) {
      const own = lines
        .filter((l) => l.startsWith(`${c.file}: `))
        .map((l) => l.slice(c.file.length + 2));
      const problems = own.filter((l) => l.startsWith('PROBLEM: ')).map((l) => l.slice(9));
      expect(problems, path.basename(c.file)).toHaveLength(1);
      expect(problems[0], path.basename(c.file)).toMatch(c.problem);
      expect(own.at(-1), path.basename(c.file)).toBe('INVALID: 1 problem(s)');
    }
    expect(run.status).toBe(1);

    const sound = verify(
      await write('sound', signedZip([a], { signer: key })),
      await SOUND_ARCHIVES.zip64.build(hostileDir, key),
    );
    expect(sound.stdout).toMatch(/sound\.zip: OK: 1 files and 0 records checked/);
    expect(sound.stdout).toMatch(/zip64\.zip: OK: 2 files/);
    expect(sound.status).toBe(0);
  }, 120_000);
});
