/**
 * A worker killed with SIGKILL at random points of an import, then others taking the job
 * again: the final content equals that of a clean import of the same archive (no duplicate, no
 * half-written row, no orphan blob, the same quota used). Real `mes-donnees worker` processes
 * on the same database and blobs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exportThroughService,
  type ExportedArchive,
} from '../../../test/support/export-archive.ts';
import { buildDocument, buildFolder, makeUser } from '../../../test/support/factories.ts';
import { compareRecords, readRecords, seeds } from '../../../test/support/round-trip.ts';
import { testDbKinds } from '../../../test/support/test-env.ts';
import { createTestRuntime, type TestRuntime } from '../../../test/support/test-runtime.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { APP_IDS } from '../../contracts/archive.ts';
import type { User } from '../../platform/accounts.service.ts';

const bin = path.resolve('bin/mes-donnees.js');
const TIMES = ['createdAt', 'modifiedAt', 'firstPublishedAt'];
const ENV = { JOB_LEASE: '2s', JOB_MAX_ATTEMPTS: '20' };

describe.each(testDbKinds())('an import whose worker is killed (%s)', (kind) => {
  let t: TestRuntime;
  let dir: string;
  let archive: ExportedArchive;
  const children = new Set<ChildProcess>();

  const worker = (): ChildProcess => {
    const db = t.config.database;
    const child = spawn(process.execPath, [bin, 'worker'], {
      env: {
        ...process.env,
        ...ENV,
        DATA_DIR: t.dataDir,
        DATABASE_URL: db.kind === 'sqlite' ? `sqlite:${db.file}` : db.url,
        LOG_LEVEL: 'silent',
        SEED_DEMO: 'false',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  const kill = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };

  /** Everything of `user`, exported and read back through the schemas. */
  const contentOf = async (user: User) => {
    const exported = await exportThroughService(t.runtime, user, { apps: [...APP_IDS] }, dir);
    return readRecords(t.runtime, exported, APP_IDS);
  };

  /** Blobs the user's documents are stored in (an orphan would be one more). */
  const blobsOf = async (user: User) => {
    let n = 0;
    for await (const b of t.runtime.blobs.list(`workspace/${user.id}/`)) if (b.size >= 0) n += 1;
    return n;
  };

  const launch = async (user: User) => {
    const created = await t.runtime.imports.create(user, createReadStream(archive.file), 'a.zip');
    await waitFor(
      'the analysis',
      async () => (await t.runtime.imports.get(user, created.id)).status === 'analyzed',
      60_000,
    );
    await t.runtime.imports.launch(user, created.id, { apps: [...APP_IDS] });
    return created.id;
  };
  const done = (user: User, id: string) =>
    waitFor(
      'the import to end',
      async () => {
        const v = await t.runtime.imports.get(user, id);
        return v.status === 'done' || v.status === 'failed' ? v : undefined;
      },
      120_000,
      100,
    );

  beforeAll(async () => {
    t = await createTestRuntime(kind, ENV);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-import-crash-'));
    const a = await makeUser(t.runtime.platform, 'Teacher');
    for (const app of APP_IDS) await seeds[app](t.runtime, a);
    // Enough items that a kill lands in the middle of the import.
    const bulk = await buildFolder(t.runtime, a, { name: 'Classeur' });
    for (let i = 0; i < 400; i++)
      await buildDocument(t.runtime, a, {
        name: `fiche-${i}.txt`,
        bytes: `Fiche ${i}\n`.repeat(200),
        folderId: bulk.id,
      });
    worker();
    archive = await exportThroughService(t.runtime, a, { apps: [...APP_IDS] }, dir);
  }, 180_000);
  afterAll(async () => {
    for (const c of children) await kill(c);
    await t?.destroy();
    if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
  });

  it('resumes after kills at random points and ends as a clean import does', async () => {
    const clean = await makeUser(t.runtime.platform, 'Teacher', { displayName: 'Camille Martin' });
    const cleanReport = await done(clean, await launch(clean));
    expect(cleanReport.status).toBe('done');
    const expected = await contentOf(clean);

    for (let run = 0; run < 2; run++) {
      const user = await makeUser(t.runtime.platform, 'Teacher', { displayName: 'Camille Martin' });
      const id = await launch(user);
      let kills = 0;
      /** Items the journal has settled so far (written, duplicate or failed). */
      const settledItems = async () => {
        const row = await t.runtime.db.kysely
          .selectFrom('archive_import_items')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('import_id', '=', id)
          .where('state', '!=', 'allocated')
          .executeTakeFirstOrThrow();
        return Number(row.n);
      };
      for (let k = 0; k < 3; k++) {
        // A random point: after pass 1, or once the journal has settled some items.
        const target = (await settledItems()) + Math.floor(Math.random() * 150);
        const started = await waitFor(
          'the import to reach a random point',
          async () => {
            const v = await t.runtime.imports.get(user, id);
            if (v.status === 'done') return v;
            return v.status === 'running' && (await settledItems()) >= target ? v : undefined;
          },
          60_000,
          5,
        );
        if (started.status === 'done') break;
        kills += 1;
        for (const c of [...children]) await kill(c);
        worker();
      }
      const ended = await done(user, id);
      expect(ended.status).toBe('done');
      // The job was taken again after each kill that found it running.
      const row = await t.runtime.db.kysely
        .selectFrom('archive_imports')
        .select('job_id')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const job = await t.runtime.queue.get(row.job_id ?? '');
      expect(kills).toBeGreaterThan(0);
      expect(job?.attempts).toBeGreaterThan(1);
      for (const app of APP_IDS) expect(ended.report?.apps[app]?.failed, app).toEqual([]);
      const got = await contentOf(user);
      expect(compareRecords(expected, got, { ignore: TIMES }).differences).toEqual([]);
      expect(await blobsOf(user)).toBe(await blobsOf(clean));
      expect((await t.runtime.platform.quota.usage(user.id)).used).toBe(
        (await t.runtime.platform.quota.usage(clean.id)).used,
      );
    }
  }, 600_000);
});
