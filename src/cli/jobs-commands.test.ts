import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { defineJob } from '../jobs/job-queue.ts';
import type { User } from '../platform/accounts.service.ts';
import { buildGroup, makeUser } from '../../test/support/factories.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import { createTestRuntime, type TestRuntime } from '../../test/support/test-runtime.ts';
import { waitFor } from '../../test/support/wait.ts';
import { exportGroup } from './group-export.ts';
import { cancelJob, listJobs, retryJob, showJob } from './jobs-commands.ts';
import { collectStats, printStats } from './stats-command.ts';

/** The admin commands as functions, against a runtime whose worker is off unless a test says. */
describe.each(testDbKinds())('admin CLI commands on %s', (kind) => {
  let t: TestRuntime;
  let lines: string[];
  const out = (line: string) => {
    lines.push(line);
  };
  const run = async <T>(fn: () => Promise<T>): Promise<T> => {
    lines = [];
    return fn();
  };
  const refusal = async (fn: () => Promise<unknown>): Promise<string> => {
    const error: unknown = await fn().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).message;
  };
  const jobOf = async (exportId: string) => {
    const row = await t.runtime.db.kysely
      .selectFrom('archive_exports')
      .select(['job_id', 'status'])
      .where('id', '=', exportId)
      .executeTakeFirstOrThrow();
    return { jobId: row.job_id ?? '', status: row.status };
  };
  const exportIdIn = (line: string | undefined) => /export (\S+)$/.exec(line ?? '')?.[1] ?? '';

  // A job of this test that fails with a message of several lines while `failing` is set.
  let failing = true;
  const flaky = defineJob({
    type: 'test.cli.flaky',
    payload: z.strictObject({ n: z.number() }),
    maxAttempts: 1,
    run: async () => {
      if (failing) throw new Error('disk full\n    at write (secret/path.ts:12:3)');
      return { ok: true };
    },
  });

  beforeAll(async () => {
    t = await createTestRuntime(kind);
    t.runtime.queue.register(flaky);
  });
  afterAll(async () => {
    await t.destroy();
  });

  it('export --all --group: one export per member through the service, skipped ones with their reason, at most N per second', async () => {
    const { accounts } = t.runtime.platform;
    const school = `École H8 ${Math.random().toString(36).slice(2, 8)}`;
    const ok = [await makeUser(t.runtime.platform), await makeUser(t.runtime.platform)];
    const teacher = await makeUser(t.runtime.platform, 'Teacher');
    const noRight = await makeUser(t.runtime.platform);
    const busy = await makeUser(t.runtime.platform);
    const gone = await makeUser(t.runtime.platform);
    const otherClass = await makeUser(t.runtime.platform);
    const cls = await buildGroup(t.runtime, [...ok, teacher, noRight, busy, gone], {
      school,
      name: '6e B',
    });
    await buildGroup(t.runtime, [otherClass], { school, name: '6e C' });
    // The right is taken from one pupil by a group of their own (as an operator would).
    const punished = await buildGroup(t.runtime, [noRight], { school: 'Ailleurs' });
    await accounts.setGroupRight(punished.id, 'archive.export', 'revoke');
    const first = await t.runtime.exports.create(busy, { apps: ['blog'] });
    await accounts.setDisabled(gone.login, true);

    const result = await run(() =>
      exportGroup(
        t.runtime,
        {
          group: cls.id,
          apps: ['blog', 'wiki'],
          includeDocuments: false,
          includeShared: true,
          rate: 4,
        },
        out,
      ),
    );
    expect(result).toEqual({ queued: 3, skipped: 3, errors: 0 });
    const byLogin = (u: User) => lines.find((l) => l.split('\t')[1] === u.login);
    expect(lines[0]).toBe(`6e B (${school}): 6 member(s), at most 4 export(s) queued per second`);
    for (const u of [...ok, teacher]) expect(byLogin(u)).toMatch(/^queued\t\S+\texport \S+$/);
    expect(byLogin(noRight)).toBe(`skipped\t${noRight.login}\tno right to export (archive.export)`);
    expect(byLogin(busy)).toBe(`skipped\t${busy.login}\tan export is already in progress`);
    expect(byLogin(gone)).toBe(`skipped\t${gone.login}\taccount disabled`);
    expect(lines.at(-1)).toBe('3 queued, 3 skipped, 0 error(s), of 6 member(s)');
    expect(lines.some((l) => l.includes(otherClass.login))).toBe(false);

    // Each export is the member's own, as if they had asked, with the options given.
    const mine = await t.runtime.exports.get(ok[0]!, exportIdIn(byLogin(ok[0]!)));
    expect(mine).toMatchObject({
      status: 'queued',
      apps: ['blog', 'wiki'],
      options: { includeDocuments: false, includeShared: true },
    });
    expect((await t.runtime.exports.list(busy)).map((e) => e.id)).toEqual([first.id]);
    expect(await t.runtime.exports.list(noRight)).toEqual([]);

    // Queued 250 ms apart at 4 per second: the three jobs span about half a second (each
    // create's own time shifts its row by a few ms either way).
    const created: number[] = [];
    for (const u of [...ok, teacher]) {
      const job = await t.runtime.queue.get((await jobOf(exportIdIn(byLogin(u)))).jobId);
      created.push(job?.createdAt ?? 0);
    }
    created.sort((a, b) => a - b);
    expect(created[1]! - created[0]!).toBeGreaterThanOrEqual(200);
    expect(created[2]! - created[0]!).toBeGreaterThanOrEqual(460);

    // A school: the members of all its classes (those with an export in progress skipped).
    const bySchool = await run(() =>
      exportGroup(
        t.runtime,
        { group: school, includeDocuments: true, includeShared: true, rate: 50 },
        out,
      ),
    );
    expect(bySchool).toEqual({ queued: 1, skipped: 6, errors: 0 });
    expect(lines.find((l) => l.includes(otherClass.login))).toMatch(/^queued\t/);
    expect(lines.filter((l) => l.endsWith('an export is already in progress'))).toHaveLength(4);

    expect(
      await refusal(() =>
        exportGroup(
          t.runtime,
          { group: 'Nulle part', includeDocuments: true, includeShared: true, rate: 5 },
          out,
        ),
      ),
    ).toBe('No group or school "Nulle part"');
    expect(
      await refusal(() =>
        exportGroup(
          t.runtime,
          { group: cls.id, apps: ['agenda'], includeDocuments: true, includeShared: true, rate: 5 },
          out,
        ),
      ),
    ).toBe('Unknown app(s): agenda');
    for (const rate of [0, Number.NaN])
      expect(
        await refusal(() =>
          exportGroup(
            t.runtime,
            { group: cls.id, includeDocuments: true, includeShared: true, rate },
            out,
          ),
        ),
      ).toBe('--rate is a number of exports per second, above 0');
  });

  it('export --all --group counts a member whose export could not be queued as an error, in one line, and goes on', async () => {
    const members = [await makeUser(t.runtime.platform), await makeUser(t.runtime.platform)];
    const cls = await buildGroup(t.runtime, members);
    const [broken, fine] = [...members].sort((a, b) => a.login.localeCompare(b.login));
    // The service fails for one member (a database fault, say): not a refusal, an error.
    const exports = Object.create(t.runtime.exports) as typeof t.runtime.exports;
    exports.create = (user, input) =>
      user.id === broken!.id
        ? Promise.reject(new Error('connection lost\n    at Socket (net.js:1:1)'))
        : t.runtime.exports.create(user, input);
    const result = await run(() =>
      exportGroup(
        { ...t.runtime, exports },
        { group: cls.id, includeDocuments: true, includeShared: true, rate: 50 },
        out,
      ),
    );
    expect(result).toEqual({ queued: 1, skipped: 0, errors: 1 });
    expect(lines.slice(1)).toEqual([
      `error\t${broken!.login}\tconnection lost`,
      expect.stringMatching(new RegExp(`^queued\\t${fine!.login}\\texport `)),
      '1 queued, 0 skipped, 1 error(s), of 2 member(s)',
    ]);
  });

  it('jobs list and show: ids of what each job is about, never a stack; cancel goes through the export service', async () => {
    const pupil = await makeUser(t.runtime.platform);
    const view = await t.runtime.exports.create(pupil, { apps: ['blog'] });
    const { jobId } = await jobOf(view.id);

    await run(() => listJobs(t.runtime, { type: 'archive.export', status: 'queued' }, out));
    const line = lines.find((l) => l.startsWith(`${jobId}\t`));
    expect(line?.split('\t')).toEqual([
      jobId,
      'archive.export',
      'queued',
      '0/3',
      expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      `user=${pupil.id} export=${view.id}`,
    ]);
    expect(lines.every((l) => l.split('\t')[2] === 'queued')).toBe(true);
    await run(() => listJobs(t.runtime, { limit: 1 }, out));
    expect(lines).toHaveLength(1);

    await run(() => cancelJob(t.runtime, jobId, out));
    expect(lines).toEqual([`Cancelled job ${jobId} and its export ${view.id}`]);
    // The export's own row ended too, as when its owner cancels it (read raw: a read through
    // the service would mend it from the job's state).
    expect((await jobOf(view.id)).status).toBe('cancelled');
    expect((await t.runtime.queue.get(jobId))?.status).toBe('cancelled');
    expect(await refusal(() => cancelJob(t.runtime, jobId, out))).toBe(
      `Job ${jobId} has already ended (cancelled): nothing to cancel`,
    );
    // The pupil can ask again at once: nothing is left in progress.
    await expect(t.runtime.exports.create(pupil, { apps: ['blog'] })).resolves.toBeDefined();

    await run(() => showJob(t.runtime, jobId, out));
    expect(lines).toContain(`Job:       ${jobId}`);
    expect(lines).toContain('Type:      archive.export');
    expect(lines).toContain('State:     cancelled');
    expect(lines).toContain(`About:     user=${pupil.id} export=${view.id}`);
    expect(lines).toContain('Export:    cancelled');
    expect(lines).toContain(`Payload:   {"exportId":"${view.id}"}`);
    expect(await refusal(() => showJob(t.runtime, 'nope', out))).toBe('No job nope');
    expect(await refusal(() => retryJob(t.runtime, jobId, out))).toBe(
      `Job ${jobId} is cancelled: only a failed job can be retried`,
    );
  });

  it("jobs cancel of an import's job goes through the import service: its row ends cancelled and its archive is deleted", async () => {
    const pupil = await makeUser(t.runtime.platform);
    const view = await t.runtime.imports.create(
      pupil,
      Readable.from([Buffer.from('PK not really a zip')]),
      'archive.zip',
    );
    const row = async () =>
      t.runtime.db.kysely
        .selectFrom('archive_imports')
        .select(['job_id', 'status', 'blob_key'])
        .where('id', '=', view.id)
        .executeTakeFirstOrThrow();
    const before = await row();
    const jobId = before.job_id ?? '';
    expect(before.blob_key).not.toBeNull();
    expect(await t.runtime.blobs.head(before.blob_key ?? '')).toBeDefined();

    await run(() => listJobs(t.runtime, { type: 'archive.import.analyze' }, out));
    expect(lines.find((l) => l.startsWith(`${jobId}\t`))).toMatch(
      new RegExp(`\\tuser=${pupil.id} import=${view.id}$`),
    );
    await run(() => cancelJob(t.runtime, jobId, out));
    expect(lines).toEqual([`Cancelled job ${jobId} and its import ${view.id}`]);
    const after = await row();
    expect(after).toMatchObject({ status: 'cancelled', blob_key: null });
    expect(await t.runtime.blobs.head(before.blob_key ?? '')).toBeUndefined();
    expect((await t.runtime.queue.get(jobId))?.status).toBe('cancelled');
  });

  it('jobs retry runs a failed job again; one whose export has ended is refused', async () => {
    // An export whose job failed and whose row says failed: a new export is what is needed.
    const pupil = await makeUser(t.runtime.platform);
    const view = await t.runtime.exports.create(pupil, { apps: ['blog'] });
    const { jobId: exportJob } = await jobOf(view.id);
    await t.runtime.db.kysely
      .updateTable('jobs')
      .set({ status: 'failed', error: 'export_failed', finished_at: Date.now() })
      .where('id', '=', exportJob)
      .execute();
    await t.runtime.db.kysely
      .updateTable('archive_exports')
      .set({ status: 'failed', error: 'export_failed' })
      .where('id', '=', view.id)
      .execute();
    expect(await refusal(() => retryJob(t.runtime, exportJob, out))).toBe(
      `Job ${exportJob} is about export ${view.id}, which has ended (failed): running the job again would do nothing; ask for a new export`,
    );
    expect((await t.runtime.queue.get(exportJob))?.status).toBe('failed');

    const id = await t.runtime.queue.enqueue(flaky, { n: 1 });
    t.runtime.queue.startWorker();
    await waitFor('the failure', async () => (await t.runtime.queue.get(id))?.status === 'failed');
    await run(() => showJob(t.runtime, id, out));
    expect(lines).toContain('Error:     disk full');
    expect(lines.join('\n')).not.toContain('secret/path.ts');
    expect(lines).toContain('Tries:     1 of 1');
    expect(lines).toContain('About:     -');

    failing = false;
    await run(() => retryJob(t.runtime, id, out));
    expect(lines).toEqual([`Job ${id} is queued again (tries start from 1)`]);
    const done = await waitFor('the retried job', async () => {
      const j = await t.runtime.queue.get(id);
      return j?.status === 'succeeded' && j;
    });
    expect(done.result).toEqual({ ok: true });
    expect(await refusal(() => retryJob(t.runtime, id, out))).toBe(
      `Job ${id} is succeeded: only a failed job can be retried`,
    );
  });
});

