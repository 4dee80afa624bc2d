import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser } from '../../test/support/factories.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import { createTestRuntime, type TestRuntime } from '../../test/support/test-runtime.ts';
import { newId } from '../clock.ts';
import { ExportRepository } from './export.repository.ts';

const options = { includeDocuments: true, includeShared: false };

describe.each(testDbKinds())('ExportRepository on %s', (kind) => {
  let t: TestRuntime;
  let repo: ExportRepository;
  beforeAll(async () => {
    t = await createTestRuntime(kind);
    repo = new ExportRepository(t.runtime.db);
  });
  afterAll(async () => {
    await t.destroy();
  });

  const queued = async (userId: string, createdAt = 1_000) => {
    const id = newId();
    expect(await repo.insertQueued({ id, userId, apps: ['blog'], options, createdAt })).toBe(true);
    return id;
  };

  it('keeps one active export per user, and ends it once', async () => {
    const user = await makeUser(t.runtime.platform);
    const id = await queued(user.id);
    const second = { id: newId(), userId: user.id, apps: [], options, createdAt: 2_000 };
    expect(await repo.insertQueued(second)).toBe(false);

    const found = await repo.findOf(user.id, id);
    expect(found).toMatchObject({ status: 'queued', apps: ['blog'], options, progress: {} });
    const other = await makeUser(t.runtime.platform);
    expect(await repo.findOf(other.id, id)).toBeUndefined();

    await repo.markRunning(id, 1_500);
    const progress = {
      blog: {
        status: 'partial' as const,
        items: 2,
        itemsTotal: 3,
        bytes: 0,
        bytesTotal: 0,
        failed: [{ name: 'a', code: 'x' }],
      },
    };
    await repo.saveProgress(id, progress);
    expect((await repo.find(id))?.progress).toEqual(progress);

    const archive = { blobKey: 'k', fileName: 'f.zip', size: 10, sha256: 'h', expiresAt: 9_000 };
    expect(await repo.endActive(id, { status: 'ready', finishedAt: 2_000, archive })).toBe(true);
    // A cancel racing the end finds it ended: nothing changes.
    expect(await repo.endActive(id, { status: 'cancelled', finishedAt: 2_001 })).toBe(false);
    expect(await repo.find(id)).toMatchObject({
      status: 'ready',
      blobKey: 'k',
      size: 10,
      finishedAt: 2_000,
    });
    // Ended, it no longer blocks a new one.
    const next = await queued(user.id, 3_000);
    expect((await repo.listOf(user.id, 10)).map((e) => e.id)).toEqual([next, id]);
  });

  it('finds expired ready exports and keeps their rows without the archive', async () => {
    const user = await makeUser(t.runtime.platform);
    const id = await queued(user.id);
    const archive = { blobKey: 'old', fileName: 'f.zip', size: 1, sha256: 'h', expiresAt: 5_000 };
    await repo.endActive(id, { status: 'ready', finishedAt: 2_000, archive });
    expect(await repo.expiredReady(4_999)).not.toContainEqual({ id, blobKey: 'old' });
    expect(await repo.expiredReady(5_000)).toContainEqual({ id, blobKey: 'old' });
    await repo.markExpired(id);
    expect(await repo.find(id)).toMatchObject({ status: 'expired', blobKey: null });
    expect(await repo.expiredReady(5_000)).not.toContainEqual(expect.objectContaining({ id }));
  });

  it('finds active exports whose job has ended', async () => {
    const user = await makeUser(t.runtime.platform);
    const id = await queued(user.id);
    const jobId = newId();
    await t.runtime.db.kysely
      .insertInto('jobs')
      .values({
        id: jobId,
        type: 'archive.export',
        payload: '{}',
        status: 'failed',
        max_attempts: 1,
        run_at: 0,
        error: 'worker died',
        created_at: 0,
        updated_at: 0,
      })
      .execute();
    expect(await repo.activeWithEndedJob(user.id)).toEqual([]);
    await repo.setJob(id, jobId);
    expect(await repo.activeWithEndedJob(user.id)).toEqual([
      { id, jobStatus: 'failed', jobError: 'worker died' },
    ]);
  });

  it('reads a malformed JSON column as its default', async () => {
    const user = await makeUser(t.runtime.platform);
    const id = await queued(user.id);
    await t.runtime.db.kysely
      .updateTable('archive_exports')
      .set({ progress: '{not json', apps: '{"a":1}' })
      .where('id', '=', id)
      .execute();
    expect(await repo.find(id)).toMatchObject({ progress: {}, apps: [] });
  });
});
