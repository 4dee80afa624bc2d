/**
 * The entry of the jobs' worker thread (`worker-host.ts` starts it): its own runtime on the
 * same configuration (SQLite in WAL mode and the blob folder are shared with the web thread
 * as they are with other processes), taking jobs until the host says stop.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { createLogger, createRuntime } from './runtime.ts';
import type { HostMessage, ThreadData, ThreadMessage } from './worker-host.ts';

const port = parentPort;
if (port === null) throw new Error('worker-thread.ts runs as a worker thread only');
// Our own object, structured-cloned by the host (`startWorkerThread`): nothing to validate.
const { config, nice } = workerData as ThreadData;
const log = createLogger(config).child({ role: 'worker', thread: threadId });
lowerPriority(nice);
const runtime = await createRuntime(config, log);

const send = (message: ThreadMessage) => port.postMessage(message);
port.on('message', (message: HostMessage) => {
  switch (message.type) {
    case 'stop':
      // Running jobs finish within the grace period or go back to the queue (runtime.close).
      runtime.close().then(
        () => {
          send({ type: 'stopped' });
          port.close();
        },
        (error: unknown) => {
          log.error({ err: error }, 'worker thread did not close cleanly');
          send({ type: 'stopped' });
          port.close();
        },
      );
      break;
  }
});
runtime.queue.startWorker();
send({ type: 'ready' });

/**
 * On Linux a nice value belongs to a thread, not to the process: this thread (zip writing,
 * hashing, JSON) then yields the CPU to the web thread whenever both want it, so requests stay
 * fast on a busy machine, and the jobs take whatever the web side leaves. Elsewhere (no
 * /proc/thread-self) the thread keeps the process's priority.
 */
function lowerPriority(value: number): void {
  if (value === 0) return;
  try {
    const tid = Number(path.basename(fs.readlinkSync('/proc/thread-self')));
    os.setPriority(tid, value);
  } catch (error) {
    log.debug({ err: error }, 'worker thread priority left as it is');
  }
}
