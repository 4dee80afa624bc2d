import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildDocument,
  buildFolder,
  buildGroup,
  makeUser,
  share,
} from '../../../test/support/factories.ts';
import { testDbKinds } from '../../../test/support/test-env.ts';
import { createTestRuntime, type TestRuntime } from '../../../test/support/test-runtime.ts';
import type { Runtime } from '../../runtime.ts';
import { ReadableDocuments } from './readable-documents.ts';

/**
 * The one rule by which apps serve and export the workspace documents their content names: a
 * document is readable through the content when it is not trashed and one of its vouchers (who
 * put it there) may still read it in the workspace; a disabled account vouches for nothing.
 */
describe.each(testDbKinds())('ReadableDocuments on %s', (db) => {
  let t: TestRuntime;
  let rt: Runtime;

  beforeAll(async () => {
    t = await createTestRuntime(db);
    rt = t.runtime;
  });

  afterAll(async () => {
    await t?.destroy();
  });

  /** A fresh resolver (it caches accounts for its life, as one export does). */
  const readable = () =>
    new ReadableDocuments({
      getUser: (id) => rt.platform.accounts.getUser(id),
      contentOf: (user, id) => rt.apps.workspace.contentOf(user, id),
    });

  it('reads a document through its owner, filed as the reader sees it', async () => {
    const teacher = await makeUser(rt.platform, 'Teacher');
    const pupil = await makeUser(rt.platform);
    const doc = await buildDocument(rt, teacher, { name: 'consignes.txt' });

    expect((await readable().vouchedFor(doc.id, [teacher.id]))?.name).toBe('consignes.txt');
    const forPupil = await readable().resolve(pupil, new Map([[doc.id, [teacher.id]]]));
    expect(forPupil.get(doc.id)?.section).toBe('shared');
    const forOwner = await readable().resolve(teacher, new Map([[doc.id, [teacher.id]]]));
    expect(forOwner.get(doc.id)?.section).toBe('mine');
  });

  it('reads no trashed document, not even through its owner', async () => {
    const teacher = await makeUser(rt.platform, 'Teacher');
    const doc = await buildDocument(rt, teacher);
    await rt.apps.workspace.trashDocument(teacher, doc.id);

    expect(await readable().vouchedFor(doc.id, [teacher.id])).toBeUndefined();
    const resolved = await readable().resolve(teacher, new Map([[doc.id, [teacher.id]]]));
    expect(resolved.size).toBe(0);
  });

  it('reads no document whose folder went to the trash with it', async () => {
    const teacher = await makeUser(rt.platform, 'Teacher');
    const folder = await buildFolder(rt, teacher);
    const doc = await buildDocument(rt, teacher, { folderId: folder.id });
    await rt.apps.workspace.trashFolder(teacher, folder.id);

    expect(await readable().vouchedFor(doc.id, [teacher.id])).toBeUndefined();
  });

  it('takes no word from a disabled account, but from another voucher who still may read', async () => {
    const owner = await makeUser(rt.platform, 'Teacher');
    const colleague = await makeUser(rt.platform, 'Teacher');
    const doc = await buildDocument(rt, owner);
    await share(rt, owner, { app: 'workspace', type: 'document', id: doc.id }, colleague);
    expect(await readable().vouchedFor(doc.id, [owner.id])).toBeDefined();

    await rt.platform.accounts.setDisabled(owner.login, true);
    expect(await readable().vouchedFor(doc.id, [owner.id])).toBeUndefined();
    // The share the owner gave still stands: the colleague vouches for the document.
    expect((await readable().vouchedFor(doc.id, [owner.id, colleague.id]))?.id).toBe(doc.id);

    await rt.platform.accounts.setDisabled(colleague.login, true);
    expect(await readable().vouchedFor(doc.id, [owner.id, colleague.id])).toBeUndefined();
  });

  it('takes the word of a voucher reading through a folder share only while the share stands', async () => {
    const owner = await makeUser(rt.platform, 'Teacher');
    const colleague = await makeUser(rt.platform, 'Teacher');
    const reader = await makeUser(rt.platform);
    const group = await buildGroup(rt, [colleague]);
    const folder = await buildFolder(rt, owner);
    const sub = await buildFolder(rt, owner, { parentId: folder.id });
    const doc = await buildDocument(rt, owner, { folderId: sub.id });
    const wanted = new Map([[doc.id, [colleague.id]]]);

    expect((await readable().resolve(reader, wanted)).size).toBe(0);
    // A share on a folder covers its tree, also when given to a group of the voucher.
    const ref = { app: 'workspace', type: 'folder', id: folder.id };
    await share(rt, owner, ref, { kind: 'group', id: group.id });
    expect((await readable().resolve(reader, wanted)).get(doc.id)?.section).toBe('shared');

    await rt.platform.sharing.unshare(ref, { kind: 'group', id: group.id });
    expect((await readable().resolve(reader, wanted)).size).toBe(0);
  });

  it('takes no word from someone who never could read the document', async () => {
    const owner = await makeUser(rt.platform, 'Teacher');
    const stranger = await makeUser(rt.platform, 'Teacher');
    const doc = await buildDocument(rt, owner);

    expect(await readable().vouchedFor(doc.id, [stranger.id])).toBeUndefined();
    expect(await readable().vouchedFor('no-such-document', [owner.id])).toBeUndefined();
    expect(await readable().vouchedFor(doc.id, ['no-such-user'])).toBeUndefined();
  });
});
