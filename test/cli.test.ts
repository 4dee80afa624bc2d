import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = path.resolve('bin/mes-donnees.js');
let dataDir: string;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-cli-'));
});
afterAll(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [bin, ...args], {
    env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

// Each test starts the CLI (a Node process loading TypeScript) one to five times: on a busy
// machine that takes longer than the default 30 s.
describe('mes-donnees CLI', { timeout: 120_000 }, () => {
  it('exits 1 naming each bad variable', () => {
    const r = cli(['serve'], { PORT: 'abc', ROLE: 'boss' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('PORT');
    expect(r.stderr).toContain('ROLE');
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace for a user error
  });

  it('has --help on every command', () => {
    for (const args of [
      ['--help'],
      ['serve', '--help'],
      ['web', '--help'],
      ['worker', '--help'],
      ['migrate', '--help'],
    ]) {
      const r = cli(args);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stdout).toContain('Usage: mes-donnees');
    }
  });

  it('migrates, then says the database is up to date', () => {
    const first = cli(['migrate']);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/Applied: 0001-jobs|Database is up to date/);
    const second = cli(['migrate']);
    expect(second.stdout).toContain('Database is up to date');
  });

  it('serves, answers health and the web page, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [bin, 'serve'], {
      env: { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start: ${stderr}`)), 20_000);
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        const m = /running at (http:\/\/\S+)/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const health = await fetch(`${url}/api/health`);
    expect(health.status).toBe(200);
    expect((await health.json()).status).toBe('ok');
    const page = await fetch(`${url}/archive`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<div id="root">');
    const exit = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(stderr).not.toContain('Unhandled');
  });
});
