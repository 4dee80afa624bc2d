/**
 * The scaled-out deployment, for real: two web and three worker processes of the CLI on
 * PostgreSQL, Redis (BullMQ) and an S3 store (s3rver). Twenty users export and twenty others
 * import those archives, their requests spread over both web processes; a worker is killed
 * with SIGKILL while exports run, another while imports run. Every job must end once and
 * correctly, both web processes must tell the same story, the one-at-a-time rules must hold
 * across processes, and nothing may be left behind in the bucket, the tables or temp folders.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../src/platform/accounts.service.ts';
import { allTrustedKeys } from '../src/archive/keys.ts';
import { verifyArchive } from '../src/archive/verify.ts';
import { purgeTempFiles } from '../src/jobs/maintenance.ts';
import { startCluster, type Cluster, type ClusterProcess } from './support/cluster.ts';
import {
  buildBlog,
  buildDocument,
  buildPost,
  makeUser,
  TEST_PASSWORD,
} from './support/factories.ts';
import { testDbKinds } from './support/test-env.ts';
import { waitFor } from './support/wait.ts';

const USERS = 20;
const DOCS = 3;
const POSTS = 2;
const APPS = ['workspace', 'blog'];

/** A user logged in once; the session cookie works on every web process (sessions are rows). */
class Client {
  readonly user: User;
  readonly cookie: string;
  constructor(user: User, cookie: string) {
    this.user = user;
    this.cookie = cookie;
  }

  static async login(web: ClusterProcess, user: User): Promise<Client> {
    const res = await fetch(`${web.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: web.url ?? '' },
      body: JSON.stringify({ login: user.login, password: TEST_PASSWORD }),
    });
    const cookie = /md_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0];
    if (res.status !== 200 || cookie === undefined)
      throw new Error(`login failed: ${res.status} ${await res.text()}`);
    return new Client(user, cookie);
  }

  fetch(web: ClusterProcess, url: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${web.url}${url}`, {
      ...init,
      headers: { cookie: this.cookie, origin: web.url ?? '', ...(init.headers ?? {}) },
    });
  }

  async json<T = Record<string, unknown>>(
    web: ClusterProcess,
    url: string,
    method = 'GET',
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const res = await this.fetch(web, url, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as T };
  }

  upload(web: ClusterProcess, file: Buffer): Promise<Response> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(file)]), 'archive.zip');
    return this.fetch(web, '/api/archive/imports', { method: 'POST', body: form });
  }
}

interface ErrorBody {
  error: { code: string };
}

interface JobRow {
  id: string;
  type: string;
  status: string;
  attempts: number;
  locked_by: string | null;
  payload: string;
}

/** The jobs rows (the record both engines keep), as the checks read them. */
async function jobRows(cluster: Cluster): Promise<JobRow[]> {
  return cluster.db.kysely
    .selectFrom('jobs')
    .select(['id', 'type', 'status', 'attempts', 'locked_by', 'payload'])
    .execute();
}

/**
 * Waits for a job of `type` running on one of `workers`, then kills that worker with SIGKILL.
 * Returns the worker and the ids of the jobs it held at that moment.
 */
async function killWorkerRunning(
  cluster: Cluster,
  workers: ClusterProcess[],
  type: string,
): Promise<{ worker: ClusterProcess; heldJobs: string[] }> {
  const { worker } = await waitFor(
    `a ${type} job running`,
    async () => {
      const running = (await jobRows(cluster)).filter(
        (j) => j.type === type && j.status === 'running',
      );
      for (const job of running) {
        const worker = workers.find((w) => job.locked_by?.includes(`:${w.pid}:`));
        if (worker !== undefined) return { worker };
      }
      return undefined;
    },
    60_000,
    10,
  );
  worker.kill('SIGKILL');
  await worker.exited;
  const heldJobs = (await jobRows(cluster))
    .filter((j) => j.status === 'running' && j.locked_by?.includes(`:${worker.pid}:`))
    .map((j) => j.id);
  return { worker, heldJobs };
}

const mib = (bytes: number | undefined) => `${Math.round((bytes ?? 0) / 2 ** 20)} MiB`;

async function tempFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(path.join(dir, 'tmp'), { recursive: true }).catch(() => []);
  return entries.map(String);
}

