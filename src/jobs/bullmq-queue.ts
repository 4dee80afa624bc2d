import os from 'node:os';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { newId, type Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import {
  errorMessage,
  registerDefinition,
  type EnqueueOptions,
  type JobCounts,
  type JobDefinition,
  type JobListFilter,
  type JobQueue,
  type JobRecord,
  type JsonValue,
  type QueueDepth,
  type RetryRefusal,
} from './job-queue.ts';
import { runJob, type RunningJob } from './job-runner.ts';
import { JobStore, STALLED_NO_TRIES } from './job-store.ts';

export interface BullmqQueueDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  /** Job types known from the start (services add theirs with `register`). */
  definitions?: readonly JobDefinition[];
  redisUrl: string;
  concurrency: number;
  leaseMs: number;
  maxAttempts: number;
  /** Redis key prefix; tests use their own so they never see each other's jobs. */
  prefix?: string;
}

/** Rows looked at per kind by one `recoverStalled` (the rest at the next period). */
const RECOVER_BATCH = 500;

/** Redis states in which BullMQ itself still runs the job, or will (stalls included). */
const HELD_STATES = new Set<string>([
  'active',
  'waiting',
  'delayed',
  'prioritized',
  'waiting-children',
]);

interface BullData {
  id: string;
}

/**
 * The distributed engine: BullMQ on Redis moves and locks jobs (its stalled-job checker takes
 * back the jobs of a dead worker); the `jobs` rows stay the record that the API reads.
 */
export class BullmqQueue implements JobQueue {
  readonly engine = 'bullmq';
  private readonly deps: BullmqQueueDeps;
  private readonly store: JobStore;
  private readonly definitions: Map<string, JobDefinition>;
  private readonly queue: Queue<BullData>;
  private readonly workerId = `${os.hostname()}:${process.pid}:${newId().slice(-8)}`;
  private readonly active = new Map<string, RunningJob>();
  private worker: Worker<BullData> | undefined;

  constructor(deps: BullmqQueueDeps) {
    this.deps = deps;
    this.store = new JobStore(deps);
    this.definitions = new Map((deps.definitions ?? []).map((d) => [d.type, d]));
    this.queue = new Queue<BullData>('mes-donnees', {
      connection: connectionOptions(deps.redisUrl),
      prefix: deps.prefix ?? 'bull',
    });
    this.queue.on('error', (error) => deps.log.error({ err: error }, 'bullmq queue error'));
  }

  register(def: JobDefinition): void {
    registerDefinition(this.definitions, def, this.worker !== undefined);
  }

  async enqueue<P extends JsonValue>(
    def: JobDefinition<P>,
    payload: P,
    options: EnqueueOptions = {},
  ): Promise<string> {
    const id = newId();
    const maxAttempts = options.maxAttempts ?? def.maxAttempts ?? this.deps.maxAttempts;
    const delay = options.delayMs ?? 0;
    await this.store.insert({
      id,
      type: def.type,
      payload: def.payload.parse(payload),
      maxAttempts,
      runAt: this.deps.clock.now() + delay,
    });
    try {
      await this.add(def.type, id, maxAttempts, delay);
    } catch (error) {
      // A row that no engine will ever run would show "queued" forever.
      await this.store.delete(id);
      throw error;
    }
    return id;
  }

  get(id: string): Promise<JobRecord | undefined> {
    return this.store.get(id);
  }

  async cancel(id: string): Promise<boolean> {
    const { found, status } = await this.store.cancel(id);
    if (status === 'cancelled') {
      // Waiting or delayed in Redis: drop it; if it is already taken, the row says cancelled.
      await this.queue.remove(id).catch(() => 0);
    }
    if (found) this.active.get(id)?.stop('cancelled');
    return found;
  }

  list(filter?: JobListFilter): Promise<JobRecord[]> {
    return this.store.list(filter);
  }

  counts(): Promise<JobCounts> {
    return this.store.counts();
  }

  /** What Redis holds for workers to take (a failed try waiting for its backoff is delayed). */
  async depth(): Promise<QueueDepth> {
    const c = await this.queue.getJobCounts('wait', 'prioritized', 'delayed');
    return { waiting: (c.wait ?? 0) + (c.prioritized ?? 0), delayed: c.delayed ?? 0 };
  }

  /**
   * The row goes back to queued first (so a worker taking the new Redis job finds it runnable),
   * then the failed Redis job is replaced by a fresh one under the same id.
   */
  async retry(id: string): Promise<{ ok: true } | { ok: false; reason: RetryRefusal }> {
    const row = await this.store.get(id);
    if (row === undefined) return { ok: false, reason: 'not_found' };
    if (row.status !== 'failed' || !(await this.store.requeue(id)))
      return { ok: false, reason: 'not_failed' };
    try {
      // 0 when a worker still holds the job's lock (its row was failed while it ran on).
      if ((await this.queue.remove(id)) === 0 && (await this.queue.getJobState(id)) !== 'unknown') {
        await this.store.fail(id, null, row.error ?? 'The job is still held by a worker');
        return { ok: false, reason: 'held' };
      }
      await this.add(row.type, id, row.maxAttempts, 0);
    } catch (error) {
      // Not in Redis: the row must not say queued forever.
      await this.store.fail(id, null, row.error ?? errorMessage(error));
      throw error;
    }
    return { ok: true };
  }

