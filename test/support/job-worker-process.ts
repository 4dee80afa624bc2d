/**
 * A worker in its own process, for crash tests: the parent kills it with SIGKILL mid-job.
 * Configured by env: TEST_WORKER_DB (DatabaseConfig JSON), TEST_WORKER_QUEUE (embedded|bullmq),
 * TEST_WORKER_DIR, TEST_WORKER_REDIS, TEST_WORKER_PREFIX, TEST_WORKER_LEASE_MS.
 */
import { pino } from 'pino';
import { systemClock } from '../../src/clock.ts';
import type { DatabaseConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/database.ts';
import { BullmqQueue } from '../../src/jobs/bullmq-queue.ts';
import { EmbeddedQueue } from '../../src/jobs/embedded-queue.ts';
import { testJobs } from './test-jobs.ts';

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`${name} missing`);
  return v;
};

const dbConfig = JSON.parse(env('TEST_WORKER_DB')) as DatabaseConfig;
const db = openDatabase(dbConfig);
const log = pino({ level: 'warn' });
const leaseMs = Number(env('TEST_WORKER_LEASE_MS'));
const definitions = testJobs(env('TEST_WORKER_DIR'));
const common = {
  db,
  clock: systemClock,
  log,
  definitions,
  concurrency: 1,
  leaseMs,
  maxAttempts: 3,
};
const queue =
  env('TEST_WORKER_QUEUE') === 'bullmq'
    ? new BullmqQueue({
        ...common,
        redisUrl: env('TEST_WORKER_REDIS'),
        prefix: env('TEST_WORKER_PREFIX'),
      })
    : new EmbeddedQueue({ ...common, pollMs: 100, random: () => 0 });
queue.startWorker();
process.stdout.write('ready\n');

const shutdown = () => {
  queue
    .stop(500)
    .then(() => db.close())
    .then(() => process.exit(0))
    .catch(() => process.exit(1));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
