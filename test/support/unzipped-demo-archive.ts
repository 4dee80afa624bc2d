import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { buildArchive } from '../../src/archive/archive-builder.ts';
import { listEntries, openEntry, openZip } from '../../src/archive/zip-reader.ts';
import { newId } from '../../src/clock.ts';
import { DEFAULT_DEMO_PASSWORD, seedDemo } from '../../src/demo/seed-demo.ts';
import type { TestRuntime } from './test-runtime.ts';

/**
 * The demo pupil's whole archive, built with every app and unzipped as a user would (every
 * entry under one folder): where the offline pages are opened from. Returns that folder and
 * the names of the files it holds.
 */
export async function unzippedDemoArchive(
  t: TestRuntime,
  login = 'eleve.demo',
): Promise<{ root: string; names: string[] }> {
  await seedDemo(t.runtime, DEFAULT_DEMO_PASSWORD);
  const user = await t.runtime.platform.accounts.requireByLogin(login);
  const file = path.join(t.dataDir, `${login}.zip`);
  await buildArchive(
    {
      exportId: newId(),
      user,
      adapters: t.runtime.apps.list.flatMap((a) => (a.archive === undefined ? [] : [a.archive])),
      options: { includeDocuments: true, includeShared: true },
      key: await t.runtime.instanceKey(),
      instance: { name: 'Test' },
      now: new Date(),
      signal: new AbortController().signal,
    },
    (zip) => pipeline(zip, fs.createWriteStream(file)),
  );
  const root = path.join(t.dataDir, 'unzipped');
  const zip = await openZip(file);
  const names: string[] = [];
  try {
    for (const e of await listEntries(zip)) {
      if (e.isDirectory) continue;
      names.push(e.name);
      const target = path.join(root, e.name);
      await fsp.mkdir(path.dirname(target), { recursive: true });
      await pipeline(await openEntry(zip, e.entry), fs.createWriteStream(target));
    }
  } finally {
    zip.close();
  }
  return { root, names };
}
