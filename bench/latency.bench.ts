/**
 * Latency benchmark on the embedded default (SQLite, local blobs, embedded queue, one process):
 * another user's `GET /api/me` over real HTTP, one request every 20 ms whatever the answers
 * take, first idle, then while a BENCH_MB export of BENCH_FILES documents runs.
 *
 *   node bench/latency.bench.ts [--mb 300] [--files 600] [--every 20]
 *
 * Prints p50/p95/max before and during the export, and how often the export's progress moved.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { z } from 'zod';
import { loadConfig } from '../src/config.ts';
import { createWebServer } from '../src/main.ts';
import { createRuntime } from '../src/runtime.ts';
import { latencySummary, steadyLoad } from '../test/support/steady-load.ts';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '300' },
    files: { type: 'string', default: '600' },
    every: { type: 'string', default: '20' },
  },
});
const files = Number(values.files);
const fileBytes = Math.floor((Number(values.mb) * 1024 * 1024) / files);
const everyMs = Number(values.every);
const PASSWORD = 'benchmark-pass';

const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-bench-'));
const config = loadConfig({
  DATA_DIR: dataDir,
  LOG_LEVEL: 'warn',
  SEED_DEMO: 'false',
  QUOTA_TEACHER: '1000GiB',
  RATE_LIMIT_MAX: '1000000',
});
const runtime = await createRuntime(config, pino({ level: 'warn' }));
const app = await createWebServer(runtime, pino({ level: 'warn' }), '/nonexistent');
const url = await app.listen({ port: 0, host: '127.0.0.1' });
runtime.queue.startWorker();

const { accounts } = runtime.platform;
const teacher = await accounts.createUser({
  login: 'bench.teacher',
  password: PASSWORD,
  profile: 'Teacher',
});
await accounts.createUser({ login: 'bench.pupil', password: PASSWORD, profile: 'Student' });

async function login(who: string): Promise<Record<string, string>> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ login: who, password: PASSWORD }),
  });
  const cookie = /md_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0];
  if (res.status !== 200 || cookie === undefined) throw new Error(`login failed: ${res.status}`);
  return { cookie, origin: url };
}
const teacherHeaders = await login('bench.teacher');
const pupilHeaders = await login('bench.pupil');

console.log(`Seeding ${files} photos of ${(fileBytes / 1024).toFixed(0)} KiB...`);
const bytes = randomBytes(fileBytes);
for (let i = 0; i < files; i += 20) {
  await Promise.all(
    Array.from({ length: Math.min(20, files - i) }, (_, j) =>
      runtime.apps.workspace.upload(teacher, {
        name: `photo-${i + j}.jpg`,
        body: Readable.from([bytes]),
        folderId: null,
      }),
    ),
  );
}

async function timeMe(): Promise<number> {
  const start = performance.now();
  const res = await fetch(`${url}/api/me`, { headers: pupilHeaders });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`GET /api/me: ${res.status}`);
  return performance.now() - start;
}

const load = (done: () => boolean) => steadyLoad(timeMe, everyMs, done);

function summary(samples: readonly number[]): string {
  const { n, p50, p95, max } = latencySummary(samples);
  return `p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${max.toFixed(1)} ms (n=${n})`;
}

let sent = 0;
const idle = await load(() => (sent += 1) > 200);
console.log(`GET /api/me idle:             ${summary(idle)}`);

const t0 = performance.now();
const start = await fetch(`${url}/api/archive/exports`, {
  method: 'POST',
  headers: { ...teacherHeaders, 'content-type': 'application/json' },
  body: JSON.stringify({ apps: ['workspace'] }),
});
if (start.status !== 202) throw new Error(`export refused: ${start.status}`);
const { id } = z.object({ id: z.string() }).parse(await start.json());

const ExportView = z.object({
  status: z.string(),
  progress: z.object({ workspace: z.object({ items: z.number() }).optional() }).optional(),
});
let status = 'queued';
const moves: number[] = [];
async function watch(): Promise<void> {
  let last = -1;
  while (!['ready', 'failed', 'cancelled'].includes(status)) {
    const res = await fetch(`${url}/api/archive/exports/${id}`, { headers: teacherHeaders });
    const body = ExportView.parse(await res.json());
    status = body.status;
    const items = body.progress?.workspace?.items ?? 0;
    if (status === 'running' && items !== last) {
      last = items;
      moves.push(performance.now());
    }
  }
}
const [during] = await Promise.all([
  load(() => ['ready', 'failed', 'cancelled'].includes(status)),
  watch(),
]);
const gaps = moves.slice(1).map((t, i) => t - (moves[i] ?? t));
console.log(`GET /api/me during the export: ${summary(during)}`);
console.log(
  `Export ${status} in ${((performance.now() - t0) / 1000).toFixed(1)} s; progress moved ` +
    `${moves.length} times, longest wait ${Math.max(0, ...gaps).toFixed(0)} ms`,
);

await app.close();
await runtime.close();
await fs.rm(dataDir, { recursive: true, force: true });
