import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { newId, type Clock } from '../clock.ts';
import { openDatabase, type Db } from '../db/database.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-db.ts';
import { testDbKinds, testRedisUrl } from '../../test/support/test-env.ts';
import { waitFor } from '../../test/support/wait.ts';
import { BullmqQueue } from './bullmq-queue.ts';
import { EmbeddedQueue } from './embedded-queue.ts';
import { defineJob } from './job-queue.ts';
import { JobStore, STALLED_NO_TRIES } from './job-store.ts';
import {
  MAINTENANCE_JOB_TYPE,
  maintenanceRunId,
  purgeTempFiles,
  startMaintenance,
  type Maintenance,
} from './maintenance.ts';

const log = pino({ level: 'silent' });
const PERIOD = 10 * 60_000;
/** A period start, so the test's periods do not depend on the day it runs. */
const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);

/** A clock the test moves; the schedulers' timers stay real. */
function manualClock(start: number): Clock & { set(t: number): void } {
  let now = start;
  return { now: () => now, set: (t) => (now = t) };
}

describe.each(testDbKinds())('maintenance once across processes on %s', (kind) => {
  let tdb: TestDatabase;
  // Two connections to one database: two processes of one deployment.
  let dbs: Db[];

  beforeAll(async () => {
    tdb = await createTestDatabase(kind);
    dbs = [tdb.db, openDatabase(tdb.config)];
  });
  afterAll(async () => {
    await dbs[1]?.close();
    await tdb.destroy();
  });

  it('runs each task once per period however many schedulers look', async () => {
    const clock = manualClock(T0);
    const runs: Record<string, number[]> = { purge: [], recover: [] };
    const schedulers: Maintenance[] = dbs.flatMap((db) =>
      // Two schedulers per connection, four in all, each with the same tasks.
      [1, 2].map(() =>
        startMaintenance({
          db,
          clock,
          log,
          everyMs: PERIOD,
          checkEveryMs: 3_600_000,
          runAtStart: false,
          tasks: [
            { name: 'purge', run: async () => void runs.purge!.push(clock.now()) },
            { name: 'recover', run: async () => (runs.recover!.push(clock.now()), 7) },
          ],
        }),
      ),
    );
    try {
      for (let p = 0; p < 4; p++) {
        // Anywhere inside the period: all four look at once, one runs it.
        clock.set(T0 + p * PERIOD + 1234);
        const ran = await Promise.all(schedulers.map((s) => s.runDue()));
        expect(ran.filter(Boolean)).toHaveLength(1);
        // Looking again within the same period runs nothing.
        clock.set(T0 + p * PERIOD + PERIOD - 1);
        expect(await Promise.all(schedulers.map((s) => s.runDue()))).toEqual([
          false,
          false,
          false,
          false,
        ]);
      }
    } finally {
      await Promise.all(schedulers.map((s) => s.stop()));
    }
    const starts = [0, 1, 2, 3].map((p) => T0 + p * PERIOD + 1234);
    expect(runs.purge).toEqual(starts);
    expect(runs.recover).toEqual(starts);
    // Each period's run is a job row, with what each task returned.
    const store = new JobStore({ db: tdb.db, clock });
    const rows = await store.list({ type: MAINTENANCE_JOB_TYPE });
    expect(rows.map((r) => r.id).sort()).toEqual(starts.map((s) => maintenanceRunId(s - 1234)));
    for (const r of rows) {
      expect(r.status).toBe('succeeded');
      expect(r.result).toMatchObject({
        purge: { ok: true, result: null },
        recover: { ok: true, result: 7 },
      });
    }
  });

  it('runs on its own timer, and a failing task neither stops the others nor hides', async () => {
    const clock = manualClock(T0 + 100 * PERIOD);
    let ran = 0;
    const schedulers = dbs.map((db) =>
      startMaintenance({
        db,
        clock,
        log,
        everyMs: PERIOD,
        checkEveryMs: 20,
        tasks: [
          {
            name: 'broken',
            run: () => Promise.reject(new Error('bucket unreachable')),
          },
          { name: 'fine', run: async () => void (ran += 1) },
        ],
      }),
    );
    try {
      const store = new JobStore({ db: tdb.db, clock });
      const row = await waitFor('the failed run', async () => {
        const r = await store.get(maintenanceRunId(T0 + 100 * PERIOD));
        return r?.status === 'failed' && r;
      });
      expect(row.error).toBe('broken: bucket unreachable');
      expect(ran).toBe(1);
      // The next period, by the timer alone.
      clock.set(T0 + 101 * PERIOD);
      await waitFor('the next run', () => ran === 2);
    } finally {
      await Promise.all(schedulers.map((s) => s.stop()));
    }
    expect(ran).toBe(2);
  });

  it('embedded: recoverStalled fails a dead worker last try, and a dead maintenance run', async () => {
    const clock = manualClock(T0 + 200 * PERIOD);
    const store = new JobStore({ db: tdb.db, clock });
    const queue = new EmbeddedQueue({
      db: tdb.db,
      clock,
      log,
      concurrency: 1,
      leaseMs: 1000,
      maxAttempts: 3,
    });
    // A maintenance run whose process died, and a job of a dead worker on its last try.
    const deadRun = maintenanceRunId(T0 + 200 * PERIOD);
    expect(await store.claimOnce(deadRun, MAINTENANCE_JOB_TYPE, 'dead:1:x', PERIOD)).toBe(true);
    const last = newId();
    await store.insert({ id: last, type: 'x', payload: null, maxAttempts: 1, runAt: clock.now() });
    await tdb.db.kysely
      .updateTable('jobs')
      .set({
        status: 'running',
        attempts: 1,
        locked_by: 'dead:2:y',
        lease_until: clock.now() + 1000,
      })
      .where('id', '=', last)
      .execute();
    expect(await queue.recoverStalled()).toBe(0); // leases not over yet
    clock.set(T0 + 201 * PERIOD + 1);
    expect(await queue.recoverStalled()).toBe(2);
    for (const id of [deadRun, last]) {
      const row = await store.get(id);
      expect(row?.status).toBe('failed');
      expect(row?.error).toBe(STALLED_NO_TRIES);
    }
  });
});

