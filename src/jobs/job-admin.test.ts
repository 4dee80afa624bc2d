import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { newId, systemClock } from '../clock.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-db.ts';
import { testDbKinds, testRedisUrl, type TestDbKind } from '../../test/support/test-env.ts';
import { waitFor } from '../../test/support/wait.ts';
import { BullmqQueue } from './bullmq-queue.ts';
import { EmbeddedQueue } from './embedded-queue.ts';
import { defineJob, type JobDefinition, type JobQueue } from './job-queue.ts';

/** The admin side of the queue (list, counts, depth, retry) on every engine and database. */
type Engine = 'embedded' | 'bullmq';
const kinds = testDbKinds();
const cases: { engine: Engine; db: TestDbKind }[] = [
  ...kinds.map((db) => ({ engine: 'embedded' as const, db })),
  { engine: 'bullmq' as const, db: kinds[kinds.length - 1]! },
];

describe.each(cases)('job queue admin: $engine on $db', ({ engine, db: dbKind }) => {
  let tdb: TestDatabase;
  let dir: string;
  const queues: JobQueue[] = [];

  /** Fails while `<key>.block` exists; counts its runs in `<key>.runs`. */
  const gated = defineJob({
    type: 'test.gated',
    payload: z.strictObject({ key: z.string(), holdMs: z.number().optional() }),
    maxAttempts: 1,
    async run(p) {
      await fs.appendFile(path.join(dir, `${p.key}.runs`), 'x');
      // Deaf to its signal on purpose: a worker that keeps the job whatever its row says.
      if (p.holdMs !== undefined) await sleep(p.holdMs);
      const blocked = await fs
        .access(path.join(dir, `${p.key}.block`))
        .then(() => true)
        .catch(() => false);
      if (blocked) throw new Error(`blocked ${p.key}`);
      return { key: p.key };
    },
  });
  const other = defineJob({
    type: 'test.other',
    payload: z.strictObject({ n: z.number() }),
    run: async () => null,
  });
  const defs = [gated, other] as JobDefinition[];
  const runs = async (key: string) =>
    (await fs.readFile(path.join(dir, `${key}.runs`), 'utf8').catch(() => '')).length;

  /** Each queue its own Redis prefix: a worker of one test never takes another test's jobs. */
  const makeQueue = (): JobQueue => {
    const common = {
      db: tdb.db,
      clock: systemClock,
      log: pino({ level: 'silent' }),
      definitions: defs,
      concurrency: 2,
      leaseMs: 1500,
      maxAttempts: 3,
    };
    const q =
      engine === 'bullmq'
        ? new BullmqQueue({ ...common, redisUrl: testRedisUrl(), prefix: `mdtest-${newId()}` })
        : new EmbeddedQueue({ ...common, pollMs: 50, random: () => 0 });
    queues.push(q);
    return q;
  };

  beforeAll(async () => {
    tdb = await createTestDatabase(dbKind);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-jobs-admin-'));
  });

  afterAll(async () => {
    for (const q of queues) await q.stop(100);
    await tdb.destroy();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('lists jobs newest first, by state and type, and counts them with the queue depth', async () => {
    const q = makeQueue();
    const before = Date.now();
    const a = await q.enqueue(other, { n: 1 });
    const b = await q.enqueue(other, { n: 2 });
    const c = await q.enqueue(gated, { key: 'later' }, { delayMs: 60_000 });
    expect(await q.cancel(b)).toBe(true);

    expect((await q.list()).map((j) => j.id)).toEqual([c, b, a]);
    expect((await q.list({ status: 'queued' })).map((j) => j.id)).toEqual([c, a]);
    expect((await q.list({ type: 'test.other' })).map((j) => j.id)).toEqual([b, a]);
    expect((await q.list({ status: 'queued', type: 'test.other' })).map((j) => j.id)).toEqual([a]);
    expect((await q.list({ limit: 1 })).map((j) => j.id)).toEqual([c]);

    const counts = await q.counts();
    expect(counts.byStatus).toEqual({
      queued: 2,
      running: 0,
      succeeded: 0,
      failed: 0,
      cancelled: 1,
    });
    expect(counts.oldestQueuedAt).toBe((await q.get(a))?.createdAt);
    expect(counts.oldestQueuedAt).toBeGreaterThanOrEqual(before);
    // One due now, one waiting for its delay (what the engine holds, in Redis for bullmq).
    expect(await q.depth()).toEqual({ waiting: 1, delayed: 1 });

    for (const id of [a, c]) await q.cancel(id);
    expect(await q.depth()).toEqual({ waiting: 0, delayed: 0 });
    expect((await q.counts()).oldestQueuedAt).toBeNull();
  });

  it('retries a failed job: it runs again from its first try; anything else is refused', async () => {
    const q = makeQueue();
    q.startWorker();
    await fs.writeFile(path.join(dir, 'flaky.block'), '');
    const id = await q.enqueue(gated, { key: 'flaky' });
    const failed = await waitFor('the failure', async () => {
      const j = await q.get(id);
      return j?.status === 'failed' && j;
    });
    expect(failed.error).toBe('blocked flaky');
    expect(failed.attempts).toBe(1);

    await fs.rm(path.join(dir, 'flaky.block'));
    expect(await q.retry(id)).toEqual({ ok: true });
    const done = await waitFor('the retried job', async () => {
      const j = await q.get(id);
      return j?.status === 'succeeded' && j;
    });
    expect(done.attempts).toBe(1);
    expect(done.finishedAt).not.toBeNull();
    expect(done.result).toEqual({ key: 'flaky' });
    expect(await runs('flaky')).toBe(2);

    // Done, queued or unknown: refused, and nothing runs again.
    expect(await q.retry(id)).toEqual({ ok: false, reason: 'not_failed' });
    expect(await q.retry(newId())).toEqual({ ok: false, reason: 'not_found' });
    const waiting = await q.enqueue(gated, { key: 'waiting' }, { delayMs: 60_000 });
    expect(await q.retry(waiting)).toEqual({ ok: false, reason: 'not_failed' });
    expect((await q.get(waiting))?.status).toBe('queued');
    await q.cancel(waiting);
    expect(await q.retry(waiting)).toEqual({ ok: false, reason: 'not_failed' });
    expect(await runs('flaky')).toBe(2);
    await q.stop(1000);
  });

  // Only BullMQ has workers that hold a job apart from its row.
  if (engine === 'bullmq')
    it('refuses to retry a job a worker still holds in Redis, and leaves it failed', async () => {
      const q = makeQueue();
      q.startWorker();
      const id = await q.enqueue(gated, { key: 'held', holdMs: 3000 });
      await waitFor('the start', async () => (await runs('held')) > 0);
      // Its row failed while the worker holds it (as when it was failed by hand).
      await tdb.db.kysely
        .updateTable('jobs')
        .set({ status: 'failed', error: 'failed by hand', finished_at: Date.now() })
        .where('id', '=', id)
        .execute();
      expect(await q.retry(id)).toEqual({ ok: false, reason: 'held' });
      expect(await q.get(id)).toMatchObject({ status: 'failed', error: 'failed by hand' });
      await q.stop(5000);
    }, 20_000);
});
