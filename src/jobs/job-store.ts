import type { Selectable } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import type { JobStatus, JobsTable } from '../db/schema.ts';
import type { JobCounts, JobListFilter, JobRecord, JsonValue, QueueDepth } from './job-queue.ts';

/**
 * The `jobs` rows, shared by every engine: the embedded queue also claims from them, bullmq
 * only mirrors its jobs' state into them. Every write made by a worker is conditional on
 * `locked_by` so a worker that lost its lease cannot overwrite the new owner's state.
 */
export class JobStore {
  private readonly db: Db;
  private readonly clock: Clock;

  constructor(deps: { db: Db; clock: Clock }) {
    this.db = deps.db;
    this.clock = deps.clock;
  }

  async insert(row: {
    id: string;
    type: string;
    payload: JsonValue;
    maxAttempts: number;
    runAt: number;
  }): Promise<void> {
    const now = this.clock.now();
    await this.db.kysely
      .insertInto('jobs')
      .values({
        id: row.id,
        type: row.type,
        payload: JSON.stringify(row.payload),
        status: 'queued',
        max_attempts: row.maxAttempts,
        run_at: row.runAt,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }

  /**
   * Inserts a job already running for `workerId` under a fixed id, unless a row has that id:
   * of all the processes trying the same id, exactly one gets true (scheduled work that must
   * run once in the deployment). One try: a runner that dies is failed once its lease is over.
   */
  async claimOnce(id: string, type: string, workerId: string, leaseMs: number): Promise<boolean> {
    const now = this.clock.now();
    const row = await this.db.kysely
      .insertInto('jobs')
      .values({
        id,
        type,
        payload: JSON.stringify(null),
        status: 'running',
        attempts: 1,
        max_attempts: 1,
        run_at: now,
        lease_until: now + leaseMs,
        locked_by: workerId,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const row = await this.db.kysely
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toRecord(row);
  }

  /** The newest jobs first, optionally of one state and one type (for the admin CLI). */
  async list(filter: JobListFilter = {}): Promise<JobRecord[]> {
    let query = this.db.kysely.selectFrom('jobs').selectAll();
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (filter.type !== undefined) query = query.where('type', '=', filter.type);
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 50)
      .execute();
    return rows.map(toRecord);
  }

  /** How many jobs are in each state, and when the oldest queued one was queued. */
  async counts(): Promise<JobCounts> {
    const rows = await this.db.kysely
      .selectFrom('jobs')
      .select((eb) => [
        'status',
        eb.fn.countAll<number | string>().as('n'),
        eb.fn.min<number | string | null>('created_at').as('oldest'),
      ])
      .groupBy('status')
      .execute();
    const byStatus: Record<JobStatus, number> = {
      queued: 0,
      running: 0,
      succeeded: 0,
      failed: 0,
      cancelled: 0,
    };
    let oldestQueuedAt: number | null = null;
    for (const r of rows) {
      byStatus[r.status] = Number(r.n);
      if (r.status === 'queued' && r.oldest !== null) oldestQueuedAt = Number(r.oldest);
    }
    return { byStatus, oldestQueuedAt };
  }

  /** Queued jobs due now, and queued jobs waiting for their time (a delay or a backoff). */
  async depth(): Promise<QueueDepth> {
    const now = this.clock.now();
    const row = await this.db.kysely
      .selectFrom('jobs')
      .select((eb) => [
        eb.fn
          .sum<number | string | null>(eb.case().when('run_at', '<=', now).then(1).else(0).end())
          .as('waiting'),
        eb.fn
          .sum<number | string | null>(eb.case().when('run_at', '>', now).then(1).else(0).end())
          .as('delayed'),
      ])
      .where('status', '=', 'queued')
      .executeTakeFirstOrThrow();
    return { waiting: Number(row.waiting ?? 0), delayed: Number(row.delayed ?? 0) };
  }

  /**
   * Puts a failed job back in the queue as new: its tries start again from zero, its last
   * error stays until the next try ends. False unless it was failed.
   */
  async requeue(id: string): Promise<boolean> {
    const now = this.clock.now();
    const res = await this.db.kysely
      .updateTable('jobs')
      .set({
        status: 'queued',
        attempts: 0,
        run_at: now,
        cancel_requested: 0,
        locked_by: null,
        lease_until: null,
        updated_at: now,
        finished_at: null,
      })
      .where('id', '=', id)
      .where('status', '=', 'failed')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async delete(id: string): Promise<void> {
    await this.db.kysely.deleteFrom('jobs').where('id', '=', id).execute();
  }

  /** A queued job is cancelled at once; a running one is flagged and stops at its next beat. */
  async cancel(id: string): Promise<{ found: boolean; status?: JobRecord['status'] }> {
    const now = this.clock.now();
    const queued = await this.db.kysely
      .updateTable('jobs')
      .set({ status: 'cancelled', cancel_requested: 1, updated_at: now, finished_at: now })
      .where('id', '=', id)
      .where('status', '=', 'queued')
      .executeTakeFirst();
    if (Number(queued.numUpdatedRows) > 0) return { found: true, status: 'cancelled' };
    const running = await this.db.kysely
      .updateTable('jobs')
      .set({ cancel_requested: 1, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(running.numUpdatedRows) > 0) return { found: true, status: 'running' };
    return { found: false };
  }

  /** Marks a job taken by `workerId` (bullmq path: the engine already holds the lock). */
  async markRunning(
    id: string,
    workerId: string,
    attempt: number,
    leaseMs: number,
  ): Promise<boolean> {
    const now = this.clock.now();
    const res = await this.db.kysely
      .updateTable('jobs')
      .set({
        status: 'running',
        locked_by: workerId,
        attempts: attempt,
        lease_until: now + leaseMs,
        updated_at: now,
      })
      .where('id', '=', id)
      .where('status', 'in', ['queued', 'running'])
      .where('cancel_requested', '=', 0)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Extends the lease. Returns undefined when the job is no longer ours. */
  async heartbeat(
    id: string,
    workerId: string,
    leaseMs: number,
  ): Promise<{ cancelRequested: boolean } | undefined> {
    const now = this.clock.now();
    const row = await this.db.kysely
      .updateTable('jobs')
      .set({ lease_until: now + leaseMs, updated_at: now })
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .where('status', '=', 'running')
      .returning('cancel_requested')
      .executeTakeFirst();
    return row === undefined ? undefined : { cancelRequested: row.cancel_requested === 1 };
  }

  async progress(id: string, workerId: string, value: JsonValue): Promise<void> {
    await this.db.kysely
      .updateTable('jobs')
      .set({ progress: JSON.stringify(value), updated_at: this.clock.now() })
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .execute();
  }

  async succeed(id: string, workerId: string, result: JsonValue): Promise<boolean> {
    return this.finish(id, workerId, { status: 'succeeded', result: JSON.stringify(result) });
  }

  async cancelled(id: string, workerId: string | null): Promise<boolean> {
    return this.finish(id, workerId, { status: 'cancelled' });
  }

  async fail(id: string, workerId: string | null, error: string): Promise<boolean> {
    return this.finish(id, workerId, { status: 'failed', error });
  }

  /** Puts a failed try back in the queue, due after its backoff. */
  async retry(id: string, workerId: string, error: string, runAt: number): Promise<boolean> {
    const res = await this.db.kysely
      .updateTable('jobs')
      .set({
        status: 'queued',
        error,
        run_at: runAt,
        locked_by: null,
        lease_until: null,
        updated_at: this.clock.now(),
      })
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /**
   * Settles the running jobs whose lease is over and that no worker may take again: those
   * asked to cancel become cancelled, those with no tries left become failed. Returns how many.
   */
  async settleExpiredLeases(now: number): Promise<number> {
    const cancelled = await this.db.kysely
      .updateTable('jobs')
      .set({
        status: 'cancelled',
        locked_by: null,
        lease_until: null,
        updated_at: now,
        finished_at: now,
      })
      .where('status', '=', 'running')
      .where('lease_until', '<', now)
      .where('cancel_requested', '=', 1)
      .executeTakeFirst();
    const failed = await this.db.kysely
      .updateTable('jobs')
      .set({
        status: 'failed',
        error: STALLED_NO_TRIES,
        locked_by: null,
        lease_until: null,
        updated_at: now,
        finished_at: now,
      })
      .where('status', '=', 'running')
      .where('lease_until', '<', now)
      .whereRef('attempts', '>=', 'max_attempts')
      .executeTakeFirst();
    return Number(cancelled.numUpdatedRows) + Number(failed.numUpdatedRows);
  }

  /** Running jobs whose lease ended before `now` (their worker stopped beating), oldest first. */
  async expiredRunning(now: number, limit: number): Promise<{ id: string; type: string }[]> {
    return this.db.kysely
      .selectFrom('jobs')
      .select(['id', 'type'])
      .where('status', '=', 'running')
      .where('lease_until', '<', now)
      .orderBy('lease_until')
      .limit(limit)
      .execute();
  }

  /** Queued jobs last touched before `before`, oldest first (bullmq: to check Redis has them). */
  async queuedSince(
    before: number,
    limit: number,
  ): Promise<{ id: string; type: string; maxAttempts: number; runAt: number }[]> {
    const rows = await this.db.kysely
      .selectFrom('jobs')
      .select(['id', 'type', 'max_attempts', 'run_at'])
      .where('status', '=', 'queued')
      .where('updated_at', '<', before)
      .orderBy('updated_at')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      type: r.type,
      maxAttempts: r.max_attempts,
      runAt: r.run_at,
    }));
  }

  /** Fails a running job whose lease is still over at `now` (nobody took it back meanwhile). */
  async failExpired(id: string, now: number, error: string): Promise<boolean> {
    const res = await this.db.kysely
      .updateTable('jobs')
      .set({
        status: 'failed',
        error,
        locked_by: null,
        lease_until: null,
        updated_at: now,
        finished_at: now,
      })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .where('lease_until', '<', now)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Hands a job back untouched (worker shutting down): the try does not count. */
  async release(id: string, workerId: string): Promise<boolean> {
    const now = this.clock.now();
    const res = await this.db.kysely
      .updateTable('jobs')
      .set((eb) => ({
        status: 'queued',
        attempts: eb('attempts', '-', 1),
        run_at: now,
        locked_by: null,
        lease_until: null,
        updated_at: now,
      }))
      .where('id', '=', id)
      .where('locked_by', '=', workerId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  private async finish(
    id: string,
    workerId: string | null,
    set: { status: 'succeeded' | 'failed' | 'cancelled'; result?: string; error?: string },
  ): Promise<boolean> {
    const now = this.clock.now();
    let query = this.db.kysely
      .updateTable('jobs')
      .set({ ...set, locked_by: null, lease_until: null, updated_at: now, finished_at: now })
      .where('id', '=', id)
      .where('status', 'in', ['running', 'queued']);
    if (workerId !== null) query = query.where('locked_by', '=', workerId);
    const res = await query.executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }
}

/** What a job whose worker died with its last try shows. */
export const STALLED_NO_TRIES =
  'The worker running this job stopped responding, and no tries are left';

function parseJson(text: string | null): JsonValue {
  if (text === null) return null;
  // Only ever written by JSON.stringify of a JsonValue in this class.
  return JSON.parse(text) as JsonValue;
}

export function toRecord(row: Selectable<JobsTable>): JobRecord {
  return {
    id: row.id,
    type: row.type,
    payload: parseJson(row.payload),
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: row.run_at,
    progress: parseJson(row.progress),
    result: parseJson(row.result),
    error: row.error,
    cancelRequested: row.cancel_requested === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}
