import { Readable } from 'node:stream';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSession, type Session } from '../../../test/support/session.ts';
import { testDbKinds } from '../../../test/support/test-env.ts';
import { createTestServer, type TestServer } from '../../../test/support/test-server.ts';
import { expectInert, XSS_PAYLOADS } from '../../../test/support/xss-payloads.ts';
import type { Profile } from '../../db/schema.ts';
import { makePng } from '../../demo/demo-files.ts';
import { DEMO_CLASS_BLOG, DEMO_READING_BLOG, seedBlogDemo } from './blog.demo.ts';

const PNG = makePng(16, 12, 3);

describe.each(testDbKinds())('Blog on %s', (db) => {
  let s: TestServer;

  beforeAll(async () => {
    // Many requests in a few seconds: not what the rate limit is about here.
    s = await createTestServer(db, 'local', { RATE_LIMIT_MAX: '100000' });
  });
  afterAll(async () => {
    await s.close();
  });

  const session = (profile: Profile = 'Student'): Promise<Session> => newSession(s, profile);

  const call = async (who: Session, method: string, url: string, payload?: object) => {
    const res = await s.app.inject({
      method: method as 'GET',
      url,
      headers: who.inject,
      ...(payload === undefined ? {} : { payload }),
    });
    return res;
  };

  const newBlog = async (who: Session, body: object = {}): Promise<{ id: string }> => {
    const res = await call(who, 'POST', '/api/blog/blogs', { title: 'Blog de test', ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };

  const newPost = async (
    who: Session,
    blogId: string,
    body: object = {},
  ): Promise<{ id: string; state: string; content: string; firstPublishedAt: number | null }> => {
    const res = await call(who, 'POST', `/api/blog/blogs/${blogId}/posts`, {
      title: 'Un article',
      content: '<p>Bonjour</p>',
      ...body,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };

  const shareWith = async (
    owner: Session,
    blogId: string,
    body: { login: string } | { group: string },
    right: 'read' | 'contrib' | 'manage',
  ) => {
    const res = await call(owner, 'POST', `/api/blog/blogs/${blogId}/shares`, { ...body, right });
    expect(res.statusCode, res.body).toBe(200);
  };

  const postIds = async (who: Session, blogId: string, query = ''): Promise<string[]> => {
    const res = await call(who, 'GET', `/api/blog/blogs/${blogId}/posts${query}`);
    expect(res.statusCode, res.body).toBe(200);
    const items: { id: string }[] = res.json().items;
    return items.map((p) => p.id);
  };

  const uploadImage = async (who: Session, blogId: string, name: string, bytes: Uint8Array) => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from(bytes)]), name);
    return fetch(`${s.url}/api/blog/blogs/${blogId}/images`, {
      method: 'POST',
      headers: who.http,
      body: form,
    });
  };

  const classOf = async (...members: Session[]): Promise<string> => {
    const platform = s.t.runtime.platform;
    const group = await platform.accounts.createGroup(
      'Collège Test',
      `6e ${Math.random().toString(36).slice(2, 8)}`,
    );
    for (const m of members) await platform.accounts.addMember(group.id, m.user.login);
    return group.id;
  };

  it('creates a blog (201 with the fields given) and lists mine, not others', async () => {
    const owner = await session('Teacher');
    const other = await session('Teacher');
    const res = await call(owner, 'POST', '/api/blog/blogs', {
      title: '  Le blog des sciences ',
      description: 'Expériences & comptes rendus <b>en classe</b>',
      commentPolicy: 'RESTRAINT',
      publicationPolicy: 'IMMEDIATE',
    });
    expect(res.statusCode).toBe(201);
    const blog = res.json();
    expect(blog).toMatchObject({
      title: 'Le blog des sciences',
      description: 'Expériences & comptes rendus <b>en classe</b>',
      commentPolicy: 'RESTRAINT',
      publicationPolicy: 'IMMEDIATE',
      thumbnailId: null,
      ownerId: owner.user.id,
      ownerName: owner.user.displayName,
      access: 'owner',
    });
    expect(blog.id).toMatch(/^[0-9a-f-]{36}$/);

    const defaults = await newBlog(owner, { title: 'Par défaut' });
    expect(defaults).toMatchObject({ commentPolicy: 'IMMEDIATE', publicationPolicy: 'RESTRAINT' });

    const mine = await call(owner, 'GET', '/api/blog/blogs');
    expect(
      mine
        .json()
        .items.map((b: { id: string }) => b.id)
        .sort(),
    ).toEqual([blog.id, defaults.id].sort());
    expect(mine.json().items.find((b: { id: string }) => b.id === blog.id)).toEqual(blog);
    expect((await call(other, 'GET', '/api/blog/blogs')).json().items).toEqual([]);

    const patched = await call(owner, 'PATCH', `/api/blog/blogs/${blog.id}`, {
      title: 'Sciences en 6e',
      commentPolicy: 'NONE',
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({
      title: 'Sciences en 6e',
      commentPolicy: 'NONE',
      description: blog.description,
    });
    expect((await call(owner, 'GET', `/api/blog/blogs/${blog.id}`)).json().title).toBe(
      'Sciences en 6e',
    );
  });

  it('validates blog and post bodies strictly (400 invalid_request)', async () => {
    const owner = await session('Teacher');
    for (const body of [
      { title: '' },
      { title: '   ' },
      { title: 'ok', unknown: 1 },
      { title: 'ok', commentPolicy: 'SOMETIMES' },
      {},
    ]) {
      const res = await call(owner, 'POST', '/api/blog/blogs', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe('invalid_request');
    }
    const blog = await newBlog(owner);
    for (const body of [
      { title: 'x' },
      { title: 'x', content: 'y', state: 'ARCHIVED' },
      { title: 'x', content: 'y', authorId: owner.user.id },
    ]) {
      const res = await call(owner, 'POST', `/api/blog/blogs/${blog.id}/posts`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
  });

  it('refuses to create a blog without the blog.create right (403), or without a session (401)', async () => {
    const parent = await session('Relative');
    const res = await call(parent, 'POST', '/api/blog/blogs', { title: 'Mon blog' });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('forbidden');

    const pupil = await session('Student');
    const group = await classOf(pupil);
    await s.t.runtime.platform.accounts.setGroupRight(group, 'blog.create', 'revoke');
    expect((await call(pupil, 'POST', '/api/blog/blogs', { title: 'x' })).statusCode).toBe(403);
    expect((await call(pupil, 'GET', '/api/blog/blogs')).json().items).toEqual([]);

    const anonymous = await s.app.inject({
      method: 'POST',
      url: '/api/blog/blogs',
      payload: { title: 'x' },
    });
    expect(anonymous.statusCode).toBe(401);
  });

  it('writes, lists, changes and deletes posts; drafts stay with their author', async () => {
    const owner = await session('Teacher');
    const reader = await session('Student');
    const blog = await newBlog(owner);
    await shareWith(owner, blog.id, { login: reader.user.login }, 'read');

    const post = await newPost(owner, blog.id, {
      title: 'Première sortie',
      content: '<p>Au <strong>musée</strong></p>',
    });
    expect(post).toMatchObject({
      blogId: blog.id,
      title: 'Première sortie',
      content: '<p>Au <strong>musée</strong></p>',
      state: 'PUBLISHED',
      authorId: owner.user.id,
    });
    expect(post.firstPublishedAt).toEqual(expect.any(Number));
    const draft = await newPost(owner, blog.id, { title: 'Brouillon', state: 'DRAFT' });
    expect(draft.state).toBe('DRAFT');

    const list = await call(owner, 'GET', `/api/blog/blogs/${blog.id}/posts`);
    expect(
      list
        .json()
        .items.map((p: { id: string }) => p.id)
        .sort(),
    ).toEqual([post.id, draft.id].sort());
    expect(list.json().items.find((p: { id: string }) => p.id === post.id)).toEqual(post);
    expect(await postIds(owner, blog.id, '?state=DRAFT')).toEqual([draft.id]);

    expect(await postIds(reader, blog.id)).toEqual([post.id]);
    expect(
      (await call(reader, 'GET', `/api/blog/blogs/${blog.id}/posts/${draft.id}`)).statusCode,
    ).toBe(404);
    expect(
      (await call(reader, 'GET', `/api/blog/blogs/${blog.id}/posts/${post.id}`)).json().title,
    ).toBe('Première sortie');

    const patched = await call(owner, 'PATCH', `/api/blog/blogs/${blog.id}/posts/${post.id}`, {
      title: 'Sortie au musée',
      content: '<p>Nouveau texte</p>',
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({
      title: 'Sortie au musée',
      content: '<p>Nouveau texte</p>',
      state: 'PUBLISHED',
    });
    // A reader may read, not write.
    const readerPatch = await call(reader, 'PATCH', `/api/blog/blogs/${blog.id}/posts/${post.id}`, {
      title: 'piraté',
    });
    expect(readerPatch.statusCode).toBe(403);
    expect(
      (await call(reader, 'DELETE', `/api/blog/blogs/${blog.id}/posts/${post.id}`)).statusCode,
    ).toBe(403);

    // A post of another blog is not reachable through this one.
    const otherBlog = await newBlog(owner);
    expect(
      (await call(owner, 'GET', `/api/blog/blogs/${otherBlog.id}/posts/${post.id}`)).statusCode,
    ).toBe(404);

    const del = await call(owner, 'DELETE', `/api/blog/blogs/${blog.id}/posts/${post.id}`);
    expect(del.statusCode).toBe(204);
    expect(
      (await call(owner, 'GET', `/api/blog/blogs/${blog.id}/posts/${post.id}`)).statusCode,
    ).toBe(404);
    expect(await postIds(reader, blog.id)).toEqual([]);
  });

  it('follows the publication policy: contributors submit, managers publish', async () => {
    const owner = await session('Teacher');
    const contributor = await session('Student');
    const manager = await session('Teacher');
    const reader = await session('Student');
    const blog = await newBlog(owner, { publicationPolicy: 'RESTRAINT' });
    await shareWith(owner, blog.id, { login: contributor.user.login }, 'contrib');
    await shareWith(owner, blog.id, { login: manager.user.login }, 'manage');
    await shareWith(owner, blog.id, { login: reader.user.login }, 'read');

    // A reader may not write.
    const refused = await call(reader, 'POST', `/api/blog/blogs/${blog.id}/posts`, {
      title: 'x',
      content: 'y',
    });
    expect(refused.statusCode).toBe(403);

    const submitted = await newPost(contributor, blog.id, { title: 'Mon exposé' });
    expect(submitted.state).toBe('SUBMITTED');
    expect(await postIds(reader, blog.id)).toEqual([]);
    expect(await postIds(contributor, blog.id)).toEqual([submitted.id]);
    expect(await postIds(manager, blog.id, '?state=SUBMITTED')).toEqual([submitted.id]);
    const timeline = s.t.runtime.platform.timeline;
    for (const m of [owner, manager]) {
      const items = (await timeline.list(m.user.id, { limit: 10 })).items;
      expect(items.map((n) => n.messageKey)).toContain('blog.post.submitted');
    }

    // The contributor cannot publish it, nor touch someone else's post.
    const selfPublish = await call(
      contributor,
      'POST',
      `/api/blog/blogs/${blog.id}/posts/${submitted.id}/publish`,
    );
    expect(selfPublish.statusCode).toBe(200);
    expect(selfPublish.json().state).toBe('SUBMITTED');
    const ownerPost = await newPost(owner, blog.id, { title: 'Du professeur' });
    expect(ownerPost.state).toBe('PUBLISHED');
    for (const [method, suffix] of [
      ['PATCH', ''],
      ['DELETE', ''],
      ['POST', '/unpublish'],
    ] as const) {
      const res = await call(
        contributor,
        method,
        `/api/blog/blogs/${blog.id}/posts/${ownerPost.id}${suffix}`,
        method === 'PATCH' ? { title: 'x' } : undefined,
      );
      expect(res.statusCode, `${method} ${suffix}`).toBe(403);
    }

    const published = await call(
      manager,
      'POST',
      `/api/blog/blogs/${blog.id}/posts/${submitted.id}/publish`,
    );
    expect(published.statusCode).toBe(200);
    expect(published.json().state).toBe('PUBLISHED');
    expect(published.json().firstPublishedAt).toEqual(expect.any(Number));
    expect((await postIds(reader, blog.id)).sort()).toEqual([submitted.id, ownerPost.id].sort());

    // Changing a published post without the right to publish sends it back to review.
    const edited = await call(
      contributor,
      'PATCH',
      `/api/blog/blogs/${blog.id}/posts/${submitted.id}`,
      { content: '<p>version 2</p>' },
    );
    expect(edited.json().state).toBe('SUBMITTED');
    expect(await postIds(reader, blog.id)).toEqual([ownerPost.id]);

    // A draft, then sent: submitted under review.
    const draft = await newPost(contributor, blog.id, { state: 'DRAFT' });
    expect(await postIds(manager, blog.id, '?state=DRAFT')).toEqual([]);
    const sent = await call(
      contributor,
      'POST',
      `/api/blog/blogs/${blog.id}/posts/${draft.id}/publish`,
    );
    expect(sent.json().state).toBe('SUBMITTED');

    // Managers change the blog; contributors do not.
    expect(
      (
        await call(contributor, 'PATCH', `/api/blog/blogs/${blog.id}`, {
          publicationPolicy: 'IMMEDIATE',
        })
      ).statusCode,
    ).toBe(403);
    const open = await call(manager, 'PATCH', `/api/blog/blogs/${blog.id}`, {
      publicationPolicy: 'IMMEDIATE',
    });
    expect(open.statusCode).toBe(200);
    const direct = await newPost(contributor, blog.id, { title: 'Sans relecture' });
    expect(direct.state).toBe('PUBLISHED');
    expect(await postIds(reader, blog.id)).toContain(direct.id);

    // Unpublishing takes a post back to its author's drafts.
    const back = await call(
      manager,
      'POST',
      `/api/blog/blogs/${blog.id}/posts/${direct.id}/unpublish`,
    );
    expect(back.json().state).toBe('DRAFT');
    expect(await postIds(reader, blog.id)).not.toContain(direct.id);
    expect(await postIds(contributor, blog.id, '?state=DRAFT')).toContain(direct.id);

    // Only the owner deletes the blog.
    expect((await call(manager, 'DELETE', `/api/blog/blogs/${blog.id}`)).statusCode).toBe(403);
  });

  it('takes comments as the comment policy says', async () => {
    const owner = await session('Teacher');
    const reader = await session('Student');
    const other = await session('Student');
    const blog = await newBlog(owner, { commentPolicy: 'IMMEDIATE' });
    await shareWith(owner, blog.id, { login: reader.user.login }, 'read');
    await shareWith(owner, blog.id, { login: other.user.login }, 'read');
    const post = await newPost(owner, blog.id);
    const comments = `/api/blog/blogs/${blog.id}/posts/${post.id}/comments`;

    const added = await call(reader, 'POST', comments, { text: '  Super sortie ! ' });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({
      text: 'Super sortie !',
      state: 'PUBLISHED',
      authorId: reader.user.id,
      postId: post.id,
    });
    expect(
      (await call(other, 'GET', comments)).json().items.map((c: { id: string }) => c.id),
    ).toEqual([added.json().id]);
    expect((await call(reader, 'POST', comments, { text: '' })).statusCode).toBe(400);

    // Someone else's comment: only its author or a manager removes it.
    const commentUrl = `${comments}/${added.json().id}`;
    expect((await call(other, 'DELETE', commentUrl)).statusCode).toBe(403);

    // Under review: pending until a manager publishes it, seen by its author and managers.
    await call(owner, 'PATCH', `/api/blog/blogs/${blog.id}`, { commentPolicy: 'RESTRAINT' });
    const pending = await call(reader, 'POST', comments, { text: 'À relire' });
    expect(pending.json().state).toBe('PENDING');
    const pendingId: string = pending.json().id;
    expect((await call(other, 'GET', comments)).json().items).toHaveLength(1);
    expect((await call(reader, 'GET', comments)).json().items).toHaveLength(2);
    expect((await call(owner, 'GET', comments)).json().items).toHaveLength(2);
    expect((await call(reader, 'POST', `${comments}/${pendingId}/publish`)).statusCode).toBe(403);
    const approved = await call(owner, 'POST', `${comments}/${pendingId}/publish`);
    expect(approved.json().state).toBe('PUBLISHED');
    expect((await call(other, 'GET', comments)).json().items).toHaveLength(2);

    // Closed comments.
    await call(owner, 'PATCH', `/api/blog/blogs/${blog.id}`, { commentPolicy: 'NONE' });
    const closed = await call(reader, 'POST', comments, { text: 'encore' });
    expect(closed.statusCode).toBe(403);

    // A draft is not commented (and readers do not even see it).
    await call(owner, 'PATCH', `/api/blog/blogs/${blog.id}`, { commentPolicy: 'IMMEDIATE' });
    const draft = await newPost(owner, blog.id, { state: 'DRAFT' });
    const draftComments = `/api/blog/blogs/${blog.id}/posts/${draft.id}/comments`;
    expect((await call(owner, 'POST', draftComments, { text: 'x' })).statusCode).toBe(409);
    expect((await call(reader, 'GET', draftComments)).statusCode).toBe(404);

    expect((await call(reader, 'DELETE', commentUrl)).statusCode).toBe(204);
    expect((await call(owner, 'DELETE', `${comments}/${pendingId}`)).statusCode).toBe(204);
    expect((await call(owner, 'GET', comments)).json().items).toEqual([]);
  });

  it('shares through a group: members read, outsiders get 404 everywhere', async () => {
    const owner = await session('Teacher');
    const member = await session('Student');
    const outsider = await session('Student');
    const group = await classOf(member);
    const blog = await newBlog(owner, { title: 'Classe' });
    await shareWith(owner, blog.id, { group }, 'read');
    const post = await newPost(owner, blog.id);
    const draft = await newPost(owner, blog.id, { state: 'DRAFT' });
    const comment = (
      await call(owner, 'POST', `/api/blog/blogs/${blog.id}/posts/${post.id}/comments`, {
        text: 'Premier commentaire',
      })
    ).json();
    const image = (await (await uploadImage(owner, blog.id, 'photo.png', PNG)).json()) as {
      id: string;
      url: string;
    };
    await call(owner, 'PATCH', `/api/blog/blogs/${blog.id}/posts/${post.id}`, {
      content: `<p><img src="${image.url}" alt="photo" /></p>`,
    });

    const list = await call(member, 'GET', '/api/blog/blogs');
    expect(list.json().items).toEqual([
      expect.objectContaining({ id: blog.id, title: 'Classe', access: 'read' }),
    ]);
    expect((await call(member, 'GET', `/api/blog/blogs/${blog.id}`)).statusCode).toBe(200);
    expect(await postIds(member, blog.id)).toEqual([post.id]);
    expect(
      (await call(member, 'GET', `/api/blog/blogs/${blog.id}/posts/${post.id}/comments`)).json()
        .items,
    ).toHaveLength(1);
    // Read is not manage: no re-sharing, no blog changes.
    expect(
      (
        await call(member, 'POST', `/api/blog/blogs/${blog.id}/shares`, {
          login: outsider.user.login,
          right: 'read',
        })
      ).statusCode,
    ).toBe(403);
    expect((await call(member, 'GET', `/api/blog/blogs/${blog.id}/shares`)).statusCode).toBe(403);
    expect(
      (await call(member, 'PATCH', `/api/blog/blogs/${blog.id}`, { title: 'x' })).statusCode,
    ).toBe(403);

    expect((await call(outsider, 'GET', '/api/blog/blogs')).json().items).toEqual([]);
    const base = `/api/blog/blogs/${blog.id}`;
    const probes: [string, string, object?][] = [
      ['GET', base],
      ['PATCH', base, { title: 'x' }],
      ['DELETE', base],
      ['GET', `${base}/posts`],
      ['POST', `${base}/posts`, { title: 'x', content: 'y' }],
      ['GET', `${base}/posts/${post.id}`],
      ['GET', `${base}/posts/${draft.id}`],
      ['PATCH', `${base}/posts/${post.id}`, { title: 'x' }],
      ['DELETE', `${base}/posts/${post.id}`],
      ['POST', `${base}/posts/${post.id}/publish`],
      ['GET', `${base}/posts/${post.id}/comments`],
      ['POST', `${base}/posts/${post.id}/comments`, { text: 'x' }],
      ['DELETE', `${base}/posts/${post.id}/comments/${comment.id}`],
      ['GET', `${base}/documents/${image.id}`],
      ['GET', `${base}/shares`],
      ['POST', `${base}/shares`, { login: outsider.user.login, right: 'read' }],
    ];
    for (const [method, url, payload] of probes) {
      const res = await call(outsider, method, url, payload);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }

    const unshare = await call(owner, 'DELETE', `${base}/shares/group/${group}`);
    expect(unshare.statusCode).toBe(204);
    expect((await call(member, 'GET', base)).statusCode).toBe(404);
    expect((await call(member, 'GET', '/api/blog/blogs')).json().items).toEqual([]);
  });

  it('sanitises post HTML: every XSS payload stays inert; our images and links are kept', async () => {
    const owner = await session('Teacher');
    const blog = await newBlog(owner);
    for (const payload of XSS_PAYLOADS) {
      const post = await newPost(owner, blog.id, { content: `<p>avant</p>${payload}` });
      expectInert(post.content);
      expect(post.content).toContain('<p>avant</p>');
      const stored = await call(owner, 'GET', `/api/blog/blogs/${blog.id}/posts/${post.id}`);
      expectInert(stored.json().content);
      const patched = await call(owner, 'PATCH', `/api/blog/blogs/${blog.id}/posts/${post.id}`, {
        content: payload,
      });
      expectInert(patched.json().content);
    }
    const all = await call(owner, 'GET', `/api/blog/blogs/${blog.id}/posts`);
    for (const p of all.json().items as { content: string }[]) expectInert(p.content);

    const image = (await (await uploadImage(owner, blog.id, 'image.png', PNG)).json()) as {
      id: string;
      url: string;
    };
    const kept = await newPost(owner, blog.id, {
      content:
        `<p><img src="${image.url}" alt="photo de classe" /></p>` +
        '<p><a href="https://eduscol.education.fr" target="_blank">Éduscol</a> ' +
        '<a href="/workspace">mes documents</a></p>',
    });
    expect(kept.content).toContain(`<img src="/api/workspace/documents/${image.id}/content"`);
    expect(kept.content).toContain('alt="photo de classe"');
    expect(kept.content).toContain('href="https://eduscol.education.fr"');
    expect(kept.content).toContain('rel="noopener noreferrer"');
    expect(kept.content).toContain('<a href="/workspace">mes documents</a>');
    // A reader URL of this blog is stored as the canonical workspace URL.
    const readerForm = await newPost(owner, blog.id, {
      content: `<img src="/api/blog/blogs/${blog.id}/documents/${image.id}" alt="x" />`,
    });
    expect(readerForm.content).toBe(
      `<img src="/api/workspace/documents/${image.id}/content" alt="x" />`,
    );
  });

  it("uploads a post's images as app documents and shows them to the blog's readers", async () => {
    const owner = await session('Teacher');
    const member = await session('Student');
    const contributor = await session('Student');
    const group = await classOf(member);
    const blog = await newBlog(owner);
    await shareWith(owner, blog.id, { group }, 'read');
    await shareWith(owner, blog.id, { login: contributor.user.login }, 'contrib');

    const res = await uploadImage(owner, blog.id, 'Sortie.png', PNG);
    expect(res.status).toBe(201);
    const image = (await res.json()) as { id: string; url: string; contentType: string };
    expect(image.url).toBe(`/api/workspace/documents/${image.id}/content`);
    expect(image.contentType).toBe('image/png');
    const appDocs = await call(owner, 'GET', '/api/workspace/documents?filter=apps');
    expect(appDocs.json().items).toEqual([
      expect.objectContaining({ id: image.id, appSource: 'blog', name: 'Sortie.png' }),
    ]);

    const readerUrl = `/api/blog/blogs/${blog.id}/documents/${image.id}`;
    // Not shown by any post yet: nothing to see for a reader.
    expect((await call(member, 'GET', readerUrl)).statusCode).toBe(404);
    const draft = await newPost(owner, blog.id, {
      state: 'DRAFT',
      content: `<img src="${image.url}" alt="x" />`,
    });
    expect((await call(member, 'GET', readerUrl)).statusCode).toBe(404);
    await call(owner, 'POST', `/api/blog/blogs/${blog.id}/posts/${draft.id}/publish`);

    // The workspace URL stays the owner's; the blog's URL serves every reader of the blog.
    expect((await call(member, 'GET', image.url)).statusCode).toBe(404);
    const seen = await fetch(`${s.url}${readerUrl}`, { headers: member.http });
    expect(seen.status).toBe(200);
    expect(seen.headers.get('content-type')).toBe('image/png');
    expect(seen.headers.get('content-security-policy')).toContain('sandbox');
    expect(Buffer.from(await seen.arrayBuffer()).equals(PNG)).toBe(true);
    const range = await fetch(`${s.url}${readerUrl}`, {
      headers: { ...member.http, range: 'bytes=0-3' },
    });
    expect(range.status).toBe(206);
    expect(Buffer.from(await range.arrayBuffer()).equals(PNG.subarray(0, 4))).toBe(true);

    // The same id through another blog the member reads shows nothing.
    const otherBlog = await newBlog(owner);
    await shareWith(owner, otherBlog.id, { group }, 'read');
    expect(
      (await call(member, 'GET', `/api/blog/blogs/${otherBlog.id}/documents/${image.id}`))
        .statusCode,
    ).toBe(404);

    // A contributor naming a document they cannot open does not open it to the readers.
    const secret = await s.t.runtime.apps.workspace.upload(owner.user, {
      name: 'bulletin.png',
      body: Readable.from([makePng(8, 8, 9)]),
    });
    await call(owner, 'PATCH', `/api/blog/blogs/${blog.id}`, { publicationPolicy: 'IMMEDIATE' });
    const sneaky = await newPost(contributor, blog.id, {
      content: `<img src="/api/workspace/documents/${secret.id}/content" alt="x" />`,
    });
    expect(sneaky.state).toBe('PUBLISHED');
    const refs = await s.t.runtime.db.kysely
      .selectFrom('blog_documents')
      .select('post_id')
      .where('document_id', '=', secret.id)
      .execute();
    expect(refs).toEqual([]);
    expect(
      (await call(member, 'GET', `/api/blog/blogs/${blog.id}/documents/${secret.id}`)).statusCode,
    ).toBe(404);
    // ...while the owner putting the same document in a post does show it.
    await newPost(owner, blog.id, {
      content: `<img src="/api/workspace/documents/${secret.id}/content" alt="x" />`,
    });
    expect(
      (await call(member, 'GET', `/api/blog/blogs/${blog.id}/documents/${secret.id}`)).statusCode,
    ).toBe(200);

    // A manager editing a post keeps its images visible (vouched by their first writer).
    const manager = await session('Teacher');
    await shareWith(owner, blog.id, { login: manager.user.login }, 'manage');
    await call(manager, 'PATCH', `/api/blog/blogs/${blog.id}/posts/${draft.id}`, {
      content: `<p>Légende</p><img src="${image.url}" alt="x" />`,
    });
    expect((await call(member, 'GET', readerUrl)).statusCode).toBe(200);

    // A thumbnail: readable by readers through the blog.
    const thumb = await call(owner, 'PATCH', `/api/blog/blogs/${blog.id}`, {
      thumbnailId: image.id,
    });
    expect(thumb.statusCode).toBe(200);
    expect(thumb.json().thumbnailUrl).toBe(readerUrl);
    const notPicture = await s.t.runtime.apps.workspace.upload(owner.user, {
      name: 'notes.txt',
      body: Readable.from([Buffer.from('texte')]),
    });
    expect(
      (
        await call(owner, 'PATCH', `/api/blog/blogs/${blog.id}`, {
          thumbnailId: notPicture.id,
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await call(contributor, 'POST', '/api/blog/blogs', {
          title: 'Vol de vignette',
          thumbnailId: secret.id,
        })
      ).statusCode,
    ).toBe(400);

    // Trashed by its owner: no longer shown to readers.
    await call(owner, 'DELETE', `/api/workspace/documents/${image.id}`);
    expect((await call(member, 'GET', readerUrl)).statusCode).toBe(404);
  });

  it('uploads only pictures, for writers only', async () => {
    const owner = await session('Teacher');
    const reader = await session('Student');
    const blog = await newBlog(owner);
    await shareWith(owner, blog.id, { login: reader.user.login }, 'read');
    const before = (await s.t.runtime.platform.quota.usage(owner.user.id)).used;
    const text = await uploadImage(owner, blog.id, 'image.png', Buffer.from('pas une image'));
    expect(text.status).toBe(400);
    expect((await s.t.runtime.platform.quota.usage(owner.user.id)).used).toBe(before);
    expect((await call(owner, 'GET', '/api/workspace/documents?filter=apps')).json().items).toEqual(
      [],
    );
    const refused = await uploadImage(reader, blog.id, 'image.png', PNG);
    expect(refused.status).toBe(403);
    const stranger = await session('Student');
    expect((await uploadImage(stranger, blog.id, 'image.png', PNG)).status).toBe(404);
  });

  it('notifies readers when a post is published, and managers when one is submitted', async () => {
    const timeline = s.t.runtime.platform.timeline;
    const owner = await session('Teacher');
    const member = await session('Student');
    const member2 = await session('Student');
    const outsider = await session('Student');
    const contributor = await session('Student');
    const group = await classOf(member, member2);
    const blog = await newBlog(owner, { title: 'Blog de la 6e B' });
    await shareWith(owner, blog.id, { group }, 'read');
    await shareWith(owner, blog.id, { login: contributor.user.login }, 'contrib');
    const messages = async (who: Session) =>
      (await timeline.list(who.user.id, { limit: 50 })).items.filter((n) =>
        n.messageKey.startsWith('blog.'),
      );

    await newPost(owner, blog.id, { title: 'Pas encore', state: 'DRAFT' });
    expect(await messages(member)).toEqual([]);

    await newPost(owner, blog.id, { title: 'Les résultats du cross' });
    for (const who of [member, member2, contributor]) {
      expect(await messages(who)).toEqual([
        expect.objectContaining({
          type: 'blog',
          messageKey: 'blog.post.published',
          params: {
            blog: 'Blog de la 6e B',
            title: 'Les résultats du cross',
            author: owner.user.displayName,
          },
          link: `/blog/${blog.id}`,
        }),
      ]);
    }
    expect(await messages(owner)).toEqual([]);
    expect(await messages(outsider)).toEqual([]);

    const submitted = await newPost(contributor, blog.id, { title: 'Mon poème' });
    expect(submitted.state).toBe('SUBMITTED');
    expect(await messages(owner)).toEqual([
      expect.objectContaining({
        messageKey: 'blog.post.submitted',
        params: {
          blog: 'Blog de la 6e B',
          title: 'Mon poème',
          author: contributor.user.displayName,
        },
      }),
    ]);
    expect(await messages(member)).toHaveLength(1);

    await call(owner, 'POST', `/api/blog/blogs/${blog.id}/posts/${submitted.id}/publish`);
    const memberMessages = await messages(member);
    expect(memberMessages).toHaveLength(2);
    expect(memberMessages[0]).toMatchObject({
      messageKey: 'blog.post.published',
      params: { title: 'Mon poème', author: contributor.user.displayName },
    });
    // Its author reads the blog too: told it is out.
    expect(
      (await messages(contributor))
        .filter((n) => n.params.title === 'Mon poème')
        .map((n) => n.messageKey),
    ).toEqual(['blog.post.published']);

    // Published again after a change: readers are not told twice.
    await call(owner, 'POST', `/api/blog/blogs/${blog.id}/posts/${submitted.id}/unpublish`);
    await call(contributor, 'POST', `/api/blog/blogs/${blog.id}/posts/${submitted.id}/publish`);
    await call(owner, 'POST', `/api/blog/blogs/${blog.id}/posts/${submitted.id}/publish`);
    expect(await messages(member)).toHaveLength(2);
  });

  it('deletes a blog with its posts and shares (owner only)', async () => {
    const owner = await session('Teacher');
    const reader = await session('Student');
    const blog = await newBlog(owner);
    await shareWith(owner, blog.id, { login: reader.user.login }, 'read');
    const post = await newPost(owner, blog.id);
    await call(owner, 'POST', `/api/blog/blogs/${blog.id}/posts/${post.id}/comments`, {
      text: 'x',
    });
    expect((await call(reader, 'DELETE', `/api/blog/blogs/${blog.id}`)).statusCode).toBe(403);
    expect((await call(owner, 'DELETE', `/api/blog/blogs/${blog.id}`)).statusCode).toBe(204);
    expect((await call(owner, 'GET', `/api/blog/blogs/${blog.id}`)).statusCode).toBe(404);
    expect((await call(reader, 'GET', '/api/blog/blogs')).json().items).toEqual([]);
    const kysely = s.t.runtime.db.kysely;
    expect(
      await kysely.selectFrom('blog_posts').select('id').where('blog_id', '=', blog.id).execute(),
    ).toEqual([]);
    expect(
      await kysely
        .selectFrom('blog_comments')
        .select('id')
        .where('post_id', '=', post.id)
        .execute(),
    ).toEqual([]);
    expect(
      await s.t.runtime.platform.sharing.sharesOf({ app: 'blog', type: 'blog', id: blog.id }),
    ).toEqual([]);
  });

  it('seeds the demo blogs: the class reads the teacher’s posts and their pictures', async () => {
    const teacher = await session('Teacher');
    const student = await session('Student');
    const group = await classOf(student);
    const deps = { platform: s.t.runtime.platform, apps: s.t.runtime.apps };
    await seedBlogDemo(deps, { teacher: teacher.user, student: student.user, classGroupId: group });
    // Idempotent: a second run adds nothing.
    await seedBlogDemo(deps, { teacher: teacher.user, student: student.user, classGroupId: group });

    const blogs = (await call(student, 'GET', '/api/blog/blogs')).json().items as {
      id: string;
      title: string;
      access: string;
      thumbnailUrl: string | null;
    }[];
    expect(blogs.map((b) => [b.title, b.access]).sort()).toEqual(
      [
        [DEMO_CLASS_BLOG, 'read'],
        [DEMO_READING_BLOG, 'owner'],
      ].sort(),
    );
    const classBlog = blogs.find((b) => b.title === DEMO_CLASS_BLOG)!;
    const posts = (await call(student, 'GET', `/api/blog/blogs/${classBlog.id}/posts`)).json()
      .items as { content: string; state: string }[];
    expect(posts.length).toBeGreaterThanOrEqual(2);
    for (const post of posts) {
      expect(post.state).toBe('PUBLISHED');
      expect(post.content).toMatch(/<a href="[^"]+"/);
      const docId = /\/api\/workspace\/documents\/([^/]+)\/content/.exec(post.content)?.[1];
      expect(docId).toBeDefined();
      const img = await call(student, 'GET', `/api/blog/blogs/${classBlog.id}/documents/${docId}`);
      expect(img.statusCode).toBe(200);
      expect(img.headers['content-type']).toBe('image/png');
    }
    expect(classBlog.thumbnailUrl).not.toBeNull();
    expect((await call(student, 'GET', classBlog.thumbnailUrl!)).statusCode).toBe(200);
    const notified = (await s.t.runtime.platform.timeline.list(student.user.id, { limit: 20 }))
      .items;
    expect(notified.filter((n) => n.messageKey === 'blog.post.published')).toHaveLength(
      posts.length,
    );

    const notebook = blogs.find((b) => b.title === DEMO_READING_BLOG)!;
    const drafts = (await call(student, 'GET', `/api/blog/blogs/${notebook.id}/posts`)).json()
      .items as { state: string }[];
    expect(drafts.map((p) => p.state)).toEqual(['DRAFT']);
    expect((await call(teacher, 'GET', `/api/blog/blogs/${notebook.id}`)).statusCode).toBe(404);
  });

  it('publishes its routes in a valid OpenAPI document', async () => {
    const res = await s.app.inject({ method: 'GET', url: '/api/openapi.json' });
    const doc = res.json();
    const paths = Object.fromEntries(
      Object.entries(doc.paths as Record<string, unknown>).filter(([p]) =>
        p.startsWith('/api/blog/'),
      ),
    );
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/api/blog/blogs',
        '/api/blog/blogs/{id}',
        '/api/blog/blogs/{id}/posts',
        '/api/blog/blogs/{id}/posts/{postId}/publish',
        '/api/blog/blogs/{id}/posts/{postId}/comments',
        '/api/blog/blogs/{id}/images',
        '/api/blog/blogs/{id}/documents/{documentId}',
        '/api/blog/blogs/{id}/shares',
      ]),
    );
    await expect(SwaggerParser.validate(structuredClone({ ...doc, paths }))).resolves.toBeTruthy();
  });
});
