import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createRuntime } from '../src/runtime.ts';

/** The admin commands as an operator runs them: a process, its lines, its exit code. */
const bin = path.resolve('bin/mes-donnees.js');
let dir: string;
let env: Record<string, string>;
let cancelledJob: string;
let logins: { ok: string; busy: string };

function cli(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-cli-admin-'));
  env = {
    DATA_DIR: dir,
    DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`,
    LOG_LEVEL: 'warn',
  };
  // The data an operator would find: a class, a pupil whose export is under way, one cancelled.
  const runtime = await createRuntime(loadConfig(env), pino({ level: 'silent' }));
  try {
    const { accounts } = runtime.platform;
    const group = await accounts.createGroup('Collège Jean Moulin', '5e A');
    logins = { ok: 'eleve.a', busy: 'eleve.b' };
    for (const login of [logins.ok, logins.busy]) {
      await accounts.createUser({ login, password: 'mot-de-passe-long', profile: 'Student' });
      await accounts.addMember(group.id, login);
    }
    const busy = await accounts.requireByLogin(logins.busy);
    const cancelled = await runtime.exports.create(busy, { apps: ['blog'] });
    await runtime.exports.cancel(busy, cancelled.id);
    await runtime.exports.create(busy, { apps: ['blog'] });
    const row = await runtime.db.kysely
      .selectFrom('archive_exports')
      .select('job_id')
      .where('id', '=', cancelled.id)
      .executeTakeFirstOrThrow();
    cancelledJob = row.job_id ?? '';
  } finally {
    await runtime.close();
  }
}, 60_000);

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

// Each CLI process loads TypeScript and opens the database: several seconds on a busy machine.
describe('mes-donnees admin commands', { timeout: 180_000 }, () => {
  it('export --all --group queues one export per member, lists the skipped, and exits 0', () => {
    const r = cli('export', '--all', '--group', '5e A', '--apps', 'blog', '--rate', '20');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(
      '5e A (Collège Jean Moulin): 2 member(s), at most 20 export(s) queued per second',
    );
    expect(lines[1]).toMatch(new RegExp(`^queued\\t${logins.ok}\\texport \\S+$`));
    expect(lines[2]).toBe(`skipped\t${logins.busy}\tan export is already in progress`);
    expect(lines[3]).toBe('1 queued, 1 skipped, 0 error(s), of 2 member(s)');

    const bad = cli('export', '--all');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('mes-donnees: --all and --group go together\n');
  });

  it('jobs list, show, retry refused in one clean line, and stats', () => {
    const list = cli('jobs', 'list', '--state', 'queued', '--type', 'archive.export');
    expect(list.status).toBe(0);
    const rows = list.stdout.trim().split('\n');
    expect(rows).toHaveLength(2); // the busy pupil's, and the one queued by export --all
    for (const row of rows) expect(row).toMatch(/^\S+\tarchive\.export\tqueued\t0\/3\t/);

    const retry = cli('jobs', 'retry', cancelledJob);
    expect(retry.status).toBe(1);
    expect(retry.stdout).toBe('');
    expect(retry.stderr).toBe(
      `mes-donnees: Job ${cancelledJob} is cancelled: only a failed job can be retried\n`,
    );

    const show = cli('jobs', 'show', cancelledJob);
    expect(show.status).toBe(0);
    expect(show.stdout).toContain('State:     cancelled');
    expect(show.stdout).toContain('Export:    cancelled');

    const stats = cli('stats');
    expect(stats.status).toBe(0);
    expect(stats.stdout).toContain('Exports: cancelled 1, queued 2\n');
    expect(stats.stdout).toContain(
      'Jobs: queued 2, running 0, succeeded 0, failed 0, cancelled 1\n',
    );
    expect(stats.stdout).toContain('Queue (embedded): 2 waiting, 0 delayed\n');
    expect(stats.stdout).toMatch(/Oldest queued job: \d+ s ago\n/);
  });
});
