/**
 * An archive written with an older `dataVersion` of an app is read through the app's
 * `upgrade` before its schema (here: the blog as if its records had moved to version 2, whose
 * upgrade turns version-1 post titles into the new shape), and the import writes the upgraded
 * records; without an `upgrade`, the reader hands records as they are to the schema.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser } from '../../../test/support/factories.ts';
import { roundTrip } from '../../../test/support/round-trip.ts';
import { createTestRuntime, type TestRuntime } from '../../../test/support/test-runtime.ts';
import type { ArchiveAdapter, ImportAdapter, ImportContext } from '../adapter.ts';
import { openImportArchive } from './archive-reader.ts';
import { runImport } from './import-engine.ts';
import { MemoryImportJournal } from './import-journal.ts';

describe('older data versions', () => {
  let t: TestRuntime;
  let dir: string;

  beforeAll(async () => {
    t = await createTestRuntime('sqlite');
    t.runtime.queue.startWorker();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-import-upgrade-'));
  });
  afterAll(async () => {
    await t?.destroy();
    if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
  });

  it('are upgraded record by record by the app before they are parsed and imported', async () => {
    const a = await makeUser(t.runtime.platform, 'Teacher');
    const exported = await roundTrip.blog(t.runtime, a, dir);
    const adapter = t.runtime.apps.list.find((x) => x.archive?.app === 'blog')?.archive;
    const importer = adapter?.import;
    if (adapter === undefined || importer === undefined) throw new Error('no blog importer');
    const calls: { file: string; from: number }[] = [];
    // Version 2 of the blog's records: post titles are upgraded (here marked, to see it).
    const upgraded: ImportAdapter = {
      ...importer,
      upgrade: (file, record, from) => {
        calls.push({ file, from });
        if (file === 'posts.ndjson' && typeof record === 'object' && record !== null)
          return { ...record, title: `[v1] ${String((record as { title: unknown }).title)}` };
        return record;
      },
    };
    const v2: ArchiveAdapter = { ...adapter, dataVersion: 2, import: upgraded };

    const archive = await openImportArchive(exported.archive.file);
    try {
      const reader = archive.reader('blog', v2);
      expect(reader?.dataVersion).toBe(1);
      const b = await makeUser(t.runtime.platform, 'Teacher');
      const ctx: ImportContext = {
        user: b,
        importId: 'upgrade-test',
        signal: new AbortController().signal,
        dryRun: false,
        duplicates: 'skip',
        launchedAt: Date.now(),
        memo: (_key, compute) => compute(),
      };
      if (reader === undefined) throw new Error('no blog in the archive');
      const reports = await runImport({
        apps: [{ app: 'blog', dependsOn: [], importer: upgraded, reader, upgradedFrom: 1 }],
        ctx,
        journal: new MemoryImportJournal(),
      });
      expect(reports.blog).toMatchObject({ upgradedFrom: 1 });
      expect(calls.some((c) => c.file === 'posts.ndjson' && c.from === 1)).toBe(true);
      const blogs = await t.runtime.apps.blog.listBlogs(b);
      const posts = await t.runtime.apps.blog.listPosts(b, blogs[0]?.id ?? '');
      expect(posts.length).toBeGreaterThan(0);
      for (const p of posts) expect(p.title).toMatch(/^\[v1\] /);

      // The same version as this instance: no upgrade is asked.
      calls.length = 0;
      const same = archive.reader('blog', { ...v2, dataVersion: 1 });
      if (same === undefined) throw new Error('no blog in the archive');
      for await (const item of upgraded.items(same, ctx)) expect(item.name).not.toMatch(/^\[v1\]/);
      expect(calls).toEqual([]);
    } finally {
      archive.close();
    }
  });
});
