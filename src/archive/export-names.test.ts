import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { FIXTURE_KEY, signedZip } from '../../test/fixtures/hostile-archives.ts';
import { MANIFEST } from './format.ts';
import { loadOrCreateInstanceKey, type TrustedKey } from './keys.ts';
import { nameProblems, verifyArchive } from './verify.ts';
import { listEntries, openZip } from './zip-reader.ts';
import { ZipWriter } from './zip-writer.ts';

const run = promisify(execFile);

let dir: string;
let trusted: TrustedKey[];

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'md-names-'));
  const key = await loadOrCreateInstanceKey(path.join(dir, 'instance.key'));
  trusted = [{ id: key.id, publicKey: createPublicKey(key.publicKeyPem), source: 'test' }];
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

/** Every file under `root`, by its path relative to it ("/" separated), with its bytes. */
async function tree(root: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const entry of await fsp.readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    found.set(
      path.relative(root, full).split(path.sep).join('/'),
      await fsp.readFile(full, 'utf8'),
    );
  }
  return found;
}

describe('names in an archive', () => {
  it('extracts every clash case and a 330-level tree into distinct files with unzip and Python', async () => {
    const zip = new ZipWriter(new Date(Date.UTC(2026, 0, 1)));
    const file = path.join(dir, 'names.zip');
    const written = pipeline(zip.output, fs.createWriteStream(file));
    const expected = new Map<string, string>();
    let n = 0;
    const put = async (folder: string, name: string, stream = false) => {
      const reserved = zip.reservePath(folder, name);
      const content = `entry ${n++}: ${folder} / ${name}\n`;
      const done = stream
        ? zip.addStream(reserved, Readable.from([Buffer.from(content)]), { compress: true })
        : zip.addBuffer(reserved, Buffer.from(content), { compress: false });
      expect((await done).path).toBe(reserved);
      expect(expected.has(reserved)).toBe(false);
      expected.set(reserved, content);
    };
    const app = 'Espace documentaire';
    const shared = `${app}/Partagés avec moi`;
    // A document "Classeur" and a folder "Classeur", both orders.
    await put(shared, 'Classeur');
    await put(`${shared}/Classeur`, 'Tableau.ods', true);
    await put(`${shared}/Notes`, 'a.txt');
    await put(shared, 'notes');
    // A folder CON (made _CON) next to a document _CON; "..." next to "sans nom".
    await put(`${app}/Mes documents/CON`, 'x.txt');
    await put(`${app}/Mes documents`, '_CON');
    await put(`${app}/Mes documents`, '...');
    await put(`${app}/Mes documents`, 'sans nom');
    await put(`${app}/Mes documents/..`, 'dans sans nom.txt');
    // manifest.json in an app folder, and a folder named like it at the top.
    await put(app, 'manifest.json');
    await put(`${app}/Mes documents`, 'manifest.json');
    await put('manifest.json', 'dedans.txt');
    // Names differing only by case, Unicode form or fold.
    for (const name of [
      'Rapport.pdf',
      'RAPPORT.pdf',
      'Café.txt',
      'Cafe\u0301.txt',
      'ſ.txt',
      's.txt',
      '\u212a.txt',
      'k.txt',
      'Ａ.txt',
      'a.txt',
    ])
      await put(`${app}/Mes documents`, name);
    await put(`${app}/Mes documents/Dossier`, 'x.txt');
    await put(`${app}/Mes documents/DOSSIER`, 'x.txt');
    // A tree of 330 folders with 200-character names, a document at each level.
    const levels: string[] = [];
    for (let level = 1; level <= 330; level++) {
      levels.push(
        level % 2 === 0
          ? 'Dossier partagé '.repeat(13).slice(0, 200)
          : `${'n'.repeat(196)}${level}`,
      );
      await put([shared, ...levels].join('/'), `document ${level}.txt`, level % 5 === 0);
    }
    await zip.addBuffer(MANIFEST, Buffer.from('{}\n'), { compress: true, listed: false });
    zip.end();
    await written;

    // The writer's own names pass verify's name checks.
    const reader = await openZip(file);
    try {
      expect(nameProblems(await listEntries(reader))).toEqual([]);
    } finally {
      reader.close();
    }
    expected.set(MANIFEST, '{}\n');

    const byUnzip = path.join(dir, 'unzip');
    await fsp.mkdir(byUnzip);
    await run('unzip', ['-q', file, '-d', byUnzip]);
    const byPython = path.join(dir, 'python');
    await run('python3', [
      '-c',
      'import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])',
      file,
      byPython,
    ]);
    for (const root of [byUnzip, byPython]) {
      const got = await tree(root);
      expect(got.size).toBe(expected.size);
      expect(got).toEqual(expected);
    }
  }, 60_000);
});

describe('verify and names', () => {
  async function handMade(names: string[]): Promise<string> {
    const zip = new yazl.ZipFile();
    for (const name of names) zip.addBuffer(Buffer.from(name), name);
    zip.end();
    const file = path.join(dir, `hand-${names.length}-${Date.now()}.zip`);
    await pipeline(zip.outputStream, fs.createWriteStream(file));
    return file;
  }

  it('refuses a file that is also a folder, and names one system takes for one', async () => {
    const file = await handMade([
      'a',
      'a/b',
      'X/Rapport.pdf',
      'x/rapport.PDF',
      'Cafe\u0301',
      'Café',
    ]);
    const result = await verifyArchive(file, trusted);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(
      expect.arrayContaining([
        'Both a file and a folder: a (folder a/ of other entries)',
        'One name on Windows and macOS: X/Rapport.pdf and x/rapport.PDF',
        'One name on Windows and macOS: Cafe\u0301 and Café',
      ]),
    );
    for (const line of result.problems) expect(line).not.toMatch(/\n|\s{4}at /);
  });

  it('refuses a name longer than the limits, on one short line', async () => {
    const long = `${'d'.repeat(200)}/`.repeat(5);
    // Signed and listed in its manifest, so that nothing but the names is wrong with it.
    const file = path.join(dir, 'long-names.zip');
    await fsp.writeFile(
      file,
      signedZip(
        [`${'n'.repeat(290)}.txt`, `${long}f.txt`].map((name) => ({
          name,
          data: Buffer.from(name.slice(-5)),
        })),
      ),
    );
    const result = await verifyArchive(file, [FIXTURE_KEY.trusted]);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(
      expect.arrayContaining([
        `Unsafe name: ${'n'.repeat(290)}.txt (a name is 294 bytes long (at most 255))`,
        `Unsafe name: ${long.slice(0, 200)}…${`${long}f.txt`.slice(-80)} (the path is 1010 bytes long (at most 768))`,
      ]),
    );
    for (const line of result.problems) expect(line.length).toBeLessThan(400);
  });
});
