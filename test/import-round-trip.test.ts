/**
 * The import's promise, app by app: seed user A, export, import into user B (through the
 * import service: upload, analysis, launch, jobs), export B: B's content equals A's modulo ids
 * (titles, HTML with references rewritten, events, pages and links, every document's bytes and
 * folder). Then a second import with `skip` creates nothing, and undo removes what was made.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_IDS, type AppId } from '../src/contracts/archive.ts';
import { makeUser } from './support/factories.ts';
import { importArchive, undoImport } from './support/import-archive.ts';
import { compareRecords, exportApp, roundTrip } from './support/round-trip.ts';
import { testDbKinds } from './support/test-env.ts';
import { createTestRuntime, type TestRuntime } from './support/test-runtime.ts';

/** When things were made (an import keeps what it can; the export of B says when B's were). */
const TIMES = ['createdAt', 'modifiedAt', 'firstPublishedAt'];

describe.each(testDbKinds())('import round trips on %s', (db) => {
  let t: TestRuntime;
  let dir: string;

  beforeAll(async () => {
    t = await createTestRuntime(db);
    t.runtime.queue.startWorker();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-import-rt-'));
  });
  afterAll(async () => {
    await t?.destroy();
    if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
  });

  const teacher = () =>
    makeUser(t.runtime.platform, 'Teacher', { displayName: 'Camille Lefèvre-Dupont' });

  it.each(APP_IDS)(
    '%s: B gets A’s content; again creates nothing; undo removes it',
    async (app) => {
      const a = await teacher();
      const fromA = await roundTrip[app](t.runtime, a, dir);
      const b = await teacher();
      const apps: AppId[] = app === 'workspace' ? ['workspace'] : ['workspace', app];

      const first = await importArchive(t.runtime, b, fromA.archive.file, { apps });
      for (const x of apps) expect(first.apps[x]?.failed, x).toEqual([]);
      expect(first.apps[app]?.imported).toBeGreaterThan(0);

      const fromB = await exportApp(t.runtime, b, app, dir);
      const same = compareRecords(fromA.records, fromB.records, { ignore: TIMES });
      expect(same.differences).toEqual([]);
      // Every document's bytes.
      const bytesA = await fromA.archive.entries();
      const bytesB = await fromB.archive.entries();
      const docs = (m: Map<string, Buffer>) =>
        [...m]
          .filter(
            ([n]) =>
              n.startsWith('Espace documentaire/') &&
              !n.endsWith('.json') &&
              !n.endsWith('.ndjson'),
          )
          .map(([, v]) => v.toString('base64'))
          .sort();
      expect(docs(bytesB)).toEqual(docs(bytesA));

      const again = await importArchive(t.runtime, b, fromA.archive.file, { apps });
      for (const x of apps) {
        expect(again.apps[x]?.imported, x).toBe(0);
        expect(again.apps[x]?.duplicates, x).toBe(
          (first.apps[x]?.imported ?? 0) + (first.apps[x]?.duplicates ?? 0),
        );
      }
      const stillB = await exportApp(t.runtime, b, app, dir);
      expect(compareRecords(fromB.records, stillB.records).differences).toEqual([]);

      const usedBefore = (await t.runtime.platform.quota.usage(b.id)).used;
      expect(usedBefore).toBeGreaterThan(0);
      await undoImport(t.runtime, b, first.id);
      await undoImport(t.runtime, b, again.id);
      const emptied = await exportApp(t.runtime, b, app, dir);
      for (const [file, records] of Object.entries(emptied.records))
        expect(records, file).toEqual([]);
      expect((await t.runtime.platform.quota.usage(b.id)).used).toBe(0);
    },
  );
});
