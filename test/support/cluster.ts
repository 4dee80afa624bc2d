/**
 * The scaled-out deployment on this machine, for end-to-end tests: web and worker processes of
 * the real CLI (`bin/mes-donnees.js serve` with ROLE=web|worker) sharing one PostgreSQL
 * database (a clone of the run's template), one s3rver bucket and one Redis database (BullMQ).
 * Each process has its own DATA_DIR (temp files, tus uploads), as separate machines would; the
 * instance key is one shared file, as one secret mounted everywhere would be.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../src/config.ts';
import type { Db } from '../../src/db/database.ts';
import { createRuntime, type Runtime } from '../../src/runtime.ts';
import { startS3rver } from './s3rver.ts';
import { createTestDatabase, type TestDatabase } from './test-db.ts';
import { testRedisUrl } from './test-env.ts';
import { waitFor } from './wait.ts';

const bin = path.resolve('bin/mes-donnees.js');
/** What a process keeps of its output, for the failure message (the end is what matters). */
const KEEP_OUTPUT = 64 * 1024;
const START_TIMEOUT_MS = 180_000;

export interface ClusterProcess {
  readonly name: string;
  readonly role: 'web' | 'worker';
  readonly pid: number;
  readonly dataDir: string;
  /** The web role's base URL. */
  readonly url: string | undefined;
  readonly exited: Promise<number | null>;
  /** The end of what it wrote on stdout and stderr. */
  output(): string;
  /** Peak resident memory so far, in bytes (Linux VmHWM), while it runs. */
  peakRss(): Promise<number | undefined>;
  kill(signal: NodeJS.Signals): void;
}

export interface Cluster {
  /** The environment every process gets (without ROLE, PORT and DATA_DIR). */
  readonly env: Readonly<Record<string, string>>;
  readonly config: Config;
  readonly webs: ClusterProcess[];
  readonly workers: ClusterProcess[];
  /** An in-test runtime on the same database and bucket (no worker): factories, checks. */
  readonly runtime: Runtime;
  readonly db: Db;
  /** Starts one more worker; `dataDir` reuses a dead worker's folder, as a restarted one would. */
  startWorker(dataDir?: string): Promise<ClusterProcess>;
  /** Every process stopped (SIGTERM, then SIGKILL), the database, bucket and Redis db dropped. */
  stop(): Promise<void>;
}

/**
 * A Redis database of its own for this run (BullMQ has no prefix setting in the configuration,
 * so the run takes a whole numbered database): a claim key in database 0 makes two runs never
 * share one; the database is emptied before and after.
 */
async function claimRedisDb(): Promise<{ url: string; release(): Promise<void> }> {
  const base = testRedisUrl();
  const admin = new Redis(base, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
  try {
    for (let n = 15; n >= 1; n--) {
      const claim = `md-test:cluster-db:${n}`;
      if ((await admin.set(claim, String(process.pid), 'EX', 1800, 'NX')) !== 'OK') continue;
      const url = new URL(base);
      url.pathname = `/${n}`;
      const flush = async () => {
        const r = new Redis(url.toString(), { lazyConnect: true, maxRetriesPerRequest: 1 });
        await r.connect();
        await r.flushdb();
        r.disconnect();
      };
      await flush();
      return {
        url: url.toString(),
        async release() {
          await flush();
          const a = new Redis(base, { lazyConnect: true, maxRetriesPerRequest: 1 });
          await a.connect();
          await a.del(claim);
          a.disconnect();
        },
      };
    }
    throw new Error('No free Redis database (1-15) for the cluster test');
  } finally {
    admin.disconnect();
  }
}

function spawnProcess(
  name: string,
  role: 'web' | 'worker',
  env: Record<string, string>,
  dataDir: string,
): Promise<ClusterProcess> {
  const child: ChildProcess = spawn(process.execPath, [bin, 'serve'], {
    env: { ...process.env, ...env, ROLE: role, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 2 * KEEP_OUTPUT) output = output.slice(-KEEP_OUTPUT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const pid = child.pid ?? 0;
  return new Promise<ClusterProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start:\n${output.slice(-4000)}`));
      // Five processes loading the service at once on two busy cores can take a while.
    }, START_TIMEOUT_MS);
    const check = () => {
      // The web role prints its URL; every role logs "started" once it runs.
      const url = /running at (http:\/\/\S+)/.exec(output)?.[1];
      const started = /"msg":"started"/.test(output);
      if (!started || (role === 'web' && url === undefined)) return;
      clearTimeout(timer);
      child.stdout?.off('data', check);
      resolve({
        name,
        role,
        pid,
        dataDir,
        url,
        exited,
        output: () => output,
        async peakRss() {
          const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
          const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
          return kb === undefined ? undefined : Number(kb) * 1024;
        },
        kill: (signal) => child.kill(signal),
      });
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before starting:\n${output.slice(-4000)}`));
    });
  });
}

/** Starts `webs` web and `workers` worker processes on fresh shared stores. */
export async function startCluster(
  options: { webs: number; workers: number; env?: Record<string, string> } = {
    webs: 2,
    workers: 3,
  },
): Promise<Cluster> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'md-cluster-'));
  const cleanups: (() => Promise<unknown>)[] = [
    () => fs.rm(root, { recursive: true, force: true }),
  ];
  const all: ClusterProcess[] = [];
  const stopAll = async () => {
    for (const p of all) p.kill('SIGTERM');
    await Promise.all(
      all.map(async (p) => {
        const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
        await p.exited;
        clearTimeout(timer);
      }),
    );
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const tdb: TestDatabase = await createTestDatabase('postgres');
    cleanups.push(() => tdb.destroy());
    const s3 = await startS3rver(['cluster']);
    cleanups.push(() => s3.stop());
    const redis = await claimRedisDb();
    cleanups.push(() => redis.release());
    if (tdb.config.kind !== 'postgres') throw new Error('the cluster runs on PostgreSQL');
    const env: Record<string, string> = {
      DATABASE_URL: tdb.config.url,
      DATABASE_POOL_SIZE: '4',
      BLOB_STORE: 's3',
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: 'cluster',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      QUEUE: 'bullmq',
      REDIS_URL: redis.url,
      SIGNING_KEY_FILE: path.join(root, 'keys', 'instance-ed25519.pem'),
      SEED_DEMO: 'false',
      LOG_LEVEL: 'info',
      ...options.env,
    };
    const config = loadConfig({ ...env, DATA_DIR: path.join(root, 'test') });
    // The test's own runtime: makes the instance key before any process could race for it.
    const runtime = await createRuntime(config, pino({ level: 'silent' }));
    cleanups.push(() => runtime.close());
    await runtime.instanceKey();
    let workerCount = 0;
    const startWorker = async (dataDir?: string) => {
      workerCount += 1;
      const dir = dataDir ?? path.join(root, `worker-${workerCount}`);
      const p = await spawnProcess(`worker-${workerCount}`, 'worker', env, dir);
      all.push(p);
      return p;
    };
    const webs = await Promise.all(
      Array.from({ length: options.webs }, async (_, i) => {
        const p = await spawnProcess(`web-${i + 1}`, 'web', env, path.join(root, `web-${i + 1}`));
        all.push(p);
        return p;
      }),
    );
    const workers = await Promise.all(Array.from({ length: options.workers }, () => startWorker()));
    await waitFor('every web process healthy', async () => {
      for (const w of webs) if ((await fetch(`${w.url}/api/health`)).status !== 200) return false;
      return true;
    });
    return {
      env,
      config,
      webs,
      workers,
      runtime,
      db: runtime.db,
      startWorker,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
