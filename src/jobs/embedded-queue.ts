import os from 'node:os';
import type { Logger } from 'pino';
import { newId, type Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { supportsSkipLocked } from '../db/dialect.ts';
import {
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
import { JobStore, toRecord } from './job-store.ts';

export interface EmbeddedQueueDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  /** Job types known from the start (services add theirs with `register`). */
  definitions?: readonly JobDefinition[];
  concurrency: number;
  leaseMs: number;
  maxAttempts: number;
  /** How long an idle worker waits before looking for due jobs again. */
  pollMs?: number;
  random?: () => number;
}

/**
 * The durable queue of the embedded default: jobs are rows, claimed with a lease that a
 * heartbeat extends. A worker that dies stops beating; once its lease has expired another
 * worker takes the job again (a new try), so a crash never leaves a job stuck.
 */
export class EmbeddedQueue implements JobQueue {
  readonly engine = 'embedded';
  private readonly deps: EmbeddedQueueDeps;
  private readonly store: JobStore;
  private readonly definitions: Map<string, JobDefinition>;
  private readonly workerId = `${os.hostname()}:${process.pid}:${newId().slice(-8)}`;
  private readonly active = new Map<string, RunningJob>();
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(deps: EmbeddedQueueDeps) {
    this.deps = deps;
    this.store = new JobStore(deps);
    this.definitions = new Map((deps.definitions ?? []).map((d) => [d.type, d]));
  }

  register(def: JobDefinition): void {
    registerDefinition(this.definitions, def, this.running);
  }

  async enqueue<P extends JsonValue>(
    def: JobDefinition<P>,
    payload: P,
    options: EnqueueOptions = {},
  ): Promise<string> {
    const id = newId();
    await this.store.insert({
      id,
      type: def.type,
      payload: def.payload.parse(payload),
      maxAttempts: options.maxAttempts ?? def.maxAttempts ?? this.deps.maxAttempts,
      runAt: this.deps.clock.now() + (options.delayMs ?? 0),
    });
    // A job queued by this process is taken now by its own worker, not at the next poll.
    if (
      this.running &&
      this.ticking === undefined &&
      (options.delayMs ?? 0) === 0 &&
      this.active.size < this.deps.concurrency
    )
      this.schedule(0);
    return id;
  }

  get(id: string): Promise<JobRecord | undefined> {
    return this.store.get(id);
  }

  async cancel(id: string): Promise<boolean> {
    const { found } = await this.store.cancel(id);
    // A job running here stops now rather than at its next heartbeat.
    if (found) this.active.get(id)?.stop('cancelled');
    return found;
  }

  list(filter?: JobListFilter): Promise<JobRecord[]> {
    return this.store.list(filter);
  }

  counts(): Promise<JobCounts> {
    return this.store.counts();
  }

  /** The queued rows are the queue itself. */
  depth(): Promise<QueueDepth> {
    return this.store.depth();
  }

  async retry(id: string): Promise<{ ok: true } | { ok: false; reason: RetryRefusal }> {
    if (!(await this.store.requeue(id)))
      return {
        ok: false,
        reason: (await this.store.get(id)) === undefined ? 'not_found' : 'not_failed',
      };
    if (this.running && this.ticking === undefined && this.active.size < this.deps.concurrency)
      this.schedule(0);
    return { ok: true };
  }

  startWorker(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(graceMs: number): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.ticking;
    const all = () => Promise.allSettled([...this.active.values()].map((j) => j.done));
    let graceTimer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => {
      graceTimer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const first = await Promise.race([all().then(() => 'done' as const), graceOver]);
    clearTimeout(graceTimer);
    if (first === 'timeout') {
      // Hand the jobs back: another worker will take them at once, the try not counted.
      for (const job of this.active.values()) job.stop('shutdown');
      await all();
    }
  }

  /**
   * Jobs whose worker died: those that may not run again are settled here (failed, or
   * cancelled when asked); the others are taken again by the next claim of any worker.
   */
  recoverStalled(): Promise<number> {
    return this.store.settleExpiredLeases(this.deps.clock.now());
  }

  async check(): Promise<void> {
    await this.deps.db.kysely.selectFrom('jobs').select('id').limit(1).execute();
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
      });
    }, delayMs);
  }

  private async tick(): Promise<void> {
    try {
      while (this.running && this.active.size < this.deps.concurrency) {
        const job = await this.claim();
        if (job === undefined) break;
        this.start(job);
      }
    } catch (error) {
      this.deps.log.error({ err: error }, 'job claim failed');
    }
    this.schedule(this.deps.pollMs ?? 500);
  }

  private start(job: JobRecord): void {
    const def = this.definitions.get(job.type);
    if (def === undefined) return; // claim() only takes registered types
    const running = runJob(
      {
        store: this.store,
        clock: this.deps.clock,
        log: this.deps.log,
        workerId: this.workerId,
        leaseMs: this.deps.leaseMs,
        random: this.deps.random,
      },
      def,
      job,
    );
    this.active.set(job.id, running);
    running.done
      .catch((error: unknown) =>
        this.deps.log.error({ err: error, jobId: job.id }, 'job end not recorded'),
      )
      .finally(() => {
        this.active.delete(job.id);
        // A slot is free: look for the next job now rather than at the next poll.
        if (this.running && this.ticking === undefined) this.schedule(0);
      });
  }

  /**
   * Takes the next due job: a queued one whose time has come, or a running one whose lease
   * expired (its worker died). A job whose tries are used up and whose worker died is failed.
   */
  private async claim(): Promise<JobRecord | undefined> {
    const { kysely, dialect } = this.deps.db;
    const now = this.deps.clock.now();
    const types = [...this.definitions.keys()];
    if (types.length === 0) return undefined;

    await this.store.settleExpiredLeases(now);

    const due = (qb: typeof kysely) =>
      qb
        .selectFrom('jobs')
        .select('id')
        .where('type', 'in', types)
        .where((eb) =>
          eb.or([
            eb.and([eb('status', '=', 'queued'), eb('run_at', '<=', now)]),
            eb.and([eb('status', '=', 'running'), eb('lease_until', '<', now)]),
          ]),
        )
        .orderBy('run_at')
        .limit(1);
    const candidate = supportsSkipLocked(dialect)
      ? due(kysely).forUpdate().skipLocked()
      : due(kysely);

    const row = await kysely
      .updateTable('jobs')
      .set((eb) => ({
        status: 'running',
        locked_by: this.workerId,
        lease_until: now + this.deps.leaseMs,
        attempts: eb('attempts', '+', 1),
        updated_at: now,
      }))
      // Re-checked in the UPDATE itself so two workers cannot both take one job.
      .where('id', '=', candidate)
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'queued'), eb('run_at', '<=', now)]),
          eb.and([eb('status', '=', 'running'), eb('lease_until', '<', now)]),
        ]),
      )
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : toRecord(row);
  }
}
