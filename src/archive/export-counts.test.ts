import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildBlog,
  buildBlogImage,
  buildCalendar,
  buildDocument,
  buildEvent,
  buildFolder,
  buildNewsItem,
  buildPage,
  buildPost,
  buildThread,
  buildWiki,
  share,
} from '../../test/support/factories.ts';
import { exportThroughApi, type ExportedArchive } from '../../test/support/export-archive.ts';
import { newSession, type Session } from '../../test/support/session.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import { createTestServer, type TestServer } from '../../test/support/test-server.ts';
import { documentUrl } from '../apps/workspace/document-links.ts';
import { WORKSPACE_FILES } from '../apps/workspace/archive/workspace.records.ts';
import { makePng } from '../demo/demo-files.ts';
import type { ExportOptions } from './adapter.ts';

const APPS = ['workspace', 'blog', 'news', 'calendar', 'wiki'];

/** What the archive's Espace documentaire holds: the documents written with a path. */
async function documentsWritten(a: ExportedArchive) {
  const text = await a.text(`Espace documentaire/${WORKSPACE_FILES.documents.name}`);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => WORKSPACE_FILES.documents.schema.parse(JSON.parse(l)))
    .filter((d) => d.path !== null);
}

describe.each(testDbKinds())('Counts offered, progress totals and archive agree on %s', (db) => {
  let s: TestServer;
  let dir: string;
  let teacher: Session;
  let pupil: Session;
  /** The pupil's own documents. */
  const own: string[] = [];
  /** Documents of the teacher the pupil reads through the shared content. */
  const through: string[] = [];
  let sharedAndShown: string;

  beforeAll(async () => {
    s = await createTestServer(db, 'local', { RATE_LIMIT_MAX: '100000' });
    s.t.runtime.queue.startWorker();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-export-counts-'));
    const rt = s.t.runtime;
    teacher = await newSession(s, 'Teacher');
    pupil = await newSession(s, 'Student');

    // The pupil's own documents: at the root and in a folder.
    const folder = await buildFolder(rt, pupil.user, { name: 'Cours' });
    own.push((await buildDocument(rt, pupil.user)).id);
    own.push((await buildDocument(rt, pupil.user, { folderId: folder.id })).id);
    own.push((await buildDocument(rt, pupil.user, { folderId: folder.id })).id);

    // A blog shared with the pupil, its post showing a picture.
    const blog = await buildBlog(rt, teacher.user, { title: 'Sorties' });
    await share(rt, teacher.user, { app: 'blog', type: 'blog', id: blog.id }, pupil.user);
    const picture = await buildBlogImage(rt, teacher.user, blog, { bytes: makePng(12, 12, 3) });
    through.push(picture.id);
    await buildPost(rt, teacher.user, blog, {
      title: 'Volcans',
      content: `<p>Regardez :</p><p><img src="${picture.url}" alt="Volcan"></p>`,
    });
    await buildPost(rt, teacher.user, blog);

    // An event of a shared calendar with an attachment.
    const attachment = await buildDocument(rt, teacher.user, { name: 'programme.txt' });
    through.push(attachment.id);
    const calendar = await buildCalendar(rt, teacher.user);
    await share(
      rt,
      teacher.user,
      { app: 'calendar', type: 'calendar', id: calendar.id },
      pupil.user,
    );
    await buildEvent(rt, teacher.user, calendar, { attachments: [attachment.id] });

    // A shared news thread with an icon, its item showing a document the teacher also shared
    // with the pupil directly (taken once, not twice).
    const icon = await buildDocument(rt, teacher.user, {
      name: 'icône.png',
      bytes: makePng(8, 8, 1),
    });
    through.push(icon.id);
    const thread = await buildThread(rt, teacher.user, { iconDocumentId: icon.id });
    await share(rt, teacher.user, { app: 'news', type: 'thread', id: thread.id }, pupil.user);
    const sheet = await buildDocument(rt, teacher.user, { name: 'fiche.txt' });
    sharedAndShown = sheet.id;
    through.push(sheet.id);
    await share(rt, teacher.user, { app: 'workspace', type: 'document', id: sheet.id }, pupil.user);
    await buildNewsItem(rt, teacher.user, thread, {
      content: `<p>La fiche : <a href="${documentUrl(sheet.id)}">fiche</a></p>`,
    });

    // A shared wiki with two pages.
    const wiki = await buildWiki(rt, teacher.user);
    await share(rt, teacher.user, { app: 'wiki', type: 'wiki', id: wiki.id }, pupil.user);
    await buildPage(rt, teacher.user, wiki);
    await buildPage(rt, teacher.user, wiki);

    // The pupil's own wiki, its page showing one of their documents and the shared sheet:
    // without what is shared, the sheet is still in the archive (their own page shows it).
    const notes = await buildWiki(rt, pupil.user, { title: 'Mes notes' });
    await buildPage(rt, pupil.user, notes, {
      content:
        `<p><a href="${documentUrl(own[0] ?? '')}">moi</a> et ` +
        `<a href="${documentUrl(sheet.id)}">la fiche</a></p>`,
    });
  });

  afterAll(async () => {
    await s?.close();
    if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
  });

  const offered = async (options?: ExportOptions) => {
    if (options === undefined) {
      const res = await pupil.request('GET', '/api/archive/apps');
      expect(res.statusCode, res.body).toBe(200);
      const items: { id: string; items: number; bytes: number }[] = res.json().items;
      return new Map(items.map((a) => [a.id, a]));
    }
    const items = await s.t.runtime.exports.exportableApps(pupil.user, options);
    return new Map(items.map((a) => [a.id, a]));
  };

  /** Offered = itemsTotal = final progress = what the archive holds, app by app. */
  const expectAgreement = async (
    counts: Map<string, { items: number; bytes: number }>,
    a: ExportedArchive,
  ) => {
    const records = await documentsWritten(a);
    const written = records.map((d) => d.id);
    expect(counts.get('workspace')?.items).toBe(written.length);
    const bytes = records.reduce((sum, d) => sum + d.size, 0);
    expect(counts.get('workspace')?.bytes).toBe(bytes);
    expect(a.manifest.apps.workspace?.bytes).toBe(bytes);
    for (const app of APPS) {
      const progress = a.progress[app];
      expect(progress, app).toBeDefined();
      expect({ app, offered: counts.get(app)?.items }).toEqual({ app, offered: progress?.items });
      expect({ app, total: progress?.itemsTotal }).toEqual({ app, total: progress?.items });
      expect({ app, manifest: a.manifest.apps[app]?.items }).toEqual({
        app,
        manifest: progress?.items,
      });
    }
    return written;
  };

  it('with what is shared: the documents shown by shared content are counted once', async () => {
    const counts = await offered();
    const a = await exportThroughApi(s, pupil, { apps: APPS }, dir);
    const written = await expectAgreement(counts, a);
    expect(written.sort()).toEqual([...own, ...through].sort());
    expect(new Set(written).size).toBe(written.length);
    // Blog: the blog and its two posts; news: the thread and its item; calendar: one event in
    // one calendar; wiki: the wiki and its two pages.
    expect(Object.fromEntries(APPS.map((app) => [app, counts.get(app)?.items]))).toEqual({
      workspace: own.length + through.length,
      blog: 3,
      news: 2,
      calendar: 2,
      wiki: 5,
    });
  });

  it('without what is shared: the pupil’s own documents and those their own content shows', async () => {
    const options = { includeShared: false, includeDocuments: true };
    const counts = await offered(options);
    const a = await exportThroughApi(s, pupil, { apps: APPS, ...options }, dir);
    const written = await expectAgreement(counts, a);
    expect(written.sort()).toEqual([...own, sharedAndShown].sort());
    expect(counts.get('wiki')?.items).toBe(2);
  });
});
