import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDocument,
  buildNewsItem,
  buildThread,
  makeUser,
  share,
} from '../../../test/support/factories.ts';
import { testDbKinds } from '../../../test/support/test-env.ts';
import { createTestRuntime, type TestRuntime } from '../../../test/support/test-runtime.ts';
import type { ArchiveAdapter } from '../../archive/adapter.ts';
import type { User } from '../../platform/accounts.service.ts';
import { makePng } from '../../demo/demo-files.ts';
import { documentUrl } from '../workspace/document-links.ts';
import { newsArchiveAdapter } from './archive/news.export.ts';

/** The documents an export of the Actualités hands to the workspace for `user`. */
async function referencedBy(adapter: ArchiveAdapter, user: User): Promise<Set<string>> {
  const referenced = new Set<string>();
  const drain = async (rows: AsyncIterable<unknown>) => {
    const it = rows[Symbol.asyncIterator]();
    while (!(await it.next()).done);
    return '';
  };
  await adapter.export(
    {
      user,
      options: { includeDocuments: true, includeShared: true },
      signal: new AbortController().signal,
      referenceDocuments: (ids) => {
        for (const id of ids) referenced.add(id);
      },
      referencedDocuments: () => referenced,
    },
    {
      folder: 'Actualités',
      json: async () => '',
      ndjson: async (_file, rows) => drain(rows),
      text: async () => '',
      file: async () => '',
      progress: () => undefined,
      failed: () => undefined,
    },
  );
  return referenced;
}

/**
 * The one rule of `ReadableDocuments` as the Actualités apply it: a document shows through a
 * thread while one of those who vouch for it (the thread's owner for its icon, the reader for
 * what items show) may read it, out of the trash; a disabled account vouches for nothing.
 */
describe.each(testDbKinds())('Actualités documents on %s', (db) => {
  let t: TestRuntime;
  let adapter: ArchiveAdapter;

  beforeAll(async () => {
    t = await createTestRuntime(db);
    const { runtime } = t;
    adapter = newsArchiveAdapter({
      ...runtime,
      workspace: runtime.apps.workspace,
      service: runtime.apps.news,
    });
  });

  afterAll(async () => {
    await t?.destroy();
  });

  const icon = { name: 'icône.png', bytes: makePng(8, 8, 3) };

  it('stops carrying a thread icon once its owner’s account is disabled', async () => {
    const rt = t.runtime;
    const teacher = await makeUser(rt.platform, 'Teacher');
    const pupil = await makeUser(rt.platform, 'Student');
    const doc = await buildDocument(rt, teacher, icon);
    const thread = await buildThread(rt, teacher, { iconDocumentId: doc.id });
    await share(rt, teacher, { app: 'news', type: 'thread', id: thread.id }, pupil);

    expect(await referencedBy(adapter, pupil)).toEqual(new Set([doc.id]));
    await rt.platform.accounts.setDisabled(teacher.login, true);
    try {
      // Before, the owner of a document vouched for it even when disabled: now nobody does.
      expect(await referencedBy(adapter, pupil)).toEqual(new Set());
    } finally {
      await rt.platform.accounts.setDisabled(teacher.login, false);
    }
    expect(await referencedBy(adapter, pupil)).toEqual(new Set([doc.id]));
  });

  it('never carries a trashed document, even to its owner', async () => {
    const rt = t.runtime;
    const teacher = await makeUser(rt.platform, 'Teacher');
    const pupil = await makeUser(rt.platform, 'Student');
    const doc = await buildDocument(rt, teacher, icon);
    const photo = await buildDocument(rt, teacher, { name: 'photo.png', bytes: makePng(9, 9, 4) });
    const thread = await buildThread(rt, teacher, { iconDocumentId: doc.id });
    await share(rt, teacher, { app: 'news', type: 'thread', id: thread.id }, pupil);
    await buildNewsItem(rt, teacher, thread, {
      content: `<p><img src="${documentUrl(photo.id)}" alt="photo"></p>`,
    });

    expect(await referencedBy(adapter, teacher)).toEqual(new Set([doc.id, photo.id]));
    await rt.apps.workspace.trashDocument(teacher, doc.id);
    await rt.apps.workspace.trashDocument(teacher, photo.id);
    expect(await referencedBy(adapter, teacher)).toEqual(new Set());
    expect(await referencedBy(adapter, pupil)).toEqual(new Set());
  });
});
