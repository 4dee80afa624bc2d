import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Config } from '../config.ts';
import { isActiveExport } from '../contracts/archive.ts';
import type { JobStatus } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { JobListFilter, JobRecord, JsonValue } from '../jobs/job-queue.ts';
import type { Runtime } from '../runtime.ts';
import { withRuntime } from './with-runtime.ts';

export type Out = (line: string) => void;
const stdout: Out = (line) => process.stdout.write(`${line}\n`);

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

/** Import states in which its jobs (analysis, then the run) still have work to do. */
const ACTIVE_IMPORT = ['uploaded', 'analyzing', 'queued', 'running'];

/** What a job is about: ids only, from its payload and the export or import row it names. */
export interface JobSubject {
  userId?: string;
  exportId?: string;
  importId?: string;
  /** The export's or import's own status, and its error code when it has one. */
  status?: string;
  errorCode?: string | null;
}

function idIn(payload: JsonValue, key: string): string | undefined {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
  const value = payload[key];
  return typeof value === 'string' ? value : undefined;
}

/** The subjects of several jobs, in two queries. */
export async function subjectsOf(
  runtime: Runtime,
  jobs: readonly JobRecord[],
): Promise<Map<string, JobSubject>> {
  const { kysely } = runtime.db;
  const exportIds = jobs.flatMap((j) => idIn(j.payload, 'exportId') ?? []);
  const importIds = jobs.flatMap((j) => idIn(j.payload, 'importId') ?? []);
  const exports =
    exportIds.length === 0
      ? []
      : await kysely
          .selectFrom('archive_exports')
          .select(['id', 'user_id', 'status', 'error'])
          .where('id', 'in', exportIds)
          .execute();
  const imports =
    importIds.length === 0
      ? []
      : await kysely
          .selectFrom('archive_imports')
          .select(['id', 'user_id', 'status', 'error'])
          .where('id', 'in', importIds)
          .execute();
  const subjects = new Map<string, JobSubject>();
  for (const j of jobs) {
    const exportId = idIn(j.payload, 'exportId');
    const importId = idIn(j.payload, 'importId');
    const userId = idIn(j.payload, 'userId');
    const e = exports.find((r) => r.id === exportId);
    const i = imports.find((r) => r.id === importId);
    const row = e ?? i;
    subjects.set(j.id, {
      ...(exportId === undefined ? {} : { exportId }),
      ...(importId === undefined ? {} : { importId }),
      ...(row === undefined
        ? userId === undefined
          ? {}
          : { userId }
        : { userId: row.user_id, status: row.status, errorCode: row.error }),
    });
  }
  return subjects;
}

