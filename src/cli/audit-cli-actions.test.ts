import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** What operators do from the command line is in the audit log too, with the address `cli`. */
const bin = path.resolve('bin/mes-donnees.js');
let dir: string;
let env: Record<string, string>;

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return r;
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-cli-audit-actions-'));
  env = {
    DATA_DIR: dir,
    DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`,
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
  };
  const made = cli(
    'user',
    'create',
    '--login',
    'prof.cli',
    '--password',
    'mot-de-passe-long',
    '--profile',
    'Teacher',
  );
  expect(made.status, made.stderr).toBe(0);
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('the CLI records its own actions in the audit log', () => {
  it('token create, export --login and import are listed, as the operator ran them', () => {
    const token = cli('token', 'create', '--login', 'prof.cli', '--name', 'sauvegarde');
    expect(token.status, token.stderr).toBe(0);
    const out = path.join(dir, 'prof.zip');
    const exported = cli('export', '--login', 'prof.cli', '--apps', 'blog', '--out', out);
    expect(exported.status, exported.stderr).toBe(0);
    const imported = cli('import', '--login', 'prof.cli', out, '--dry-run');
    expect(imported.status, imported.stderr).toBe(0);

    const listed = cli('audit', '--json');
    expect(listed.status, listed.stderr).toBe(0);
    const events = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toEqual([
      expect.objectContaining({
        action: 'import_launched',
        outcome: 'ok',
        actorLogin: 'prof.cli',
        detail: { apps: 'blog', dryRun: true },
        clientAddress: 'cli',
      }),
      expect.objectContaining({
        action: 'export_requested',
        outcome: 'ok',
        actorLogin: 'prof.cli',
        detail: { apps: 'blog', file: 'prof.zip' },
        clientAddress: 'cli',
      }),
      expect.objectContaining({
        action: 'token_created',
        outcome: 'ok',
        actorLogin: 'prof.cli',
        detail: { name: 'sauvegarde' },
        clientAddress: 'cli',
      }),
    ]);
  }, 240_000);
});
