import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { newId } from '../clock.ts';
import type { Config } from '../config.ts';
import type { User } from '../platform/accounts.service.ts';
import { testRedisUrl } from '../../test/support/test-env.ts';
import { installErrorHandlers } from './error-handler.ts';
import { installRateLimits, LOGIN_ROUTE, type SharedLimits } from './rate-limits.ts';

const limits: Config['limits'] = {
  maxUploadBytes: 1,
  maxImportBytes: 1,
  rateLimitPerMinute: 4,
  rateLimitPerAddressPerMinute: 6,
  loginRateLimitPerMinute: 3,
};

/**
 * A web process as far as limits go: the plugin, our limits, the house errors, and a route.
 * A request with `x-test-user` is signed in as that user (through a bearer token).
 */
async function webProcess(shared: SharedLimits | undefined): Promise<FastifyInstance> {
  const app = Fastify();
  installErrorHandlers(app);
  await app.register(rateLimit, { global: false });
  await app.register(cookie);
  const limit = installRateLimits(app, limits, shared);
  app.decorateRequest('auth', null);
  app.addHook('onRequest', async (request) => {
    const id = request.headers['x-test-user'];
    if (typeof id === 'string') request.auth = { user: { id } as User, via: 'token' };
    await limit(request);
  });
  app.get('/api/me', async () => ({ ok: true }));
  app.post(LOGIN_ROUTE, async () => ({ ok: true }));
  await app.ready();
  return app;
}

describe('rate limits across web processes', () => {
  const apps: FastifyInstance[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });

  /** Requests alternating between the processes; the statuses in order. */
  async function alternate(
    n: number,
    request: { method: 'GET' | 'POST'; url: string; headers?: Record<string, string> },
  ): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) {
      const res = await apps[i % apps.length]!.inject(request);
      statuses.push(res.statusCode);
      if (res.statusCode === 429) {
        expect(res.json().error.code).toBe('rate_limited');
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    return statuses;
  }

  it('share one budget through Redis: per caller, per address, for logins', async () => {
    const shared = { redisUrl: testRedisUrl(), keyPrefix: `mdtest-rate-${newId()}:` };
    apps.push(await webProcess(shared), await webProcess(shared));
    const token = { authorization: 'Bearer mdt_emma', 'x-test-user': 'emma' };
    // Four a minute per caller, whichever process each request reaches.
    expect(await alternate(6, { method: 'GET', url: '/api/me', headers: token })).toEqual([
      200, 200, 200, 200, 429, 429,
    ]);
    // Another caller has a budget of his own.
    const lucas = { authorization: 'Bearer mdt_lucas', 'x-test-user': 'lucas' };
    expect((await apps[1]!.inject({ url: '/api/me', headers: lucas })).statusCode).toBe(200);
    // Anonymous requests share the address's six.
    expect(await alternate(7, { method: 'GET', url: '/api/me' })).toEqual([
      200, 200, 200, 200, 200, 200, 429,
    ]);
    // Logins: three a minute per address across both (fresh counters: a login counts as an
    // anonymous request too).
    await Promise.all(apps.splice(0).map((a) => a.close()));
    const fresh = { ...shared, keyPrefix: `${shared.keyPrefix}2:` };
    apps.push(await webProcess(fresh), await webProcess(fresh));
    expect(await alternate(4, { method: 'POST', url: LOGIN_ROUTE })).toEqual([200, 200, 200, 429]);
  });

  it('without Redis, each process counts its own (the embedded default)', async () => {
    apps.push(await webProcess(undefined), await webProcess(undefined));
    const token = { authorization: 'Bearer mdt_emma', 'x-test-user': 'emma' };
    expect(await alternate(8, { method: 'GET', url: '/api/me', headers: token })).toEqual([
      200, 200, 200, 200, 200, 200, 200, 200,
    ]);
    expect(await alternate(2, { method: 'GET', url: '/api/me', headers: token })).toEqual([
      429, 429,
    ]);
  });

  it('lets requests through, uncounted, when Redis does not answer', async () => {
    apps.push(await webProcess({ redisUrl: 'redis://127.0.0.1:1', keyPrefix: 'x:' }));
    expect(await alternate(6, { method: 'GET', url: '/api/me' })).toEqual([
      200, 200, 200, 200, 200, 200,
    ]);
  });
});
