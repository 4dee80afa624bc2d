import http from 'node:http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser } from '../../test/support/factories.ts';
import { createTestRuntime, type TestRuntime } from '../../test/support/test-runtime.ts';
import { createTestServer, type TestServer } from '../../test/support/test-server.ts';
import { waitFor } from '../../test/support/wait.ts';
import { ConfigError, loadConfig } from '../config.ts';
import { platformRoutes } from '../platform/platform.routes.ts';
import { requireUser } from './auth.ts';
import { buildServer } from './server.ts';
import { MAX_STREAMS_PER_USER, openStreamCount, streamProgress } from './sse.ts';

/** The house error shape with a given code. */
const houseError = (code: string) => ({
  error: expect.objectContaining({ code, message: expect.any(String) }),
});

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('TRUST_PROXY', () => {
  it('is false unless configured, even behind PUBLIC_URL; takes hops or addresses; refuses true', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ PUBLIC_URL: 'https://ent.example' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: ' 10.0.0.0/8, ::1 ,loopback' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '::1',
      'loopback',
    ]);
    for (const bad of ['true', 'proxy.example', '10.0.0.0/33', '10.0.0.1/8/2']) {
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(ConfigError);
    }
  });

  describe.each([
    ['unset (behind PUBLIC_URL)', {}, false],
    ['naming other proxies', { TRUST_PROXY: '10.0.0.0/8' }, false],
    ['one hop', { TRUST_PROXY: '1' }, true],
    ['loopback', { TRUST_PROXY: 'loopback' }, true],
  ] as const)('%s', (_name, env, believed) => {
    let s: TestServer;
    beforeAll(async () => {
      s = await createTestServer('sqlite', 'local', {
        PUBLIC_URL: 'https://ent.example',
        RATE_LIMIT_LOGIN_MAX: '3',
        ...env,
      });
    });
    afterAll(async () => {
      await s?.close();
    });

    it(
      believed
        ? 'believes the proxy: each forwarded address has its own login limit'
        : 'ignores forged X-Forwarded-For: rotating it does not escape the login limit',
      async () => {
        const statuses: number[] = [];
        for (let i = 1; i <= 5; i++) {
          const res = await post(
            `${s.url}/api/auth/login`,
            { login: `nobody.${i}`, password: 'x' },
            { 'x-forwarded-for': `198.51.100.${i}` },
          );
          statuses.push(res.status);
          if (res.status === 429) expect(await res.json()).toEqual(houseError('rate_limited'));
        }
        expect(statuses).toEqual(believed ? [401, 401, 401, 401, 401] : [401, 401, 401, 429, 429]);
      },
    );

    if (believed)
      it('counts an IPv6 /64 as one address (rotating inside it gives no fresh count)', async () => {
        const statuses: number[] = [];
        for (let i = 1; i <= 4; i++) {
          const res = await post(
            `${s.url}/api/auth/login`,
            { login: `nobody.v6.${i}`, password: 'x' },
            { 'x-forwarded-for': `2001:db8:1:2::${i.toString(16)}:${i}` },
          );
          statuses.push(res.status);
        }
        expect(statuses).toEqual([401, 401, 401, 429]);
      });
  });
});

describe('rate limits that fit a school (one address for everyone)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer('sqlite', 'local', {
      RATE_LIMIT_MAX: '5',
      RATE_LIMIT_ADDRESS_MAX: '20',
    });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('limits per session, not per the address pupils share; anonymous requests per address, loosely', async () => {
    const platform = s.t.runtime.platform;
    const [emma, lucas] = [await makeUser(platform), await makeUser(platform)];
    const emmaSession = (await s.login(emma.login)).http;
    const lucasSession = (await s.login(lucas.login)).http;
    const me = (headers: Record<string, string>) => fetch(`${s.url}/api/me`, { headers });
    for (let i = 0; i < 5; i++) expect((await me(emmaSession)).status).toBe(200);
    const limited = await me(emmaSession);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual(houseError('rate_limited'));
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Lucas, same address, has his own budget.
    for (let i = 0; i < 5; i++) expect((await me(lucasSession)).status).toBe(200);
    // Anonymous requests (forged cookies included) share the address's looser budget, of
    // which the two logins above took two.
    const anonymous: number[] = [];
    for (let i = 0; i < 19; i++) {
      const headers = { cookie: `md_session=forged-${i}` };
      anonymous.push((await me(headers)).status);
    }
    expect(anonymous).toEqual([...Array<number>(18).fill(401), 429]);
    // Guessed API tokens count as anonymous too.
    expect((await me({ authorization: 'Bearer mdt_guessed' })).status).toBe(429);
    // Signed-in pupils are not held by the exhausted address budget.
    const [lea] = [await makeUser(platform)];
    const leaToken = await platform.auth.createToken(lea.id, 'script');
    expect((await me({ authorization: `Bearer ${leaToken.token}` })).status).toBe(200);
  });
});

describe('login limit per address', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer('sqlite', 'local', { RATE_LIMIT_LOGIN_MAX: '2' });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('is strict, and answers in the house shape with Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await post(`${s.url}/api/auth/login`, { login: `nobody.${i}`, password: 'x' });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(await res.json()).toEqual({
          error: {
            code: 'rate_limited',
            message: expect.stringMatching(/^Too many login attempts from this address/),
            details: { retryAfterSeconds: expect.any(Number) },
          },
        });
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      }
    }
    expect(statuses).toEqual([401, 401, 429]);
  });

  it('answers the looser address limit by default at ten times RATE_LIMIT_MAX', () => {
    expect(loadConfig({ RATE_LIMIT_MAX: '7' }).limits.rateLimitPerAddressPerMinute).toBe(70);
    expect(loadConfig({}).limits).toMatchObject({
      rateLimitPerMinute: 600,
      rateLimitPerAddressPerMinute: 6000,
      loginRateLimitPerMinute: 100,
    });
  });
});

