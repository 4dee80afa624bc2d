import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { newId, type Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { errorMessage, type JsonValue } from './job-queue.ts';
import { JobStore } from './job-store.ts';

/** The type of the `jobs` rows that record maintenance runs (`jobs list --type maintenance`). */
export const MAINTENANCE_JOB_TYPE = 'maintenance';

/** One thing maintenance does each period. Idempotent: a period whose runner died runs again. */
export interface MaintenanceTask {
  readonly name: string;
  run(): Promise<JsonValue | void>;
}

export interface MaintenanceDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  tasks: readonly MaintenanceTask[];
  /** The period: every task runs once per period, in one process of the whole deployment. */
  everyMs: number;
  /** Whether to look once at start (default true); tests call `runDue` themselves. */
  runAtStart?: boolean;
  /** How often a process looks whether the current period has run (default everyMs/4, ≤ 30 s). */
  checkEveryMs?: number;
}

export interface Maintenance {
  /**
   * Looks now (the timer does it every `checkEveryMs`): runs the current period's tasks unless
   * some process did. Resolves true when this call ran them.
   */
  runDue(): Promise<boolean>;
  /** Stops looking; waits for a run in progress in this process. */
  stop(): Promise<void>;
}

/** The id of a period's run: the same in every process, so only one can insert it. */
export function maintenanceRunId(periodStart: number): string {
  return `maintenance-${new Date(periodStart).toISOString()}`;
}

/**
 * Runs the maintenance tasks once per period across every process sharing the database, the
 * embedded engine's and BullMQ's alike: each period has one `jobs` row whose id names the
 * period; the process whose INSERT makes it runs the tasks, the others see it there and wait
 * for the next period. No lock to expire, no leader to elect, and the runs are in the jobs
 * list with each task's result. Clocks that differ by a few seconds between machines only move
 * where a period starts, never run one twice.
 */
export function startMaintenance(deps: MaintenanceDeps): Maintenance {
  const { db, clock, log, tasks, everyMs } = deps;
  const store = new JobStore({ db, clock });
  const workerId = `${os.hostname()}:${process.pid}:${newId().slice(-8)}`;
  const checkEvery = deps.checkEveryMs ?? Math.max(50, Math.min(30_000, Math.floor(everyMs / 4)));
  let lastPeriod: number | undefined;
  let running: Promise<boolean> | undefined;
  let stopped = false;

  /** Runs the tasks for the period starting at `periodStart`, if no process did: true if so. */
  const runPeriod = async (periodStart: number): Promise<boolean> => {
    const id = maintenanceRunId(periodStart);
    // A run that dies holds its period until the lease: then the row is failed (one try only)
    // by recoverStalled, as for any job whose worker stopped responding.
    if (!(await store.claimOnce(id, MAINTENANCE_JOB_TYPE, workerId, everyMs))) return false;
    const results: Record<string, JsonValue> = {};
    const failures: string[] = [];
    for (const task of tasks) {
      const started = clock.now();
      try {
        const result = (await task.run()) ?? null;
        results[task.name] = { ok: true, result, ms: clock.now() - started };
      } catch (error) {
        // One task failing does not keep the others from running.
        log.error({ err: error, task: task.name }, 'maintenance task failed');
        results[task.name] = { ok: false, error: errorMessage(error) };
        failures.push(`${task.name}: ${errorMessage(error)}`);
      }
    }
    if (failures.length === 0) await store.succeed(id, workerId, results);
    else await store.fail(id, workerId, failures.join('; '));
    return true;
  };

  const runDue = (): Promise<boolean> => {
    if (stopped) return Promise.resolve(false);
    if (running !== undefined) return running.then(() => false);
    const period = Math.floor(clock.now() / everyMs) * everyMs;
    if (period === lastPeriod) return Promise.resolve(false);
    lastPeriod = period;
    const run = runPeriod(period)
      .catch((error: unknown) => {
        log.error({ err: error }, 'maintenance run failed');
        return false;
      })
      .finally(() => {
        running = undefined;
      });
    running = run;
    return run;
  };

  const timer = setInterval(() => void runDue(), checkEvery);
  timer.unref();
  if (deps.runAtStart ?? true) void runDue();
  return {
    runDue,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * Removes what a process killed mid-job left in a temp folder (an import's copy of its
 * archive): every entry in which nothing changed for `olderThanMs`. A live job's files are
 * younger than that (pick it above the longest job). Returns how many entries it removed.
 */
export async function purgeTempFiles(
  dir: string,
  olderThanMs: number,
  now: number,
): Promise<number> {
  let removed = 0;
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return 0;
    throw error;
  }
  for (const name of entries) {
    const full = path.join(dir, name);
    const newest = await newestChange(full);
    if (newest !== undefined && now - newest > olderThanMs) {
      await fs.rm(full, { recursive: true, force: true });
      removed += 1;
    }
  }
  return removed;
}

/** The latest modification time in a file or folder tree; undefined when it vanished. */
async function newestChange(file: string): Promise<number | undefined> {
  const stat = await fs.lstat(file).catch(() => undefined);
  if (stat === undefined) return undefined;
  let newest = stat.mtimeMs;
  if (stat.isDirectory()) {
    const children = await fs.readdir(file).catch(() => []);
    for (const child of children) {
      const t = await newestChange(path.join(file, child));
      if (t !== undefined && t > newest) newest = t;
    }
  }
  return newest;
}
