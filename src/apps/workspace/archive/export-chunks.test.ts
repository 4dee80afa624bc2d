import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBlog, buildDocument, makeUser, share } from '../../../../test/support/factories.ts';
import { testDbKinds } from '../../../../test/support/test-env.ts';
import { createTestRuntime, type TestRuntime } from '../../../../test/support/test-runtime.ts';
import { AccessReader } from '../../../platform/access.ts';
import { BLOG_KIND } from '../../blog/blog.repository.ts';
import { WorkspaceRepository } from '../workspace.repository.ts';
import { workspaceArchiveAdapter } from './workspace.export.ts';

/**
 * More ids than one statement may bind: SQLite allows 32,766 parameters, PostgreSQL 65,535.
 * The export's id lists (documents other apps reference, blogs shared with the user) are as
 * long as an account is large, so every query over them is sent in chunks (issue 15, 7).
 */
const MANY = 70_000;

describe.each(testDbKinds())('Export queries over long id lists on %s', (db) => {
  let t: TestRuntime;

  beforeAll(async () => {
    t = await createTestRuntime(db);
  });
  afterAll(async () => {
    await t?.destroy();
  });

  /** `MANY` ids that name nothing, with `real` among them, the last ones past every chunk. */
  const withMany = (real: readonly string[]): string[] => [
    ...Array.from({ length: MANY }, () => randomUUID()),
    ...real,
  ];

  it('counts and reads the documents other apps reference, however many', async () => {
    const rt = t.runtime;
    const user = await makeUser(rt.platform, 'Student');
    const other = await makeUser(rt.platform, 'Teacher');
    const docs = [
      await buildDocument(rt, other, { bytes: 'un' }),
      await buildDocument(rt, other, { bytes: 'deux' }),
    ];
    const ids = withMany(docs.map((d) => d.id));

    // The list is past the limit: sent whole, the same read fails.
    await expect(
      rt.db.kysely.selectFrom('ws_documents').select('id').where('id', 'in', ids).execute(),
    ).rejects.toThrow();

    const repo = new WorkspaceRepository(rt.db.kysely);
    const rows = await repo.documentRows(ids);
    expect(rows.map((r) => r.id).sort()).toEqual(docs.map((d) => d.id).sort());

    const adapter = workspaceArchiveAdapter({ db: rt.db, blobs: rt.blobs, platform: rt.platform });
    const options = { includeDocuments: true, includeShared: true };
    const counted = await adapter.count(user, options, {
      referencedDocuments: () => Promise.resolve(new Set(ids)),
    });
    expect(counted).toEqual({ items: 2, bytes: 'un'.length + 'deux'.length });
  }, 120_000);

  it('reads the rights on however many shared blogs', async () => {
    const rt = t.runtime;
    const user = await makeUser(rt.platform, 'Student');
    const owner = await makeUser(rt.platform, 'Teacher');
    const blogs = [await buildBlog(rt, owner), await buildBlog(rt, owner)];
    for (const b of blogs) await share(rt, owner, { app: 'blog', type: 'blog', id: b.id }, user);
    const rights = await new AccessReader({ db: rt.db }).sharedRights(
      user.id,
      BLOG_KIND,
      withMany(blogs.map((b) => b.id)),
    );
    expect(new Map(rights)).toEqual(new Map(blogs.map((b) => [b.id, 'read'])));
  }, 120_000);
});