describe('error shapes of malformed requests', () => {
  let s: TestServer;
  let session: Record<string, string>;
  beforeAll(async () => {
    s = await createTestServer('sqlite', 'local', { RATE_LIMIT_MAX: '100000' });
    session = (await s.login((await makeUser(s.t.runtime.platform, 'Teacher')).login)).http;
  });
  afterAll(async () => {
    await s?.close();
  });

  it('answers a path that is not valid percent-encoding with 400 invalid_request', async () => {
    for (const path of ['/api/workspace/documents/%E0%A4%A', '/api/%']) {
      const res = await fetch(`${s.url}${path}`, { headers: session });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual(houseError('invalid_request'));
    }
  });

  it.each([
    ['the workspace upload', '/api/workspace/documents'],
    ['the import upload', '/api/archive/imports'],
  ])('answers a malformed multipart body to %s with 400, not 500', async (_name, path) => {
    const bodies: { type: string; body: string }[] = [
      // Cut in the middle of a part.
      {
        type: 'multipart/form-data; boundary=XyZ',
        body: '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n\r\nPK\x03\x04abc',
      },
      // No boundary at all.
      { type: 'multipart/form-data', body: '--XyZ\r\n\r\nhello\r\n--XyZ--\r\n' },
      // A part header that is not a header.
      { type: 'multipart/form-data; boundary=XyZ', body: '--XyZ\r\n\x00\x01garbage\r\n\r\nx' },
    ];
    for (const { type, body } of bodies) {
      const res = await fetch(`${s.url}${path}`, {
        method: 'POST',
        headers: { ...session, 'content-type': type },
        body,
      });
      expect(res.status, `${type}: ${JSON.stringify(body)}`).toBe(400);
      expect(await res.json()).toEqual(houseError('invalid_request'));
    }
  });
});

describe('progress streams per user', () => {
  let t: TestRuntime;
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    t = await createTestRuntime('sqlite', { RATE_LIMIT_MAX: '100000' });
    const { runtime } = t;
    // A stream that never ends by itself, like an export still running.
    const streams: FastifyPluginAsyncZod = async (app) => {
      app.get('/api/test/events', async (request, reply) => {
        requireUser(request);
        await streamProgress(
          request,
          reply,
          { n: 0 },
          async () => ({ n: 0 }),
          () => true,
        );
      });
    };
    const app = await buildServer({
      config: runtime.config,
      log: pino({ level: 'silent' }),
      health: {
        database: async () => undefined,
        blobStore: async () => undefined,
        queue: async () => undefined,
      },
      auth: runtime.platform.auth,
      routes: [platformRoutes({ platform: runtime.platform, config: runtime.config }), streams],
      webRoot: '/nonexistent',
    });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    close = async () => {
      await app.close();
      await t.destroy();
    };
  });
  afterAll(async () => {
    await close?.();
  });

  /** Opens a stream and resolves once its headers came, with the request to end it. */
  const open = (cookie: string) =>
    new Promise<{ status: number; body: Promise<string>; end: () => void }>((resolve, reject) => {
      const req = http.get(`${url}/api/test/events`, { headers: { cookie } }, (res) => {
        let text = '';
        const body = new Promise<string>((done) => {
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString();
            if (res.statusCode !== 200) return;
            if (text.includes('event: progress')) done(text);
          });
          res.on('end', () => done(text));
          res.on('error', () => done(text));
        });
        resolve({ status: res.statusCode ?? 0, body, end: () => req.destroy() });
      });
      req.on('error', reject);
    });

  const loginCookie = async (userLogin: string): Promise<string> => {
    const res = await post(`${url}/api/auth/login`, {
      login: userLogin,
      password: 'correct horse battery',
    });
    expect(res.status).toBe(200);
    return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  };

  it(`holds at most ${MAX_STREAMS_PER_USER} open per user; the next gets 429 until one closes`, async () => {
    const platform = t.runtime.platform;
    const [emma, lucas] = [await makeUser(platform), await makeUser(platform)];
    const emmaCookie = await loginCookie(emma.login);
    const streams = [];
    for (let i = 0; i < MAX_STREAMS_PER_USER; i++) {
      const st = await open(emmaCookie);
      expect(st.status).toBe(200);
      expect(await st.body).toContain('event: progress');
      streams.push(st);
    }
    const refused = await open(emmaCookie);
    expect(refused.status).toBe(429);
    expect(JSON.parse(await refused.body)).toEqual(houseError('rate_limited'));
    // Another user is not concerned.
    const other = await open(await loginCookie(lucas.login));
    expect(other.status).toBe(200);
    other.end();
    // Closing one frees its place.
    streams.pop()?.end();
    await waitFor(
      'the closed stream released',
      () => openStreamCount(emma.id) < MAX_STREAMS_PER_USER,
    );
    const again = await open(emmaCookie);
    expect(again.status).toBe(200);
    for (const st of [...streams, again]) st.end();
    await waitFor('every stream released', () => openStreamCount(emma.id) === 0);
  });
});
