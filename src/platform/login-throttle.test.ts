import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser, TEST_PASSWORD } from '../../test/support/factories.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import { createTestServer, type TestServer } from '../../test/support/test-server.ts';
import {
  ACCOUNT_DELAY_MS,
  ACCOUNT_SLOW_AFTER,
  AuthService,
  PAIR_FREE_FAILURES,
} from './auth.service.ts';

/**
 * Login throttling over real HTTP. The server trusts X-Forwarded-For from loopback only
 * (TRUST_PROXY=loopback), so each test chooses its client's address as a proxy would.
 */
describe.each(testDbKinds())('login throttling on %s', (kind) => {
  let s: TestServer;

  beforeAll(async () => {
    s = await createTestServer(kind, 'local', {
      TRUST_PROXY: 'loopback',
      RATE_LIMIT_LOGIN_MAX: '100000',
    });
  });

  afterAll(async () => {
    await s?.close();
  });

  const login = async (userLogin: string, password: string, address: string) => {
    const res = await fetch(`${s.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
      body: JSON.stringify({ login: userLogin, password }),
    });
    return {
      status: res.status,
      body: await res.json(),
      retryAfter: res.headers.get('retry-after'),
    };
  };

  it('never refuses a right password because other accounts failed from the same address (a school NAT)', async () => {
    const school = '203.0.113.10';
    const pupil = await makeUser(s.t.runtime.platform);
    const classmate = await makeUser(s.t.runtime.platform);
    // One pupil fails 60 times on 60 logins (mistyped names), then on their own account.
    const failures = await Promise.all(
      Array.from({ length: 60 }, (_, i) => login(`nobody.${i}.${pupil.login}`, 'nope', school)),
    );
    expect(failures.every((r) => r.status === 401)).toBe(true);
    for (let i = 0; i < PAIR_FREE_FAILURES + 3; i++) await login(pupil.login, 'nope', school);
    // The classmate, from the same public address, gets in at once.
    const ok = await login(classmate.login, TEST_PASSWORD, school);
    expect(ok.status).toBe(200);
    expect(ok.body.user.login).toBe(classmate.login);
  });

  it('lets the right password in from an address that has not failed, while the account is attacked', async () => {
    const victim = await makeUser(s.t.runtime.platform);
    for (let i = 0; i < ACCOUNT_SLOW_AFTER + 5; i++) {
      expect((await login(victim.login, 'guess', `198.51.100.${i + 1}`)).status).toBe(401);
    }
    // An attacking address that failed is slowed down, with the house error shape...
    const slowed = await login(victim.login, 'guess', '198.51.100.1');
    expect(slowed.status).toBe(429);
    expect(slowed.body).toEqual({
      error: {
        code: 'rate_limited',
        message: expect.stringMatching(/^Too many failed logins: try again in \d+ s$/),
        details: { retryAfterSeconds: expect.any(Number) },
      },
    });
    expect(Number(slowed.retryAfter)).toBeGreaterThan(0);
    expect(Number(slowed.retryAfter)).toBeLessThanOrEqual(ACCOUNT_DELAY_MS / 1000);
    // ... but the pupil at home (an address that never failed) logs in.
    const home = await login(victim.login, TEST_PASSWORD, '192.0.2.44');
    expect(home.status).toBe(200);
  });

  it('counts parallel wrong passwords atomically: no more than the free attempts reach the check', async () => {
    const u = await makeUser(s.t.runtime.platform);
    const results = await Promise.all(
      Array.from({ length: 40 }, () => login(u.login, 'wrong', '203.0.113.77')),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((x) => x === 401)).toHaveLength(PAIR_FREE_FAILURES);
    expect(statuses.filter((x) => x === 429)).toHaveLength(40 - PAIR_FREE_FAILURES);
    const row = await s.t.runtime.db.kysely
      .selectFrom('auth_throttle')
      .select('failures')
      .where('key', '=', `pair:203.0.113.77|${u.login}`)
      .executeTakeFirstOrThrow();
    expect(row.failures).toBe(PAIR_FREE_FAILURES);
    // The same straight at the service: 40 attempts started in the same tick.
    const v = await makeUser(s.t.runtime.platform);
    const direct = await Promise.all(
      Array.from({ length: 40 }, () =>
        s.t.runtime.platform.auth.login(v.login, 'wrong', '203.0.113.78').then(
          () => 200,
          (e: { status: number }) => e.status,
        ),
      ),
    );
    expect(direct.filter((x) => x === 401)).toHaveLength(PAIR_FREE_FAILURES);
    expect(direct.filter((x) => x === 429)).toHaveLength(40 - PAIR_FREE_FAILURES);
  });

  it('backs off per (address, account), and a success clears that address', async () => {
    let now = Date.UTC(2026, 8, 1, 8);
    const auth = new AuthService({
      db: s.t.runtime.db,
      clock: { now: () => now },
      config: s.t.config,
    });
    const u = await makeUser(s.t.runtime.platform);
    const attempt = (password: string, address = '10.20.0.1') =>
      auth.login(u.login, password, address).then(
        () => 200,
        (e: { status: number }) => e.status,
      );
    for (let i = 0; i < PAIR_FREE_FAILURES; i++) expect(await attempt('x')).toBe(401);
    expect(await attempt(TEST_PASSWORD)).toBe(429); // even the right one must wait 1 s
    now += 999;
    expect(await attempt('x')).toBe(429);
    now += 1;
    expect(await attempt('x')).toBe(401); // 6th failure: 2 s now
    now += 1999;
    expect(await attempt('x')).toBe(429);
    expect(await attempt(TEST_PASSWORD, '10.20.0.2')).toBe(200); // another address: no wait
    now += 1;
    expect(await attempt(TEST_PASSWORD)).toBe(200);
    // The success cleared this address's count: free attempts again, at once.
    for (let i = 0; i < 3; i++) expect(await attempt('x')).toBe(401);
    // A counter idle for the whole window is forgotten.
    now += 15 * 60_000;
    expect(await attempt('x')).toBe(401);
  });
});
