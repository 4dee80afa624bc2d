/**
 * `mes-donnees export` writes a pupil's archive for an operator: the file verifies, and it is
 * readable by the service's account only (the CLI's umask), like everything it writes.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = path.resolve('bin/mes-donnees.js');
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-cli-export-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const cli = (args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], {
    env: { ...process.env, DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('mes-donnees export', { timeout: 180_000 }, () => {
  it('writes an archive that verifies, private to the service account', async () => {
    expect(cli(['seed-demo']).status).toBe(0);
    const out = path.join(dir, 'emma.zip');
    const run = cli(['export', '--login', 'eleve.demo', '--out', out]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Wrote ${out}`);
    expect((await fs.stat(out)).mode & 0o777).toBe(0o600);
    const verified = cli(['verify', out]);
    expect(verified.status, verified.stdout).toBe(0);
    expect(verified.stdout).toMatch(/^OK: /m);
  });
});
