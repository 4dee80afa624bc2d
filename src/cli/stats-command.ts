import type { Command } from 'commander';
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
}

export async function collectStats(runtime: Runtime): Promise<Stats> {
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

export async function printStats(runtime: Runtime, out: Out): Promise<void> {
  const s = await collectStats(runtime);
  out(`Exports: ${counts(s.exports)}`);
  out(`Imports: ${counts(s.imports)}`);
  out(`Archives kept: ${s.readyArchives} ready export(s), ${s.archiveBytes} bytes`);
  out(`Jobs: ${counts(s.jobs.byStatus)}`);
  out(`Queue (${runtime.queue.engine}): ${s.depth.waiting} waiting, ${s.depth.delayed} delayed`);
  out(
    `Oldest queued job: ${s.oldestQueuedAgeMs === null ? 'none' : `${duration(s.oldestQueuedAgeMs)} ago`}`,
  );
}

export function addStatsCommand(program: Command, config: () => Config): void {
  program
    .command('stats')
    .description(
      'Counts: exports and imports by status, archive bytes kept, jobs by state, queue depth, oldest queued job',
    )
    .action(async () =>
      withRuntime(config(), (runtime) =>
        printStats(runtime, (line) => process.stdout.write(`${line}\n`)),
      ),
    );
}
