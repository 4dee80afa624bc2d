import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { buildDocument, buildThread, share } from '../../../../test/support/factories.ts';
import { newSession, type Session } from '../../../../test/support/session.ts';
import { testDbKinds } from '../../../../test/support/test-env.ts';
import { createTestServer, type TestServer } from '../../../../test/support/test-server.ts';
import { exportThroughApi, type ExportedArchive } from '../../../../test/support/export-archive.ts';
import type { RecordFile } from '../../../archive/adapter.ts';
import { allTrustedKeys } from '../../../archive/keys.ts';
import { verifyArchive } from '../../../archive/verify.ts';
import { makePng } from '../../../demo/demo-files.ts';
import { WORKSPACE_FILES } from '../../workspace/archive/workspace.records.ts';
import { documentUrl } from '../../workspace/document-links.ts';
import type { NewsComment, NewsItem } from '../news.service.ts';
import { COMMENTS_FILE, ITEMS_FILE, THREADS_FILE } from './news.records.ts';

type Archive = ExportedArchive;

/** A JSON data file of an app's folder, parsed with its schema. */
async function json<S extends z.ZodType>(
  a: Archive,
  folder: string,
  file: RecordFile<S>,
): Promise<z.output<S>> {
  return file.schema.parse(JSON.parse(await a.text(`${folder}/${file.name}`)));
}

/** An NDJSON data file of an app's folder, each record parsed with the file's schema. */
async function ndjson<S extends z.ZodType>(
  a: Archive,
  folder: string,
  file: RecordFile<S>,
): Promise<z.output<S>[]> {
  const text = await a.text(`${folder}/${file.name}`);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => file.schema.parse(JSON.parse(l)));
}

const NEWS = 'Actualités';
const threadsOf = (a: Archive) => json(a, NEWS, THREADS_FILE);
const itemsOf = (a: Archive) => ndjson(a, NEWS, ITEMS_FILE);
const commentsOf = (a: Archive) => ndjson(a, NEWS, COMMENTS_FILE);
const documentsOf = (a: Archive) => ndjson(a, 'Espace documentaire', WORKSPACE_FILES.documents);

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const DAY = 24 * 3600 * 1000;

