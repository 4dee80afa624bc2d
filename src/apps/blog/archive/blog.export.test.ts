import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { z } from 'zod';
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
import type { Post } from '../blog.repository.ts';
import { BLOGS_FILE, COMMENTS_FILE, POSTS_FILE } from './blog.records.ts';

type Archive = ExportedArchive;

/** A JSON data file of an app's folder (the Blog's by default), parsed with its schema. */
const readJson = async <S extends z.ZodType>(a: Archive, file: RecordFile<S>, folder = 'Blog') =>
  file.schema.parse(JSON.parse(await a.text(`${folder}/${file.name}`)));

/** An NDJSON data file of an app's folder, each record parsed with its schema. */
const readNdjson = async <S extends z.ZodType>(a: Archive, file: RecordFile<S>, folder = 'Blog') =>
  (await a.ndjson<{ id: string }>(`${folder}/${file.name}`)).map((r) => file.schema.parse(r));

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe.each(testDbKinds())('Blog export on %s', (db) => {
  let s: TestServer;
  let dir: string;
  let teacher: Session;
  let pupil: Session;
  let classmate: Session;
  let outsider: Session;
  const png = {
    museum: makePng(40, 30, 7),
    thumb: makePng(20, 20, 3),
    secret: makePng(8, 8, 1),
    map: makePng(12, 10, 4),
  };
  let museumId: string;
  let thumbId: string;
  let secretId: string;
  let mapId: string;
  let classBlogId: string;
  let notebookId: string;
  let museumPost: Post;
  let teacherDraft: Post;
  let pupilDraft: Post;
  let pupilSubmitted: Post;
  let notebookPost: Post;
  let teacherComment: string;
  let classmateComment: string;

  const session = (profile: 'Teacher' | 'Student'): Promise<Session> => newSession(s, profile);

  beforeAll(async () => {
    s = await createTestServer(db, 'local', { RATE_LIMIT_MAX: '100000' });
    s.t.runtime.queue.startWorker();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-blog-export-'));
    const { platform, apps } = s.t.runtime;
    const blog = apps.blog;
    teacher = await session('Teacher');
    pupil = await session('Student');
    classmate = await session('Student');
    outsider = await session('Student');
    const group = await platform.accounts.createGroup(
      'Collège Export',
      `6e ${Math.random().toString(36).slice(2, 8)}`,
    );
    await platform.accounts.addMember(group.id, pupil.user.login);
    await platform.accounts.addMember(group.id, classmate.user.login);

    const classBlog = await blog.createBlog(teacher.user, {
      title: 'Le blog de la 6e A',
      description: 'Sorties & projets',
      commentPolicy: 'RESTRAINT',
      publicationPolicy: 'RESTRAINT',
    });
    classBlogId = classBlog.id;
    const ref = { app: 'blog', type: 'blog', id: classBlogId };
    await platform.sharing.share(teacher.user.id, ref, { kind: 'group', id: group.id }, 'read');
    await platform.sharing.share(
      teacher.user.id,
      ref,
      { kind: 'user', id: pupil.user.id },
      'contrib',
    );

    const upload = (name: string, bytes: Buffer) =>
      blog.uploadImage(teacher.user, classBlogId, { name, body: Readable.from([bytes]) });
    museumId = (await upload('Sortie au musée.png', png.museum)).id;
    thumbId = (await upload('vignette.png', png.thumb)).id;
    await blog.updateBlog(teacher.user, classBlogId, { thumbnailId: thumbId });
    // A private document of someone else: its id in a post must not open it to anyone.
    secretId = (
      await apps.workspace.upload(outsider.user, {
        name: 'secret.png',
        body: Readable.from([png.secret]),
      })
    ).id;

    // A document the outsider shares with the teacher alone: the blog shows it through them.
    mapId = (
      await apps.workspace.upload(outsider.user, {
        name: 'carte.png',
        body: Readable.from([png.map]),
      })
    ).id;
    await platform.sharing.share(
      outsider.user.id,
      { app: 'workspace', type: 'document', id: mapId },
      { kind: 'user', id: teacher.user.id },
      'read',
    );

    museumPost = await blog.createPost(teacher.user, classBlogId, {
      title: 'Sortie au musée',
      content:
        `<p>Nous avons vu des <strong>fossiles</strong> &amp; des minéraux.</p>` +
        `<p><img src="${documentUrl(museumId)}" alt="La classe"></p>` +
        `<p><a href="${documentUrl(museumId)}">la photo</a></p>` +
        `<p><img src="${documentUrl(mapId)}" alt="Le plan"></p>` +
        `<p><img src="${documentUrl(secretId)}" alt="autre"></p>`,
    });
    teacherDraft = await blog.createPost(teacher.user, classBlogId, {
      title: 'Brouillon du professeur',
      content: '<p>À finir</p>',
      state: 'DRAFT',
    });
    pupilDraft = await blog.createPost(pupil.user, classBlogId, {
      title: 'Mon brouillon',
      content: '<p>pas prêt</p>',
      state: 'DRAFT',
    });
    pupilSubmitted = await blog.createPost(pupil.user, classBlogId, {
      title: 'Ma proposition',
      content: '<p>à relire</p>',
    });
    teacherComment = (
      await blog.addComment(teacher.user, classBlogId, museumPost.id, 'Merci à tous !')
    ).id;
    classmateComment = (
      await blog.addComment(classmate.user, classBlogId, museumPost.id, 'Super sortie')
    ).id;

    const notebook = await blog.createBlog(pupil.user, { title: 'Mon carnet' });
    notebookId = notebook.id;
    notebookPost = await blog.createPost(pupil.user, notebookId, {
      title: 'Le Petit Prince',
      content: '<p>Un livre <em>magnifique</em>.</p>',
      state: 'PUBLISHED',
    });
  });

  afterAll(async () => {
    await s?.close();
    if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
  });

  const exportOf = (
    who: Session,
    options: { includeShared?: boolean; includeDocuments?: boolean } = {},
  ): Promise<Archive> => exportThroughApi(s, who, { apps: ['blog', 'workspace'], ...options }, dir);

  const verify = async (archive: Archive) => {
    const trusted = await allTrustedKeys(await s.t.runtime.instanceKey(), s.t.config);
    const verdict = await verifyArchive(archive.file, trusted);
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
  };

  const blogCount = async (who: Session) => {
    const res = await s.app.inject({
      method: 'GET',
      url: '/api/archive/apps',
      headers: who.inject,
    });
    expect(res.statusCode).toBe(200);
    return res.json().items.find((a: { id: string }) => a.id === 'blog');
  };

  it('gives a reader the shared blog, its published posts and their pictures under "Partagés avec moi"', async () => {
    expect(await blogCount(classmate)).toMatchObject({ items: 2 });
    const a = await exportOf(classmate);
    expect(a.manifest.apps.blog).toMatchObject({
      label: 'Blog',
      folder: 'Blog',
      appVersion: '1.0.0',
      dataVersion: 1,
      status: 'complete',
      items: 2,
    });
    // Exported before the workspace, which takes in the documents it referenced.
    expect(a.names.indexOf('Blog/blogs.json')).toBeLessThan(
      a.names.indexOf('Espace documentaire/documents.ndjson'),
    );

    const blogs = await readJson(a, BLOGS_FILE);
    expect(blogs).toEqual([
      {
        id: classBlogId,
        title: 'Le blog de la 6e A',
        description: 'Sorties & projets',
        thumbnailId: thumbId,
        commentPolicy: 'RESTRAINT',
        publicationPolicy: 'RESTRAINT',
        ownerId: teacher.user.id,
        ownerName: teacher.user.displayName,
        owned: false,
        access: 'read',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
        modifiedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      },
    ]);

    const posts = await readNdjson(a, POSTS_FILE);
    expect(posts).toEqual([
      {
        id: museumPost.id,
        blogId: classBlogId,
        title: 'Sortie au musée',
        content: museumPost.content,
        state: 'PUBLISHED',
        authorId: teacher.user.id,
        authorName: teacher.user.displayName,
        createdAt: new Date(museumPost.createdAt).toISOString(),
        modifiedAt: new Date(museumPost.modifiedAt).toISOString(),
        firstPublishedAt: new Date(museumPost.firstPublishedAt!).toISOString(),
      },
    ]);
    // The HTML as stored: documents named by their workspace URL.
    expect(posts[0]!.content).toContain(`/api/workspace/documents/${museumId}/content`);

    const comments = await readNdjson(a, COMMENTS_FILE);
    expect(comments.map((c) => [c.id, c.state]).sort()).toEqual(
      [
        [teacherComment, 'PUBLISHED'],
        [classmateComment, 'PENDING'],
      ].sort(),
    );
    expect(comments.find((c) => c.id === classmateComment)).toMatchObject({
      postId: museumPost.id,
      authorName: classmate.user.displayName,
      text: 'Super sortie',
    });

    // The page: complete, inert, naming the picture where the archive keeps it.
    const page = await a.text('Blog/Le blog de la 6e A/Sortie au musée.html');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<meta charset="utf-8">');
    expect(page).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'">`,
    );
    expect(page).toContain('<a href="../../index.html">');
    expect(page).toContain('<title>Sortie au musée</title>');
    expect(page).toContain('Blog\u00a0: Le blog de la 6e A');
    expect(page).toContain(teacher.user.displayName);
    expect(page).toContain('<strong>fossiles</strong> &amp; des minéraux');
    // The pictures are shown from their file in the archive, the link leads to it.
    expect(page).toMatch(
      new RegExp(`<img src="[^"]+" alt="La classe" data-document-id="${museumId}"`),
    );
    expect(page).toMatch(new RegExp(`<img src="[^"]+" alt="Le plan" data-document-id="${mapId}"`));
    expect(page).toMatch(new RegExp(`<a href="[^"]+" data-document-id="${museumId}">la photo</a>`));
    expect(page).not.toContain('[Image :');
    // Listed at the end of the page, each once, linked.
    expect(page).toContain('<h2 id="documents">Documents</h2>');
    expect(page.match(/<li data-document-id=/g)).toHaveLength(2);
    expect(page).not.toContain('documents.ndjson');
    expect(page).not.toContain('/api/');
    // The other user's private picture: not named, not included.
    expect(page).toContain('[Image non disponible]');
    expect(page).not.toContain(secretId);
    expect(page).not.toContain('secret.png');

    // The pictures the blog shows the reader are in the archive, with their original bytes.
    const documents = await readNdjson(a, WORKSPACE_FILES.documents, 'Espace documentaire');
    for (const [id, bytes] of [
      [museumId, png.museum],
      [thumbId, png.thumb],
      [mapId, png.map],
    ] as const) {
      const doc = documents.find((d) => d.id === id);
      expect(doc, id).toMatchObject({ section: 'shared', owned: false });
      const where = doc?.path ?? '';
      expect(where).toMatch(/^Espace documentaire\/Partagés avec moi\//);
      expect(sha256(await a.bytes(where))).toBe(sha256(bytes));
      // The page's links to it, relative to the page's folder, lead to that very file.
      if (id === thumbId) continue;
      for (const m of page.matchAll(
        new RegExp(`(?:src|href)="([^"]+)"[^>]*data-document-id="${id}"`, 'g'),
      ))
        expect(path.posix.join('Blog/Le blog de la 6e A', decodeURIComponent(m[1] ?? ''))).toBe(
          where,
        );
    }
    expect(
      a.names.find((n) => n.startsWith('Espace documentaire/Partagés avec moi/Sortie au musée')),
    ).toBeDefined();
    expect(documents.find((d) => d.id === secretId)).toBeUndefined();
    expect(a.names.some((n) => n.includes('secret'))).toBe(false);
    // Nothing of what the reader may not see.
    const everything = (await a.text('Blog/posts.ndjson')) + a.names.join('\n');
    for (const hidden of ['Brouillon du professeur', 'Mon brouillon', 'Ma proposition'])
      expect(everything).not.toContain(hidden);
    await verify(a);
  });

  it("gives the owner every post but others' drafts, every comment, and their blog's pages", async () => {
    expect(await blogCount(teacher)).toMatchObject({ items: 4 });
    const a = await exportOf(teacher);
    expect(a.manifest.apps.blog).toMatchObject({ status: 'complete', items: 4 });
    const blogs = await readJson(a, BLOGS_FILE);
    expect(blogs).toHaveLength(1);
    expect(blogs[0]).toMatchObject({ id: classBlogId, owned: true, access: 'owner' });

    const posts = await readNdjson(a, POSTS_FILE);
    expect(new Map(posts.map((p) => [p.id, p.state]))).toEqual(
      new Map([
        [museumPost.id, 'PUBLISHED'],
        [teacherDraft.id, 'DRAFT'],
        [pupilSubmitted.id, 'SUBMITTED'],
      ]),
    );
    expect(posts.find((p) => p.id === pupilSubmitted.id)).toMatchObject({
      authorId: pupil.user.id,
      authorName: pupil.user.displayName,
      firstPublishedAt: null,
    });
    expect(posts.some((p) => p.id === pupilDraft.id)).toBe(false);
    const comments = await readNdjson(a, COMMENTS_FILE);
    expect(comments.map((c) => c.id).sort()).toEqual([teacherComment, classmateComment].sort());

    const pages = a.names.filter((n) => n.startsWith('Blog/') && n.endsWith('.html')).sort();
    expect(pages).toEqual(
      [
        'Blog/Le blog de la 6e A/Brouillon du professeur.html',
        'Blog/Le blog de la 6e A/Ma proposition.html',
        'Blog/Le blog de la 6e A/Sortie au musée.html',
      ].sort(),
    );
    expect(await a.text('Blog/Le blog de la 6e A/Brouillon du professeur.html')).toContain(
      'Brouillon (écrit le',
    );
    // The owner's own pictures: where the workspace puts files added from inside apps.
    const page = await a.text('Blog/Le blog de la 6e A/Sortie au musée.html');
    const documentsByPath = await readNdjson(a, WORKSPACE_FILES.documents, 'Espace documentaire');
    const own = documentsByPath.find((d) => d.id === museumId)?.path ?? '';
    expect(own).toMatch(/^Espace documentaire\/Ajoutés dans les applis\//);
    expect(page).toContain(`src="../../${own.split('/').map(encodeURIComponent).join('/')}"`);
    const documents = await readNdjson(a, WORKSPACE_FILES.documents, 'Espace documentaire');
    expect(documents.find((d) => d.id === museumId)).toMatchObject({ section: 'apps' });
    expect(documents.find((d) => d.id === secretId)).toBeUndefined();
    await verify(a);
  });

  it('gives a contributor their own drafts and submitted posts next to their own blog', async () => {
    expect(await blogCount(pupil)).toMatchObject({ items: 6 });
    const a = await exportOf(pupil);
    expect(a.manifest.apps.blog).toMatchObject({ status: 'complete', items: 6 });
    const blogs = await readJson(a, BLOGS_FILE);
    expect(blogs.map((b) => [b.id, b.owned, b.access])).toEqual([
      [classBlogId, false, 'contrib'],
      [notebookId, true, 'owner'],
    ]);
    const posts = await readNdjson(a, POSTS_FILE);
    expect(posts.map((p) => p.id).sort()).toEqual(
      [museumPost.id, pupilDraft.id, pupilSubmitted.id, notebookPost.id].sort(),
    );
    expect(posts.find((p) => p.id === notebookPost.id)).toMatchObject({
      blogId: notebookId,
      content: '<p>Un livre <em>magnifique</em>.</p>',
    });
    // Not a manager: only the published comment and none pending from others.
    const comments = await readNdjson(a, COMMENTS_FILE);
    expect(comments.map((c) => c.id)).toEqual([teacherComment]);
    const page = await a.text('Blog/Mon carnet/Le Petit Prince.html');
    expect(page).toContain('<h1>Le Petit Prince</h1>');
    expect(page).toContain('Un livre <em>magnifique</em>.');
    expect(a.names).toContain('Blog/Le blog de la 6e A/Mon brouillon.html');
    await verify(a);
  });

  it('leaves shared blogs out when asked to, and their pictures with them', async () => {
    expect(await blogCount(classmate)).toMatchObject({ items: 2 });
    const a = await exportOf(classmate, { includeShared: false });
    expect(a.manifest.apps.blog).toMatchObject({ status: 'complete', items: 0 });
    expect(await readJson(a, BLOGS_FILE)).toEqual([]);
    expect(await readNdjson(a, POSTS_FILE)).toEqual([]);
    expect(await readNdjson(a, COMMENTS_FILE)).toEqual([]);
    expect(a.names.some((n) => n.startsWith('Espace documentaire/Partagés avec moi/'))).toBe(false);
    await verify(a);
  });

  it('stops carrying a picture once it is trashed, or whoever put it in the blog lost it', async () => {
    const map = { app: 'workspace', type: 'document', id: mapId };
    const toTeacher = { kind: 'user' as const, id: teacher.user.id };
    await s.t.runtime.apps.workspace.trashDocument(teacher.user, museumId);
    await s.t.runtime.platform.sharing.unshare(map, toTeacher);
    // The other tests share this blog: put the picture and the share back, whatever happens.
    onTestFinished(async () => {
      await s.t.runtime.apps.workspace.restoreDocument(teacher.user, museumId);
      await s.t.runtime.platform.sharing.share(outsider.user.id, map, toTeacher, 'read');
    });
    const a = await exportOf(classmate);
    const documents = await readNdjson(a, WORKSPACE_FILES.documents, 'Espace documentaire');
    expect(documents.find((d) => d.id === museumId)).toBeUndefined();
    expect(documents.find((d) => d.id === mapId)).toBeUndefined();
    expect(documents.find((d) => d.id === thumbId)).toMatchObject({ section: 'shared' });
    const page = await a.text('Blog/Le blog de la 6e A/Sortie au musée.html');
    expect(page).not.toContain('Sortie au musée.png');
    expect(page).not.toContain('carte.png');
    expect(page).toContain('[Image non disponible]');
    await verify(a);
  });
});
