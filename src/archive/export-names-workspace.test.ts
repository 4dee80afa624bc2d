import { execFile } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportThroughService } from '../../test/support/export-archive.ts';
import { buildDocument, buildFolder, makeUser, share } from '../../test/support/factories.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import { createTestRuntime, type TestRuntime } from '../../test/support/test-runtime.ts';
import { allTrustedKeys } from './keys.ts';
import { verifyArchive } from './verify.ts';
import { bytesOf, MAX_PATH_BYTES } from './zip-names.ts';

const run = promisify(execFile);

/** Every file under `root`, by its path relative to it ("/" separated), with its bytes. */
async function tree(root: string): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  for (const entry of await fsp.readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    found.set(path.relative(root, full).split(path.sep).join('/'), await fsp.readFile(full));
  }
  return found;
}

describe.each(testDbKinds())('Workspace names in an export on %s', (db) => {
  let t: TestRuntime;
  let dir: string;

  beforeAll(async () => {
    t = await createTestRuntime(db);
    t.runtime.queue.startWorker();
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'md-ws-names-'));
  });
  afterAll(async () => {
    await t?.destroy();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('exports clashing names and a 330-level shared tree, extracted whole by unzip and Python', async () => {
    const rt = t.runtime;
    const pupil = await makeUser(rt.platform);
    const [a, b, c] = [
      await makeUser(rt.platform, 'Teacher'),
      await makeUser(rt.platform, 'Teacher'),
      await makeUser(rt.platform, 'Teacher'),
    ];
    const docs: { id: string }[] = [];
    // A document "Classeur" shared by one user, a folder "Classeur" by another.
    const sharedDoc = await buildDocument(rt, a, { name: 'Classeur' });
    await share(rt, a, { app: 'workspace', type: 'document', id: sharedDoc.id }, pupil);
    const sharedFolder = await buildFolder(rt, b, { name: 'classeur' });
    docs.push(
      sharedDoc,
      await buildDocument(rt, b, { name: 'Tableau', folderId: sharedFolder.id }),
    );
    await share(rt, b, { app: 'workspace', type: 'folder', id: sharedFolder.id }, pupil);
    // The pupil's own: a folder CON next to a document _CON, "..." next to "sans nom", a
    // manifest.json, names differing by case or Unicode form.
    const con = await buildFolder(rt, pupil, { name: 'CON' });
    docs.push(await buildDocument(rt, pupil, { name: 'x.txt', folderId: con.id }));
    for (const name of [
      '_CON',
      '...',
      'sans nom',
      'manifest.json',
      'Note.txt',
      'NOTE.txt',
      'ſ',
      's',
    ])
      docs.push(await buildDocument(rt, pupil, { name }));
    // 330 nested folders with 200-character names, a document at some levels.
    let parentId: string | null = null;
    let top: string | undefined;
    for (let level = 1; level <= 330; level++) {
      const name = `${'Dossier partagé très long '.repeat(8).slice(0, 196)}${level}`;
      const folder = await buildFolder(rt, c, { name, parentId });
      top ??= folder.id;
      parentId = folder.id;
      if (level % 55 === 0 || level === 1)
        docs.push(await buildDocument(rt, c, { name: `niveau ${level}.txt`, folderId: folder.id }));
    }
    if (top === undefined) throw new Error('no tree');
    await share(rt, c, { app: 'workspace', type: 'folder', id: top }, pupil);

    const archive = await exportThroughService(
      rt,
      pupil,
      { apps: ['workspace'], includeShared: true, includeDocuments: true },
      dir,
    );
    expect(archive.manifest.apps.workspace?.status).toBe('complete');
    for (const name of archive.names) expect(bytesOf(name)).toBeLessThanOrEqual(MAX_PATH_BYTES);
    const verified = await verifyArchive(
      archive.file,
      await allTrustedKeys(await rt.instanceKey(), t.config),
    );
    expect(verified.problems).toEqual([]);

    // Every document recorded at a path of the archive, each with its own bytes.
    const folder = archive.manifest.apps.workspace?.folder ?? '';
    const records = await archive.ndjson<{ id: string; path: string | null }>(
      `${folder}/documents.ndjson`,
    );
    const pathOf = new Map(records.map((r) => [r.id, r.path]));
    const entries = await archive.entries();
    for (const doc of docs) {
      const p = pathOf.get(doc.id);
      expect(p, doc.id).toBeTypeOf('string');
      expect(entries.has(p ?? '')).toBe(true);
    }
    expect(new Set(docs.map((d) => pathOf.get(d.id))).size).toBe(docs.length);

    const byUnzip = path.join(dir, 'unzip');
    await fsp.mkdir(byUnzip);
    await run('unzip', ['-q', archive.file, '-d', byUnzip]);
    const byPython = path.join(dir, 'python');
    await run('python3', [
      '-c',
      'import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])',
      archive.file,
      byPython,
    ]);
    for (const root of [byUnzip, byPython]) {
      const got = await tree(root);
      expect(got.size).toBe(entries.size);
      for (const [name, bytes] of entries) expect(got.get(name)?.equals(bytes), name).toBe(true);
    }
  }, 120_000);
});
