import { spawnSync } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ArchiveAdapter } from '../archive/adapter.ts';
import { loadOrCreateInstanceKey } from '../archive/keys.ts';
import { recordFile } from '../archive/records.ts';
import type { User } from '../platform/accounts.service.ts';
import { writeTestArchive } from '../../test/support/test-archive.ts';

const bin = path.resolve('bin/mes-donnees.js');
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'md-cli-verify-'));
  env = {
    DATA_DIR: dir,
    DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`,
    SIGNING_KEY_FILE: path.join(dir, 'instance.pem'),
    LOG_LEVEL: 'warn',
  };
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

const user: User = {
  id: 'u1',
  login: 'prof',
  displayName: 'Prof',
  profile: 'Teacher',
  email: null,
  isAdmin: false,
  disabled: false,
};

/** An archive signed with the instance's own key, whose blog wrote these posts unchecked. */
async function signedArchive(name: string, posts: readonly unknown[]): Promise<string> {
  const adapter: ArchiveAdapter = {
    app: 'blog',
    label: 'Blog',
    appVersion: '1',
    dataVersion: 1,
    dependsOn: [],
    records: [],
    count: async () => ({ items: posts.length, bytes: 0 }),
    async export(_ctx, out) {
      async function* rows() {
        yield* posts;
      }
      await out.ndjson(recordFile('posts.ndjson', 'ndjson', z.unknown(), 'unchecked'), rows());
      return { items: posts.length, bytes: 0 };
    },
  };
  const file = path.join(dir, name);
  await writeTestArchive(file, {
    exportId: name,
    user,
    adapters: [adapter],
    key: await loadOrCreateInstanceKey(env.SIGNING_KEY_FILE!),
  });
  return file;
}

function verify(file: string) {
  return spawnSync(process.execPath, [bin, 'verify', file], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 55_000,
  });
}

const post = (id: string, title: unknown) => ({
  id,
  blogId: 'b1',
  title,
  content: '<p>Bonjour</p>',
  state: 'PUBLISHED',
  authorId: 'u1',
  authorName: 'Prof',
  createdAt: '2026-09-01T08:00:00.000Z',
  modifiedAt: '2026-09-01T08:00:00.000Z',
  firstPublishedAt: '2026-09-01T08:00:00.000Z',
});

describe('mes-donnees verify', () => {
  it('checks records with the schemas of the registered apps: a post whose title is a number is refused, by file and line', async () => {
    const good = verify(
      await signedArchive('good.zip', [post('p1', 'Sortie'), post('p2', 'Retour')]),
    );
    expect(good.stdout).toMatch(/^OK: \d+ files and 2 records checked/m);
    expect(good.status).toBe(0);

    const bad = verify(await signedArchive('bad.zip', [post('p1', 'Sortie'), post('p2', 42)]));
    expect(bad.stdout).toMatch(/^PROBLEM: Blog\/posts\.ndjson:2: title: .*expected string/m);
    expect(bad.stdout).not.toContain('posts.ndjson:1:');
    expect(bad.stdout).toContain('INVALID');
    expect(bad.status).toBe(1);
  }, 120_000); // two CLI processes, each opening (and migrating) its database
});
