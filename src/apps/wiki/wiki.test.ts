import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser } from '../../../test/support/factories.ts';
import { testDbKinds } from '../../../test/support/test-env.ts';
import { createTestServer, type TestServer } from '../../../test/support/test-server.ts';
import { XSS_PAYLOADS, expectInert } from '../../../test/support/xss-payloads.ts';
import type { User } from '../../platform/accounts.service.ts';
import { DEMO_CLASS_WIKI, DEMO_STUDENT_WIKI, seedWikiDemo } from './wiki.demo.ts';

type Headers = Record<string, string>;
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

interface PageJson {
  id: string;
  wikiId: string;
  parentId: string | null;
  title: string;
  content: string;
  order: number;
  authorId: string | null;
  authorName: string | null;
}

describe.each(testDbKinds())('Cours et Wiki on %s', (db) => {
  let s: TestServer;
  let teacher: User;
  let auth: Headers;

  beforeAll(async () => {
    // Each test makes many requests from one address: lift the per-minute limit.
    s = await createTestServer(db, 'local', { RATE_LIMIT_MAX: '100000' });
    teacher = await makeUser(s.t.runtime.platform, 'Teacher');
    auth = (await s.login(teacher.login)).inject;
  });
  afterAll(async () => {
    await s.close();
  });

  const call = (method: Method, url: string, headers: Headers, payload?: object) =>
    s.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });

  const headersOf = async (user: User): Promise<Headers> => (await s.login(user.login)).inject;

  const newWiki = async (title = 'Wiki', headers = auth): Promise<string> => {
    const res = await call('POST', '/api/wiki/wikis', headers, { title });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };

  const newPage = async (
    wikiId: string,
    body: { title: string; content?: string; parentId?: string; order?: number },
    headers = auth,
  ): Promise<PageJson> => {
    const res = await call('POST', `/api/wiki/wikis/${wikiId}/pages`, headers, {
      content: `<p>${body.title}</p>`,
      ...body,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };

  const pages = async (wikiId: string, headers = auth): Promise<PageJson[]> => {
    const res = await call('GET', `/api/wiki/wikis/${wikiId}/pages`, headers);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ items: PageJson[] }>().items;
  };

  const titlesOf = async (wikiId: string): Promise<string[]> =>
    (await pages(wikiId)).map((p) => p.title);

  const backlinks = async (wikiId: string, pageId: string): Promise<string[]> => {
    const res = await call('GET', `/api/wiki/wikis/${wikiId}/pages/${pageId}/backlinks`, auth);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ items: { id: string }[] }>().items.map((p) => p.id);
  };

  const link = (wikiId: string, pageId: string, text = 'lien') =>
    `<a href="/wiki/${wikiId}/pages/${pageId}">${text}</a>`;

  const pagePath = (wikiId: string, pageId: string) => `/api/wiki/wikis/${wikiId}/pages/${pageId}`;

  const wikiNotifications = async (user: User) =>
    (await s.t.runtime.platform.timeline.list(user.id, { limit: 50 })).items.filter(
      (n) => n.messageKey === 'wiki.page.created',
    );

  it('creates wikis (201 with the fields given) and lists mine, not those of others', async () => {
    const res = await call('POST', '/api/wiki/wikis', auth, {
      title: '  Histoire - 5e B ',
      description: 'Le cours',
    });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({
      title: 'Histoire - 5e B',
      description: 'Le cours',
      ownerId: teacher.id,
      ownerName: teacher.displayName,
      access: 'owner',
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    const bare = await call('POST', '/api/wiki/wikis', auth, { title: 'Sans description' });
    expect(bare.json().description).toBe('');

    const list = await call('GET', '/api/wiki/wikis', auth);
    expect(list.statusCode).toBe(200);
    const ids = list.json().items.map((w: { id: string }) => w.id);
    expect(ids).toEqual(expect.arrayContaining([created.id, bare.json().id]));

    const other = await headersOf(await makeUser(s.t.runtime.platform, 'Teacher'));
    const theirs = await call('GET', '/api/wiki/wikis', other);
    expect(theirs.json().items).toEqual([]);
    expect((await call('GET', `/api/wiki/wikis/${created.id}`, other)).statusCode).toBe(404);

    const get = await call('GET', `/api/wiki/wikis/${created.id}`, auth);
    expect(get.json()).toEqual(created);
    const patched = await call('PATCH', `/api/wiki/wikis/${created.id}`, auth, {
      title: 'Histoire',
    });
    expect(patched.json()).toMatchObject({ title: 'Histoire', description: 'Le cours' });

    for (const body of [{ title: '   ' }, { title: 'x', extra: 1 }, {}]) {
      const bad = await call('POST', '/api/wiki/wikis', auth, body);
      expect(bad.statusCode, JSON.stringify(body)).toBe(400);
      expect(bad.json().error.code).toBe('invalid_request');
    }
  });

  it('publishes the wiki routes in a valid OpenAPI document', async () => {
    const res = await call('GET', '/api/openapi.json', auth);
    const doc = res.json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/wiki/wikis',
        '/api/wiki/wikis/{id}/pages',
        '/api/wiki/wikis/{id}/pages/{pageId}/backlinks',
        '/api/wiki/wikis/{id}/pages/{pageId}/revisions/{revisionId}/restore',
        '/api/wiki/wikis/{id}/shares',
      ]),
    );
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy();
  });

  it('lists pages as a tree: parents first, siblings by order then title', async () => {
    const w = await newWiki('Arbre');
    const c2 = await newPage(w, { title: 'Chapitre 2' });
    const c10 = await newPage(w, { title: 'Chapitre 10' });
    const intro = await newPage(w, { title: 'Introduction', order: 0 });
    const exercices = await newPage(w, { title: 'Exercices', parentId: c10.id });
    const corriges = await newPage(w, { title: 'Corrigés', parentId: c10.id });
    const annexe = await newPage(w, { title: 'Annexe', parentId: c10.id, order: 1 });
    const detail = await newPage(w, { title: 'Détail', parentId: exercices.id });
    expect([c2.order, c10.order, intro.order, exercices.order, corriges.order]).toEqual([
      0, 1, 0, 0, 1,
    ]);
    expect(detail).toMatchObject({
      wikiId: w,
      parentId: exercices.id,
      content: '<p>Détail</p>',
      authorId: teacher.id,
      authorName: teacher.displayName,
    });

    const list = await pages(w);
    expect(list.map((p) => p.title)).toEqual([
      'Chapitre 2',
      'Introduction',
      'Chapitre 10',
      'Exercices',
      'Détail',
      'Annexe',
      'Corrigés',
    ]);
    expect(list.find((p) => p.id === annexe.id)).toMatchObject({ parentId: c10.id, order: 1 });

    // Moving: a new order among the same siblings, then a new parent (appended there).
    const moved = await call('PATCH', pagePath(w, intro.id), auth, { order: 5 });
    expect(moved.statusCode).toBe(200);
    const toRoot = await call('PATCH', pagePath(w, corriges.id), auth, { parentId: null });
    expect(toRoot.json()).toMatchObject({ parentId: null, order: 6 });
    expect(await titlesOf(w)).toEqual([
      'Chapitre 2',
      'Chapitre 10',
      'Exercices',
      'Détail',
      'Annexe',
      'Introduction',
      'Corrigés',
    ]);
    // A move is not an edit: no revision.
    const revisions = await call('GET', `${pagePath(w, intro.id)}/revisions`, auth);
    expect(revisions.json().items).toEqual([]);
  });

  it('records the links between pages and answers what links here', async () => {
    const w = await newWiki('Liens');
    const other = await newWiki('Autre');
    const elsewhere = await newPage(other, { title: 'Ailleurs' });
    const t1 = await newPage(w, { title: 'Cible 1' });
    const t2 = await newPage(w, { title: 'Cible 2' });
    const content =
      `<p>${link(w, t1.id)} et <a href="/wiki/${w}/pages/${t2.id}#section">la suite</a>, ` +
      `${link(other, elsewhere.id)}, ${link(w, '0190aaaa-0000-7000-8000-000000000000')}, ` +
      `<a href="https://example.org/wiki/${w}/pages/${t1.id}">externe</a>, ` +
      `et du texte: href="/wiki/${w}/pages/${t2.id}"</p>`;
    const p = await newPage(w, { title: 'Sommaire', content });
    // Page links are kept through the sanitiser.
    expect(p.content).toContain(`<a href="/wiki/${w}/pages/${t1.id}">lien</a>`);
    expect(p.content).toContain(`<a href="/wiki/${w}/pages/${t2.id}#section">`);
    const recorded = async (pageId: string) =>
      (
        await s.t.runtime.db.kysely
          .selectFrom('wiki_page_links')
          .select(['target_id', 'wiki_id'])
          .where('page_id', '=', pageId)
          .orderBy('target_id')
          .execute()
      ).map((r) => r.target_id);
    expect(await recorded(p.id)).toEqual([t1.id, t2.id].sort());
    expect(await backlinks(w, t1.id)).toEqual([p.id]);
    expect(await backlinks(w, t2.id)).toEqual([p.id]);
    expect(await backlinks(w, p.id)).toEqual([]);

    // Every write re-records them.
    const edit = await call('PATCH', pagePath(w, p.id), auth, {
      content: `<p>${link(w, t1.id)} seulement</p>`,
    });
    expect(edit.statusCode).toBe(200);
    expect(await backlinks(w, t2.id)).toEqual([]);
    const q = await newPage(w, { title: 'Autre sommaire', content: link(w, t1.id) });
    expect(await backlinks(w, t1.id)).toEqual([q.id, p.id]);

    // A deleted target: the link stays in the HTML, backlinks and the table forget it.
    expect((await call('DELETE', pagePath(w, t1.id), auth)).statusCode).toBe(204);
    const after = await call('GET', pagePath(w, p.id), auth);
    expect(after.json().content).toContain(`href="/wiki/${w}/pages/${t1.id}"`);
    expect(await recorded(p.id)).toEqual([]);
    expect(
      await s.t.runtime.db.kysely
        .selectFrom('wiki_page_links')
        .select('page_id')
        .where('target_id', '=', t1.id)
        .execute(),
    ).toEqual([]);
    const gone = await call('GET', `${pagePath(w, t1.id)}/backlinks`, auth);
    expect(gone.statusCode).toBe(404);
  });

  it('keeps every previous version as a revision, and restores one as a new revision', async () => {
    const w = await newWiki('Révisions');
    const contributor = await makeUser(s.t.runtime.platform, 'Student');
    const share = await call('POST', `/api/wiki/wikis/${w}/shares`, auth, {
      login: contributor.login,
      right: 'contrib',
    });
    expect(share.statusCode).toBe(200);
    const c = await headersOf(contributor);
    const page = await newPage(w, { title: 'Photosynthèse', content: '<p>v1</p>' });
    const url = pagePath(w, page.id);
    const revisionsOf = async () => {
      const res = await call('GET', `${url}/revisions`, c);
      expect(res.statusCode, res.body).toBe(200);
      return res.json().items as {
        id: string;
        title: string;
        authorId: string;
        content?: string;
      }[];
    };

    expect((await call('PATCH', url, auth, { content: '<p>v2</p>' })).statusCode).toBe(200);
    const renamed = await call('PATCH', url, c, { title: 'La photosynthèse' });
    expect(renamed.json()).toMatchObject({
      title: 'La photosynthèse',
      content: '<p>v2</p>',
      authorId: contributor.id,
    });
    // Nothing changed, or only the place: no revision.
    await call('PATCH', url, auth, { content: '<p>v2</p>' });
    await call('PATCH', url, auth, { order: 3 });

    const list = await revisionsOf();
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ title: 'Photosynthèse', authorId: teacher.id });
    expect(list[0]).not.toHaveProperty('content');
    expect(list[1]).toMatchObject({ title: 'Photosynthèse', authorId: teacher.id });
    const [second, first] = list;
    const one = await call('GET', `${url}/revisions/${first!.id}`, c);
    expect(one.json()).toMatchObject({ title: 'Photosynthèse', content: '<p>v1</p>' });
    const two = await call('GET', `${url}/revisions/${second!.id}`, c);
    expect(two.json().content).toBe('<p>v2</p>');

    const restored = await call('POST', `${url}/revisions/${first!.id}/restore`, c);
    expect(restored.statusCode, restored.body).toBe(200);
    expect(restored.json()).toMatchObject({
      title: 'Photosynthèse',
      content: '<p>v1</p>',
      authorId: contributor.id,
      order: 3,
    });
    const now = await revisionsOf();
    expect(now).toHaveLength(3);
    expect(now[0]).toMatchObject({ title: 'La photosynthèse', authorId: contributor.id });
    const newest = await call('GET', `${url}/revisions/${now[0]!.id}`, c);
    expect(newest.json().content).toBe('<p>v2</p>');

    // A revision belongs to its page.
    const elsewhere = await newPage(w, { title: 'Autre' });
    const wrong = await call('GET', `${pagePath(w, elsewhere.id)}/revisions/${first!.id}`, auth);
    expect(wrong.statusCode).toBe(404);
    const wrongRestore = await call(
      'POST',
      `${pagePath(w, elsewhere.id)}/revisions/${first!.id}/restore`,
      auth,
    );
    expect(wrongRestore.statusCode).toBe(404);
  });

  it('refuses cycles and parents from elsewhere (400), and moves pages otherwise', async () => {
    const w = await newWiki('Cycles');
    const other = await newWiki('Autre');
    const foreign = await newPage(other, { title: 'Étrangère' });
    const a = await newPage(w, { title: 'A' });
    const b = await newPage(w, { title: 'B', parentId: a.id });
    const c = await newPage(w, { title: 'C', parentId: b.id });
    for (const parentId of [c.id, b.id, a.id, foreign.id, '0190aaaa-0000-7000-8000-000000000000']) {
      const res = await call('PATCH', pagePath(w, a.id), auth, { parentId });
      expect(res.statusCode, parentId).toBe(400);
      expect(res.json().error.code).toBe('invalid_request');
    }
    const create = await call('POST', `/api/wiki/wikis/${w}/pages`, auth, {
      title: 'X',
      content: '',
      parentId: foreign.id,
    });
    expect(create.statusCode).toBe(400);
    expect(await titlesOf(w)).toEqual(['A', 'B', 'C']);
    expect((await pages(w)).find((p) => p.id === a.id)?.parentId).toBeNull();

    const up = await call('PATCH', pagePath(w, c.id), auth, { parentId: null });
    expect(up.json().parentId).toBeNull();
    const under = await call('PATCH', pagePath(w, a.id), auth, { parentId: c.id });
    expect(under.statusCode).toBe(200);
    expect(await titlesOf(w)).toEqual(['C', 'A', 'B']);
  });

  it('refuses to delete a page with sub-pages (409) unless recursive', async () => {
    const w = await newWiki('Suppression');
    const parent = await newPage(w, { title: 'Parent' });
    const child = await newPage(w, { title: 'Enfant', parentId: parent.id });
    const grandchild = await newPage(w, { title: 'Petit-enfant', parentId: child.id });
    const keeper = await newPage(w, { title: 'Reste', content: link(w, grandchild.id) });
    await call('PATCH', pagePath(w, child.id), auth, { content: '<p>modifié</p>' });

    const refused = await call('DELETE', pagePath(w, parent.id), auth);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('conflict');
    expect(await titlesOf(w)).toEqual(['Parent', 'Enfant', 'Petit-enfant', 'Reste']);

    const done = await call('DELETE', `${pagePath(w, parent.id)}?recursive=true`, auth);
    expect(done.statusCode).toBe(204);
    expect(await titlesOf(w)).toEqual(['Reste']);
    for (const id of [parent.id, child.id, grandchild.id]) {
      expect((await call('GET', pagePath(w, id), auth)).statusCode).toBe(404);
    }
    const revisions = await s.t.runtime.db.kysely
      .selectFrom('wiki_revisions')
      .select('id')
      .where('page_id', '=', child.id)
      .execute();
    expect(revisions).toEqual([]);
    const kept = await call('GET', pagePath(w, keeper.id), auth);
    expect(kept.json().content).toContain(grandchild.id);
    // A leaf needs no flag.
    expect((await call('DELETE', pagePath(w, keeper.id), auth)).statusCode).toBe(204);
  });

  it('shares a wiki with a class: read, then contrib, then manage; others get 404', async () => {
    const platform = s.t.runtime.platform;
    const pupil = await makeUser(platform, 'Student');
    const outsider = await makeUser(platform, 'Student');
    const group = await platform.accounts.createGroup('Collège Test', `6e C ${teacher.login}`);
    await platform.accounts.addMember(group.id, pupil.login);
    const w = await newWiki('Cours partagé');
    const page = await newPage(w, { title: 'Leçon 1' });
    await call('PATCH', pagePath(w, page.id), auth, { content: '<p>Leçon 1 bis</p>' });

    const share = await call('POST', `/api/wiki/wikis/${w}/shares`, auth, {
      group: group.id,
      right: 'read',
    });
    expect(share.statusCode).toBe(200);
    expect(share.json().items).toEqual([
      {
        grantee: { kind: 'group', id: group.id, name: `${group.name} (Collège Test)` },
        right: 'read',
      },
    ]);

    const p = await headersOf(pupil);
    const o = await headersOf(outsider);
    const listed = await call('GET', '/api/wiki/wikis', p);
    expect(listed.json().items).toEqual([
      expect.objectContaining({ id: w, access: 'read', ownerId: teacher.id }),
    ]);
    const revisions = await call('GET', `${pagePath(w, page.id)}/revisions`, p);
    const revisionId = revisions.json().items[0].id as string;
    const readable = [
      `/api/wiki/wikis/${w}`,
      `/api/wiki/wikis/${w}/pages`,
      pagePath(w, page.id),
      `${pagePath(w, page.id)}/revisions`,
      `${pagePath(w, page.id)}/revisions/${revisionId}`,
      `${pagePath(w, page.id)}/backlinks`,
    ];
    for (const url of readable) {
      expect((await call('GET', url, p)).statusCode, url).toBe(200);
      expect((await call('GET', url, o)).statusCode, url).toBe(404);
    }
    expect((await call('GET', '/api/wiki/wikis', o)).json().items).toEqual([]);
    expect((await call('PATCH', pagePath(w, page.id), o, { title: 'x' })).statusCode).toBe(404);

    // Read is not write.
    const writes: [Method, string, object?][] = [
      ['PATCH', pagePath(w, page.id), { content: '<p>piraté</p>' }],
      ['POST', `/api/wiki/wikis/${w}/pages`, { title: 'Nouvelle', content: '' }],
      ['POST', `${pagePath(w, page.id)}/revisions/${revisionId}/restore`],
      ['DELETE', pagePath(w, page.id)],
      ['PATCH', `/api/wiki/wikis/${w}`, { title: 'À moi' }],
      ['GET', `/api/wiki/wikis/${w}/shares`],
      ['POST', `/api/wiki/wikis/${w}/shares`, { login: outsider.login, right: 'read' }],
      ['DELETE', `/api/wiki/wikis/${w}`],
    ];
    for (const [method, url, body] of writes) {
      const res = await call(method, url, p, body);
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json().error.code).toBe('forbidden');
    }
    expect((await call('GET', pagePath(w, page.id), auth)).json().content).toBe(
      '<p>Leçon 1 bis</p>',
    );

    // contrib: writes pages, but neither deletes them nor edits the wiki.
    await call('POST', `/api/wiki/wikis/${w}/shares`, auth, { group: group.id, right: 'contrib' });
    const created = await call('POST', `/api/wiki/wikis/${w}/pages`, p, {
      title: 'Ma contribution',
      content: '<p>Bonjour</p>',
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().authorId).toBe(pupil.id);
    expect((await call('PATCH', pagePath(w, page.id), p, { title: 'Leçon 1' })).statusCode).toBe(
      200,
    );
    expect((await call('DELETE', pagePath(w, created.json().id), p)).statusCode).toBe(403);
    expect((await call('PATCH', `/api/wiki/wikis/${w}`, p, { title: 'x' })).statusCode).toBe(403);

    // manage: deletes pages, edits the wiki and its shares; only the owner deletes the wiki.
    await call('POST', `/api/wiki/wikis/${w}/shares`, auth, { group: group.id, right: 'manage' });
    expect((await call('DELETE', pagePath(w, created.json().id), p)).statusCode).toBe(204);
    expect((await call('PATCH', `/api/wiki/wikis/${w}`, p, { title: 'Cours' })).statusCode).toBe(
      200,
    );
    expect((await call('GET', `/api/wiki/wikis/${w}/shares`, p)).statusCode).toBe(200);
    expect((await call('DELETE', `/api/wiki/wikis/${w}`, p)).statusCode).toBe(403);

    const unshare = await call('DELETE', `/api/wiki/wikis/${w}/shares/group/${group.id}`, auth);
    expect(unshare.statusCode).toBe(204);
    expect((await call('GET', `/api/wiki/wikis/${w}`, p)).statusCode).toBe(404);

    // The owner deletes the wiki with its pages and shares.
    await call('POST', `/api/wiki/wikis/${w}/shares`, auth, { group: group.id, right: 'read' });
    expect((await call('DELETE', `/api/wiki/wikis/${w}`, auth)).statusCode).toBe(204);
    expect((await call('GET', `/api/wiki/wikis/${w}`, auth)).statusCode).toBe(404);
    const leftovers = await s.t.runtime.db.kysely
      .selectFrom('wiki_pages')
      .select('id')
      .where('wiki_id', '=', w)
      .execute();
    expect(leftovers).toEqual([]);
    expect(await platform.sharing.sharesOf({ app: 'wiki', type: 'wiki', id: w })).toEqual([]);
  });

  it('refuses to create a wiki without the wiki.create right (403) or a session (401)', async () => {
    const parent = await makeUser(s.t.runtime.platform, 'Relative');
    const res = await call('POST', '/api/wiki/wikis', await headersOf(parent), { title: 'Moi' });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('forbidden');
    const revoked = await makeUser(s.t.runtime.platform, 'Student');
    const g = await s.t.runtime.platform.accounts.createGroup(
      'Collège Test',
      `nw ${revoked.login}`,
    );
    await s.t.runtime.platform.accounts.addMember(g.id, revoked.login);
    await s.t.runtime.platform.accounts.setGroupRight(g.id, 'wiki.create', 'revoke');
    const denied = await call('POST', '/api/wiki/wikis', await headersOf(revoked), { title: 'x' });
    expect(denied.statusCode).toBe(403);
    const anonymous = await s.app.inject({
      method: 'POST',
      url: '/api/wiki/wikis',
      payload: { title: 'x' },
    });
    expect(anonymous.statusCode).toBe(401);
    expect((await call('GET', '/api/wiki/wikis', await headersOf(parent))).json().items).toEqual(
      [],
    );
  });

  it('sanitises page HTML on every write, keeping links to pages', async () => {
    const w = await newWiki('XSS');
    const target = await newPage(w, { title: 'Cible' });
    // Before the payload: an unclosed <style> or <textarea> rightly swallows what follows.
    const kept = link(w, target.id, 'voir la page');
    for (const payload of XSS_PAYLOADS) {
      const created = await call('POST', `/api/wiki/wikis/${w}/pages`, auth, {
        title: 'Piège',
        content: `<p>${kept}</p>${payload}`,
      });
      expect(created.statusCode, payload).toBe(201);
      const page: PageJson = created.json();
      expectInert(page.content);
      expect(page.content, payload).toContain(kept);
      const stored = await call('GET', pagePath(w, page.id), auth);
      expectInert(stored.json().content);

      const edited = await call('PATCH', pagePath(w, page.id), auth, {
        content: `<p>${kept}</p><p>modifié</p>${payload}`,
      });
      expectInert(edited.json().content);
      expect(edited.json().content).toContain(kept);
    }
    const backlinked = await backlinks(w, target.id);
    expect(backlinked).toHaveLength(XSS_PAYLOADS.length);
  });

  it('tells the readers of a shared wiki in their timeline when a page is created', async () => {
    const platform = s.t.runtime.platform;
    const pupil = await makeUser(platform, 'Student');
    const direct = await makeUser(platform, 'Teacher');
    const outsider = await makeUser(platform, 'Student');
    const group = await platform.accounts.createGroup('Collège Test', `6e D ${teacher.login}`);
    await platform.accounts.addMember(group.id, pupil.login);

    // Not shared: nobody to tell.
    const alone = await newWiki('Brouillons');
    await newPage(alone, { title: 'Idée' });
    const ownBefore = (await wikiNotifications(teacher)).length;

    const w = await newWiki('Sciences');
    await call('POST', `/api/wiki/wikis/${w}/shares`, auth, { group: group.id, right: 'read' });
    await call('POST', `/api/wiki/wikis/${w}/shares`, auth, {
      login: direct.login,
      right: 'contrib',
    });
    const page = await newPage(w, { title: 'Les volcans' });
    const expected = {
      type: 'wiki',
      messageKey: 'wiki.page.created',
      params: { wiki: 'Sciences', title: 'Les volcans', author: teacher.displayName },
      link: `/wiki/${w}/pages/${page.id}`,
    };
    expect(await wikiNotifications(pupil)).toEqual([expect.objectContaining(expected)]);
    expect(await wikiNotifications(direct)).toEqual([expect.objectContaining(expected)]);
    expect(await wikiNotifications(outsider)).toEqual([]);
    expect(await wikiNotifications(teacher)).toHaveLength(ownBefore);

    // A contributor's page is news for the owner too.
    const byDirect = await newPage(w, { title: 'Le séisme' }, await headersOf(direct));
    const ownerSees = await wikiNotifications(teacher);
    expect(ownerSees).toHaveLength(ownBefore + 1);
    expect(ownerSees[0]).toMatchObject({
      params: { wiki: 'Sciences', title: 'Le séisme', author: direct.displayName },
      link: `/wiki/${w}/pages/${byDirect.id}`,
    });
    expect(await wikiNotifications(direct)).toHaveLength(1);
    expect(await wikiNotifications(pupil)).toHaveLength(2);
  });

  it('seeds the demo wikis once: the class course (shared read) and the pupil’s sheets', async () => {
    const platform = s.t.runtime.platform;
    const demoTeacher = await makeUser(platform, 'Teacher');
    const student = await makeUser(platform, 'Student');
    const group = await platform.accounts.createGroup('Collège Test', `6e A ${demoTeacher.login}`);
    await platform.accounts.addMember(group.id, student.login);
    const users = { teacher: demoTeacher, student, classGroupId: group.id };
    await seedWikiDemo(s.t.runtime, users);
    await seedWikiDemo(s.t.runtime, users);

    const t = await headersOf(demoTeacher);
    const st = await headersOf(student);
    const teacherWikis = (await call('GET', '/api/wiki/wikis', t)).json().items;
    expect(teacherWikis.map((x: { title: string }) => x.title)).toEqual([DEMO_CLASS_WIKI]);
    const course = teacherWikis[0].id as string;
    const studentWikis = (await call('GET', '/api/wiki/wikis', st)).json().items;
    expect(studentWikis.map((x: { title: string; access: string }) => [x.title, x.access])).toEqual(
      [
        [DEMO_CLASS_WIKI, 'read'],
        [DEMO_STUDENT_WIKI, 'owner'],
      ],
    );

    const list = await pages(course, st);
    expect(list.map((p) => p.title)).toEqual(['Accueil', 'Les volcans', "Le cycle de l'eau"]);
    const [home, volcans, eau] = list;
    expect(volcans!.parentId).toBe(home!.id);
    expect(eau!.parentId).toBe(home!.id);
    expect(home!.content).toContain(`href="/wiki/${course}/pages/${volcans!.id}"`);
    for (const child of [volcans!, eau!]) {
      const res = await call('GET', `${pagePath(course, child.id)}/backlinks`, st);
      expect(res.json().items.map((p: { id: string }) => p.id)).toEqual([home!.id]);
    }
    const revisionCount = async (pageId: string) =>
      (await call('GET', `${pagePath(course, pageId)}/revisions`, st)).json<{ items: unknown[] }>()
        .items.length;
    expect(await revisionCount(volcans!.id)).toBe(2);
    expect(await revisionCount(eau!.id)).toBe(0);
    expect(await revisionCount(home!.id)).toBe(0);
    const own = studentWikis[1].id as string;
    expect(await pages(own, st)).toHaveLength(1);
    // Shared with the class for reading only.
    const write = await call('POST', `/api/wiki/wikis/${course}/pages`, st, {
      title: 'x',
      content: '',
    });
    expect(write.statusCode).toBe(403);
  });
});
