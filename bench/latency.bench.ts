/**
 * Latency under 50 concurrent exports, on the embedded default (SQLite, local blobs, embedded
 * queue, role `all`): the real service in its own process, BENCH_USERS accounts of about
 * BENCH_MB each seeded straight into rows and blobs, every export started at once; while they
 * run, other clients send `GET /api/archive/exports/:id` (round robin over the exports, each
 * by its owner) and `GET /api/me` (pupils who export nothing) at a steady rate.
 *
 *   npm run bench:latency -- [--users 50] [--mb 50] [--every 20] [--jobs thread|in-process]
 *
 * `--jobs` picks where the server runs its jobs: `thread` (the default of `serve`: a worker
 * thread, so the web event loop only serves requests) or `in-process` (the web's own loop).
 * Prints p50/p95/p99/max of both requests during the run, the wall time, the server's peak RSS;
 * the last line is `BENCH_RESULT {json}`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { z } from 'zod';
import { APP_IDS } from '../src/contracts/archive.ts';
import { newId } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import { start, type JobsWhere } from '../src/main.ts';
import { createRuntime } from '../src/runtime.ts';
import { latencySummary, steadyLoad } from '../test/support/steady-load.ts';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '50' },
    mb: { type: 'string', default: '50' },
    every: { type: 'string', default: '20' },
    jobs: { type: 'string', default: 'thread' },
    nice: { type: 'string', default: '10' },
    // Internal: this file run again as the server process.
    serve: { type: 'boolean', default: false },
  },
});
const jobs = z.enum(['thread', 'in-process']).parse(values.jobs) satisfies JobsWhere;
const nice = Number(values.nice);

/** Env of the server and of the seeding runtime: one data folder, limits out of the way. */
function serverEnv(dataDir: string): Record<string, string> {
  return {
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
    QUOTA_TEACHER: '1000GiB',
    // The measure sends thousands of requests a minute from one address.
    RATE_LIMIT_MAX: '1000000',
    RATE_LIMIT_LOGIN_MAX: '100000',
  };
}

