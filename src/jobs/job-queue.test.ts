import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, systemClock } from '../clock.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-db.ts';
import { testDbKinds, testRedisUrl, type TestDbKind } from '../../test/support/test-env.ts';
import { readLines, testJobs } from '../../test/support/test-jobs.ts';
import { waitFor } from '../../test/support/wait.ts';
import { BullmqQueue } from './bullmq-queue.ts';
import { EmbeddedQueue } from './embedded-queue.ts';
import type { JobDefinition, JobQueue } from './job-queue.ts';

const LEASE_MS = 1500;
const workerScript = fileURLToPath(
  new URL('../../test/support/job-worker-process.ts', import.meta.url),
);

type Engine = 'embedded' | 'bullmq';
const kinds = testDbKinds();
const cases: { engine: Engine; db: TestDbKind }[] = [
  ...kinds.map((db) => ({ engine: 'embedded' as const, db })),
  // BullMQ keeps its own state in Redis; its rows behave the same on both databases.
  { engine: 'bullmq' as const, db: kinds[kinds.length - 1]! },
];

describe.each(cases)('job queue: $engine on $db', ({ engine, db: dbKind }) => {
  let tdb: TestDatabase;
  let dir: string;
  let defs: JobDefinition[];
  const prefix = `mdtest-${newId()}`;
  const queues: JobQueue[] = [];
  const children: ChildProcess[] = [];

  const makeQueue = (): JobQueue => {
    const common = {
      db: tdb.db,
      clock: systemClock,
      log: pino({ level: 'silent' }),
      definitions: defs,
      concurrency: 2,
      leaseMs: LEASE_MS,
      maxAttempts: 3,
    };
    const q =
      engine === 'bullmq'
        ? new BullmqQueue({ ...common, redisUrl: testRedisUrl(), prefix })
        : new EmbeddedQueue({ ...common, pollMs: 50, random: () => 0 });
    queues.push(q);
    return q;
  };

  const spawnWorker = async (): Promise<ChildProcess> => {
    const child = spawn(process.execPath, [workerScript], {
      env: {
        ...process.env,
        TEST_WORKER_DB: JSON.stringify(tdb.config),
        TEST_WORKER_QUEUE: engine,
        TEST_WORKER_DIR: dir,
        TEST_WORKER_REDIS: testRedisUrl(),
        TEST_WORKER_PREFIX: prefix,
        TEST_WORKER_LEASE_MS: String(LEASE_MS),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
    });
    return child;
  };

  beforeAll(async () => {
    tdb = await createTestDatabase(dbKind);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-jobs-'));
    defs = testJobs(dir);
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const q of queues) await q.stop(100);
    await tdb.destroy();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const effect = () => defs[0]!;

  it('runs a job once, with its progress and result in the row', async () => {
    const q = makeQueue();
    q.startWorker();
    const id = await q.enqueue(effect(), { key: 'simple', holdMs: 0 });
    const job = await waitFor('success', async () => {
      const j = await q.get(id);
      return j?.status === 'succeeded' && j;
    });
    expect(job.result).toEqual({ key: 'simple', attempt: 1 });
    expect(job.progress).toEqual({ step: 'started', attempt: 1 });
    expect(job.attempts).toBe(1);
    expect(job.finishedAt).not.toBeNull();
    expect(await readLines(dir, 'simple', 'done')).toHaveLength(1);
    await q.stop(1000);
  });

  it('refuses a payload that does not match its schema', async () => {
    const q = makeQueue();
    await expect(q.enqueue(effect(), { key: 1, holdMs: 0 })).rejects.toThrow();
  });

  it('retries a job failing twice, which then succeeds', async () => {
    const q = makeQueue();
    q.startWorker();
    const id = await q.enqueue(effect(), { key: 'flaky', holdMs: 0, failTimes: 2 });
    const job = await waitFor(
      'success after retries',
      async () => {
        const j = await q.get(id);
        return j?.status === 'succeeded' && j;
      },
      20_000,
    );
    expect(job.attempts).toBe(3);
    expect(await readLines(dir, 'flaky', 'started')).toHaveLength(3);
    expect(await readLines(dir, 'flaky', 'done')).toHaveLength(1);
    await q.stop(1000);
  });

  it('fails a job for good after its last try, with the reason', async () => {
    const q = makeQueue();
    q.startWorker();
    const id = await q.enqueue(
      effect(),
      { key: 'doomed', holdMs: 0, failTimes: 9 },
      { maxAttempts: 2 },
    );
    const job = await waitFor(
      'final failure',
      async () => {
        const j = await q.get(id);
        return j?.status === 'failed' && j;
      },
      20_000,
    );
    expect(job.attempts).toBe(2);
    expect(job.error).toBe('planned failure 2');
    expect(await readLines(dir, 'doomed', 'done')).toHaveLength(0);
    await q.stop(1000);
  });

  it('cancels a queued job before it runs', async () => {
    const q = makeQueue();
    const id = await q.enqueue(effect(), { key: 'never', holdMs: 0 }, { delayMs: 200 });
    expect(await q.cancel(id)).toBe(true);
    // A job due after the cancelled one: once it has run, the worker has had its chance to
    // take the cancelled one (no fixed sleep needed to prove it never ran).
    const later = await q.enqueue(effect(), { key: 'after-never', holdMs: 0 }, { delayMs: 400 });
    q.startWorker();
    await waitFor('the later job', async () => (await q.get(later))?.status === 'succeeded');
    const job = await q.get(id);
    expect(job?.status).toBe('cancelled');
    expect(job?.attempts).toBe(0);
    expect(await readLines(dir, 'never', 'started')).toHaveLength(0);
    expect(await q.cancel(id)).toBe(false);
    await q.stop(1000);
  });

  it('stops a running job when it is cancelled', async () => {
    const q = makeQueue();
    q.startWorker();
    const id = await q.enqueue(effect(), { key: 'cancel-running', holdMs: 60_000 });
    await waitFor(
      'start',
      async () => (await readLines(dir, 'cancel-running', 'started')).length > 0,
    );
    const t0 = Date.now();
    expect(await q.cancel(id)).toBe(true);
    await waitFor('cancelled', async () => (await q.get(id))?.status === 'cancelled');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await readLines(dir, 'cancel-running', 'done')).toHaveLength(0);
    await q.stop(1000);
  });

  it('a job running in a worker killed with SIGKILL is taken again and completes exactly once', async () => {
    const producer = makeQueue();
    const first = await spawnWorker();
    const id = await producer.enqueue(effect(), {
      key: 'crash',
      holdMs: 60_000,
      holdFirstStartOnly: true,
    });
    await waitFor('start in the first worker', async () => {
      const lines = await readLines(dir, 'crash', 'started');
      return lines.some((l) => l.startsWith(`${first.pid} `));
    });
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect((await producer.get(id))?.status).toBe('running');

    const second = await spawnWorker();
    const job = await waitFor(
      'completion by the second worker',
      async () => {
        const j = await producer.get(id);
        return j?.status === 'succeeded' && j;
      },
      20_000,
    );
    const done = await readLines(dir, 'crash', 'done');
    expect(done).toEqual([`${second.pid} 2`]);
    expect(job.attempts).toBe(2);
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
  });

  it('a worker asked to stop hands its job back, and another finishes it', async () => {
    const q1 = makeQueue();
    q1.startWorker();
    const id = await q1.enqueue(effect(), {
      key: 'handback',
      holdMs: 60_000,
      holdFirstStartOnly: true,
    });
    await waitFor('start', async () => (await readLines(dir, 'handback', 'started')).length > 0);
    await q1.stop(200);
    const released = await q1.get(id);
    expect(released?.status).toBe('queued');
    const q2 = makeQueue();
    q2.startWorker();
    const job = await waitFor(
      'completion after hand-back',
      async () => {
        const j = await q2.get(id);
        return j?.status === 'succeeded' && j;
      },
      20_000,
    );
    expect(await readLines(dir, 'handback', 'done')).toHaveLength(1);
    expect(job.status).toBe('succeeded');
    await q2.stop(1000);
  });

  it('reports healthy', async () => {
    await expect(makeQueue().check()).resolves.toBeUndefined();
  });
});