describe.each(testDbKinds())('Actualités export on %s', (db) => {
  let s: TestServer;
  let dir: string;
  let teacher: Session;
  let colleague: Session;
  let pupil: Session;
  let outsider: Session;
  const png = { icon: makePng(16, 16, 5), photo: makePng(30, 20, 9), secret: makePng(8, 8, 2) };
  let iconId: string;
  let photoId: string;
  let secretId: string;
  let threadId: string;
  let rentree: NewsItem;
  let draft: NewsItem;
  let scheduled: NewsItem;
  let expired: NewsItem;
  let menu: NewsItem;
  let pupilComment: NewsComment;
  let teacherComment: NewsComment;

  const session = (profile: 'Teacher' | 'Student'): Promise<Session> => newSession(s, profile);

  beforeAll(async () => {
    s = await createTestServer(db, 'local', { RATE_LIMIT_MAX: '100000' });
    s.t.runtime.queue.startWorker();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-news-export-'));
    const { platform, apps } = s.t.runtime;
    const news = apps.news;
    teacher = await session('Teacher');
    colleague = await session('Teacher');
    pupil = await session('Student');
    outsider = await session('Student');
    const group = await platform.accounts.createGroup(
      'Collège Export',
      `5e ${Math.random().toString(36).slice(2, 8)}`,
    );
    await platform.accounts.addMember(group.id, pupil.user.login);

    const upload = async (who: Session, name: string, bytes: Buffer) =>
      (await apps.workspace.upload(who.user, { name, body: Readable.from([bytes]) })).id;
    iconId = await upload(teacher, 'icône.png', png.icon);
    // The colleague's photo, shared with the teacher alone (not with the class).
    photoId = await upload(colleague, 'photo de classe.png', png.photo);
    await platform.sharing.share(
      colleague.user.id,
      { app: 'workspace', type: 'document', id: photoId },
      { kind: 'user', id: teacher.user.id },
      'read',
    );
    secretId = await upload(outsider, 'secret.png', png.secret);

    const thread = await news.createThread(teacher.user, {
      title: 'Vie du collège',
      iconDocumentId: iconId,
    });
    threadId = thread.id;
    const ref = { app: 'news', type: 'thread', id: threadId };
    await platform.sharing.share(teacher.user.id, ref, { kind: 'group', id: group.id }, 'read');
    await platform.sharing.share(
      teacher.user.id,
      ref,
      { kind: 'user', id: colleague.user.id },
      'contrib',
    );

    const now = Date.now();
    rentree = await news.createItem(teacher.user, threadId, {
      title: 'Rentrée',
      content:
        `<p>Bienvenue à <strong>tous</strong> &amp; bonne année !</p>` +
        `<p><img src="${documentUrl(photoId)}" alt="La classe"></p>` +
        `<p><img src="${documentUrl(secretId)}" alt="autre"></p>`,
    });
    draft = await news.createItem(teacher.user, threadId, {
      title: 'Conseil de classe',
      content: '<p>Ordre du jour à venir</p>',
      state: 'DRAFT',
    });
    scheduled = await news.createItem(teacher.user, threadId, {
      title: 'Sortie au théâtre',
      content: '<p>Le mois prochain</p>',
      publishAt: now + 30 * DAY,
    });
    expired = await news.createItem(teacher.user, threadId, {
      title: 'Ancienne information',
      content: '<p>Passée</p>',
      publishAt: now - 10 * DAY,
      expiresAt: now - 5 * DAY,
    });
    menu = await news.createItem(colleague.user, threadId, {
      title: 'Menu de la cantine',
      content: '<ul><li>Lundi : pâtes</li></ul>',
      headline: true,
    });
    pupilComment = await news.addComment(pupil.user, rentree.id, 'Merci !');
    teacherComment = await news.addComment(teacher.user, menu.id, 'Bon appétit');
  });

  afterAll(async () => {
    await s?.close();
    if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
  });

  const exportOf = (
    who: Session,
    options: { includeShared?: boolean; includeDocuments?: boolean } = {},
  ): Promise<Archive> => exportThroughApi(s, who, { apps: ['news', 'workspace'], ...options }, dir);

  const verify = async (archive: Archive) => {
    const trusted = await allTrustedKeys(await s.t.runtime.instanceKey(), s.t.config);
    const verdict = await verifyArchive(archive.file, trusted);
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
  };

  const newsCount = async (who: Session) => {
    const res = await s.app.inject({
      method: 'GET',
      url: '/api/archive/apps',
      headers: who.inject,
    });
    expect(res.statusCode).toBe(200);
    return res.json().items.find((a: { id: string }) => a.id === 'news');
  };

  it('gives a reader what is visible now, and the thread icon under "Partagés avec moi"', async () => {
    expect(await newsCount(pupil)).toMatchObject({ items: 3 });
    const a = await exportOf(pupil);
    expect(a.manifest.apps.news).toMatchObject({
      label: 'Actualités',
      folder: 'Actualités',
      appVersion: '1.0.0',
      dataVersion: 1,
      status: 'complete',
      items: 3,
    });
    expect(a.names.indexOf('Actualités/threads.json')).toBeLessThan(
      a.names.indexOf('Espace documentaire/documents.ndjson'),
    );

    expect(await threadsOf(a)).toEqual([
      {
        id: threadId,
        title: 'Vie du collège',
        iconDocumentId: iconId,
        ownerId: teacher.user.id,
        ownerName: teacher.user.displayName,
        owned: false,
        access: 'read',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
        modifiedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      },
    ]);

    const items = await itemsOf(a);
    expect(items.map((i) => i.id).sort()).toEqual([rentree.id, menu.id].sort());
    expect(items.find((i) => i.id === rentree.id)).toEqual({
      id: rentree.id,
      threadId,
      title: 'Rentrée',
      content: rentree.content,
      state: 'PUBLISHED',
      headline: false,
      publishAt: new Date(rentree.publishAt).toISOString(),
      expiresAt: null,
      authorId: teacher.user.id,
      authorName: teacher.user.displayName,
      createdAt: new Date(rentree.createdAt).toISOString(),
      modifiedAt: new Date(rentree.modifiedAt).toISOString(),
    });
    expect(items.find((i) => i.id === menu.id)).toMatchObject({
      headline: true,
      authorId: colleague.user.id,
      content: '<ul><li>Lundi : pâtes</li></ul>',
    });

    const comments = await commentsOf(a);
    expect(comments.map((c) => [c.id, c.itemId]).sort()).toEqual(
      [
        [pupilComment.id, rentree.id],
        [teacherComment.id, menu.id],
      ].sort(),
    );
    expect(comments.find((c) => c.id === pupilComment.id)).toEqual({
      id: pupilComment.id,
      itemId: rentree.id,
      authorId: pupil.user.id,
      authorName: pupil.user.displayName,
      text: 'Merci !',
      createdAt: new Date(pupilComment.createdAt).toISOString(),
    });

    const page = await a.text('Actualités/Vie du collège/Rentrée.html');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<meta charset="utf-8">');
    expect(page).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'">`,
    );
    expect(page).toContain('<a href="../../index.html">');
    expect(page).toContain('<title>Rentrée</title>');
    expect(page).toContain('Actualités\u00a0: Vie du collège');
    expect(page).toContain('Bienvenue à <strong>tous</strong> &amp; bonne année !');
    // The pictures are the colleague's and the outsider's, which the pupil may not open.
    expect(page).not.toContain('/api/');
    expect(page).not.toContain('photo de classe');
    expect(page).toContain('[Image non disponible]');
    expect(await a.text('Actualités/Vie du collège/Menu de la cantine.html')).toContain('À la une');

    const documents = await documentsOf(a);
    const icon = documents.find((d) => d.id === iconId);
    expect(icon).toMatchObject({ section: 'shared', owned: false });
    expect(icon!.path).toMatch(/^Espace documentaire\/Partagés avec moi\//);
    expect(sha256(await a.bytes(icon!.path!))).toBe(sha256(png.icon));
    expect(documents.find((d) => d.id === photoId)).toBeUndefined();
    expect(documents.find((d) => d.id === secretId)).toBeUndefined();

    const everything = (await a.text('Actualités/items.ndjson')) + a.names.join('\n');
    for (const hidden of ['Conseil de classe', 'Sortie au théâtre', 'Ancienne information'])
      expect(everything).not.toContain(hidden);
    await verify(a);
  });

  it('gives the owner every item, and the documents its items show that they may read', async () => {
    expect(await newsCount(teacher)).toMatchObject({ items: 6 });
    // Without shared content: the colleague's photo comes in only because an item shows it.
    const a = await exportOf(teacher, { includeShared: false });
    expect(a.manifest.apps.news).toMatchObject({ status: 'complete', items: 6 });
    const threads = await threadsOf(a);
    expect(threads.map((t) => [t.id, t.owned, t.access])).toEqual([[threadId, true, 'owner']]);
    const items = await itemsOf(a);
    expect(new Map(items.map((i) => [i.id, i.state]))).toEqual(
      new Map([
        [rentree.id, 'PUBLISHED'],
        [draft.id, 'DRAFT'],
        [scheduled.id, 'PUBLISHED'],
        [expired.id, 'PUBLISHED'],
        [menu.id, 'PUBLISHED'],
      ]),
    );
    const pages = a.names.filter((n) => n.startsWith('Actualités/') && n.endsWith('.html')).sort();
    expect(pages).toEqual(
      [
        'Actualités/Vie du collège/Rentrée.html',
        'Actualités/Vie du collège/Conseil de classe.html',
        'Actualités/Vie du collège/Sortie au théâtre.html',
        'Actualités/Vie du collège/Ancienne information.html',
        'Actualités/Vie du collège/Menu de la cantine.html',
      ].sort(),
    );
    expect(await a.text('Actualités/Vie du collège/Sortie au théâtre.html')).toContain(
      'Publication prévue le',
    );
    expect(await a.text('Actualités/Vie du collège/Ancienne information.html')).toContain(
      'Expiré le',
    );

    const page = await a.text('Actualités/Vie du collège/Rentrée.html');
    expect(page).toContain(`data-document-id="${photoId}"`);
    expect(page).toContain('alt="La classe"');
    expect(page).not.toContain('[Image :');
    const photoPath = (await documentsOf(a)).find((d) => d.id === photoId)?.path ?? '';
    expect(photoPath).toMatch(/^Espace documentaire\/Partagés avec moi\//);
    expect(page).toContain(
      `<img src="../../${photoPath.split('/').map(encodeURIComponent).join('/')}"`,
    );
    expect(page).not.toContain('secret.png');

    const documents = await documentsOf(a);
    const photo = documents.find((d) => d.id === photoId);
    expect(photo).toMatchObject({ section: 'shared', owned: false });
    expect(sha256(await a.bytes(photo!.path!))).toBe(sha256(png.photo));
    expect(documents.find((d) => d.id === iconId)).toMatchObject({ section: 'mine' });
    expect(documents.find((d) => d.id === secretId)).toBeUndefined();
    await verify(a);
  });

  it('gives a contributor every item of the thread, drafts and scheduled ones included', async () => {
    expect(await newsCount(colleague)).toMatchObject({ items: 6 });
    const a = await exportOf(colleague);
    expect(a.manifest.apps.news).toMatchObject({ status: 'complete', items: 6 });
    const threads = await threadsOf(a);
    expect(threads.map((t) => [t.id, t.owned, t.access])).toEqual([[threadId, false, 'contrib']]);
    expect((await itemsOf(a)).map((i) => i.id).sort()).toEqual(
      [rentree.id, draft.id, scheduled.id, expired.id, menu.id].sort(),
    );
    await verify(a);
  });

  it('leaves shared threads out when asked to, and their icon with them', async () => {
    const a = await exportOf(pupil, { includeShared: false });
    expect(a.manifest.apps.news).toMatchObject({ status: 'complete', items: 0 });
    expect(await threadsOf(a)).toEqual([]);
    expect(await itemsOf(a)).toEqual([]);
    expect(await commentsOf(a)).toEqual([]);
    expect(a.names.some((n) => n.startsWith('Espace documentaire/Partagés avec moi/'))).toBe(false);
    await verify(a);
  });

  it('stops carrying the icon once its owner trashed it', async () => {
    // Users and a thread of its own: the other tests keep theirs (tests run in any order).
    const rt = s.t.runtime;
    const [owner, reader] = [await newSession(s, 'Teacher'), await newSession(s, 'Student')];
    const icon = await buildDocument(rt, owner.user, { name: 'logo.png', bytes: png.icon });
    const thread = await buildThread(rt, owner.user, { iconDocumentId: icon.id });
    await share(rt, owner.user, { app: 'news', type: 'thread', id: thread.id }, reader.user);
    const before = await documentsOf(await exportOf(reader));
    expect(before.find((d) => d.id === icon.id)).toBeDefined();

    await rt.apps.workspace.trashDocument(owner.user, icon.id);
    const a = await exportOf(reader);
    expect((await threadsOf(a)).map((t) => t.id)).toEqual([thread.id]);
    expect((await documentsOf(a)).find((d) => d.id === icon.id)).toBeUndefined();
    await verify(a);
  });
});
