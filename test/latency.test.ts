import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDocument } from './support/factories.ts';
import { newSession, type Session } from './support/session.ts';
import { createTestServer, type TestServer } from './support/test-server.ts';
import { testDbKinds } from './support/test-env.ts';
import { latencySummary, steadyLoad } from './support/steady-load.ts';
import { startWorkerThread, type WorkerHost } from '../src/worker-host.ts';

const DOCUMENTS = 600;
const DOCUMENT_BYTES = 500 * 1024; // 600 × 500 KiB ≈ 300 MB, as measured in issue 10
/** Generous, to hold on a loaded CI machine; the goal is under 100 ms. */
const P95_BOUND_MS = 500;
/** Progress is saved at most every 500 ms: it must show a new value at least every 2 s. */
const PROGRESS_GAP_BOUND_MS = 2000;
/** One `GET /api/me` every 20 ms, answered or not. */
const EVERY_MS = 20;

/**
 * The embedded default: SQLite, local blobs, the embedded queue, one process whose jobs run in
 * a worker thread (as `serve` runs them).
 */
describe.skipIf(!testDbKinds().includes('sqlite'))(
  'latency on the embedded default (SQLite, local blobs, embedded queue, jobs in a thread)',
  () => {
    let s: TestServer;
    let worker: WorkerHost;
    let exporter: Session;
    let other: Session;

    beforeAll(async () => {
      // The measure makes many requests a minute: no rate limit in the way.
      s = await createTestServer('sqlite', 'local', { RATE_LIMIT_MAX: '1000000' });
      exporter = await newSession(s, 'Teacher', { quota: 2 * 1024 ** 3 });
      other = await newSession(s, 'Student');
      // Photos: stored as is in the zip (no deflate), as most of a real 300 MB workspace is.
      const bytes = randomBytes(DOCUMENT_BYTES);
      const rt = s.t.runtime;
      for (let i = 0; i < DOCUMENTS; i += 20) {
        await Promise.all(
          Array.from({ length: 20 }, (_, j) =>
            buildDocument(rt, exporter.user, { name: `photo-${i + j}.jpg`, bytes }),
          ),
        );
      }
      // The embedded queue in a worker thread of this process, with its own runtime.
      worker = await startWorkerThread(s.t.config, pino({ level: 'silent' }));
    }, 120_000);
    afterAll(async () => {
      await worker.stop();
      await s.close();
    });

    /** One `GET /api/me` of the other user over real HTTP; its time in milliseconds. */
    const timeMe = async (): Promise<number> => {
      const start = performance.now();
      const res = await other.fetch('/api/me');
      await res.arrayBuffer();
      const ms = performance.now() - start;
      expect(res.status).toBe(200);
      return ms;
    };

    const load = (done: () => boolean) => steadyLoad(timeMe, EVERY_MS, done);

    it('GET /api/me of another user stays fast while a 300 MB, 600-file export runs', async () => {
      let sent = 0;
      const idle = await load(() => (sent += 1) > 50);

      const start = await exporter.request('POST', '/api/archive/exports', {
        apps: ['workspace'],
      });
      expect(start.statusCode, start.body).toBe(202);
      const id: string = start.json().id;

      let status = 'queued';
      /** When each new progress value was first seen while the export ran. */
      const moves: number[] = [];
      const watch = async () => {
        let last = -1;
        while (!['ready', 'failed', 'cancelled'].includes(status)) {
          const res = await exporter.fetch(`/api/archive/exports/${id}`);
          const body: { status: string; progress?: { workspace?: { items?: number } } } =
            await res.json();
          status = body.status;
          const items = body.progress?.workspace?.items ?? 0;
          if (status === 'running' && items !== last) {
            last = items;
            moves.push(performance.now());
          }
        }
      };
      const [during] = await Promise.all([
        load(() => ['ready', 'failed', 'cancelled'].includes(status)),
        watch(),
      ]);
      expect(status).toBe('ready');

      const before = latencySummary(idle);
      const while_ = latencySummary(during);
      const gaps = moves.slice(1).map((t, i) => t - (moves[i] ?? t));
      const longestGap = Math.round(Math.max(0, ...gaps));
      console.log(
        `GET /api/me on the embedded default, ${DOCUMENTS} files of ${DOCUMENT_BYTES} bytes, ` +
          `one request every ${EVERY_MS} ms: idle p50 ${before.p50} ms, p95 ${before.p95} ms, ` +
          `max ${before.max} ms (n=${before.n}); during the export p50 ${while_.p50} ms, ` +
          `p95 ${while_.p95} ms, max ${while_.max} ms (n=${while_.n}); progress moved ` +
          `${moves.length} times, longest wait ${longestGap} ms`,
      );
      // Enough samples to speak of a p95; the progress moved while the export ran.
      expect(during.length).toBeGreaterThanOrEqual(50);
      expect(moves.length).toBeGreaterThan(2);
      expect(longestGap).toBeLessThan(PROGRESS_GAP_BOUND_MS);
      expect(while_.p95).toBeLessThan(P95_BOUND_MS);
    }, 60_000);
  },
);
