import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../clock.ts';
import { createWebServer } from '../main.ts';
import { buildDocument, makeUser, TEST_PASSWORD } from '../../test/support/factories.ts';
import { createTestRuntime } from '../../test/support/test-runtime.ts';
import { newSession } from '../../test/support/session.ts';
import { createTestServer, type TestServer } from '../../test/support/test-server.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import { waitFor } from '../../test/support/wait.ts';

/** Prometheus's text format: `name{label="value",...} number` lines, comments left out. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{.*\})?\s+(\S+)$/.exec(line);
    if (m === null) throw new Error(`not a sample line: ${line}`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return samples;
}

async function scrape(s: TestServer, headers: Record<string, string> = {}) {
  const res = await fetch(`${s.url}/metrics`, { headers });
  return { res, text: await res.text() };
}

describe.each(testDbKinds())('GET /metrics (%s)', (kind) => {
  let s: TestServer;

  beforeAll(async () => {
    s = await createTestServer(kind);
    s.t.runtime.queue.startWorker();
  });
  afterAll(async () => {
    await s.close();
  });

  it('counts jobs, exports, bytes, failures and durations as the rows say after an export', async () => {
    const before = await scrape(s);
    expect(before.res.status).toBe(200);
    expect(before.res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const idle = parseMetrics(before.text);
    expect(idle.get('mes_donnees_exports{status="ready"}')).toBe(0);
    expect(idle.get('mes_donnees_queue_depth{state="waiting"}')).toBe(0);
    // The process's own metrics, event-loop lag among them.
    expect(idle.get('nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    expect(idle.get('process_resident_memory_bytes')).toBeGreaterThan(0);

    const teacher = await newSession(s, 'Teacher');
    await buildDocument(s.t.runtime, teacher.user, { bytes: 'x'.repeat(50_000) });
    const start = await teacher.request('POST', '/api/archive/exports', { apps: ['workspace'] });
    expect(start.statusCode, start.body).toBe(202);
    const id: string = start.json().id;
    await waitFor('the export ready', async () => {
      const res = await teacher.request('GET', `/api/archive/exports/${id}`);
      return res.json().status === 'ready';
    });
    const row = await s.t.runtime.db.kysely
      .selectFrom('archive_exports')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.size).toBeGreaterThan(0);

    // Another user's export failed (as the worker leaves it after its last try).
    const other = await newSession(s, 'Teacher');
    await s.t.runtime.db.kysely
      .insertInto('archive_exports')
      .values({
        id: newId(),
        user_id: other.user.id,
        status: 'failed',
        apps: '["workspace"]',
        options: '{}',
        progress: '{}',
        error: 'storage_unavailable',
        created_at: Date.now(),
        started_at: Date.now(),
        finished_at: Date.now(),
      })
      .execute();

    // Durations are observed once the rows settle (5 s after their end): wait for both.
    const after = await waitFor(
      'both exports observed in the durations',
      async () => {
        const m = parseMetrics((await scrape(s)).text);
        return m.get('mes_donnees_job_wait_seconds_count{kind="export"}') === 2 ? m : undefined;
      },
      20_000,
      250,
    );
    expect(after.get('mes_donnees_exports{status="ready"}')).toBe(1);
    expect(after.get('mes_donnees_exports{status="failed"}')).toBe(1);
    expect(after.get('mes_donnees_exports{status="queued"}')).toBe(0);
    expect(after.get('mes_donnees_ready_archive_bytes')).toBe(Number(row.size));
    expect(after.get('mes_donnees_exported_bytes')).toBe(Number(row.size));
    expect(after.get('mes_donnees_failures{kind="export",code="storage_unavailable"}')).toBe(1);
    expect(after.get('mes_donnees_jobs{status="succeeded"}')).toBe(1);
    expect(after.get('mes_donnees_jobs{status="queued"}')).toBe(0);
    expect(after.get('mes_donnees_queue_depth{state="waiting"}')).toBe(0);
    // Both exports finished since the server started: each observed exactly once.
    expect(after.get('mes_donnees_job_duration_seconds_count{kind="export",status="ready"}')).toBe(
      1,
    );
    expect(after.get('mes_donnees_job_duration_seconds_count{kind="export",status="failed"}')).toBe(
      1,
    );
    expect(after.get('mes_donnees_job_wait_seconds_count{kind="export"}')).toBe(2);
    const again = parseMetrics((await scrape(s)).text);
    expect(again.get('mes_donnees_job_duration_seconds_count{kind="export",status="ready"}')).toBe(
      1,
    );
    expect(again.get('mes_donnees_imports{status="done"}')).toBe(0);
  }, 40_000);

  it('answers loopback clients only when no token is set, never through a proxy', async () => {
    const far = await s.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3' });
    expect(far.statusCode).toBe(403);
    expect(far.json().error.code).toBe('forbidden');
    expect(far.body).not.toContain('mes_donnees_');
    // A reverse proxy on this machine forwarding someone else's request.
    const proxied = await scrape(s, { 'x-forwarded-for': '203.0.113.9' });
    expect(proxied.res.status).toBe(403);
    const forwarded = await scrape(s, { forwarded: 'for=203.0.113.9' });
    expect(forwarded.res.status).toBe(403);
    expect((await scrape(s)).res.status).toBe(200);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  let s: TestServer;
  const token = 'a-long-random-metrics-token';

  beforeAll(async () => {
    s = await createTestServer(testDbKinds()[0] ?? 'sqlite', 'local', {}, { metricsToken: token });
  });
  afterAll(async () => {
    await s.close();
  });

  it('answers only the bearer of the token, from anywhere', async () => {
    const none = await scrape(s);
    expect(none.res.status).toBe(401);
    expect(none.res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await scrape(s, { authorization: `Bearer ${token}x` });
    expect(wrong.res.status).toBe(401);
    expect((await scrape(s, { authorization: `Basic ${token}` })).res.status).toBe(401);
    const right = await scrape(s, { authorization: `Bearer ${token}` });
    expect(right.res.status).toBe(200);
    expect(parseMetrics(right.text).get('mes_donnees_exports{status="ready"}')).toBe(0);
    const far = await s.app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress: '10.1.2.3',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(far.statusCode).toBe(200);
  });
});

describe('request logs (what an operator ships to a log store)', () => {
  it('carry the request id, path, status and user id: no address, query, login or token', async () => {
    const t = await createTestRuntime(testDbKinds()[0] ?? 'sqlite');
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n'))
          if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const app = await createWebServer(t.runtime, pino({ level: 'info' }, sink), '/nonexistent');
    try {
      const user = await makeUser(t.runtime.platform, 'Teacher');
      const login = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { login: user.login, password: TEST_PASSWORD },
        headers: { origin: 'http://localhost:80' },
      });
      expect(login.statusCode).toBe(200);
      const cookie = login.cookies.find((c) => c.name === 'md_session')?.value ?? '';
      const me = await app.inject({
        method: 'GET',
        url: '/api/me?q=cahier-de-textes-secret',
        headers: { cookie: `md_session=${cookie}` },
        remoteAddress: '198.51.100.7',
      });
      expect(me.statusCode).toBe(200);
      await app.inject({ method: 'GET', url: '/api/health' });

      const requests = lines.filter((l) => l.msg === 'request');
      expect(requests.map((l) => l.path)).toEqual(['/api/auth/login', '/api/me']);
      expect(requests[1]).toMatchObject({ method: 'GET', statusCode: 200, userId: user.id });
      expect(typeof requests[1]?.requestId).toBe('string');
      const all = lines.map((l) => JSON.stringify(l)).join('\n');
      for (const secret of [
        '198.51.100.7',
        'cahier-de-textes-secret',
        user.login,
        cookie,
        TEST_PASSWORD,
      ])
        expect(all).not.toContain(secret);
    } finally {
      await app.close();
      await t.destroy();
    }
  });
});