describe('bullmq: recoverStalled', () => {
  let tdb: TestDatabase;
  let queue: BullmqQueue;
  const done: string[] = [];
  const job = defineJob({
    type: 'maintenance-test.echo',
    payload: z.object({ n: z.number() }),
    run: async (p, ctx) => void done.push(`${ctx.jobId}:${p.n}`),
  });

  beforeAll(async () => {
    tdb = await createTestDatabase(testDbKinds().at(-1) ?? 'sqlite');
    queue = new BullmqQueue({
      db: tdb.db,
      clock: { now: () => Date.now() },
      log,
      definitions: [job],
      redisUrl: testRedisUrl(),
      prefix: `mdtest-${newId()}`,
      concurrency: 1,
      leaseMs: 2000,
      maxAttempts: 2,
    });
  });
  afterAll(async () => {
    await queue.stop(1000);
    await tdb.destroy();
  });

  it('fails a running row Redis no longer holds, and gives Redis back a queued row it lost', async () => {
    const store = new JobStore({ db: tdb.db, clock: { now: () => Date.now() } });
    const now = Date.now();
    // A row left running by a dead process whose Redis job is gone.
    const orphan = newId();
    await store.insert({
      id: orphan,
      type: job.type,
      payload: { n: 1 },
      maxAttempts: 2,
      runAt: now,
    });
    await tdb.db.kysely
      .updateTable('jobs')
      .set({ status: 'running', attempts: 1, locked_by: 'dead:1:x', lease_until: now - 1 })
      .where('id', '=', orphan)
      .execute();
    // A queued row that never reached Redis (its process died between the two), long ago.
    const lost = newId();
    await store.insert({ id: lost, type: job.type, payload: { n: 2 }, maxAttempts: 2, runAt: now });
    await tdb.db.kysely
      .updateTable('jobs')
      .set({ updated_at: now - 3_600_000 })
      .where('id', '=', lost)
      .execute();
    // A job queued the normal way is left alone.
    const normal = await queue.enqueue(job, { n: 3 });

    expect(await queue.recoverStalled()).toBe(2);
    expect((await store.get(orphan))?.status).toBe('failed');
    expect((await store.get(orphan))?.error).toBe(STALLED_NO_TRIES);
    queue.startWorker();
    await waitFor('both queued jobs run', async () => {
      const rows = await Promise.all([store.get(lost), store.get(normal)]);
      return rows.every((r) => r?.status === 'succeeded');
    });
    expect(done.sort()).toEqual([`${lost}:2`, `${normal}:3`].sort());
    expect(await queue.recoverStalled()).toBe(0);
  });
});

describe('purgeTempFiles', () => {
  it('removes what nothing touched for the given age, keeps the rest', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-maint-'));
    try {
      const now = Date.now();
      const old = new Date(now - 2 * 86_400_000);
      // A dead import's folder, a stray file, and a live import's folder with a fresh file.
      await fs.mkdir(path.join(dir, 'md-import-dead'));
      await fs.writeFile(path.join(dir, 'md-import-dead', 'archive.zip'), 'x');
      await fs.utimes(path.join(dir, 'md-import-dead', 'archive.zip'), old, old);
      await fs.utimes(path.join(dir, 'md-import-dead'), old, old);
      await fs.writeFile(path.join(dir, 'stray.tmp'), 'y');
      await fs.utimes(path.join(dir, 'stray.tmp'), old, old);
      await fs.mkdir(path.join(dir, 'md-import-live'));
      await fs.utimes(path.join(dir, 'md-import-live'), old, old);
      await fs.writeFile(path.join(dir, 'md-import-live', 'archive.zip'), 'z');

      expect(await purgeTempFiles(dir, 86_400_000, now)).toBe(2);
      expect(await fs.readdir(dir)).toEqual(['md-import-live']);
      expect(await purgeTempFiles(path.join(dir, 'absent'), 1, now)).toBe(0);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
