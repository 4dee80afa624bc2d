import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser } from '../../../test/support/factories.ts';
import { testDbKinds } from '../../../test/support/test-env.ts';
import { createTestServer, type TestServer } from '../../../test/support/test-server.ts';
import { expectInert, XSS_PAYLOADS } from '../../../test/support/xss-payloads.ts';
import type { Clock } from '../../clock.ts';
import type { Profile } from '../../db/schema.ts';
import type { User } from '../../platform/accounts.service.ts';
import { DEMO_THREAD, seedNewsDemo } from './news.demo.ts';
import { NewsService } from './news.service.ts';

type Headers = Record<string, string>;
type Json = Record<string, unknown>;

/** The answers of the news API, loosely: threads, items, comments, lists and errors. */
interface Body {
  id: string;
  title: string;
  content: string;
  text: string;
  publishAt: number;
  iconDocumentId: string | null;
  threadTitle: string;
  authorId: string;
  commentCount: number;
  items: Body[];
  error: { code: string };
}

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

describe.each(testDbKinds())('Actualités on %s', (db) => {
  let s: TestServer;
  let teacher: User;
  let th: Headers;
  let groupCount = 0;

  beforeAll(async () => {
    s = await createTestServer(db);
    teacher = await makeUser(s.t.runtime.platform, 'Teacher');
    th = (await s.login(teacher.login)).inject;
  });
  afterAll(async () => {
    await s.close();
  });

  const call = async (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    headers: Headers,
    payload?: Json,
  ) => {
    const res = await s.app.inject({
      method,
      url,
      headers,
      ...(payload === undefined ? {} : { payload }),
    });
    return { status: res.statusCode, body: res.body === '' ? undefined : res.json<Body>() };
  };

  const user = async (profile: Profile = 'Student'): Promise<{ u: User; h: Headers }> => {
    const u = await makeUser(s.t.runtime.platform, profile);
    return { u, h: (await s.login(u.login)).inject };
  };

  const newThread = async (title = 'Vie du collège', headers = th): Promise<Body> => {
    const res = await call('POST', '/api/news/threads', headers, { title });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body!;
  };

  const newItem = async (threadId: string, body: Json, headers = th): Promise<Body> => {
    const res = await call('POST', `/api/news/threads/${threadId}/items`, headers, body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body!;
  };

  const titles = async (threadId: string, headers: Headers): Promise<string[]> => {
    const res = await call('GET', `/api/news/threads/${threadId}/items`, headers);
    expect(res.status).toBe(200);
    return res.body!.items.map((i) => i.title);
  };

  /** A class group holding `members`. */
  const classOf = async (...members: User[]) => {
    groupCount += 1;
    const group = await s.t.runtime.platform.accounts.createGroup(
      'Collège Test',
      `classe ${groupCount} ${teacher.login}`,
    );
    for (const m of members) await s.t.runtime.platform.accounts.addMember(group.id, m.login);
    return group;
  };

  const share = async (threadId: string, body: Json, headers = th) => {
    const res = await call('POST', `/api/news/threads/${threadId}/shares`, headers, body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };

  const published = async (userId: string) =>
    (await s.t.runtime.platform.timeline.list(userId, { limit: 100 })).items.filter(
      (n) => n.messageKey === 'news.published',
    );

  it('creates a thread and items and lists them with the fields given', async () => {
    const created = await call('POST', '/api/news/threads', th, { title: '  Vie du collège ' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      title: 'Vie du collège',
      ownerId: teacher.id,
      ownerName: teacher.displayName,
      iconDocumentId: null,
      access: 'owner',
    });
    const threadId: string = created.body!.id;
    expect(threadId).toMatch(/^[0-9a-f-]{36}$/);

    const list = await call('GET', '/api/news/threads', th);
    expect(list.body!.items.map((t) => t.id)).toContain(threadId);
    const other = await user('Teacher');
    const theirs = await call('GET', '/api/news/threads', other.h);
    expect(theirs.body!.items.map((t) => t.id)).not.toContain(threadId);

    const item = await call('POST', `/api/news/threads/${threadId}/items`, th, {
      title: 'Réunion parents-professeurs',
      content: '<p>Le <strong>jeudi</strong> à 18 h.</p>',
    });
    expect(item.status).toBe(201);
    expect(item.body).toMatchObject({
      threadId,
      threadTitle: 'Vie du collège',
      title: 'Réunion parents-professeurs',
      content: '<p>Le <strong>jeudi</strong> à 18 h.</p>',
      state: 'PUBLISHED',
      headline: false,
      expiresAt: null,
      authorId: teacher.id,
      authorName: teacher.displayName,
      commentCount: 0,
    });
    expect(Math.abs(item.body!.publishAt - Date.now())).toBeLessThan(60_000);

    const items = await call('GET', `/api/news/threads/${threadId}/items`, th);
    expect(items.status).toBe(200);
    expect(items.body!.items).toEqual([item.body]);
    expect((await call('GET', `/api/news/items/${item.body!.id}`, th)).body).toEqual(item.body);
    expect((await call('GET', `/api/news/threads/${threadId}`, th)).body).toEqual(created.body);

    const renamed = await call('PATCH', `/api/news/threads/${threadId}`, th, {
      title: 'Vie du collège 2025',
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body!.title).toBe('Vie du collège 2025');
    const edited = await call('PATCH', `/api/news/items/${item.body!.id}`, th, {
      title: 'Réunion reportée',
      headline: true,
    });
    expect(edited.body).toMatchObject({ title: 'Réunion reportée', headline: true });
    expect(edited.body!.content).toBe(item.body!.content);
  });

  it('validates bodies strictly', async () => {
    const thread = await newThread();
    const cases: [string, Json][] = [
      ['/api/news/threads', { title: '' }],
      ['/api/news/threads', { title: 'x', owner: teacher.id }],
      [`/api/news/threads/${thread.id}/items`, { title: 'x' }],
      [`/api/news/threads/${thread.id}/items`, { title: ' ', content: '' }],
      [`/api/news/threads/${thread.id}/items`, { title: 'x', content: '', state: 'PENDING' }],
      [`/api/news/threads/${thread.id}/items`, { title: 'x', content: '', publishAt: 'demain' }],
      [`/api/news/threads/${thread.id}/items`, { title: 'x', content: '', author: 'x' }],
      // Expiring before it is published makes no sense.
      [
        `/api/news/threads/${thread.id}/items`,
        { title: 'x', content: '', publishAt: Date.now(), expiresAt: Date.now() - 1 },
      ],
    ];
    for (const [url, body] of cases) {
      const res = await call('POST', url, th, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body!.error.code).toBe('invalid_request');
    }
    expect(await titles(thread.id, th)).toEqual([]);
  });

  it('shows readers only published items whose date has come and that have not expired', async () => {
    const reader = await user();
    const contributor = await user('Teacher');
    const manager = await user('Personnel');
    const thread = await newThread('Annonces');
    await share(thread.id, { group: (await classOf(reader.u)).id, right: 'read' });
    await share(thread.id, { login: contributor.u.login, right: 'contrib' });
    await share(thread.id, { login: manager.u.login, right: 'manage' });
    const now = Date.now();
    await newItem(thread.id, { title: 'En cours', content: '', publishAt: now - HOUR });
    await newItem(thread.id, {
      title: 'Expire bientôt',
      content: '',
      publishAt: now - 2 * HOUR,
      expiresAt: now + HOUR,
    });
    const draft = await newItem(thread.id, { title: 'Brouillon', content: '', state: 'DRAFT' });
    const later = await newItem(thread.id, {
      title: 'Programmé',
      content: '',
      publishAt: now + DAY,
    });
    const expired = await newItem(thread.id, {
      title: 'Expiré',
      content: '',
      publishAt: now - 3 * HOUR,
      expiresAt: now - HOUR,
    });

    expect(await titles(thread.id, reader.h)).toEqual(['En cours', 'Expire bientôt']);
    const all = ['Programmé', 'Brouillon', 'En cours', 'Expire bientôt', 'Expiré'];
    expect(await titles(thread.id, contributor.h)).toEqual(all);
    expect(await titles(thread.id, manager.h)).toEqual(all);
    expect(await titles(thread.id, th)).toEqual(all);
    for (const hidden of [draft, later, expired]) {
      const res = await call('GET', `/api/news/items/${hidden.id}`, reader.h);
      expect(res.status, hidden.title).toBe(404);
      expect((await call('GET', `/api/news/items/${hidden.id}`, contributor.h)).status).toBe(200);
    }

    // Publishing the draft and clearing the expiry make them visible.
    await call('PATCH', `/api/news/items/${draft.id}`, th, { state: 'PUBLISHED' });
    await call('PATCH', `/api/news/items/${expired.id}`, th, { expiresAt: null });
    expect(await titles(thread.id, reader.h)).toEqual([
      'Brouillon',
      'En cours',
      'Expire bientôt',
      'Expiré',
    ]);
  });

  it('puts headlines first, in a thread and in my feed', async () => {
    const reader = await user();
    const otherTeacher = await user('Teacher');
    const group = await classOf(reader.u);
    const mine = await newThread('Classe');
    const theirs = await newThread('Collège', otherTeacher.h);
    await share(mine.id, { group: group.id, right: 'read' });
    await share(theirs.id, { group: group.id, right: 'read' }, otherTeacher.h);
    const now = Date.now();
    await newItem(mine.id, { title: 'Ancien', content: '', publishAt: now - 3 * DAY });
    await newItem(mine.id, {
      title: 'À la une',
      content: '',
      publishAt: now - 5 * DAY,
      headline: true,
    });
    await newItem(mine.id, { title: 'Récent', content: '', publishAt: now - HOUR });
    await newItem(mine.id, {
      title: 'Brouillon à la une',
      content: '',
      state: 'DRAFT',
      headline: true,
    });
    await newItem(
      theirs.id,
      { title: 'Collège : hier', content: '', publishAt: now - DAY },
      otherTeacher.h,
    );
    await newItem(
      theirs.id,
      { title: 'Collège : demain', content: '', publishAt: now + DAY, headline: true },
      otherTeacher.h,
    );

    expect(await titles(mine.id, reader.h)).toEqual(['À la une', 'Récent', 'Ancien']);
    const feed = await call('GET', '/api/news/items', reader.h);
    expect(feed.status).toBe(200);
    expect(feed.body!.items.map((i) => i.title)).toEqual([
      'À la une',
      'Récent',
      'Collège : hier',
      'Ancien',
    ]);
    expect(feed.body!.items[2]!.threadTitle).toBe('Collège');
    const two = await call('GET', '/api/news/items?limit=2', reader.h);
    expect(two.body!.items.map((i) => i.title)).toEqual(['À la une', 'Récent']);
    // The author's feed has their own thread's visible items, not the drafts.
    const own = await call('GET', '/api/news/items?limit=100', th);
    const ownTitles = own.body!.items.map((i) => i.title);
    expect(ownTitles).toEqual(expect.arrayContaining(['À la une', 'Récent', 'Ancien']));
    expect(ownTitles).not.toContain('Brouillon à la une');
    expect(ownTitles).not.toContain('Collège : hier');
    const outsider = await user();
    expect((await call('GET', '/api/news/items', outsider.h)).body!.items).toEqual([]);
  });

  it('lets readers comment; authors and managers delete comments', async () => {
    const reader = await user();
    const other = await user();
    const thread = await newThread('Sorties');
    await share(thread.id, { group: (await classOf(reader.u, other.u)).id, right: 'read' });
    const item = await newItem(thread.id, { title: 'Piscine', content: '<p>Mardi</p>' });
    const draft = await newItem(thread.id, { title: 'Pas encore', content: '', state: 'DRAFT' });
    const url = `/api/news/items/${item.id}/comments`;

    const first = await call('POST', url, reader.h, { text: '  Faut-il un bonnet ?  ' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      itemId: item.id,
      authorId: reader.u.id,
      authorName: reader.u.displayName,
      text: 'Faut-il un bonnet ?',
    });
    const answer = await call('POST', url, th, { text: 'Oui, obligatoire.' });
    expect(answer.status).toBe(201);
    const third = await call('POST', url, other.h, { text: 'Merci !' });
    expect(third.status).toBe(201);
    const list = await call('GET', url, other.h);
    expect(list.body!.items.map((c) => c.text)).toEqual([
      'Faut-il un bonnet ?',
      'Oui, obligatoire.',
      'Merci !',
    ]);
    expect((await call('GET', `/api/news/items/${item.id}`, reader.h)).body!.commentCount).toBe(3);

    expect((await call('POST', url, reader.h, { text: '   ' })).status).toBe(400);
    expect((await call('POST', url, reader.h, { text: 'x', author: 'y' })).status).toBe(400);
    // No comment on what a reader cannot see.
    const onDraft = `/api/news/items/${draft.id}/comments`;
    expect((await call('POST', onDraft, reader.h, { text: 'x' })).status).toBe(404);
    expect((await call('GET', onDraft, reader.h)).status).toBe(404);

    // A reader deletes their own comment, not someone else's; the owner deletes any.
    expect((await call('DELETE', `${url}/${first.body!.id}`, other.h)).status).toBe(403);
    expect((await call('DELETE', `${url}/${first.body!.id}`, reader.h)).status).toBe(204);
    expect((await call('DELETE', `${url}/${third.body!.id}`, th)).status).toBe(204);
    expect((await call('DELETE', `${url}/${third.body!.id}`, th)).status).toBe(404);
    // A comment id through another item is not found.
    const otherItem = await newItem(thread.id, { title: 'Autre', content: '' });
    const wrong = `/api/news/items/${otherItem.id}/comments/${answer.body!.id}`;
    expect((await call('DELETE', wrong, th)).status).toBe(404);
    const left = await call('GET', url, reader.h);
    expect(left.body!.items.map((c) => c.text)).toEqual(['Oui, obligatoire.']);
  });

  it('shares a thread through a group: a member reads, an outsider gets 404', async () => {
    const member = await user();
    const outsider = await user();
    const group = await classOf(member.u);
    const thread = await newThread('Classe de 5e B');
    const item = await newItem(thread.id, { title: 'Cantine', content: '<p>Menu</p>' });
    const comment = await call('POST', `/api/news/items/${item.id}/comments`, th, { text: 'ok' });

    // Before the share the member sees nothing either.
    expect((await call('GET', `/api/news/threads/${thread.id}`, member.h)).status).toBe(404);
    const shared = await call('POST', `/api/news/threads/${thread.id}/shares`, th, {
      group: group.id,
      right: 'read',
    });
    expect(shared.status).toBe(200);
    expect(shared.body!.items).toEqual([
      {
        grantee: { kind: 'group', id: group.id, name: `${group.name} (Collège Test)` },
        right: 'read',
      },
    ]);
    const threads = await call('GET', '/api/news/threads', member.h);
    expect(threads.body!.items).toEqual([
      expect.objectContaining({ id: thread.id, access: 'read' }),
    ]);
    expect(await titles(thread.id, member.h)).toEqual(['Cantine']);
    expect((await call('GET', `/api/news/items/${item.id}`, member.h)).status).toBe(200);
    const received = await s.t.runtime.platform.timeline.list(member.u.id, { limit: 10 });
    expect(received.items[0]).toMatchObject({
      messageKey: 'share.received',
      params: { title: 'Classe de 5e B' },
      link: `/news/${thread.id}`,
    });

    const o = outsider.h;
    expect((await call('GET', '/api/news/threads', o)).body!.items).toEqual([]);
    for (const [method, url, body] of [
      ['GET', `/api/news/threads/${thread.id}`],
      ['GET', `/api/news/threads/${thread.id}/items`],
      ['GET', `/api/news/threads/${thread.id}/shares`],
      ['GET', `/api/news/items/${item.id}`],
      ['GET', `/api/news/items/${item.id}/comments`],
      ['POST', `/api/news/items/${item.id}/comments`, { text: 'x' }],
      ['POST', `/api/news/threads/${thread.id}/items`, { title: 'x', content: '' }],
      ['PATCH', `/api/news/threads/${thread.id}`, { title: 'x' }],
      ['PATCH', `/api/news/items/${item.id}`, { title: 'x' }],
      ['DELETE', `/api/news/items/${item.id}/comments/${comment.body!.id}`],
      ['DELETE', `/api/news/items/${item.id}`],
      ['DELETE', `/api/news/threads/${thread.id}`],
    ] as const) {
      const res = await call(method, url, o, body);
      expect(res.status, `${method} ${url}`).toBe(404);
      expect(res.body!.error.code).toBe('not_found');
    }
    expect((await call('GET', '/api/news/threads/no-such-thread', th)).status).toBe(404);

    const unshare = await call(
      'DELETE',
      `/api/news/threads/${thread.id}/shares/group/${group.id}`,
      th,
    );
    expect(unshare.status).toBe(204);
    expect((await call('GET', `/api/news/threads/${thread.id}/items`, member.h)).status).toBe(404);
    expect((await call('GET', `/api/news/items/${item.id}`, member.h)).status).toBe(404);
  });

  it('refuses what the rights do not allow', async () => {
    const student = await user('Student');
    const refused = await call('POST', '/api/news/threads', student.h, { title: 'Mon fil' });
    expect(refused.status).toBe(403);
    expect(refused.body!.error.code).toBe('forbidden');
    const anonymous = await s.app.inject({
      method: 'POST',
      url: '/api/news/threads',
      payload: { title: 'x' },
    });
    expect(anonymous.statusCode).toBe(401);
    // A teacher whose group revokes news.create cannot create threads either.
    const revoked = await user('Teacher');
    const g = await classOf(revoked.u);
    await s.t.runtime.platform.accounts.setGroupRight(g.id, 'news.create', 'revoke');
    expect((await call('POST', '/api/news/threads', revoked.h, { title: 'x' })).status).toBe(403);

    const reader = await user();
    const contributor = await user('Teacher');
    const manager = await user('Teacher');
    const thread = await newThread('Droits');
    await share(thread.id, { login: reader.u.login, right: 'read' });
    await share(thread.id, { login: contributor.u.login, right: 'contrib' });
    await share(thread.id, { login: manager.u.login, right: 'manage' });
    const byOwner = await newItem(thread.id, { title: 'Du propriétaire', content: '' });

    // read: no writing.
    const write = await call('POST', `/api/news/threads/${thread.id}/items`, reader.h, {
      title: 'Lecteur',
      content: '',
    });
    expect(write.status).toBe(403);
    expect(write.body!.error.code).toBe('forbidden');
    for (const [method, url, body] of [
      ['PATCH', `/api/news/items/${byOwner.id}`, { title: 'x' }],
      ['DELETE', `/api/news/items/${byOwner.id}`],
      ['PATCH', `/api/news/threads/${thread.id}`, { title: 'x' }],
      ['DELETE', `/api/news/threads/${thread.id}`],
      ['GET', `/api/news/threads/${thread.id}/shares`],
      ['POST', `/api/news/threads/${thread.id}/shares`, { login: student.u.login, right: 'read' }],
    ] as const) {
      expect((await call(method, url, reader.h, body)).status, `${method} ${url}`).toBe(403);
    }

    // contrib: writes items and edits their own, not the others' nor the thread.
    const own = await newItem(thread.id, { title: 'Du contributeur', content: '' }, contributor.h);
    expect(own.authorId).toBe(contributor.u.id);
    const editOwn = await call('PATCH', `/api/news/items/${own.id}`, contributor.h, {
      headline: true,
    });
    expect(editOwn.status).toBe(200);
    const editOther = await call('PATCH', `/api/news/items/${byOwner.id}`, contributor.h, {
      title: 'x',
    });
    expect(editOther.status).toBe(403);
    expect((await call('DELETE', `/api/news/items/${byOwner.id}`, contributor.h)).status).toBe(403);
    const renameByContrib = await call('PATCH', `/api/news/threads/${thread.id}`, contributor.h, {
      title: 'x',
    });
    expect(renameByContrib.status).toBe(403);

    // manage: edits the thread, any item, the shares; only the owner deletes the thread.
    const rename = await call('PATCH', `/api/news/threads/${thread.id}`, manager.h, {
      title: 'Droits (géré)',
    });
    expect(rename.status).toBe(200);
    expect(
      (await call('PATCH', `/api/news/items/${own.id}`, manager.h, { title: 'Relu' })).body!.title,
    ).toBe('Relu');
    expect((await call('GET', `/api/news/threads/${thread.id}/shares`, manager.h)).status).toBe(
      200,
    );
    expect((await call('DELETE', `/api/news/threads/${thread.id}`, manager.h)).status).toBe(403);
    expect((await call('DELETE', `/api/news/items/${own.id}`, manager.h)).status).toBe(204);
    expect(await titles(thread.id, th)).toEqual(['Du propriétaire']);
  });

  it('sanitises item HTML: every XSS payload stays inert, our links are kept', async () => {
    const reader = await user();
    const thread = await newThread('Sécurité');
    await share(thread.id, { login: reader.u.login, right: 'read' });
    for (const payload of XSS_PAYLOADS) {
      const created = await newItem(thread.id, { title: 'XSS', content: `<p>avant</p>${payload}` });
      expectInert(created.content);
      expect(created.content).toContain('<p>avant</p>');
      const patched = await call('PATCH', `/api/news/items/${created.id}`, th, {
        content: payload,
      });
      expect(patched.status).toBe(200);
      expectInert(patched.body!.content);
    }
    const listed = await call('GET', `/api/news/threads/${thread.id}/items`, reader.h);
    expect(listed.body!.items).toHaveLength(XSS_PAYLOADS.length);
    for (const item of listed.body!.items) expectInert(item.content);

    const ours =
      '<p><a href="/workspace?filter=shared">nos documents</a> et ' +
      '<a href="https://www.education.gouv.fr/" target="_blank">le ministère</a></p>' +
      '<ul><li>un</li><li>deux</li></ul>' +
      '<img src="/api/workspace/documents/abc/content" alt="photo" />';
    const kept = await newItem(thread.id, { title: 'Liens', content: ours });
    expect(kept.content).toContain('<a href="/workspace?filter=shared">nos documents</a>');
    expect(kept.content).toContain(
      '<a href="https://www.education.gouv.fr/" target="_blank" rel="noopener noreferrer">',
    );
    expect(kept.content).toContain('<ul><li>un</li><li>deux</li></ul>');
    expect(kept.content).toContain(
      '<img src="/api/workspace/documents/abc/content" alt="photo" />',
    );
  });

  it('notifies the readers of a thread shared with a class when an item is published', async () => {
    const pupil = await user();
    const classmate = await user();
    const outsider = await user();
    const colleague = await user('Teacher');
    const thread = await newThread('6e C');
    await share(thread.id, { group: (await classOf(pupil.u, classmate.u)).id, right: 'read' });
    await share(thread.id, { login: colleague.u.login, right: 'contrib' });

    const item = await newItem(thread.id, { title: 'Photo de classe', content: '<p>Lundi</p>' });
    for (const reader of [pupil, classmate, colleague]) {
      const got = await published(reader.u.id);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({
        type: 'news',
        params: { thread: '6e C', title: 'Photo de classe', author: teacher.displayName },
        link: `/news/${thread.id}`,
      });
    }
    // Not the author, not whoever cannot read the thread.
    expect(
      (await published(teacher.id)).filter((n) => n.params.title === 'Photo de classe'),
    ).toEqual([]);
    expect(await published(outsider.u.id)).toEqual([]);

    // A colleague's item reaches the owner too.
    await newItem(thread.id, { title: 'Du collègue', content: '' }, colleague.h);
    expect(
      (await published(teacher.id)).filter((n) => n.params.title === 'Du collègue'),
    ).toHaveLength(1);

    // A draft says nothing until it is published, then once; later edits say nothing.
    const draft = await newItem(thread.id, { title: 'Voyage', content: '', state: 'DRAFT' });
    await titles(thread.id, pupil.h);
    expect(await published(pupil.u.id)).toHaveLength(2);
    await call('PATCH', `/api/news/items/${draft.id}`, th, { state: 'PUBLISHED' });
    await call('PATCH', `/api/news/items/${draft.id}`, th, { title: 'Voyage à Rome' });
    await call('PATCH', `/api/news/items/${item.id}`, th, { content: '<p>Mardi</p>' });
    const after = await published(pupil.u.id);
    expect(after.map((n) => n.params.title).sort()).toEqual([
      'Du collègue',
      'Photo de classe',
      'Voyage',
    ]);
  });

  it('announces a scheduled item once, the first time it is listed after its date', async () => {
    const { platform, apps } = s.t.runtime;
    let now = Date.UTC(2030, 0, 6, 8, 0);
    const clock: Clock = { now: () => now };
    const news = new NewsService({
      db: s.t.runtime.db,
      clock,
      platform,
      workspace: apps.workspace,
    });
    const pupil = await user();
    const thread = await news.createThread(teacher, { title: 'Programmé' });
    await platform.sharing.share(
      teacher.id,
      { app: 'news', type: 'thread', id: thread.id },
      { kind: 'group', id: (await classOf(pupil.u)).id },
      'read',
    );
    await news.createItem(teacher, thread.id, {
      title: 'Rentrée',
      content: '',
      publishAt: now + DAY,
      expiresAt: now + 3 * DAY,
    });
    expect(await news.listItems(pupil.u, thread.id)).toEqual([]);
    expect(await news.feed(pupil.u, { limit: 10 })).toEqual([]);
    expect(await published(pupil.u.id)).toEqual([]);

    now += DAY;
    expect((await news.listItems(pupil.u, thread.id)).map((i) => i.title)).toEqual(['Rentrée']);
    expect(await published(pupil.u.id)).toHaveLength(1);
    await news.listItems(pupil.u, thread.id);
    await news.feed(pupil.u, { limit: 10 });
    expect(await published(pupil.u.id)).toHaveLength(1);

    now += 2 * DAY;
    expect(await news.listItems(pupil.u, thread.id)).toEqual([]);
    expect(await news.feed(pupil.u, { limit: 10 })).toEqual([]);
    expect((await news.listItems(teacher, thread.id)).map((i) => i.title)).toEqual(['Rentrée']);

    // Scheduled, then expired before anyone looked: never announced.
    await news.createItem(teacher, thread.id, {
      title: 'Manqué',
      content: '',
      publishAt: now + HOUR,
      expiresAt: now + 2 * HOUR,
    });
    now += 3 * HOUR;
    await news.feed(pupil.u, { limit: 10 });
    expect(await published(pupil.u.id)).toHaveLength(1);
  });

  it('sets an image of mine as icon, and deletes a thread with everything in it', async () => {
    const { db, platform, apps } = s.t.runtime;
    const image = await apps.workspace.upload(teacher, {
      name: 'icone.png',
      body: Readable.from([PNG]),
    });
    const text = await apps.workspace.upload(teacher, {
      name: 'notes.txt',
      body: Readable.from([Buffer.from('pas une image')]),
    });
    const stranger = await user('Teacher');
    const theirImage = await apps.workspace.upload(stranger.u, {
      name: 'autre.png',
      body: Readable.from([PNG]),
    });
    const thread = await newThread('Avec icône');
    const set = await call('PATCH', `/api/news/threads/${thread.id}`, th, {
      iconDocumentId: image.id,
    });
    expect(set.status).toBe(200);
    expect(set.body!.iconDocumentId).toBe(image.id);
    const notImage = await call('PATCH', `/api/news/threads/${thread.id}`, th, {
      iconDocumentId: text.id,
    });
    expect(notImage.status).toBe(400);
    const notMine = await call('POST', '/api/news/threads', th, {
      title: 'x',
      iconDocumentId: theirImage.id,
    });
    expect(notMine.status).toBe(404);
    const cleared = await call('PATCH', `/api/news/threads/${thread.id}`, th, {
      iconDocumentId: null,
    });
    expect(cleared.body!.iconDocumentId).toBeNull();

    const reader = await user();
    await share(thread.id, { login: reader.u.login, right: 'read' });
    const item = await newItem(thread.id, { title: 'Un', content: '' });
    await call('POST', `/api/news/items/${item.id}/comments`, reader.h, { text: 'Bravo' });

    expect((await call('DELETE', `/api/news/threads/${thread.id}`, th)).status).toBe(204);
    expect((await call('GET', `/api/news/threads/${thread.id}`, th)).status).toBe(404);
    expect((await call('GET', `/api/news/items/${item.id}`, th)).status).toBe(404);
    const left = await db.kysely
      .selectFrom('news_comments')
      .select('id')
      .where('item_id', '=', item.id)
      .execute();
    expect(left).toEqual([]);
    expect(await platform.sharing.sharesOf({ app: 'news', type: 'thread', id: thread.id })).toEqual(
      [],
    );
    expect((await call('GET', '/api/news/threads', reader.h)).body!.items).toEqual([]);
  });

  it('seeds the demo thread for the class, once', async () => {
    const { platform, apps } = s.t.runtime;
    const demoTeacher = await makeUser(platform, 'Teacher');
    const pupil = await makeUser(platform, 'Student');
    const group = await classOf(pupil, demoTeacher);
    const users = { teacher: demoTeacher, student: pupil, classGroupId: group.id };
    await seedNewsDemo({ platform, apps }, users);
    await seedNewsDemo({ platform, apps }, users);

    const news = new NewsService({ ...s.t.runtime, workspace: apps.workspace });
    const threads = await news.listThreads(pupil);
    expect(threads.map((t) => [t.title, t.access])).toEqual([[DEMO_THREAD, 'read']]);
    const thread = threads[0]!;
    const read = await news.listItems(pupil, thread.id);
    expect(read).toHaveLength(3);
    expect(read[0]).toMatchObject({ title: 'Sortie au musée le 12 décembre', headline: true });
    expect(read.filter((i) => i.headline)).toHaveLength(1);
    expect(read.some((i) => i.content.includes('<ul>') && i.content.includes('<a href'))).toBe(
      true,
    );
    const all = await news.listItems(demoTeacher, thread.id);
    expect(all.filter((i) => i.state === 'DRAFT')).toHaveLength(1);
    expect(all).toHaveLength(4);
    expect(await news.listComments(pupil, read[0]!.id)).toHaveLength(2);
    expect(await published(pupil.id)).toHaveLength(3);
  });
});