  startWorker(): void {
    if (this.worker !== undefined) return;
    const worker = new Worker<BullData>('mes-donnees', (job, token) => this.process(job, token), {
      connection: connectionOptions(this.deps.redisUrl),
      prefix: this.deps.prefix ?? 'bull',
      concurrency: this.deps.concurrency,
      lockDuration: this.deps.leaseMs,
      stalledInterval: this.deps.leaseMs,
      // Stalls are counted as tries by process(); let BullMQ hand the job back meanwhile.
      maxStalledCount: this.deps.maxAttempts,
    });
    worker.on('error', (error) => this.deps.log.error({ err: error }, 'bullmq worker error'));
    worker.on('failed', (job, error) => {
      if (job === undefined) return;
      // Retries fail too: only a final failure is recorded. Jobs failed by BullMQ itself (too
      // many stalls) never reached process() to say so.
      const final = job.attemptsMade >= (job.opts.attempts ?? 1) || /stalled/i.test(error.message);
      if (!final) return;
      void this.store
        .fail(job.data.id, null, `The job could not be completed: ${error.message}`)
        .catch(() => undefined);
    });
    this.worker = worker;
  }

  async stop(graceMs: number): Promise<void> {
    const worker = this.worker;
    if (worker !== undefined) {
      const closing = worker.close();
      let graceTimer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'timeout'>((resolve) => {
        graceTimer = setTimeout(() => resolve('timeout'), graceMs);
      });
      const first = await Promise.race([closing.then(() => 'closed' as const), graceOver]);
      clearTimeout(graceTimer);
      if (first === 'timeout') {
        for (const job of this.active.values()) job.stop('shutdown');
        await closing;
      }
    }
    await this.queue.close();
  }

  /**
   * Makes the rows and Redis agree again after what BullMQ cannot see:
   * - a running row whose lease is over (no heartbeat) while Redis no longer holds the job as
   *   waiting, active or delayed (it failed or completed in a process that died before writing
   *   the row, or Redis lost it): the row is failed, or it would say running forever;
   * - a queued row, untouched for a while, that Redis does not know (a process died between
   *   the row and the Redis job, or Redis restarted without persistence): the job is added
   *   again, so it runs.
   * Jobs Redis still holds are left to BullMQ's stalled-job checker.
   */
  async recoverStalled(): Promise<number> {
    const now = this.deps.clock.now();
    let settled = 0;
    for (const row of await this.store.expiredRunning(now, RECOVER_BATCH)) {
      const state = await this.queue.getJobState(row.id);
      if (HELD_STATES.has(state)) continue;
      if (await this.store.failExpired(row.id, now, STALLED_NO_TRIES)) settled += 1;
    }
    const quiet = now - Math.max(60_000, 2 * this.deps.leaseMs);
    for (const row of await this.store.queuedSince(quiet, RECOVER_BATCH)) {
      if ((await this.queue.getJobState(row.id)) !== 'unknown') continue;
      await this.add(row.type, row.id, row.maxAttempts, Math.max(0, row.runAt - now));
      settled += 1;
    }
    return settled;
  }

  async check(): Promise<void> {
    // A real round trip to Redis, not only a connection state.
    await this.queue.getJobCounts('active');
  }

  private async add(type: string, id: string, attempts: number, delay: number): Promise<void> {
    await this.queue.add(
      type,
      { id },
      {
        jobId: id,
        delay,
        attempts,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { age: 86_400 },
        removeOnFail: { age: 7 * 86_400 },
      },
    );
  }

  private async process(job: Job<BullData>, token: string | undefined): Promise<void> {
    const row = await this.store.get(job.data.id);
    if (row === undefined || row.status === 'cancelled' || row.finishedAt !== null) return;
    const def = this.definitions.get(row.type);
    if (def === undefined) throw new UnrecoverableError(`No handler for job type ${row.type}`);
    if (row.cancelRequested) {
      await this.store.cancelled(row.id, null);
      return;
    }
    // attemptsStarted counts stalls too: a job whose worker died used up a try.
    const attempt = Math.max(job.attemptsStarted, 1);
    if (attempt > row.maxAttempts) {
      await this.store.fail(row.id, null, STALLED_NO_TRIES);
      throw new UnrecoverableError('no tries left');
    }
    await this.store.markRunning(row.id, this.workerId, attempt, this.deps.leaseMs);
    const running = runJob(
      {
        store: this.store,
        clock: this.deps.clock,
        log: this.deps.log,
        workerId: this.workerId,
        leaseMs: this.deps.leaseMs,
      },
      def,
      { id: row.id, payload: row.payload, attempts: attempt, maxAttempts: row.maxAttempts },
    );
    this.active.set(row.id, running);
    try {
      const outcome = await running.done;
      switch (outcome.kind) {
        case 'succeeded':
        case 'cancelled':
        case 'lost':
          return;
        case 'retry':
          throw new Error(outcome.error);
        case 'failed':
          throw new UnrecoverableError(outcome.error);
        case 'released':
          // Back to the queue at once, for another worker; BullMQ needs this exact dance.
          await job.moveToDelayed(Date.now(), token);
          throw new DelayedError();
      }
    } finally {
      this.active.delete(row.id);
    }
  }
}

function connectionOptions(url: string) {
  // BullMQ requires maxRetriesPerRequest: null for blocking commands.
  return { url, maxRetriesPerRequest: null };
}
