import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import {
  backoffMs,
  errorMessage,
  type JobContext,
  type JobDefinition,
  type JobRecord,
  type JsonValue,
} from './job-queue.ts';
import type { JobStore } from './job-store.ts';

export type StopReason = 'cancelled' | 'shutdown' | 'lease_lost';

export type JobOutcome =
  | { kind: 'succeeded' }
  | { kind: 'retry'; error: string }
  | { kind: 'failed'; error: string }
  | { kind: 'cancelled' }
  | { kind: 'released' }
  | { kind: 'lost' };

export interface RunningJob {
  readonly id: string;
  readonly done: Promise<JobOutcome>;
  /** Stops the handler (through its signal) and settles the row for that reason. */
  stop(reason: StopReason): void;
}

export interface RunJobDeps {
  store: JobStore;
  clock: Clock;
  log: Logger;
  workerId: string;
  leaseMs: number;
  random?: () => number;
}

/**
 * Runs one claimed job: validates its payload, beats its lease, watches for cancellation, and
 * records how it ended. Shared by every engine so they behave the same.
 */
export function runJob(
  deps: RunJobDeps,
  def: JobDefinition,
  job: Pick<JobRecord, 'id' | 'payload' | 'attempts' | 'maxAttempts'>,
): RunningJob {
  const { store, clock, workerId, leaseMs } = deps;
  const controller = new AbortController();
  let stopReason: StopReason | undefined;
  const log = deps.log.child({ jobId: job.id, jobType: def.type, attempt: job.attempts });

  const stop = (reason: StopReason) => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    controller.abort(reason);
  };

  // Beat often enough that a lease survives a slow write, and cancellation is seen within ~1 s.
  const beatEvery = Math.max(100, Math.min(1000, Math.floor(leaseMs / 3)));
  let beating = false;
  const timer = setInterval(() => {
    if (beating) return;
    beating = true;
    store
      .heartbeat(job.id, workerId, leaseMs)
      .then((beat) => {
        if (beat === undefined) stop('lease_lost');
        else if (beat.cancelRequested) stop('cancelled');
      })
      .catch((error: unknown) => log.warn({ err: error }, 'job heartbeat failed'))
      .finally(() => {
        beating = false;
      });
  }, beatEvery);

  const ctx: JobContext = {
    jobId: job.id,
    attempt: job.attempts,
    maxAttempts: job.maxAttempts,
    signal: controller.signal,
    log,
    progress: (value: JsonValue) => store.progress(job.id, workerId, value),
  };

  const settle = async (): Promise<JobOutcome> => {
    let result: JsonValue | void = null;
    let failure: unknown;
    let ok = false;
    try {
      const parsed = def.payload.safeParse(job.payload);
      if (!parsed.success) {
        await store.fail(job.id, workerId, `Invalid payload: ${parsed.error.message}`);
        return { kind: 'failed', error: 'invalid payload' };
      }
      result = await def.run(parsed.data, ctx);
      ok = true;
    } catch (error) {
      failure = error;
    } finally {
      clearInterval(timer);
    }
    switch (stopReason) {
      case 'cancelled':
        await store.cancelled(job.id, workerId);
        return { kind: 'cancelled' };
      case 'shutdown':
        await store.release(job.id, workerId);
        return { kind: 'released' };
      case 'lease_lost':
        return { kind: 'lost' };
      case undefined:
        break;
    }
    if (ok) {
      const mine = await store.succeed(job.id, workerId, result ?? null);
      return mine ? { kind: 'succeeded' } : { kind: 'lost' };
    }
    const error = errorMessage(failure);
    if (job.attempts < job.maxAttempts) {
      log.warn({ err: failure }, 'job failed, will retry');
      const runAt = clock.now() + backoffMs(job.attempts, deps.random);
      await store.retry(job.id, workerId, error, runAt);
      return { kind: 'retry', error };
    }
    log.error({ err: failure }, 'job failed, no tries left');
    await store.fail(job.id, workerId, error);
    return { kind: 'failed', error };
  };

  return { id: job.id, done: settle(), stop };
}
