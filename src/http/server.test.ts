import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '../../test/support/test-runtime.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import { AppError } from '../errors.ts';
import { buildServer } from './server.ts';

describe.each(testDbKinds())('HTTP server on %s', (kind) => {
  let t: TestRuntime;
  let app: FastifyInstance;
  const logged: string[] = [];

  beforeAll(async () => {
    t = await createTestRuntime(kind);
    const { runtime } = t;
    const log = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) });
    app = await buildServer({
      config: t.config,
      log,
      health: {
        database: () => runtime.db.check(),
        blobStore: () => runtime.blobs.check(),
        queue: () => runtime.queue.check(),
      },
      webRoot: '/nonexistent',
    });
    app.get('/api/test/boom', () => {
      throw new Error('secret internal detail');
    });
    app.get('/api/test/gone', () => {
      throw new AppError('not_found', 'Document not found');
    });
    app.post(
      '/api/test/echo',
      { schema: { body: z.strictObject({ title: z.string().min(1) }) } },
      (request) => request.body,
    );
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    await t.destroy();
  });

  it('answers /api/health with each check', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/health' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ok');
    for (const name of ['database', 'blobStore', 'queue']) {
      expect(body.checks[name].ok).toBe(true);
      expect(typeof body.checks[name].ms).toBe('number');
    }
  });

  it('answers 404 in the error shape for an unknown route', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/nope?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: 'No route GET /api/nope' } });
  });

  it('maps AppError to its status and code', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/test/gone' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: 'Document not found' } });
  });

  it('hides unexpected errors behind a request id, and logs them', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/test/boom' });
    expect(res.statusCode).toBe(500);
    const body = res.json();
    expect(body.error.code).toBe('internal');
    expect(res.body).not.toContain('secret internal detail');
    expect(res.body).not.toContain('server.test.ts');
    expect(body.error.requestId).toBe(res.headers['x-request-id']);
    const line = logged.find((l) => l.includes('secret internal detail'));
    expect(line).toBeDefined();
    expect(line).toContain(body.error.requestId);
  });

  it('refuses invalid bodies with 400 invalid_request and details', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/api/test/echo',
      payload: { title: '', extra: 1 },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_request');
    expect(bad.json().error.details.length).toBeGreaterThan(0);
    const notJson = await app.inject({
      method: 'POST',
      url: '/api/test/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{oops',
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.code).toBe('invalid_request');
    const ok = await app.inject({ method: 'POST', url: '/api/test/echo', payload: { title: 'a' } });
    expect(ok.json()).toEqual({ title: 'a' });
  });

  it('sends security headers', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/health' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('publishes a valid OpenAPI 3 document listing the routes', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toContain('/api/health');
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy();
  });
});

describe('HTTP server health when a dependency is down', () => {
  it('answers 503 naming the failed check', async () => {
    const t = await createTestRuntime('sqlite');
    const app = await buildServer({
      config: t.config,
      log: pino({ level: 'silent' }),
      health: {
        database: () => t.runtime.db.check(),
        blobStore: () => Promise.reject(new Error('disk gone')),
        queue: () => new Promise(() => undefined), // hangs
      },
      webRoot: '/nonexistent',
    });
    try {
      const res = await app.inject({ method: 'GET', url: '/api/health' });
      expect(res.statusCode).toBe(503);
      const body = res.json();
      expect(body.status).toBe('degraded');
      expect(body.checks.database.ok).toBe(true);
      expect(body.checks.blobStore).toMatchObject({ ok: false, error: 'disk gone' });
      expect(body.checks.queue.ok).toBe(false);
    } finally {
      await app.close();
      await t.destroy();
    }
  });
});
