import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser, TEST_PASSWORD } from '../../test/support/factories.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import { createTestServer, type TestServer } from '../../test/support/test-server.ts';

/**
 * The guards of `auth.ts` one by one (each found missing by mutation testing): Origin compared
 * exactly, PUBLIC_URL as the site's origin behind a proxy, the session cookie's attributes
 * (Secure on https), safe methods, bearer parsing, and refused requests counted by the limits.
 */

let nextAddress = 1;
/** A fresh client address: the per-address limits of one test never touch another's. */
const address = () => `10.8.${Math.floor(nextAddress / 250)}.${(nextAddress++ % 250) + 1}`;

/** The session cookie a login response set, parsed into its attributes. */
function sessionCookie(res: { headers: Record<string, unknown> }) {
  const raw = res.headers['set-cookie'];
  const line = (Array.isArray(raw) ? raw : [raw])
    .map(String)
    .find((c) => c.startsWith('md_session='));
  if (line === undefined) throw new Error(`no session cookie in ${String(raw)}`);
  const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
  return {
    pair,
    value: pair.slice('md_session='.length),
    attributes: new Map(
      attributes.map((a) => {
        const eq = a.indexOf('=');
        return eq < 0 ? [a.toLowerCase(), ''] : [a.slice(0, eq).toLowerCase(), a.slice(eq + 1)];
      }),
    ),
  };
}

