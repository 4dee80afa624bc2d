import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { createRuntime } from '../runtime.ts';

/** `mes-donnees audit` as an operator runs it: a process, its lines, its exit code. */
const bin = path.resolve('bin/mes-donnees.js');
let dir: string;
let env: Record<string, string>;
let pupil: { id: string; login: string };

function cli(...args: string[]) {
  return spawnSync(process.execPath, [bin, 'audit', ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-cli-audit-'));
  env = {
    DATA_DIR: dir,
    DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`,
    LOG_LEVEL: 'warn',
  };
  // What the routes would have written: a pupil's export and download, a failed login.
  const runtime = await createRuntime(loadConfig(env), pino({ level: 'silent' }));
  try {
    const user = await runtime.platform.accounts.createUser({
      login: 'eleve.audit',
      password: 'mot-de-passe-long',
      profile: 'Student',
    });
    pupil = { id: user.id, login: user.login };
    const { audit } = runtime;
    await audit.record({
      action: 'export_requested',
      outcome: 'ok',
      actor: pupil,
      targetId: 'exp-1',
      detail: { apps: 'blog,wiki' },
      clientAddress: '203.0.113.7',
    });
    await audit.record({
      action: 'export_downloaded',
      outcome: 'ok',
      actor: pupil,
      targetId: 'exp-1',
      clientAddress: '203.0.113.7',
    });
    await audit.record({
      action: 'login',
      outcome: 'refused',
      actor: { id: null, login: 'prof.x' },
      detail: { code: 'invalid_credentials', status: 401 },
      clientAddress: '198.51.100.2',
    });
  } finally {
    await runtime.close();
  }
}, 60_000);

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

// Each CLI process loads TypeScript and opens the database: several seconds on a busy machine.
describe('mes-donnees audit', { timeout: 180_000 }, () => {
  it('lists events newest first, one line each; filters by login and action; --json', () => {
    const all = cli();
    expect(all.stderr).toBe('');
    expect(all.status).toBe(0);
    const lines = all.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    const at = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';
    expect(lines[0]).toMatch(
      new RegExp(
        `^${at} login refused "prof.x" - 198.51.100.2 code=invalid_credentials status=401$`,
      ),
    );
    expect(lines[1]).toMatch(
      new RegExp(`^${at} export_downloaded ok eleve.audit exp-1 203.0.113.7$`),
    );
    expect(lines[2]).toMatch(
      new RegExp(`^${at} export_requested ok eleve.audit exp-1 203.0.113.7 apps=blog,wiki$`),
    );

    const json = cli('--login', 'eleve.audit', '--action', 'export_requested', '--json');
    expect(json.status).toBe(0);
    const events = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toEqual([
      expect.objectContaining({
        action: 'export_requested',
        outcome: 'ok',
        actorId: pupil.id,
        actorLogin: 'eleve.audit',
        targetId: 'exp-1',
        detail: { apps: 'blog,wiki' },
        clientAddress: '203.0.113.7',
      }),
    ]);
  });

  it('says when nothing matches, and refuses a bad --since or --action in one line with exit 1', () => {
    const none = cli('--since', '2999-01-01', '--limit', '5');
    expect(none.status).toBe(0);
    expect(none.stdout).toBe('No audit event matches\n');

    const since = cli('--since', 'yesterday');
    expect(since.status).toBe(1);
    expect(since.stderr.trim().split('\n')[0]).toMatch(/--since.*an ISO date/);

    const action = cli('--action', 'export_stolen');
    expect(action.status).toBe(1);
    expect(action.stderr.trim().split('\n')[0]).toMatch(/--action.*export_stolen/);
  });

  it('--prune-before deletes the older events only', () => {
    const kept = cli('--prune-before', '2000-01-01');
    expect(kept.stderr).toBe('');
    expect(kept.stdout).toBe('Deleted 0 audit event(s) before 2000-01-01T00:00:00.000Z\n');
    const all = cli('--prune-before', '2999-01-01T00:00Z');
    expect(all.stdout).toBe('Deleted 3 audit event(s) before 2999-01-01T00:00:00.000Z\n');
    expect(cli().stdout).toBe('No audit event matches\n');
  });
});
