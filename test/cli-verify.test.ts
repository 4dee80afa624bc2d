/**
 * `mes-donnees keys` and `verify` across two instances, as operators use them: an archive from
 * another instance is refused (exit 1) until its key, printed there by `keys show`, is trusted
 * here with `keys trust`; then it verifies (exit 0) and `keys list` names that key.
 */
import { spawnSync } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateInstanceKey, type InstanceKey } from '../src/archive/keys.ts';
import { ARCHIVE_TEST_USER as user, writeTestArchive } from './support/test-archive.ts';

const bin = path.resolve('bin/mes-donnees.js');
let dir: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'md-cli-keys-'));
});
afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

/** The CLI of an instance whose data (database, key) lives in `home`. */
const cli = (home: string, args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], {
    env: {
      ...process.env,
      DATA_DIR: home,
      DATABASE_URL: `sqlite:${path.join(home, 'db.sqlite')}`,
      SIGNING_KEY_FILE: path.join(home, 'instance.pem'),
      LOG_LEVEL: 'warn',
    },
    encoding: 'utf8',
    timeout: 60_000,
  });

/** A sound archive (no app data) as the instance holding `key` exports it. */
async function archiveSignedBy(key: InstanceKey, name: string): Promise<string> {
  const file = path.join(dir, name);
  await writeTestArchive(file, { exportId: name, user, adapters: [], key });
  return file;
}

describe('mes-donnees keys and verify across instances', { timeout: 300_000 }, () => {
  it('refuses an archive of another instance until its key is trusted, then verifies it', async () => {
    const here = await fsp.mkdtemp(path.join(dir, 'here-'));
    const there = await fsp.mkdtemp(path.join(dir, 'there-'));

    // On the other instance: its key, as `keys show` prints it (PEM on stdout, id on stderr).
    const shown = cli(there, ['keys', 'show']);
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
    const theirs = await loadOrCreateInstanceKey(path.join(there, 'instance.pem'));
    expect(shown.stderr).toContain(`Key id ${theirs.id}`);
    expect(shown.stdout).toBe(theirs.publicKeyPem);
    const archive = await archiveSignedBy(theirs, 'from-there.zip');

    const before = cli(here, ['verify', archive]);
    expect(before.status, before.stdout + before.stderr).toBe(1);
    expect(before.stdout).toContain(
      `PROBLEM: Signed by an unknown key (${theirs.id}): add it with "mes-donnees keys trust"`,
    );
    expect(before.stdout).toMatch(/^INVALID: 1 problem\(s\)$/m);

    const pem = path.join(dir, 'there.pem');
    await fsp.writeFile(pem, shown.stdout);
    const trusted = cli(here, ['keys', 'trust', pem]);
    expect(trusted.status, trusted.stderr).toBe(0);
    expect(trusted.stdout).toContain(`Trusted key ${theirs.id}`);

    const after = cli(here, ['verify', archive]);
    expect(after.status, after.stdout + after.stderr).toBe(0);
    expect(after.stdout).toMatch(
      new RegExp(`^OK: \\d+ files and 0 records checked, signature by ${theirs.id} \\(`, 'm'),
    );
    expect(after.stdout).not.toContain('PROBLEM');

    const listed = cli(here, ['keys', 'list']);
    expect(listed.status, listed.stderr).toBe(0);
    const ids = listed.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t')[0]);
    const ours = await loadOrCreateInstanceKey(path.join(here, 'instance.pem'));
    expect(ids).toContain(theirs.id);
    expect(ids).toContain(ours.id);
  });

  it('exits 1 when any of several files is invalid, naming each file on its lines', async () => {
    const home = await fsp.mkdtemp(path.join(dir, 'several-'));
    const ours = await loadOrCreateInstanceKey(path.join(home, 'instance.pem'));
    const good = await archiveSignedBy(ours, 'good.zip');
    const broken = path.join(dir, 'broken.zip');
    await fsp.writeFile(broken, 'pas une archive\n');
    const run = cli(home, ['verify', good, broken]);
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^${good}: OK: `, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^${broken}: PROBLEM: `, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^${broken}: INVALID: 1 problem\\(s\\)$`, 'm'));
    expect(run.stderr).not.toMatch(/\s{4}at /);
  });
});
