import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../config.ts';
import type { JobCounts, QueueDepth } from '../jobs/job-queue.ts';
import type { Runtime } from '../runtime.ts';
import type { Out } from './jobs-commands.ts';
import { withRuntime } from './with-runtime.ts';

export interface Stats {
  exports: Record<string, number>;
  imports: Record<string, number>;
  /** Bytes of the archives kept for download (ready exports). */
  archiveBytes: number;
  readyArchives: number;
  jobs: JobCounts;
  depth: QueueDepth;
  /** How long the oldest queued job has waited, in ms; null when none waits. */
  oldestQueuedAgeMs: number | null;
  /** The operator's budget for ready archives (EXPORT_BUDGET), all users together; null: none. */
  budgetBytes: number | null;
  /** The users whose ready archives take the most bytes, biggest first. */
  biggestHolders: ArchiveHolder[];
}

export interface ArchiveHolder {
  login: string;
  archives: number;
  bytes: number;
}

/** How many of the biggest holders `stats` lists by default. */
export const TOP_HOLDERS = 5;

/** The users whose ready archives take the most bytes (at most `top`), biggest first. */
export async function biggestHolders(runtime: Runtime, top: number): Promise<ArchiveHolder[]> {
  const rows = await runtime.db.kysely
    .selectFrom('archive_exports')
    .innerJoin('users', 'users.id', 'archive_exports.user_id')
    .select((eb) => [
      'users.login',
      eb.fn.sum<number | string | null>('archive_exports.size').as('bytes'),
      eb.fn.countAll<number | string>().as('n'),
    ])
    .where('archive_exports.status', '=', 'ready')
    .groupBy(['archive_exports.user_id', 'users.login'])
    .orderBy('bytes', 'desc')
    .orderBy('users.login')
    .limit(top)
    .execute();
  return rows.map((r) => ({ login: r.login, archives: Number(r.n), bytes: Number(r.bytes ?? 0) }));
}

export async function collectStats(runtime: Runtime, top = TOP_HOLDERS): Promise<Stats> {
  const { kysely } = runtime.db;
  const byStatus = async (table: 'archive_exports' | 'archive_imports') => {
    const rows = await kysely
      .selectFrom(table)
      .select((eb) => ['status', eb.fn.countAll<number | string>().as('n')])
      .groupBy('status')
      .orderBy('status')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  };
  const kept = await kysely
    .selectFrom('archive_exports')
    .select((eb) => [
      eb.fn.sum<number | string | null>('size').as('bytes'),
      eb.fn.countAll<number | string>().as('n'),
    ])
    .where('status', '=', 'ready')
    .executeTakeFirstOrThrow();
  const jobs = await runtime.queue.counts();
  return {
    exports: await byStatus('archive_exports'),
    imports: await byStatus('archive_imports'),
    archiveBytes: Number(kept.bytes ?? 0),
    readyArchives: Number(kept.n),
    jobs,
    depth: await runtime.queue.depth(),
    oldestQueuedAgeMs:
      jobs.oldestQueuedAt === null ? null : Math.max(0, runtime.clock.now() - jobs.oldestQueuedAt),
    budgetBytes: runtime.config.exportBudgetBytes ?? null,
    biggestHolders: await biggestHolders(runtime, top),
  };
}

const counts = (c: Record<string, number>) => {
  const parts = Object.entries(c).map(([k, n]) => `${k} ${n}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
};

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A size as an operator reads it (binary units, one decimal). */
export function humanBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} bytes` : `${value.toFixed(1)} ${units[unit] ?? ''}`;
}

/**
 * The disk the ready archives hold against the operator's budget, and who holds the most: the
 * lines `stats` adds after the counts (finding 3 of the security issue: archives are kept for
 * EXPORT_TTL, at most EXPORT_KEEP per user, and now visible as one total).
 */
export function printArchiveBudget(s: Stats, out: Out): void {
  if (s.budgetBytes !== null) {
    const share = s.budgetBytes === 0 ? Infinity : (100 * s.archiveBytes) / s.budgetBytes;
    const over = s.archiveBytes > s.budgetBytes;
    out(
      `Archive budget (EXPORT_BUDGET): ${humanBytes(s.archiveBytes)} of ${humanBytes(s.budgetBytes)} (${Number.isFinite(share) ? share.toFixed(1) : '∞'} %)` +
        (over ? `: OVER by ${humanBytes(s.archiveBytes - s.budgetBytes)}` : ''),
    );
  }
  if (s.biggestHolders.length === 0) {
    out('Biggest holders: none');
    return;
  }
  out(`Biggest holders (ready archives):`);
  for (const h of s.biggestHolders)
    out(`  ${h.login}\t${h.archives} archive(s)\t${h.bytes} bytes (${humanBytes(h.bytes)})`);
}

export async function printStats(runtime: Runtime, out: Out, stats?: Stats): Promise<void> {
  const s = stats ?? (await collectStats(runtime));
  out(`Exports: ${counts(s.exports)}`);
  out(`Imports: ${counts(s.imports)}`);
  out(`Archives kept: ${s.readyArchives} ready export(s), ${s.archiveBytes} bytes`);
  out(`Jobs: ${counts(s.jobs.byStatus)}`);
  out(`Queue (${runtime.queue.engine}): ${s.depth.waiting} waiting, ${s.depth.delayed} delayed`);
  out(
    `Oldest queued job: ${s.oldestQueuedAgeMs === null ? 'none' : `${duration(s.oldestQueuedAgeMs)} ago`}`,
  );
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new InvalidArgumentError('a whole number from 1 to 1000');
  return n;
}

export function addStatsCommand(program: Command, config: () => Config): void {
  program
    .command('stats')
    .description(
      'Counts: exports and imports by status, archive bytes kept (against EXPORT_BUDGET when set) and their biggest holders, jobs by state, queue depth, oldest queued job',
    )
    .option('--top <n>', 'how many of the biggest holders to list', count, TOP_HOLDERS)
    .action(async (opts: { top: number }) =>
      withRuntime(config(), async (runtime) => {
        const out = (line: string) => process.stdout.write(`${line}\n`);
        const s = await collectStats(runtime, opts.top);
        await printStats(runtime, out, s);
        printArchiveBudget(s, out);
      }),
    );
}