describe.each(testDbKinds())('stats on %s', (kind) => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await createTestRuntime(kind);
  });
  afterAll(async () => {
    await t.destroy();
  });

  it('counts exports and imports by status, archive bytes kept, jobs, queue depth and the oldest wait', async () => {
    const empty = await collectStats(t.runtime);
    expect(empty).toMatchObject({
      exports: {},
      imports: {},
      archiveBytes: 0,
      readyArchives: 0,
      depth: { waiting: 0, delayed: 0 },
      oldestQueuedAgeMs: null,
    });
    const [a, b, c] = [
      await makeUser(t.runtime.platform),
      await makeUser(t.runtime.platform),
      await makeUser(t.runtime.platform),
    ];
    const ea = await t.runtime.exports.create(a, { apps: ['blog'] });
    await t.runtime.exports.create(b, { apps: ['blog'] });
    await t.runtime.exports.cancel(b, (await t.runtime.exports.list(b))[0]!.id);
    const queued = await collectStats(t.runtime);
    expect(queued.exports).toEqual({ cancelled: 1, queued: 1 });
    expect(queued.jobs.byStatus).toMatchObject({ queued: 1, cancelled: 1, succeeded: 0 });
    expect(queued.depth).toEqual({ waiting: 1, delayed: 0 });
    expect(queued.oldestQueuedAgeMs).toBeGreaterThanOrEqual(0);
    expect(queued.oldestQueuedAgeMs).toBeLessThan(60_000);

    // Two archives built by the worker: the bytes kept are their sizes.
    const ec = await t.runtime.exports.create(c, { apps: ['blog', 'wiki'] });
    t.runtime.queue.startWorker();
    const ready = await waitFor('both exports', async () => {
      const views = [await t.runtime.exports.get(a, ea.id), await t.runtime.exports.get(c, ec.id)];
      return views.every((v) => v.status === 'ready') && views;
    });
    const s = await collectStats(t.runtime);
    expect(s.exports).toEqual({ cancelled: 1, ready: 2 });
    expect(s.readyArchives).toBe(2);
    expect(s.archiveBytes).toBe(ready[0]!.size! + ready[1]!.size!);
    expect(s.archiveBytes).toBeGreaterThan(0);
    expect(s.jobs.byStatus).toMatchObject({ queued: 0, succeeded: 2, cancelled: 1 });
    expect(s.oldestQueuedAgeMs).toBeNull();

    const lines: string[] = [];
    await printStats(t.runtime, (l) => lines.push(l));
    expect(lines).toEqual([
      'Exports: cancelled 1, ready 2',
      'Imports: none',
      `Archives kept: 2 ready export(s), ${s.archiveBytes} bytes`,
      'Jobs: queued 0, running 0, succeeded 2, failed 0, cancelled 1',
      'Queue (embedded): 0 waiting, 0 delayed',
      'Oldest queued job: none',
    ]);
  });
});