// The scaled-out deployment is PostgreSQL's: a run on SQLite alone leaves it out (as
// latency.test.ts leaves out PostgreSQL).
describe.skipIf(!testDbKinds().includes('postgres'))(
  'scaled-out deployment (2 web, 3 workers, PostgreSQL, Redis, S3)',
  () => {
    let cluster: Cluster;
    let scratch: string;

    beforeAll(async () => {
      scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'md-scaled-'));
      cluster = await startCluster({
        webs: 2,
        workers: 3,
        env: { JOB_LEASE: '5s', WORKER_CONCURRENCY: '2', SHUTDOWN_GRACE: '5s' },
      });
    }, 400_000);

    afterAll(async () => {
      await cluster?.stop();
      await fs.rm(scratch, { recursive: true, force: true });
    }, 60_000);

    it(
      'runs 20 exports and 20 imports once each, through a worker crash',
      { timeout: 300_000 },
      async () => {
        const t0 = Date.now();
        const rt = cluster.runtime;
        const [webA, webB] = cluster.webs as [ClusterProcess, ClusterProcess];
        const web = (i: number) => (i % 2 === 0 ? webA : webB);
        const other = (i: number) => (i % 2 === 0 ? webB : webA);

        // Small accounts: a few documents, a blog with posts.
        const exporters: Client[] = [];
        const importers: Client[] = [];
        for (let i = 0; i < USERS; i++) {
          const owner = await makeUser(rt.platform, 'Teacher');
          for (let d = 0; d < DOCS; d++)
            await buildDocument(rt, owner, {
              bytes: `document ${d} de ${owner.login}\n`.repeat(200),
            });
          const blog = await buildBlog(rt, owner);
          for (let p = 0; p < POSTS; p++) await buildPost(rt, owner, blog);
          exporters.push(await Client.login(web(i), owner));
          importers.push(await Client.login(other(i), await makeUser(rt.platform, 'Teacher')));
        }

        // ---- 20 exports, each asked twice at once: once through each web process.
        const exportsFrom = Date.now();
        const exportIds: string[] = [];
        for (const [i, c] of exporters.entries()) {
          const [first, second] = await Promise.all([
            c.json<{ id: string }>(web(i), '/api/archive/exports', 'POST', { apps: APPS }),
            c.json<ErrorBody>(other(i), '/api/archive/exports', 'POST', { apps: APPS }),
          ]);
          // One of the two wins, whichever process it reached; the other is refused.
          const [won, lost] = first.status === 202 ? [first, second] : [second, first];
          expect(won.status, JSON.stringify(won.body)).toBe(202);
          expect(lost.status).toBe(409);
          expect((lost.body as ErrorBody).error.code).toBe('export_in_progress');
          exportIds.push((won.body as { id: string }).id);
        }
        const killedExport = await killWorkerRunning(cluster, cluster.workers, 'archive.export');
        // A restarted worker on the dead one's folder, as its supervisor would start it again.
        const replacement = await cluster.startWorker(killedExport.worker.dataDir);

        const exports = await Promise.all(
          exporters.map((c, i) =>
            waitFor(
              `export ${i} ready`,
              async () => {
                const { body } = await c.json<{ status: string; downloadUrl: string | null }>(
                  web(i + 1),
                  `/api/archive/exports/${exportIds[i]}`,
                );
                if (body.status === 'failed') throw new Error(`export ${i} failed`);
                return body.status === 'ready' && body;
              },
              120_000,
              200,
            ),
          ),
        );
        const exportsDoneAt = Date.now();

        // Both web processes tell the same story, and the jobs ran once (one job row per export).
        const jobsAfterExports = await jobRows(cluster);
        for (const [i, c] of exporters.entries()) {
          const viaA = await c.json(webA, `/api/archive/exports/${exportIds[i]}`);
          const viaB = await c.json(webB, `/api/archive/exports/${exportIds[i]}`);
          expect(viaA.body).toEqual(viaB.body);
          const jobs = jobsAfterExports.filter(
            (j) => j.type === 'archive.export' && JSON.parse(j.payload).exportId === exportIds[i],
          );
          expect(jobs.map((j) => j.status)).toEqual(['succeeded']);
        }
        // The killed worker's jobs were taken again: their second try succeeded (a crash not
        // counted as a try, BullMQ's attemptsStarted ignored, turns this red).
        expect(killedExport.heldJobs.length).toBeGreaterThan(0);
        for (const id of killedExport.heldJobs) {
          const job = jobsAfterExports.find((j) => j.id === id);
          expect(job?.status).toBe('succeeded');
          expect(job?.attempts).toBeGreaterThanOrEqual(2);
        }

        // Every archive verifies (structure, hashes, signature), downloaded through the process
        // that did not start it.
        const trusted = await allTrustedKeys(await rt.instanceKey(), rt.config);
        const archives: Buffer[] = [];
        for (const [i, c] of exporters.entries()) {
          const res = await c.fetch(other(i), exports[i]!.downloadUrl ?? '');
          expect(res.status).toBe(200);
          const bytes = Buffer.from(await res.arrayBuffer());
          const file = path.join(scratch, `export-${i}.zip`);
          await fs.writeFile(file, bytes);
          const verified = await verifyArchive(file, trusted);
          expect(verified.problems, `archive ${i}`).toEqual([]);
          archives.push(bytes);
        }

        // ---- 20 imports of those archives by 20 other users, twice at once again.
        const importsFrom = Date.now();
        const importIds: string[] = [];
        for (const [i, c] of importers.entries()) {
          const [first, second] = await Promise.all([
            c.upload(web(i + 1), archives[i]!),
            c.upload(web(i), archives[i]!),
          ]);
          const bodies = [await first.json(), await second.json()] as {
            id?: string;
            error?: { code: string };
          }[];
          const statuses = [first.status, second.status].sort();
          expect(statuses, JSON.stringify(bodies)).toEqual([202, 409]);
          expect(bodies.find((b) => b.error !== undefined)?.error?.code).toBe('import_in_progress');
          importIds.push(bodies.find((b) => b.id !== undefined)?.id ?? '');
        }
        await Promise.all(
          importers.map((c, i) =>
            waitFor(
              `import ${i} analysed`,
              async () => {
                const { body } = await c.json<{ status: string }>(
                  web(i),
                  `/api/archive/imports/${importIds[i]}`,
                );
                if (body.status === 'rejected' || body.status === 'failed')
                  throw new Error(`import ${i}: ${JSON.stringify(body)}`);
                return body.status === 'analyzed';
              },
              120_000,
              200,
            ),
          ),
        );
        for (const [i, c] of importers.entries()) {
          const launch = await c.json(
            web(i),
            `/api/archive/imports/${importIds[i]}/launch`,
            'POST',
            {
              apps: APPS,
              duplicates: 'skip',
            },
          );
          expect(launch.status, JSON.stringify(launch.body)).toBe(202);
          // Another export-or-import of the same kind is refused by the other process meanwhile.
          const again = await c.upload(other(i), archives[i]!);
          expect(again.status).toBe(409);
          expect(((await again.json()) as ErrorBody).error.code).toBe('import_in_progress');
        }
        const alive = [...cluster.workers, replacement].filter((w) => w !== killedExport.worker);
        const killedImport = await killWorkerRunning(cluster, alive, 'archive.import.run');

        const reports = await Promise.all(
          importers.map((c, i) =>
            waitFor(
              `import ${i} done`,
              async () => {
                const { body } = await c.json<{
                  status: string;
                  report: { apps: Record<string, { imported: number; failed: unknown[] }> } | null;
                }>(web(i + 1), `/api/archive/imports/${importIds[i]}`);
                if (body.status === 'failed')
                  throw new Error(`import ${i}: ${JSON.stringify(body)}`);
                return body.status === 'done' && body.report !== null && body.report;
              },
              120_000,
              200,
            ),
          ),
        );
        const importsDoneAt = Date.now();

        // Each import wrote its items once: the report counts them, the tables hold exactly them.
        const jobsAfterImports = await jobRows(cluster);
        for (const [i, c] of importers.entries()) {
          const report = reports[i]!;
          expect(report.apps.workspace?.imported).toBe(DOCS);
          expect(report.apps.workspace?.failed).toEqual([]);
          expect(report.apps.blog?.failed).toEqual([]);
          const docs = await cluster.db.kysely
            .selectFrom('ws_documents')
            .select('id')
            .where('owner_id', '=', c.user.id)
            .execute();
          expect(docs).toHaveLength(DOCS);
          const blogs = await cluster.db.kysely
            .selectFrom('blog_blogs')
            .select('id')
            .where('owner_id', '=', c.user.id)
            .execute();
          expect(blogs).toHaveLength(1);
          const posts = await cluster.db.kysely
            .selectFrom('blog_posts')
            .select('id')
            .where('author_id', '=', c.user.id)
            .execute();
          expect(posts).toHaveLength(POSTS);
          expect(report.apps.blog?.imported).toBe(blogs.length + posts.length);
          const viaA = await c.json(webA, `/api/archive/imports/${importIds[i]}`);
          const viaB = await c.json(webB, `/api/archive/imports/${importIds[i]}`);
          expect(viaA.body).toEqual(viaB.body);
          const runJobs = jobsAfterImports.filter(
            (j) =>
              j.type === 'archive.import.run' && JSON.parse(j.payload).importId === importIds[i],
          );
          expect(runJobs.map((j) => j.status)).toEqual(['succeeded']);
        }
        expect(killedImport.heldJobs.length).toBeGreaterThan(0);
        for (const id of killedImport.heldJobs) {
          const job = jobsAfterImports.find((j) => j.id === id);
          expect(job?.status).toBe('succeeded');
          expect(job?.attempts).toBeGreaterThanOrEqual(2);
        }
        expect(jobsAfterImports.filter((j) => j.status !== 'succeeded')).toEqual([]);

        // ---- Nothing orphaned: every object in the bucket is a row's blob and every row's blob
        // is in the bucket; the uploaded archives are gone once imported.
        const keys: string[] = [];
        for await (const blob of rt.blobs.list('')) keys.push(blob.key);
        const referenced = [
          ...(await cluster.db.kysely.selectFrom('ws_documents').select('blob_key').execute()),
          ...(await cluster.db.kysely.selectFrom('archive_exports').select('blob_key').execute()),
          ...(await cluster.db.kysely.selectFrom('archive_imports').select('blob_key').execute()),
        ]
          .map((r) => r.blob_key)
          .filter((k): k is string => k !== null);
        expect(keys.sort()).toEqual([...new Set(referenced)].sort());
        expect(keys.filter((k) => k.startsWith('imports/'))).toEqual([]);
        expect(keys.filter((k) => k.startsWith('exports/'))).toHaveLength(USERS);
        // Temp files: none left by a process that lived (the worker killed during the exports
        // had its folder reused by its replacement, checked here too). The one killed during
        // the imports left its copies of archives: the maintenance's purge takes them once old.
        const killedImportWorker = killedImport.worker;
        const lived = [...cluster.webs, ...alive].filter((p) => p !== killedImportWorker);
        for (const p of lived) expect(await tempFiles(p.dataDir), p.name).toEqual([]);
        const left = await tempFiles(killedImportWorker.dataDir);
        expect(left.every((f) => f.startsWith('md-import-'))).toBe(true);
        const tmp = path.join(killedImportWorker.dataDir, 'tmp');
        expect(await purgeTempFiles(tmp, 86_400_000, Date.now())).toBe(0);
        await purgeTempFiles(tmp, 86_400_000, Date.now() + 2 * 86_400_000);
        expect(await tempFiles(killedImportWorker.dataDir)).toEqual([]);

        const rss = await Promise.all(
          lived.filter((p) => p.role === 'worker').map((w) => w.peakRss()),
        );
        const webRss = await Promise.all(cluster.webs.map((w) => w.peakRss()));
        // The figures docs/deploy.md sizes with (printed so a run can be compared with it).
        process.stdout.write(
          `scaled-out: setup ${((exportsFrom - t0) / 1000).toFixed(1)} s, ` +
            `${USERS} exports ${((exportsDoneAt - exportsFrom) / 1000).toFixed(1)} s, ` +
            `${USERS} imports (upload, analysis, run) ${((importsDoneAt - importsFrom) / 1000).toFixed(1)} s, ` +
            `worker peak RSS ${rss.map(mib).join(', ')}, web peak RSS ${webRss.map(mib).join(', ')}\n`,
        );
      },
    );
  },
);