if (values.serve) {
  // The server process: `start` as `serve` runs it, its URL on stdout for the parent.
  const dataDir = process.env.BENCH_DATA_DIR ?? '';
  const started = await start(loadConfig(serverEnv(dataDir)), 'all', {
    jobs,
    jobsNice: nice,
  });
  process.stdout.write(`LISTENING ${started.url ?? ''}\n`);
  process.on('SIGTERM', () => {
    started.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
} else {
  await runBench();
}

async function runBench(): Promise<void> {
  const users = Number(values.users);
  const mbPerAccount = Number(values.mb);
  const everyMs = Number(values.every);
  const PASSWORD = 'benchmark-pass';
  const PUPILS = 10;
  const MiB = 1024 * 1024;

  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-latency-'));
  const t0 = performance.now();
  // Seeding: rows and blobs written straight through the runtime (no HTTP), like the export
  // bench. An account: photos of 1 MiB (80 % of its bytes), documents of 512 KiB, small notes.
  const runtime = await createRuntime(loadConfig(serverEnv(dataDir)), pino({ level: 'warn' }));
  const { accounts } = runtime.platform;
  const photos = Math.round((mbPerAccount * 0.8) / 1);
  const pdfs = Math.round((mbPerAccount * 0.2) / 0.5);
  const notes = 40;
  console.log(
    `Seeding ${users} accounts of ${photos} photos of 1 MiB, ${pdfs} PDFs of 512 KiB, ` +
      `${notes} notes...`,
  );
  const block = randomBytes(MiB);
  const logins: string[] = [];
  const exporters = await Promise.all(
    Array.from({ length: users }, (_, u) => {
      logins.push(`bench.teacher${u}`);
      return accounts.createUser({
        login: `bench.teacher${u}`,
        password: PASSWORD,
        profile: 'Teacher',
      });
    }),
  );
  for (let p = 0; p < PUPILS; p++)
    await accounts.createUser({ login: `bench.pupil${p}`, password: PASSWORD, profile: 'Student' });
  let serial = 0;
  for (const user of exporters) {
    const files = [
      ...Array.from({ length: photos }, (_, i) => ({
        name: `photo ${i}.jpg`,
        type: 'image/jpeg',
        size: MiB,
      })),
      ...Array.from({ length: pdfs }, (_, i) => ({
        name: `cours ${i}.pdf`,
        type: 'application/pdf',
        size: MiB / 2,
      })),
      ...Array.from({ length: notes }, (_, i) => ({
        name: `note ${i}.txt`,
        type: 'text/plain',
        size: 2048,
      })),
    ];
    const rows = await Promise.all(
      files.map(async (f) => {
        const id = newId();
        const key = `workspace/${user.id}/${id}`;
        // Different bytes per file (no deduplication anywhere), still incompressible.
        const bytes = Buffer.from(block.subarray(0, f.size));
        bytes.writeUInt32LE((serial += 1), 0);
        const put = await runtime.blobs.put(key, Readable.from([bytes]));
        const now = Date.now();
        return {
          id,
          owner_id: user.id,
          folder_id: null,
          name: f.name,
          content_type: f.type,
          size: put.size,
          sha256: put.sha256,
          blob_key: key,
          created_at: now,
          modified_at: now,
        };
      }),
    );
    await runtime.db.kysely.insertInto('ws_documents').values(rows).execute();
  }
  await runtime.close();
  const seedSeconds = (performance.now() - t0) / 1000;
  console.log(`Seeded in ${seedSeconds.toFixed(1)} s`);

  // The server: this file again, in its own process, as `serve` would run it.
  const server = spawn(
    process.execPath,
    [fileURLToPath(import.meta.url), '--serve', '--jobs', jobs, '--nice', String(nice)],
    { env: { ...process.env, BENCH_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /LISTENING (\S+)/.exec(out);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`server exited (${String(code)})`)));
  });
  const pid = server.pid ?? 0;
  console.log(`Server (jobs: ${jobs}) at ${url}, pid ${pid}`);
  let peakRssMb = 0;
  const rssSampler = setInterval(() => {
    void readPeakRss(pid).then((mb) => (peakRssMb = Math.max(peakRssMb, mb)));
  }, 200);

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
  const exporterHeaders = await Promise.all(logins.map(login));
  const pupilHeaders = await Promise.all(
    Array.from({ length: PUPILS }, (_, p) => login(`bench.pupil${p}`)),
  );

  let nextPupil = 0;
  async function timeMe(): Promise<number> {
    const headers = pupilHeaders[nextPupil++ % PUPILS];
    const begin = performance.now();
    const res = await fetch(`${url}/api/me`, { headers });
    await res.arrayBuffer();
    const ms = performance.now() - begin;
    if (res.status !== 200) throw new Error(`GET /api/me: ${res.status}`);
    return ms;
  }
  // The floor on this machine as it is now (other work on it shows here too).
  let idleSent = 0;
  const idle = latencySummary(await steadyLoad(timeMe, everyMs, () => (idleSent += 1) > 150));
  console.log(`GET /api/me idle: p50 ${idle.p50} ms, p95 ${idle.p95} ms, max ${idle.max} ms`);

  const t1 = performance.now();
  const ids = await Promise.all(
    exporterHeaders.map(async (headers) => {
      const res = await fetch(`${url}/api/archive/exports`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ apps: APP_IDS }),
      });
      if (res.status !== 202) throw new Error(`export refused: ${res.status} ${await res.text()}`);
      return z.object({ id: z.string() }).parse(await res.json()).id;
    }),
  );
  const startSeconds = (performance.now() - t1) / 1000;
  console.log(`${users} exports started in ${startSeconds.toFixed(2)} s`);

  const FINAL = new Set(['ready', 'failed', 'cancelled', 'expired']);
  const statuses = new Map<string, string>(ids.map((id) => [id, 'queued']));
  const allFinal = () => [...statuses.values()].every((s) => FINAL.has(s));
  const ExportView = z.object({ status: z.string() });

  let nextExport = 0;
  async function timeExport(): Promise<number> {
    const i = nextExport++ % ids.length;
    const id = ids[i] ?? '';
    const begin = performance.now();
    const res = await fetch(`${url}/api/archive/exports/${id}`, { headers: exporterHeaders[i] });
    const body = await res.text();
    const ms = performance.now() - begin;
    if (res.status !== 200) throw new Error(`GET export: ${res.status}`);
    statuses.set(id, ExportView.parse(JSON.parse(body)).status);
    return ms;
  }
  // The web thread's event loop, through /metrics every second: a stall there (a synchronous
  // wait) shows as lag; slow answers with no lag mean the CPU went elsewhere.
  let loopLagMaxMs = 0;
  const lagSampler = setInterval(() => {
    void fetch(`${url}/metrics`)
      .then((res) => res.text())
      .then((text) => {
        const max = Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text)?.[1] ?? 0);
        loopLagMaxMs = Math.max(loopLagMaxMs, Math.round(max * 1000));
      });
  }, 1000);
  const [exportTimes, meTimes] = await Promise.all([
    steadyLoad(timeExport, everyMs, allFinal),
    steadyLoad(timeMe, everyMs, allFinal),
  ]);
  clearInterval(lagSampler);
  const seconds = (performance.now() - t1) / 1000;
  clearInterval(rssSampler);
  peakRssMb = Math.max(peakRssMb, await readPeakRss(pid));

  const ready = [...statuses.values()].filter((s) => s === 'ready').length;
  const ex = latencySummary(exportTimes);
  const me = latencySummary(meTimes);
  const line = (name: string, s: typeof ex) =>
    `${name}: p50 ${s.p50} ms, p95 ${s.p95} ms, p99 ${s.p99} ms, max ${s.max} ms (n=${s.n})`;
  console.log(line('GET /api/archive/exports/:id', ex));
  console.log(line('GET /api/me                  ', me));
  console.log(
    `${ready}/${users} exports ready in ${seconds.toFixed(1)} s; server peak RSS ${peakRssMb} MB; ` +
      `web event loop lag max ${loopLagMaxMs} ms`,
  );

  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await fs.rm(dataDir, { recursive: true, force: true });
  const result = {
    case: 'latency',
    jobs,
    nice: jobs === 'thread' ? nice : null,
    exports: users,
    mbPerAccount,
    everyMs,
    idleP95MeMs: idle.p95,
    p50ExportMs: ex.p50,
    p95ExportMs: ex.p95,
    p99ExportMs: ex.p99,
    maxExportMs: ex.max,
    p50MeMs: me.p50,
    p95MeMs: me.p95,
    p99MeMs: me.p99,
    maxMeMs: me.max,
    samples: ex.n + me.n,
    allComplete: ready === users,
    seconds: Number(seconds.toFixed(1)),
    seedSeconds: Number(seedSeconds.toFixed(1)),
    peakRssMb,
    loopLagMaxMs,
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(1))),
  };
  console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
}

/** The peak resident set of a process (all its threads), in MB, from /proc (0 elsewhere). */
async function readPeakRss(pid: number): Promise<number> {
  try {
    const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return Math.round(kb / 1024);
  } catch {
    return 0;
  }
}
