import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../clock.ts';
import { EXPORT_STATUSES, IMPORT_STATUSES } from '../contracts/archive.ts';
import type { Db } from '../db/database.ts';
import type { JobStatus } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { JobQueue } from '../jobs/job-queue.ts';

export interface MetricsDeps {
  db: Db;
  queue: Pick<JobQueue, 'counts' | 'depth'>;
  clock: Clock;
  /**
   * When set, `/metrics` answers only `Authorization: Bearer <token>` (METRICS_TOKEN); when
   * not, only a client on this machine, not through a proxy.
   */
  token?: string | undefined;
  /**
   * Durations are taken from rows finished at least this long ago, so a row whose end was
   * stamped before a scrape but written after it is still counted once (default 5 s).
   */
  settleMs?: number;
}

const JOB_STATUSES: readonly JobStatus[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
];
/** From seconds (a small export) to an hour (a whole teacher's account on a busy day). */
const DURATION_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
const PREFIX = 'mes_donnees_';

/**
 * The process's own metrics (CPU, memory, heap, GC, event-loop lag from monitorEventLoopDelay):
 * one registry per process, made on the first scrape, since they describe the process and not
 * a server (tests build many servers in one process).
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * Prometheus metrics of the service, read from the rows on each scrape, so every web process
 * reports the same jobs, exports and imports whichever worker ran them (sum nothing across
 * instances; take one, or `max`). Counts use the status indexes; durations are observed from
 * the rows finished since the previous scrape of this process.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly deps: MetricsDeps;
  /** Rows that finished after this instant have not been observed yet. */
  private observedUpTo: number;
  /** One refresh at a time: two scrapes at once would observe the same rows twice. */
  private refreshing: Promise<void> = Promise.resolve();

  private readonly jobs = this.gauge('jobs', 'Jobs by state (the jobs table)', ['status']);
  private readonly jobsActive = this.gauge(
    'jobs_active',
    'Queued and running jobs by type and state',
    ['type', 'status'],
  );
  private readonly queueDepth = this.gauge(
    'queue_depth',
    'Jobs the queue engine holds for workers: waiting (due now) or delayed (backoff, delay)',
    ['state'],
  );
  private readonly oldestQueued = this.gauge(
    'queue_oldest_age_seconds',
    'Age of the oldest queued job (0 when none waits)',
  );
  private readonly exports = this.gauge('exports', 'Exports by status', ['status']);
  private readonly imports = this.gauge('imports', 'Imports by status', ['status']);
  private readonly failures = this.gauge(
    'failures',
    'Failed exports and imports (and refused archives) the database lists, by code',
    ['kind', 'code'],
  );
  private readonly exportedBytes = this.gauge(
    'exported_bytes',
    'Bytes of every archive built that the database still lists (ready or expired)',
  );
  private readonly importedBytes = this.gauge(
    'imported_bytes',
    'Bytes of the archives of every finished import the database lists',
  );
  private readonly readyBytes = this.gauge(
    'ready_archive_bytes',
    'Bytes of the ready archives held in the blob store (the storage the operator budgets)',
  );
  private readonly duration = new Histogram({
    name: `${PREFIX}job_duration_seconds`,
    help: 'Time from start to end of exports and imports finished since this process started',
    labelNames: ['kind', 'status'],
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly wait = new Histogram({
    name: `${PREFIX}job_wait_seconds`,
    help: 'Time exports and imports waited in the queue before they started',
    labelNames: ['kind'],
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  constructor(deps: MetricsDeps) {
    this.deps = deps;
    this.observedUpTo = deps.clock.now();
  }

  private gauge<L extends string>(name: string, help: string, labelNames: L[] = []): Gauge<L> {
    return new Gauge({ name: `${PREFIX}${name}`, help, labelNames, registers: [this.registry] });
  }

  /** The text exposition of the process's and the service's metrics. */
  async render(): Promise<string> {
    const refresh = this.refreshing.then(() => this.refresh());
    this.refreshing = refresh.catch(() => undefined);
    await refresh;
    return `${await processMetrics().metrics()}\n${await this.registry.metrics()}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async refresh(): Promise<void> {
    const { kysely } = this.deps.db;
    const now = this.deps.clock.now();
    const upTo = now - (this.deps.settleMs ?? 5000);
    // Rows, bytes and failures of exports or imports by status and error code.
    const totals = (table: 'archive_exports' | 'archive_imports') =>
      kysely
        .selectFrom(table)
        .select((eb) => [
          'status',
          'error',
          eb.fn.countAll<number | string>().as('n'),
          eb.fn.sum<number | string | null>('size').as('bytes'),
        ])
        .groupBy(['status', 'error'])
        .execute();
    const [counts, depth, active, exports, imports, finished] = await Promise.all([
      this.deps.queue.counts(),
      this.deps.queue.depth(),
      kysely
        .selectFrom('jobs')
        .select((eb) => ['type', 'status', eb.fn.countAll<number | string>().as('n')])
        .where('status', 'in', ['queued', 'running'])
        .groupBy(['type', 'status'])
        .execute(),
      totals('archive_exports'),
      totals('archive_imports'),
      upTo > this.observedUpTo ? this.finishedBetween(this.observedUpTo, upTo) : [],
    ]);
    if (upTo > this.observedUpTo) this.observedUpTo = upTo;

    for (const status of JOB_STATUSES) this.jobs.set({ status }, counts.byStatus[status]);
    this.jobsActive.reset();
    for (const r of active) this.jobsActive.set({ type: r.type, status: r.status }, Number(r.n));
    this.queueDepth.set({ state: 'waiting' }, depth.waiting);
    this.queueDepth.set({ state: 'delayed' }, depth.delayed);
    this.oldestQueued.set(
      counts.oldestQueuedAt === null ? 0 : Math.max(0, (now - counts.oldestQueuedAt) / 1000),
    );

    this.failures.reset();
    const exportsByStatus = new Map<string, number>();
    let exported = 0;
    let ready = 0;
    for (const r of exports) {
      const n = Number(r.n);
      const bytes = Number(r.bytes ?? 0);
      exportsByStatus.set(r.status, (exportsByStatus.get(r.status) ?? 0) + n);
      if (r.status === 'ready' || r.status === 'expired') exported += bytes;
      if (r.status === 'ready') ready += bytes;
      if (r.status === 'failed')
        this.failures.inc({ kind: 'export', code: r.error ?? 'unknown' }, n);
    }
    for (const status of EXPORT_STATUSES)
      this.exports.set({ status }, exportsByStatus.get(status) ?? 0);
    this.exportedBytes.set(exported);
    this.readyBytes.set(ready);

    const importsByStatus = new Map<string, number>();
    let imported = 0;
    for (const r of imports) {
      const n = Number(r.n);
      importsByStatus.set(r.status, (importsByStatus.get(r.status) ?? 0) + n);
      if (r.status === 'done' || r.status === 'undone') imported += Number(r.bytes ?? 0);
      if (r.status === 'failed' || r.status === 'rejected')
        this.failures.inc({ kind: 'import', code: r.error ?? 'unknown' }, n);
    }
    for (const status of IMPORT_STATUSES)
      this.imports.set({ status }, importsByStatus.get(status) ?? 0);
    this.importedBytes.set(imported);

    for (const row of finished) {
      if (row.startedAt !== null) {
        this.duration.observe(
          { kind: row.kind, status: row.status },
          Math.max(0, row.finishedAt - row.startedAt) / 1000,
        );
        this.wait.observe({ kind: row.kind }, Math.max(0, row.startedAt - row.createdAt) / 1000);
      }
    }
  }

  /** Exports and imports that ended in (from, to]: their kind, status and times. */
  private async finishedBetween(
    from: number,
    to: number,
  ): Promise<
    {
      kind: 'export' | 'import';
      status: string;
      createdAt: number;
      startedAt: number | null;
      finishedAt: number;
    }[]
  > {
    const { kysely } = this.deps.db;
    const read = (table: 'archive_exports' | 'archive_imports') =>
      kysely
        .selectFrom(table)
        .select(['status', 'created_at', 'started_at', 'finished_at'])
        .where('finished_at', '>', from)
        .where('finished_at', '<=', to)
        .execute();
    const [exports, imports] = await Promise.all([
      read('archive_exports'),
      read('archive_imports'),
    ]);
    const shape = (kind: 'export' | 'import') => (r: (typeof exports)[number]) => ({
      kind,
      status: r.status,
      createdAt: Number(r.created_at),
      startedAt: r.started_at === null ? null : Number(r.started_at),
      finishedAt: Number(r.finished_at),
    });
    return [...exports.map(shape('export')), ...imports.map(shape('import'))];
  }
}

/** A client on this machine: a loopback address, and no proxy said it forwards someone else. */
function isLocalRequest(request: FastifyRequest): boolean {
  const forwarded =
    request.headers['x-forwarded-for'] !== undefined ||
    request.headers.forwarded !== undefined ||
    request.headers['x-real-ip'] !== undefined;
  return !forwarded && isLoopback(request.socket.remoteAddress) && isLoopback(request.ip);
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return address === '::1';
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** `Bearer <token>` compared in constant time (digests of equal length). */
function hasToken(request: FastifyRequest, token: string): boolean {
  const header = request.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1] !== undefined && timingSafeEqual(digest(m[1]), digest(token));
}

/**
 * `GET /metrics` in Prometheus's text format. With a token (METRICS_TOKEN) only a scraper that
 * sends it is answered; without, only a client on this machine (a scraper beside the service):
 * the counts say how many people export and import, not for the internet to read.
 */
export function metricsRoutes(deps: MetricsDeps): FastifyPluginAsyncZod {
  const metrics = new ServiceMetrics(deps);
  const { token } = deps;
  return async (app) => {
    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      if (token !== undefined && token !== '') {
        if (!hasToken(request, token)) {
          void reply.header('www-authenticate', 'Bearer realm="metrics"');
          throw new AppError(
            'unauthenticated',
            'The metrics need the bearer token (METRICS_TOKEN)',
          );
        }
      } else if (!isLocalRequest(request)) {
        throw new AppError(
          'forbidden',
          'The metrics answer clients on this machine only, unless METRICS_TOKEN is set',
        );
      }
      const text = await metrics.render();
      return reply
        .header('content-type', metrics.contentType)
        .header('cache-control', 'no-store')
        .send(text);
    });
  };
}
