import { verify } from '@node-rs/argon2';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestRuntime, type TestRuntime } from '../../test/support/test-runtime.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import { makeUser, TEST_PASSWORD } from '../../test/support/factories.ts';
import { buildServer } from '../http/server.ts';
import { AppError } from '../errors.ts';
import { AuthService } from './auth.service.ts';
import type { Platform } from './platform.ts';
import { platformRoutes } from './platform.routes.ts';

// argon2 as it is, its verification watched: the work a login does is counted, not timed.
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const real = await importOriginal<typeof import('@node-rs/argon2')>();
  return { ...real, verify: vi.fn(real.verify) };
});

/** The algorithm and cost of a PHC argon2 hash (`$argon2id$v=19$m=19456,t=2,p=1`). */
const argon2Cost = (phc: string | Uint8Array): string =>
  String(phc).split('$').slice(1, 4).join('$');

describe.each(testDbKinds())('ENT platform on %s', (kind) => {
  let t: TestRuntime;
  let app: FastifyInstance;
  let platform: Platform;
  const origin = 'http://localhost:80';

  beforeAll(async () => {
    t = await createTestRuntime(kind);
    platform = t.runtime.platform;
    app = await buildServer({
      config: t.config,
      log: pino({ level: 'silent' }),
      health: {
        database: async () => undefined,
        blobStore: async () => undefined,
        queue: async () => undefined,
      },
      auth: platform.auth,
      routes: [platformRoutes({ platform, config: t.config })],
      webRoot: '/nonexistent',
    });
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    await t.destroy();
  });

  const login = async (
    userLogin: string,
    password = TEST_PASSWORD,
    headers: Record<string, string> = {},
  ) =>
    app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { login: userLogin, password },
      headers: { origin, ...headers },
      remoteAddress: headers['x-test-ip'] ?? '10.0.0.1',
    });

  const cookieOf = (res: { cookies: { name: string; value: string }[] }) => {
    const c = res.cookies.find((x) => x.name === 'md_session');
    if (c === undefined) throw new Error('no session cookie');
    return `md_session=${c.value}`;
  };

  describe('login', () => {
    it('logs in and sets an HttpOnly, SameSite=Lax session cookie; /api/me answers', async () => {
      const u = await makeUser(platform, 'Teacher');
      const res = await login(u.login);
      expect(res.statusCode).toBe(200);
      expect(res.json().user).toEqual({
        id: u.id,
        login: u.login,
        displayName: u.displayName,
        profile: 'Teacher',
      });
      const setCookie = String(res.headers['set-cookie']);
      expect(setCookie).toMatch(/HttpOnly/i);
      expect(setCookie).toMatch(/SameSite=Lax/i);
      expect(setCookie).not.toMatch(/Secure/i); // plain http here
      const me = await app.inject({
        method: 'GET',
        url: '/api/me',
        headers: { cookie: cookieOf(res) },
      });
      expect(me.statusCode).toBe(200);
      expect(me.json().user.login).toBe(u.login);
      expect(me.json().rights).toContain('news.create');
      expect(me.json().quota).toEqual({ used: 0, total: t.config.quotaByProfile.Teacher });
    });

    it('answers the same 401 for a wrong password, an unknown login and a disabled account, after the same argon2 work', async () => {
      const u = await makeUser(platform);
      const off = await makeUser(platform);
      await platform.accounts.setDisabled(off.login, true);
      const verifications = vi.mocked(verify);
      /** The argon2 verifications one login attempt ran: the cost of each and the password. */
      const workOf = async (userLogin: string, ip: string) => {
        verifications.mockClear();
        const res = await login(userLogin, 'wrong password', { 'x-test-ip': ip });
        expect(res.statusCode).toBe(401);
        const work = verifications.mock.calls.map(([hash, password]) => ({
          cost: argon2Cost(hash),
          password: String(password),
        }));
        return { body: res.body, work };
      };
      const wrong = await workOf(u.login, '10.1.0.1');
      const unknown = await workOf(`nobody.${u.login}`, '10.2.0.1');
      const disabled = await workOf(off.login, '10.3.0.1');
      const body = JSON.stringify({
        error: { code: 'invalid_credentials', message: 'Wrong login or password' },
      });
      expect([wrong.body, unknown.body, disabled.body]).toEqual([body, body, body]);
      // Exactly one verification each, at the cost of real password hashes: an unknown login
      // is not answered faster than a wrong password.
      expect(wrong.work).toEqual([
        {
          cost: expect.stringMatching(/^argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+$/),
          password: 'wrong password',
        },
      ]);
      expect(unknown.work).toEqual(wrong.work);
      expect(disabled.work).toEqual(wrong.work);
    });

    it('slows repeated failures on one login from the addresses that failed, even with the right password then', async () => {
      const u = await makeUser(platform);
      for (let i = 0; i < 10; i++) {
        expect((await login(u.login, 'nope', { 'x-test-ip': `10.3.${i}.1` })).statusCode).toBe(401);
      }
      const blocked = await login(u.login, TEST_PASSWORD, { 'x-test-ip': '10.3.0.1' });
      expect(blocked.statusCode).toBe(429);
      expect(blocked.json().error.code).toBe('rate_limited');
      // An address that never failed is not held: the account is slowed, not locked.
      const fresh = await login(u.login, TEST_PASSWORD, { 'x-test-ip': '10.3.99.1' });
      expect(fresh.statusCode).toBe(200);
    });

    it('refuses a disabled account like a wrong password, and ends its sessions', async () => {
      const u = await makeUser(platform);
      const before = await login(u.login);
      await platform.accounts.setDisabled(u.login, true);
      const me = await app.inject({
        method: 'GET',
        url: '/api/me',
        headers: { cookie: cookieOf(before) },
      });
      expect(me.statusCode).toBe(401);
      const res = await login(u.login);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('invalid_credentials');
    });

    it('logs out', async () => {
      const u = await makeUser(platform);
      const cookie = cookieOf(await login(u.login));
      const out = await app.inject({
        method: 'POST',
        url: '/api/auth/logout',
        headers: { cookie, origin },
      });
      expect(out.statusCode).toBe(204);
      const me = await app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
      expect(me.statusCode).toBe(401);
      expect(me.json().error.code).toBe('unauthenticated');
    });
  });

  describe('sessions expire', () => {
    it('after the idle time, and after the absolute time even when active', async () => {
      let now = 1_000_000;
      const clock = { now: () => now };
      const auth = new AuthService({
        db: t.runtime.db,
        clock,
        config: { sessions: { idleMs: 60 * 60_000, maxAgeMs: 3 * 60 * 60_000 } },
      });
      const u = await makeUser(platform);
      const idle = await auth.login(u.login, TEST_PASSWORD, '10.9.0.1');
      now += 59 * 60_000;
      expect(await auth.resolveSession(idle.token)).toBeDefined(); // touched: idle restarts
      now += 59 * 60_000;
      expect(await auth.resolveSession(idle.token)).toBeDefined();
      now += 61 * 60_000;
      expect(await auth.resolveSession(idle.token)).toBeUndefined();

      const active = await auth.login(u.login, TEST_PASSWORD, '10.9.0.1');
      for (let i = 0; i < 6; i++) {
        now += 30 * 60_000;
        const alive = await auth.resolveSession(active.token);
        expect(alive === undefined).toBe(i === 5); // 3 h absolute limit
      }
    });
  });

  describe('CSRF', () => {
    it('refuses a cookie-authenticated change without Origin or from another site', async () => {
      const u = await makeUser(platform);
      const cookie = cookieOf(await login(u.login));
      const none = await app.inject({
        method: 'POST',
        url: '/api/timeline/read',
        headers: { cookie },
        payload: {},
      });
      expect(none.statusCode).toBe(403);
      expect(none.json().error.code).toBe('csrf');
      const foreign = await app.inject({
        method: 'POST',
        url: '/api/timeline/read',
        headers: { cookie, origin: 'https://evil.example' },
        payload: {},
      });
      expect(foreign.statusCode).toBe(403);
      const badReferer = await app.inject({
        method: 'POST',
        url: '/api/timeline/read',
        headers: { cookie, referer: 'https://evil.example/page' },
        payload: {},
      });
      expect(badReferer.statusCode).toBe(403);
      const same = await app.inject({
        method: 'POST',
        url: '/api/timeline/read',
        headers: { cookie, origin },
        payload: {},
      });
      expect(same.statusCode).toBe(200);
      const referer = await app.inject({
        method: 'POST',
        url: '/api/timeline/read',
        headers: { cookie, referer: `${origin}/timeline` },
        payload: {},
      });
      expect(referer.statusCode).toBe(200);
    });

    it('refuses a login form posted from another site', async () => {
      const u = await makeUser(platform);
      const res = await login(u.login, TEST_PASSWORD, { origin: 'https://evil.example' });
      expect(res.statusCode).toBe(403);
    });
  });

  describe('API tokens', () => {
    it('authenticate with Bearer (no Origin needed) until revoked', async () => {
      const u = await makeUser(platform);
      const { token, id } = await platform.auth.createToken(u.id, 'script');
      expect(token).toMatch(/^mdt_[A-Za-z0-9_-]{43}$/);
      const headers = { authorization: `Bearer ${token}` };
      expect((await app.inject({ method: 'GET', url: '/api/me', headers })).json().user.id).toBe(
        u.id,
      );
      const post = await app.inject({
        method: 'POST',
        url: '/api/timeline/read',
        headers,
        payload: {},
      });
      expect(post.statusCode).toBe(200);
      const stored = await t.runtime.db.kysely
        .selectFrom('api_tokens')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(stored.token_hash).not.toContain(token.slice(4));
      await platform.auth.revokeToken(id);
      const after = await app.inject({ method: 'GET', url: '/api/me', headers });
      expect(after.statusCode).toBe(401);
      const garbage = await app.inject({
        method: 'GET',
        url: '/api/me',
        headers: { authorization: 'Bearer mdt_nope' },
      });
      expect(garbage.statusCode).toBe(401);
    });
  });

  describe('rights', () => {
    it('follow the profile defaults', async () => {
      const rightsOf = async (profile: 'Student' | 'Teacher' | 'Relative' | 'Personnel') =>
        platform.accounts.rightsOf(await makeUser(platform, profile));
      const student = await rightsOf('Student');
      expect(student).toContain('blog.create');
      expect(student).toContain('archive.export');
      expect(student).not.toContain('news.create');
      expect(await rightsOf('Relative')).toEqual([
        'workspace.create',
        'archive.export',
        'archive.import',
      ]);
      expect(await rightsOf('Personnel')).toContain('news.create');
      expect(await rightsOf('Teacher')).toHaveLength(7);
    });

    it('are granted and revoked per group, a revoke winning', async () => {
      const s = await makeUser(platform, 'Student');
      const g1 = await platform.accounts.createGroup('École A', `g1-${s.login}`);
      const g2 = await platform.accounts.createGroup('École A', `g2-${s.login}`);
      await platform.accounts.addMember(g1.id, s.login);
      await platform.accounts.setGroupRight(g1.id, 'news.create', 'grant');
      expect(await platform.accounts.rightsOf(s)).toContain('news.create');
      await platform.accounts.addMember(g2.id, s.login);
      await platform.accounts.setGroupRight(g2.id, 'news.create', 'revoke');
      await platform.accounts.setGroupRight(g2.id, 'archive.import', 'revoke');
      const rights = await platform.accounts.rightsOf(s);
      expect(rights).not.toContain('news.create');
      expect(rights).not.toContain('archive.import');
      await expect(platform.accounts.requireRight(s, 'archive.import')).rejects.toMatchObject({
        code: 'forbidden',
        status: 403,
      });
    });

    it('shape the portal', async () => {
      const u = await makeUser(platform, 'Relative');
      const cookie = cookieOf(await login(u.login));
      const res = await app.inject({ method: 'GET', url: '/api/portal/apps', headers: { cookie } });
      expect(res.json().items.map((a: { id: string }) => a.id)).toContain('archive');
    });
  });

  describe('sharing', () => {
    it('gives a right through a group, and lists what is shared with me', async () => {
      const owner = await makeUser(platform, 'Teacher');
      const member = await makeUser(platform, 'Student');
      const outsider = await makeUser(platform, 'Student');
      const group = await platform.accounts.createGroup('École B', `classe-${owner.login}`);
      await platform.accounts.addMember(group.id, member.login);
      const doc = { app: 'workspace', type: 'folder', id: `f-${owner.id}` };
      await platform.sharing.share(owner.id, doc, { kind: 'group', id: group.id }, 'read');
      expect(await platform.sharing.rightOn(member.id, doc)).toBe('read');
      expect(await platform.sharing.rightOn(outsider.id, doc)).toBeUndefined();
      // A direct share with a higher right wins over the group's.
      await platform.sharing.share(owner.id, doc, { kind: 'user', id: member.id }, 'contrib');
      expect(await platform.sharing.rightOn(member.id, doc)).toBe('contrib');
      expect(await platform.sharing.sharedWith(member.id, 'workspace', 'folder')).toEqual([
        { resourceId: doc.id, ownerId: owner.id, right: 'contrib' },
      ]);
      expect(await platform.sharing.sharedWith(outsider.id, 'workspace', 'folder')).toEqual([]);
      // Re-sharing changes the right, it does not duplicate.
      await platform.sharing.share(owner.id, doc, { kind: 'group', id: group.id }, 'manage');
      expect(await platform.sharing.sharesOf(doc)).toHaveLength(2);
      expect(await platform.sharing.rightOn(member.id, doc)).toBe('manage');
      expect(await platform.sharing.unshare(doc, { kind: 'group', id: group.id })).toBe(true);
      expect(await platform.sharing.rightOn(member.id, doc)).toBe('contrib');
    });
  });

  describe('timeline', () => {
    it('lists newest first with an unread count, pages, and marks read', async () => {
      const u = await makeUser(platform);
      for (let i = 1; i <= 5; i++) {
        await platform.timeline.notify(u.id, {
          type: 'test',
          messageKey: 'share.received',
          params: { title: `doc ${i}`, from: 'X' },
          link: `/doc/${i}`,
        });
      }
      const cookie = cookieOf(await login(u.login));
      const first = await app.inject({
        method: 'GET',
        url: '/api/timeline?limit=3',
        headers: { cookie },
      });
      const body = first.json();
      expect(body.unreadCount).toBe(5);
      expect(body.items.map((n: { params: { title: string } }) => n.params.title)).toEqual([
        'doc 5',
        'doc 4',
        'doc 3',
      ]);
      expect(body.items[0]).toMatchObject({
        type: 'test',
        messageKey: 'share.received',
        link: '/doc/5',
        read: false,
      });
      const second = await app.inject({
        method: 'GET',
        url: `/api/timeline?limit=3&before=${body.nextCursor}`,
        headers: { cookie },
      });
      expect(second.json().items.map((n: { params: { title: string } }) => n.params.title)).toEqual(
        ['doc 2', 'doc 1'],
      );
      expect(second.json().nextCursor).toBeNull();
      const one = await app.inject({
        method: 'POST',
        url: '/api/timeline/read',
        headers: { cookie, origin },
        payload: { ids: [body.items[0].id] },
      });
      expect(one.json().unreadCount).toBe(4);
      const all = await app.inject({
        method: 'POST',
        url: '/api/timeline/read',
        headers: { cookie, origin },
        payload: {},
      });
      expect(all.json().unreadCount).toBe(0);
      const other = await makeUser(platform);
      expect((await platform.timeline.list(other.id, { limit: 10 })).items).toEqual([]);
      await expect(
        platform.timeline.notify(u.id, {
          type: 't',
          messageKey: 'k',
          link: 'https://evil.example',
        }),
      ).rejects.toBeInstanceOf(AppError);
    });
  });

  describe('quota', () => {
    it('charges within the total and refuses beyond it with 413 quota_exceeded', async () => {
      const u = await makeUser(platform, 'Student', { quota: 1000 });
      const db = t.runtime.db.kysely;
      await platform.quota.charge(db, u.id, 600);
      const error = await platform.quota.charge(db, u.id, 401).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'quota_exceeded', status: 413 });
      expect(await platform.quota.usage(u.id)).toEqual({ used: 600, total: 1000 });
      await platform.quota.charge(db, u.id, 400);
      await platform.quota.release(db, u.id, 250);
      expect(await platform.quota.usage(u.id)).toEqual({ used: 750, total: 1000 });
    });

    it('never exceeds the total under concurrent charges, and rolls back with the transaction', async () => {
      const u = await makeUser(platform, 'Student', { quota: 1000 });
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => platform.quota.charge(t.runtime.db.kysely, u.id, 300)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      expect((await platform.quota.usage(u.id)).used).toBe(900);
      await expect(
        t.runtime.db.kysely.transaction().execute(async (trx) => {
          await platform.quota.release(trx, u.id, 900);
          throw new Error('blob write failed');
        }),
      ).rejects.toThrow('blob write failed');
      expect((await platform.quota.usage(u.id)).used).toBe(900);
    });
  });
});