function aboutText(s: JobSubject | undefined): string {
  if (s === undefined) return '';
  return [
    s.userId === undefined ? [] : [`user=${s.userId}`],
    s.exportId === undefined ? [] : [`export=${s.exportId}`],
    s.importId === undefined ? [] : [`import=${s.importId}`],
  ]
    .flat()
    .join(' ');
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

/** A stored error, as one line: the first line of the message, never a stack. */
function oneLine(text: string): string {
  const first = text.split(/\r?\n/, 1)[0] ?? '';
  return first.length > 300 ? `${first.slice(0, 297)}...` : first;
}

function compact(value: JsonValue): string {
  const text = JSON.stringify(value);
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

/** `jobs list`: one tab-separated line per job, newest first. */
export async function listJobs(runtime: Runtime, filter: JobListFilter, out: Out): Promise<number> {
  const jobs = await runtime.queue.list(filter);
  const subjects = await subjectsOf(runtime, jobs);
  for (const j of jobs)
    out(
      [
        j.id,
        j.type,
        j.status,
        `${j.attempts}/${j.maxAttempts}`,
        iso(j.createdAt),
        iso(j.updatedAt),
        aboutText(subjects.get(j.id)),
      ].join('\t'),
    );
  return jobs.length;
}

async function requireJob(runtime: Runtime, id: string): Promise<JobRecord> {
  const job = await runtime.queue.get(id);
  if (job === undefined) throw new AppError('not_found', `No job ${id}`);
  return job;
}

/** `jobs show`: all the row knows, the error as one line (the stack is in the worker's log). */
export async function showJob(runtime: Runtime, id: string, out: Out): Promise<void> {
  const job = await requireJob(runtime, id);
  const subject = (await subjectsOf(runtime, [job])).get(job.id);
  out(`Job:       ${job.id}`);
  out(`Type:      ${job.type}`);
  out(
    `State:     ${job.status}${job.cancelRequested && job.status === 'running' ? ' (cancel asked)' : ''}`,
  );
  out(`Tries:     ${job.attempts} of ${job.maxAttempts}`);
  out(`Created:   ${iso(job.createdAt)}`);
  out(`Updated:   ${iso(job.updatedAt)}`);
  if (job.status === 'queued') out(`Runs at:   ${iso(job.runAt)}`);
  out(`Finished:  ${iso(job.finishedAt)}`);
  out(`About:     ${aboutText(subject) || '-'}`);
  if (subject?.status !== undefined) {
    const what = subject.exportId !== undefined ? 'Export' : 'Import';
    out(`${what}:    ${subject.status}${subject.errorCode ? ` (${subject.errorCode})` : ''}`);
  }
  out(`Payload:   ${compact(job.payload)}`);
  if (job.progress !== null) out(`Progress:  ${compact(job.progress)}`);
  if (job.result !== null) out(`Result:    ${compact(job.result)}`);
  out(`Error:     ${job.error === null ? '-' : oneLine(job.error)}`);
}

/** `jobs retry`: only a failed job, and not one whose export or import has ended. */
export async function retryJob(runtime: Runtime, id: string, out: Out): Promise<void> {
  const job = await requireJob(runtime, id);
  if (job.status !== 'failed')
    throw new AppError('conflict', `Job ${id} is ${job.status}: only a failed job can be retried`);
  const subject = (await subjectsOf(runtime, [job])).get(job.id);
  if (subject?.status !== undefined) {
    const ended =
      subject.exportId !== undefined
        ? !isActiveExport(subject.status as Parameters<typeof isActiveExport>[0])
        : !ACTIVE_IMPORT.includes(subject.status);
    if (ended) {
      const what = subject.exportId !== undefined ? 'export' : 'import';
      throw new AppError(
        'conflict',
        `Job ${id} is about ${what} ${subject.exportId ?? subject.importId}, which has ended (${subject.status}): running the job again would do nothing; ask for a new ${what}`,
      );
    }
  }
  const retried = await runtime.queue.retry(id);
  if (!retried.ok)
    throw new AppError(
      'conflict',
      retried.reason === 'held'
        ? `Job ${id} is still held by a worker: try again once its lease has run out`
        : `Job ${id} changed meanwhile: only a failed job can be retried`,
    );
  out(`Job ${id} is queued again (tries start from 1)`);
}

/**
 * `jobs cancel`: a queued or running job. An export's or import's job is cancelled through its
 * service, as its owner would, so that the row ends cancelled and its files are removed.
 */
export async function cancelJob(runtime: Runtime, id: string, out: Out): Promise<void> {
  const job = await requireJob(runtime, id);
  if (job.status !== 'queued' && job.status !== 'running')
    throw new AppError(
      'conflict',
      `Job ${id} has already ended (${job.status}): nothing to cancel`,
    );
  const subject = (await subjectsOf(runtime, [job])).get(job.id);
  let via = '';
  if (subject?.userId !== undefined && subject.status !== undefined) {
    const user = await runtime.platform.accounts.getUser(subject.userId);
    if (subject.exportId !== undefined) {
      await runtime.exports.cancel(user, subject.exportId);
      via = ` and its export ${subject.exportId}`;
    } else if (subject.importId !== undefined) {
      await runtime.imports.cancel(user, subject.importId);
      via = ` and its import ${subject.importId}`;
    }
  }
  // The service cancels the job its row names; this one too, whatever the row says.
  await runtime.queue.cancel(id);
  const after = await requireJob(runtime, id);
  out(
    after.status === 'cancelled'
      ? `Cancelled job ${id}${via}`
      : `Cancel asked for job ${id}${via}: its worker stops it within a few seconds`,
  );
}

function parseLimit(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 10_000)
    throw new InvalidArgumentError('a number from 1 to 10000');
  return Number(value);
}

/** `jobs list|show|retry|cancel`: the operator's view of the job queue (either engine). */
export function addJobsCommands(program: Command, config: () => Config): void {
  const jobs = program
    .command('jobs')
    .description('List, inspect, retry and cancel jobs (exports, imports) on either queue engine');
  jobs
    .command('list')
    .description(
      'List jobs, newest first: id, type, state, tries, created, updated, what it is about',
    )
    .addOption(new Option('--state <state>', 'only jobs in this state').choices(JOB_STATES))
    .option('--type <type>', 'only jobs of this type, such as archive.export')
    .option('--limit <n>', 'at most this many', parseLimit, 50)
    .action(async (o: { state?: JobStatus; type?: string; limit: number }) =>
      withRuntime(config(), async (runtime) => {
        const n = await listJobs(
          runtime,
          {
            limit: o.limit,
            ...(o.state === undefined ? {} : { status: o.state }),
            ...(o.type === undefined ? {} : { type: o.type }),
          },
          stdout,
        );
        if (n === 0) process.stderr.write('No jobs\n');
      }),
    );
  jobs
    .command('show')
    .description('Everything known about a job, with its last error (never a stack trace)')
    .argument('<id>', 'job id (from jobs list)')
    .action(async (id: string) => withRuntime(config(), (runtime) => showJob(runtime, id, stdout)));
  jobs
    .command('retry')
    .description('Run a failed job again (a queued, running or finished one is refused)')
    .argument('<id>', 'job id')
    .action(async (id: string) =>
      withRuntime(config(), (runtime) => retryJob(runtime, id, stdout)),
    );
  jobs
    .command('cancel')
    .description("Cancel a queued or running job (an export's or import's through its service)")
    .argument('<id>', 'job id')
    .action(async (id: string) =>
      withRuntime(config(), (runtime) => cancelJob(runtime, id, stdout)),
    );
}
