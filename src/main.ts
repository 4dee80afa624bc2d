import path from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config, Role } from './config.ts';
import { archiveRoutes } from './archive/archive.routes.ts';
import { importRoutes } from './archive/import/import.routes.ts';
import { uploadsRoutes } from './archive/import/uploads.routes.ts';
import { metricsRoutes } from './http/metrics.ts';
import { buildServer } from './http/server.ts';
import { purgeTempFiles, startMaintenance, type Maintenance } from './jobs/maintenance.ts';
import { DEFAULT_DEMO_PASSWORD, seedDemo } from './demo/seed-demo.ts';
import { platformRoutes } from './platform/platform.routes.ts';
import { createLogger, createRuntime, type Runtime } from './runtime.ts';
import { startWorkerThread, type JobsWhere, type WorkerHost } from './worker-host.ts';

export type { JobsWhere } from './worker-host.ts';

export interface Started {
  readonly runtime: Runtime;
  readonly server: FastifyInstance | undefined;
  /** The URL the web role listens on, when it runs. */
  readonly url: string | undefined;
  /** Graceful stop: stop accepting requests and jobs, finish or hand back what runs, close. */
  stop(): Promise<void>;
}

/** Temp copies older than this are left by a process that died (a live import is shorter). */
const DAY_MS = 86_400_000;

export interface StartOptions {
  /**
   * Where the `all` role runs its jobs: `thread` (default: a worker thread, so the web event
   * loop only serves requests) or `in-process` (on the web's loop; for tests that drive the
   * queue of the runtime they hold). The `worker` role always runs them in its own loop.
   */
  jobs?: JobsWhere;
  /** The nice value of the jobs' thread (Linux; default 10: the web thread comes first). */
  jobsNice?: number;
}

export interface WebServerOptions {
  /**
   * The bearer token `/metrics` asks for (default: METRICS_TOKEN); without one, only clients
   * on this machine are answered.
   */
  metricsToken?: string | undefined;
}

/** The HTTP server with every route module: platform, apps, Mes Données, metrics. */
export async function createWebServer(
  runtime: Runtime,
  log: FastifyBaseLogger,
  webRoot?: string,
  options: WebServerOptions = {},
): Promise<FastifyInstance> {
  return buildServer({
    config: runtime.config,
    log,
    health: {
      database: () => runtime.db.check(),
      blobStore: () => runtime.blobs.check(),
      queue: () => runtime.queue.check(),
    },
    auth: runtime.platform.auth,
    routes: [
      platformRoutes({
        platform: runtime.platform,
        config: runtime.config,
        apps: runtime.apps.list,
      }),
      ...runtime.apps.list.map((a) => a.routes),
      archiveRoutes({ exports: runtime.exports, platform: runtime.platform, blobs: runtime.blobs }),
      importRoutes({
        imports: runtime.imports,
        maxImportBytes: runtime.config.limits.maxImportBytes,
      }),
      uploadsRoutes({ uploads: runtime.uploads, platform: runtime.platform }),
      metricsRoutes({
        db: runtime.db,
        queue: runtime.queue,
        clock: runtime.clock,
        token: options.metricsToken ?? runtime.config.metricsToken,
      }),
    ],
    webRoot,
  });
}

/**
 * Starts the roles of one process: `web` (HTTP API and front end), `worker` (jobs), or `all`
 * (both, the embedded default). Any number of web and worker processes may share one
 * PostgreSQL database and blob store.
 */
export async function start(
  config: Config,
  role: Role = config.role,
  options: StartOptions = {},
): Promise<Started> {
  const log = createLogger(config);
  const runtime = await createRuntime(config, log);
  const jobsWhere: JobsWhere = role === 'all' ? (options.jobs ?? 'thread') : 'in-process';
  let server: FastifyInstance | undefined;
  let url: string | undefined;
  let localTimer: NodeJS.Timeout | undefined;
  let maintenance: Maintenance | undefined;
  let workerHost: WorkerHost | undefined;
  try {
    if (config.seedDemo && (await runtime.platform.accounts.countUsers()) === 0) {
      const password = config.demoPassword ?? DEFAULT_DEMO_PASSWORD;
      const created = await seedDemo(runtime, password);
      if (created.length > 0) {
        log.info({ accounts: created }, 'demo data created');
        process.stdout.write(
          `Demo accounts: ${created.join(', ')}; password: ${config.demoPassword === undefined ? password : '(DEMO_PASSWORD)'}\n`,
        );
      }
    }
    if (role === 'web' || role === 'all') {
      server = await createWebServer(runtime, log.child({ role: 'web' }));
      await server.listen({ port: config.port, host: config.host });
      const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
      const address = server.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : config.port;
      url = `http://${host}:${port}`;
    }
    if (role === 'worker' || role === 'all') {
      if (jobsWhere === 'thread') {
        // Made before the thread starts: two threads of one process would race to make it.
        await runtime.instanceKey();
        workerHost = await startWorkerThread(config, log, { nice: options.jobsNice });
      } else {
        runtime.queue.startWorker();
      }
      // Once per period across the whole deployment, in whichever worker claims it first.
      maintenance = startMaintenance({
        db: runtime.db,
        clock: runtime.clock,
        log,
        everyMs: config.maintenanceEveryMs,
        tasks: [
          { name: 'expired-exports', run: () => runtime.exports.purgeExpired() },
          { name: 'stale-imports', run: () => runtime.imports.purgeStale() },
          { name: 'stalled-jobs', run: () => runtime.queue.recoverStalled() },
        ],
      });
    }
    // What lives on this process's own disk (tus uploads, temp copies) is its own to purge,
    // whatever its role: a web process holds the uploads it received.
    const purgeLocal = () =>
      Promise.all([
        runtime.uploads.purgeStale(runtime.clock.now()),
        purgeTempFiles(path.join(config.dataDir, 'tmp'), DAY_MS, runtime.clock.now()),
      ]).catch((error: unknown) => log.error({ err: error }, 'local purge failed'));
    void purgeLocal();
    localTimer = setInterval(() => void purgeLocal(), config.maintenanceEveryMs);
    localTimer.unref();
  } catch (error) {
    clearInterval(localTimer);
    await maintenance?.stop();
    await server?.close();
    await workerHost?.stop();
    await runtime.close();
    throw error;
  }
  log.info(
    { role, url, database: config.database.kind, queue: runtime.queue.engine, jobs: jobsWhere },
    'started',
  );

  let stopping: Promise<void> | undefined;
  return {
    runtime,
    server,
    url,
    stop() {
      stopping ??= (async () => {
        clearInterval(localTimer);
        await maintenance?.stop();
        // In-flight requests finish; new connections are refused at once.
        await server?.close();
        // The thread hands back or finishes its jobs before the database they write to closes.
        await workerHost?.stop();
        await runtime.close();
        log.info('stopped');
      })();
      return stopping;
    },
  };
}