describe.each(testDbKinds())('auth guards on %s', (kind) => {
  describe('without PUBLIC_URL (the site is the request host)', () => {
    let s: TestServer;
    let cookie: string;
    // Origin of `app.inject` requests: its Host header is localhost:80.
    const site = 'http://localhost:80';

    beforeAll(async () => {
      // A low per-address limit shows which refused requests are counted.
      s = await createTestServer(kind, 'local', { RATE_LIMIT_ADDRESS_MAX: '4' });
      const u = await makeUser(s.t.runtime.platform);
      cookie = (await s.login(u.login)).inject.cookie ?? '';
    });
    afterAll(() => s.close());

    const markRead = (headers: Record<string, string>, method: InjectOptions['method'] = 'POST') =>
      s.app.inject({
        method,
        url: '/api/timeline/read',
        headers: { cookie, ...headers },
        payload: {},
        remoteAddress: address(),
      });

    it('compares Origin exactly: look-alike hosts, other ports and schemes, null and garbage are refused', async () => {
      for (const origin of [
        'http://localhost.evil.example',
        'http://localhost:8080',
        'https://localhost',
        'http://evil.example',
        'http://localhost:80.evil.example',
        'null',
        'not a url',
      ]) {
        const res = await markRead({ origin });
        expect(res.statusCode, origin).toBe(403);
        expect(res.json(), origin).toEqual({
          error: { code: 'csrf', message: 'This request must come from a page of this site' },
        });
      }
      // The default port is the same origin, written or not.
      for (const origin of [site, 'http://localhost', 'HTTP://LOCALHOST'])
        expect((await markRead({ origin })).statusCode, origin).toBe(200);
    });

    it('takes Origin over Referer, and Referer when Origin is absent', async () => {
      expect(
        (await markRead({ origin: 'http://evil.example', referer: `${site}/timeline` })).statusCode,
      ).toBe(403);
      expect(
        (await markRead({ origin: site, referer: 'http://evil.example/page' })).statusCode,
      ).toBe(200);
      expect((await markRead({ referer: `${site}/timeline?x=1` })).statusCode).toBe(200);
      expect((await markRead({ referer: 'http://localhost.evil.example/' })).statusCode).toBe(403);
      expect((await markRead({})).statusCode).toBe(403);
    });

    it('lets safe methods through with a foreign Origin; checks the unsafe ones', async () => {
      const evil = { origin: 'http://evil.example' };
      for (const method of ['GET', 'HEAD', 'OPTIONS'] as const)
        expect((await markRead(evil, method)).statusCode, method).not.toBe(403);
      const me = await s.app.inject({
        method: 'GET',
        url: '/api/me',
        headers: { cookie, ...evil },
      });
      expect(me.statusCode).toBe(200);
      for (const method of ['PUT', 'PATCH', 'DELETE'] as const)
        expect((await markRead(evil, method)).statusCode, method).toBe(403);
    });

    it('needs no Origin from a client without cookie (nothing to forge), but refuses a foreign one', async () => {
      const u = await makeUser(s.t.runtime.platform);
      const login = (headers: Record<string, string>) =>
        s.app.inject({
          method: 'POST',
          url: '/api/auth/login',
          payload: { login: u.login, password: TEST_PASSWORD },
          headers,
          remoteAddress: address(),
        });
      expect((await login({})).statusCode).toBe(200);
      expect((await login({ origin: 'http://localhost.evil.example' })).statusCode).toBe(403);
      // An Origin that is not a URL is another site's too, cookie or not.
      expect((await login({ origin: 'not a url' })).statusCode).toBe(403);
    });

    it('leaves routes outside /api alone: no CSRF check, no caller', async () => {
      const res = await s.app.inject({
        method: 'POST',
        url: '/not-api',
        headers: { cookie, origin: 'http://evil.example', authorization: 'Bearer mdt_nope' },
        remoteAddress: address(),
      });
      expect(res.statusCode).toBe(404);
    });

    it('reads a bearer token in any case and spacing; a wrong one is 401, an unknown scheme is no token', async () => {
      const u = await makeUser(s.t.runtime.platform);
      const { token } = await s.t.runtime.platform.auth.createToken(u.id, 'script');
      for (const authorization of [`Bearer ${token}`, `bearer ${token}`, `BEARER   ${token}  `]) {
        const me = await s.app.inject({
          method: 'GET',
          url: '/api/me',
          headers: { authorization },
          remoteAddress: address(),
        });
        expect(me.statusCode, authorization).toBe(200);
        expect(me.json().user.id).toBe(u.id);
      }
      const wrong = await s.app.inject({
        method: 'GET',
        url: '/api/me',
        headers: { authorization: `Bearer ${token}x` },
        remoteAddress: address(),
      });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json()).toEqual({
        error: { code: 'unauthenticated', message: 'Invalid or revoked API token' },
      });
      // "Basic", a glued "Bearerx" or a scheme ending in "bearer" is not a bearer token: the
      // cookie decides.
      for (const authorization of [`Basic ${token}`, `Bearer${token}`, `XBearer ${token}`]) {
        const res = await s.app.inject({
          method: 'GET',
          url: '/api/me',
          headers: { authorization, cookie },
          remoteAddress: address(),
        });
        expect(res.statusCode, authorization).toBe(200);
        expect(res.json().user.id).not.toBe(u.id);
      }
    });

    it('answers 401 unauthenticated to a caller with no credential, or an unknown session', async () => {
      for (const headers of [{}, { cookie: 'md_session=forged' }]) {
        const res = await s.app.inject({
          method: 'GET',
          url: '/api/me',
          headers,
          remoteAddress: address(),
        });
        expect(res.statusCode).toBe(401);
        expect(res.json()).toEqual({
          error: { code: 'unauthenticated', message: 'Please log in' },
        });
      }
    });

    it('counts refused tokens and refused CSRF requests against the address', async () => {
      for (const headers of [
        { authorization: 'Bearer mdt_guess' },
        { cookie, origin: 'http://evil.example' },
      ]) {
        const from = address();
        const codes: number[] = [];
        for (let i = 0; i < 5; i++) {
          const res = await s.app.inject({
            method: 'POST',
            url: '/api/timeline/read',
            headers,
            payload: {},
            remoteAddress: from,
          });
          codes.push(res.statusCode);
        }
        expect(codes.slice(0, 4)).not.toContain(429);
        expect(codes[4]).toBe(429);
      }
    });

    it('sets an HttpOnly, SameSite=Lax, site-wide cookie for the session length, not Secure on http; logout clears it', async () => {
      const u = await makeUser(s.t.runtime.platform);
      const res = await s.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { login: u.login, password: TEST_PASSWORD },
        headers: { origin: site },
        remoteAddress: address(),
      });
      const c = sessionCookie(res);
      expect(c.attributes.get('path')).toBe('/');
      expect(c.attributes.has('httponly')).toBe(true);
      expect(c.attributes.get('samesite')).toBe('Lax');
      expect(c.attributes.get('max-age')).toBe(String(s.t.config.sessions.maxAgeMs / 1000));
      expect(c.attributes.has('secure')).toBe(false);
      const out = await s.app.inject({
        method: 'POST',
        url: '/api/auth/logout',
        headers: { cookie: c.pair, origin: site },
        remoteAddress: address(),
      });
      expect(out.statusCode).toBe(204);
      const cleared = sessionCookie(out);
      expect(cleared.value).toBe('');
      expect(cleared.attributes.get('path')).toBe('/');
      expect(new Date(cleared.attributes.get('expires') ?? '').getTime()).toBeLessThan(Date.now());
    });
  });

  describe('behind an https proxy (PUBLIC_URL=https://ent.example)', () => {
    let s: TestServer;

    beforeAll(async () => {
      s = await createTestServer(kind, 'local', { PUBLIC_URL: 'https://ent.example' });
    });
    afterAll(() => s.close());

    const login = async (origin: string) => {
      const u = await makeUser(s.t.runtime.platform);
      return s.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { login: u.login, password: TEST_PASSWORD },
        headers: { origin },
        remoteAddress: address(),
      });
    };

    it('takes PUBLIC_URL as the site: its origin passes, the host the proxy spoke to does not', async () => {
      const ok = await login('https://ent.example');
      expect(ok.statusCode).toBe(200);
      const cookie = sessionCookie(ok).pair;
      for (const origin of [
        'http://localhost:80',
        'http://ent.example',
        'https://ent.example.evil',
      ])
        expect((await login(origin)).statusCode, origin).toBe(403);
      const read = await s.app.inject({
        method: 'POST',
        url: '/api/timeline/read',
        headers: { cookie, origin: 'https://ent.example:443' },
        payload: {},
        remoteAddress: address(),
      });
      expect(read.statusCode).toBe(200);
    });

    it('sets the session cookie Secure', async () => {
      const c = sessionCookie(await login('https://ent.example'));
      expect(c.attributes.has('secure')).toBe(true);
      expect(c.attributes.has('httponly')).toBe(true);
    });
  });

  describe('PUBLIC_URL on plain http, and a trusted proxy that says https', () => {
    let plain: TestServer;
    let proxied: TestServer;

    beforeAll(async () => {
      plain = await createTestServer(kind, 'local', { PUBLIC_URL: 'http://ent.example' });
      proxied = await createTestServer(kind, 'local', { TRUST_PROXY: '1' });
    });
    afterAll(async () => {
      await plain.close();
      await proxied.close();
    });

    const login = async (s: TestServer, headers: Record<string, string>) => {
      const u = await makeUser(s.t.runtime.platform);
      return s.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { login: u.login, password: TEST_PASSWORD },
        headers,
        remoteAddress: '127.0.0.1',
      });
    };

    it('does not mark the cookie Secure for an http PUBLIC_URL', async () => {
      const res = await login(plain, { origin: 'http://ent.example' });
      expect(res.statusCode).toBe(200);
      expect(sessionCookie(res).attributes.has('secure')).toBe(false);
    });

    it('believes X-Forwarded-Proto from the trusted proxy: https origin expected, cookie Secure', async () => {
      // A TLS-terminating proxy passes the client's Host on and says the scheme it spoke.
      const forwarded = {
        host: 'ent.example',
        'x-forwarded-proto': 'https',
        'x-forwarded-for': '203.0.113.9',
      };
      const res = await login(proxied, { ...forwarded, origin: 'https://ent.example' });
      expect(res.statusCode).toBe(200);
      expect(sessionCookie(res).attributes.has('secure')).toBe(true);
      const downgraded = await login(proxied, { ...forwarded, origin: 'http://ent.example' });
      expect(downgraded.statusCode).toBe(403);
      const direct = await login(proxied, { host: 'ent.example', origin: 'http://ent.example' });
      expect(direct.statusCode).toBe(200);
      expect(sessionCookie(direct).attributes.has('secure')).toBe(false);
    });
  });
});
