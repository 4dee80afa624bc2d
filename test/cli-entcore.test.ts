/**
 * The CLI with Open ENT NG archives: an operator trusts the platform's key
 * (`keys trust --entcore`), then imports a pupil's archive into an account (`import`); a
 * changed archive is refused with one clean line.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTCORE_TEST_KEY, writeEntcoreArchive } from './fixtures/entcore-archives.ts';

const bin = path.resolve('bin/mes-donnees.js');
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-cli-entcore-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function cli(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], {
    env: { ...process.env, DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('mes-donnees CLI and Open ENT NG archives', { timeout: 180_000 }, () => {
  it('trusts a platform key, imports its archive with the trash when asked, refuses a changed one', async () => {
    const pem = path.join(dir, 'platform.pem');
    await fs.writeFile(pem, ENTCORE_TEST_KEY.publicKeyPem);
    expect(cli(['seed-demo']).status).toBe(0);

    // Before the key is trusted, the archive is refused as untrusted.
    const good = await writeEntcoreArchive(path.join(dir, 'good.zip'));
    const refused = cli(['import', '--login', 'enseignant.demo', path.join(dir, 'good.zip')]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('archive_untrusted');
    expect(refused.stderr).not.toMatch(/at .*\.ts:\d+/);

    const trusted = cli(['keys', 'trust', '--entcore', pem]);
    expect(trusted.status, trusted.stderr).toBe(0);
    expect(trusted.stdout).toMatch(/Trusted Open ENT NG key [0-9a-f]{32}/);
    expect(cli(['keys', 'list']).stdout).toMatch(/\tOpen ENT NG/);

    const run = cli([
      'import',
      '--login',
      'enseignant.demo',
      '--include-trash',
      path.join(dir, 'good.zip'),
    ]);
    // Exit 2: the record whose file the archive lacks is reported by name.
    expect(run.status, run.stderr).toBe(2);
    expect(run.stdout).toContain('From Open ENT NG (trusted)');
    expect(run.stdout).toMatch(/org\.entcore\.conversation: .* not importable \(unknown_app\)/);
    const missing = good.expected.workspace?.missingDocuments[0]?.name ?? '?';
    expect(run.stdout).toContain(`✗ ${missing} (document_missing)`);
    // The trash came too: what the analysis counted, plus its trash, but the missing file.
    const listed = /workspace: (\d+) items, [^;\n]*; in its trash (\d+) items/.exec(run.stdout);
    const imported = Number(/workspace: (\d+) imported/.exec(run.stdout)?.[1]);
    const missingCount = good.expected.workspace?.missingDocuments.length ?? 0;
    expect(Number(listed?.[2])).toBeGreaterThan(0);
    expect(imported).toBe(Number(listed?.[1]) + Number(listed?.[2]) - missingCount);

    await writeEntcoreArchive(path.join(dir, 'changed.zip'), { signing: 'tampered' });
    const changed = cli(['import', '--login', 'enseignant.demo', path.join(dir, 'changed.zip')]);
    expect(changed.status).toBe(1);
    expect(changed.stderr).toContain('archive_signature_invalid');
    expect(changed.stderr.trim().split('\n')).toHaveLength(1);
  });
});
