import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser } from '../../test/support/factories.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import { createTestRuntime, type TestRuntime } from '../../test/support/test-runtime.ts';
import { waitFor } from '../../test/support/wait.ts';
import { newId } from '../clock.ts';
import { allTrustedKeys } from './keys.ts';
import { verifyArchive } from './verify.ts';

const bin = path.resolve('bin/mes-donnees.js');
const MiB = 1024 * 1024;

describe.each(testDbKinds())('an export whose worker is killed (%s)', (kind) => {
  let t: TestRuntime;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    t = await createTestRuntime(kind, { JOB_LEASE: '2s' });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await t.destroy();
  });

  /** A real `mes-donnees worker` process on the same database, blobs and key. */
  const worker = async (): Promise<ChildProcess> => {
    const db = t.config.database;
    const child = spawn(process.execPath, [bin, 'worker'], {
      env: {
        ...process.env,
        DATA_DIR: t.dataDir,
        DATABASE_URL: db.kind === 'sqlite' ? `sqlite:${db.file}` : db.url,
        JOB_LEASE: '2s',
        LOG_LEVEL: 'warn',
        SEED_DEMO: 'false',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    return child;
  };

  it('is taken again by another worker and ends ready with a valid archive', async () => {
    const { runtime } = t;
    const user = await makeUser(runtime.platform, 'Teacher', { quota: 1024 * MiB });
    // Enough bytes that the first worker is still writing when it is killed.
    const id = newId();
    const key = `workspace/${user.id}/${id}`;
    const block = randomBytes(MiB);
    const stored = await runtime.blobs.put(
      key,
      Readable.from(
        (function* () {
          for (let i = 0; i < 300; i++) yield block;
        })(),
      ),
    );
    await runtime.db.kysely
      .insertInto('ws_documents')
      .values({
        id,
        owner_id: user.id,
        folder_id: null,
        name: 'gros.bin',
        content_type: 'application/octet-stream',
        size: stored.size,
        sha256: stored.sha256,
        blob_key: key,
        created_at: Date.now(),
        modified_at: Date.now(),
      })
      .execute();

    const first = await worker();
    const exp = await runtime.exports.create(user, { apps: ['workspace'] });
    await waitFor(
      'the first worker to start',
      async () => (await runtime.exports.get(user, exp.id)).status === 'running',
      20_000,
      20,
    );
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect((await runtime.exports.get(user, exp.id)).status).toBe('running');

    await worker();
    const done = await waitFor(
      'the export to be ready',
      async () => {
        const e = await runtime.exports.get(user, exp.id);
        return e.status === 'ready' && e;
      },
      60_000,
      100,
    );
    const row = await runtime.db.kysely
      .selectFrom('archive_exports')
      .select('job_id')
      .where('id', '=', exp.id)
      .executeTakeFirstOrThrow();
    const job = await runtime.queue.get(row.job_id!);
    expect(job?.attempts).toBe(2);
    expect(done.progress.workspace?.status).toBe('complete');

    const file = path.join(t.dataDir, 'blobs', 'exports', user.id, `${exp.id}.zip`);
    const verdict = await verifyArchive(
      file,
      await allTrustedKeys(await runtime.instanceKey(), t.config),
    );
    expect(verdict.problems).toEqual([]);
    expect(verdict.manifest?.files.find((f) => f.path.endsWith('gros.bin'))?.sha256).toBe(
      stored.sha256,
    );
  }, 120_000);
});
