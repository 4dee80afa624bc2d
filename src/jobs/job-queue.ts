import type { Logger } from 'pino';
import type { z } from 'zod';
import type { JobStatus } from '../db/schema.ts';

export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What a running handler gets: who it is, a signal that fires on cancel or shutdown, progress. */
export interface JobContext {
  readonly jobId: string;
  /** 1 for the first try. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Aborted when the job is cancelled, or when the worker shuts down and hands the job back. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Stores progress in the job row (throttled by the caller; each call is one write). */
  progress(value: JsonValue): Promise<void>;
}

/**
 * A kind of job: its type name, the schema of its payload (ids only: the state a job works on
 * lives in rows), and its handler. A handler that throws is retried with backoff.
 */
export interface JobDefinition<P extends JsonValue = JsonValue> {
  readonly type: string;
  readonly payload: z.ZodType<P>;
  readonly maxAttempts?: number;
  run(payload: P, ctx: JobContext): Promise<JsonValue | void>;
}

export function defineJob<P extends JsonValue>(def: JobDefinition<P>): JobDefinition<P> {
  return def;
}

export interface JobRecord {
  id: string;
  type: string;
  payload: JsonValue;
  status: JobStatus;
  attempts: number;
  maxAttempts: number;
  runAt: number;
  progress: JsonValue;
  result: JsonValue;
  error: string | null;
  cancelRequested: boolean;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export interface EnqueueOptions {
  delayMs?: number;
  maxAttempts?: number;
}

/** What `JobQueue.list` returns: the newest jobs first. */
export interface JobListFilter {
  status?: JobStatus;
  type?: string;
  /** At most this many (default 50). */
  limit?: number;
}

export interface JobCounts {
  byStatus: Record<JobStatus, number>;
  /** When the oldest job still queued was queued; null when none is. */
  oldestQueuedAt: number | null;
}

/** Jobs the engine holds for a worker to take: due now, or waiting for their time. */
export interface QueueDepth {
  waiting: number;
  delayed: number;
}

/**
 * Why `JobQueue.retry` did not put a job back: unknown, not failed, or (bullmq) still held by
 * a worker whose lock has not expired.
 */
export type RetryRefusal = 'not_found' | 'not_failed' | 'held';

/**
 * The job queue, whatever the engine. A job's state, progress and result always live in the
 * `jobs` table, so readers do not care which engine runs it.
 */
export interface JobQueue {
  readonly engine: 'embedded' | 'bullmq';
  enqueue<P extends JsonValue>(
    def: JobDefinition<P>,
    payload: NoInfer<P>,
    options?: EnqueueOptions,
  ): Promise<string>;
  get(id: string): Promise<JobRecord | undefined>;
  /** Cancels a queued job at once, or asks a running one to stop. False when already finished. */
  cancel(id: string): Promise<boolean>;
  /** The newest jobs first, from the `jobs` rows (the admin's view; any engine). */
  list(filter?: JobListFilter): Promise<JobRecord[]>;
  /** Jobs by state, and the age of the oldest queued one. */
  counts(): Promise<JobCounts>;
  /** What the engine itself holds for workers to take (the rows for embedded, Redis for bullmq). */
  depth(): Promise<QueueDepth>;
  /**
   * Runs a failed job again, its tries counted from zero. Only a failed job: a queued,
   * running, succeeded or cancelled one is refused (`ok: false` with the reason).
   */
  retry(id: string): Promise<{ ok: true } | { ok: false; reason: RetryRefusal }>;
  /**
   * Adds a job type this process runs (each service registers its own jobs when it is made,
   * so the queue knows no service). Before `startWorker` only.
   */
  register(def: JobDefinition): void;
  /**
   * Settles the jobs a dead worker left that no engine would settle by itself (maintenance;
   * any process may call it, once per period is enough). Returns how many it settled.
   */
  recoverStalled(): Promise<number>;
  /** Starts taking jobs of the registered types. Call once, in worker roles only. */
  startWorker(): void;
  /** Stops taking jobs; lets running ones finish within the grace period, then hands them back. */
  stop(graceMs: number): Promise<void>;
  check(): Promise<void>;
}

export class JobCancelledError extends Error {
  constructor() {
    super('Job cancelled');
    this.name = 'JobCancelledError';
  }
}

/** Exponential backoff with full jitter, capped: attempt 1 → up to 2 s, 2 → 4 s ... 5 min. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(300_000, 1000 * 2 ** attempt);
  return Math.round(base / 2 + (random() * base) / 2);
}

export function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // Stored in a row and shown to users: keep it short, never a stack.
  return message.length > 500 ? `${message.slice(0, 497)}...` : message;
}

/** Adds `def` to an engine's job types: a type registered twice, or after start, is a bug. */
export function registerDefinition(
  definitions: Map<string, JobDefinition>,
  def: JobDefinition,
  started: boolean,
): void {
  if (started) throw new Error(`Job type ${def.type} registered after the worker started`);
  if (definitions.has(def.type)) throw new Error(`Job type ${def.type} is registered twice`);
  definitions.set(def.type, def);
}
