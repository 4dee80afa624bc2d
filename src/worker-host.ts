import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config } from './config.ts';

/**
 * Where the `all` role runs its jobs: `thread`, a worker thread with its own event loop and
 * runtime (the default of `serve`: an export hashing and zipping never delays a request), or
 * `in-process`, on the web's own loop (tests that drive the queue of the runtime they hold).
 */
export type JobsWhere = 'thread' | 'in-process';

/** What the host hands the thread (structured-cloned). */
export interface ThreadData {
  config: Config;
  /** The thread's nice value (Linux: per thread), 0 to leave it as the process's. */
  nice: number;
}

/** The default nice of the jobs' thread: it runs when the web thread does not need the CPU. */
export const DEFAULT_JOBS_NICE = 10;

export type HostMessage = { type: 'stop' };
export type ThreadMessage = { type: 'ready' } | { type: 'stopped' };

export interface WorkerHost {
  /** The thread's id while it runs (a restarted thread has a new one). */
  readonly threadId: number;
  /** Stops taking jobs; running ones finish within SHUTDOWN_GRACE or go back to the queue. */
  stop(): Promise<void>;
}

const THREAD_ENTRY = new URL('./worker-thread.ts', import.meta.url);
/** A thread that dies is started again after this, doubling up to RESTART_MAX_MS. */
const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 30_000;
/** A thread that ran this long before dying is started again after RESTART_MIN_MS. */
const STABLE_AFTER_MS = 60_000;
/** Past the grace period, the time a thread has to close its database and blob store. */
const CLOSE_MARGIN_MS = 10_000;

/** Starts a thread and resolves once it takes jobs; rejects when it fails to start. */
async function spawnThread(config: Config, nice: number): Promise<Worker> {
  const worker = new Worker(THREAD_ENTRY, {
    workerData: { config, nice } satisfies ThreadData,
    // The thread writes its own logs (pino on fd 1); its stdout is not piped through ours.
    stdout: false,
    stderr: false,
  });
  await new Promise<void>((resolve, reject) => {
    const onMessage = (message: ThreadMessage) => {
      if (message.type !== 'ready') return;
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`The worker thread exited (code ${code}) before taking jobs`));
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
  });
  return worker;
}

/**
 * Runs the jobs of this process in a worker thread. The web thread then only serves requests:
 * on 2 cores, 50 exports at once no longer make `GET /api/me` wait behind zip writes and
 * hashing (bench/latency.bench.ts). A thread that dies is logged and started again (its jobs'
 * leases expire and the new thread takes them back, as after a worker process crash).
 */
export async function startWorkerThread(
  config: Config,
  log: Logger,
  options: { nice?: number } = {},
): Promise<WorkerHost> {
  const nice = options.nice ?? DEFAULT_JOBS_NICE;
  let worker = await spawnThread(config, nice);
  let startedAt = Date.now();
  let stopping = false;
  let restartMs = RESTART_MIN_MS;
  let restartTimer: NodeJS.Timeout | undefined;

  const scheduleRestart = () => {
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      spawnThread(config, nice).then(
        (next) => {
          if (stopping) {
            void next.terminate();
            return;
          }
          worker = next;
          startedAt = Date.now();
          watch(next);
        },
        (error: unknown) => {
          log.error({ err: error }, 'worker thread did not start again');
          restartMs = Math.min(RESTART_MAX_MS, restartMs * 2);
          if (!stopping) scheduleRestart();
        },
      );
    }, restartMs);
  };
  const watch = (w: Worker) => {
    // An error is followed by 'exit': the thread is started again there, once.
    w.on('error', (error) => log.error({ err: error }, 'worker thread failed'));
    w.once('exit', (code) => {
      if (stopping) return;
      // A thread that keeps dying at once is started again less and less often.
      restartMs =
        Date.now() - startedAt > STABLE_AFTER_MS
          ? RESTART_MIN_MS
          : Math.min(RESTART_MAX_MS, restartMs * 2);
      log.error({ code, restartInMs: restartMs }, 'worker thread exited; starting it again');
      scheduleRestart();
    });
  };
  watch(worker);

  let stopped: Promise<void> | undefined;
  return {
    get threadId() {
      return worker.threadId;
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        clearTimeout(restartTimer);
        const w = worker;
        if (w.threadId === -1) return; // already gone
        const exited = once(w, 'exit');
        w.postMessage({ type: 'stop' } satisfies HostMessage);
        const deadline = setTimeout(() => {
          log.warn('worker thread did not stop in time; terminating it');
          void w.terminate();
        }, config.shutdownGraceMs + CLOSE_MARGIN_MS);
        await exited;
        clearTimeout(deadline);
      })();
      return stopped;
    },
  };
}
