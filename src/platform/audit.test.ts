import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser, TEST_PASSWORD } from '../../test/support/factories.ts';
import { newSession, Session } from '../../test/support/session.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import { createTestServer, type TestServer } from '../../test/support/test-server.ts';
import { waitFor } from '../../test/support/wait.ts';
import type { AuditEvent } from './audit.ts';

/** The audit log as the HTTP API writes it: who did what to which archive, from where. */
describe.each(testDbKinds())('audit log (%s)', (db) => {
  let s: TestServer;

  beforeAll(async () => {
    s = await createTestServer(db);
    s.t.runtime.queue.startWorker();
  }, 60_000);
  afterAll(async () => {
    await s.close();
  });

  /** The events of `login` (newest first; its logins left out unless asked) once there are `n`. */
  const eventsOf = (login: string, n: number, logins = false): Promise<AuditEvent[]> =>
    waitFor(`${n} audit event(s) of ${login}`, async () => {
      const events = (await s.t.runtime.audit.list({ login })).filter(
        (e) => logins || e.action !== 'login',
      );
      return events.length >= n ? events : undefined;
    });
  const summary = (e: AuditEvent) => ({
    action: e.action,
    outcome: e.outcome,
    actorId: e.actorId,
    targetId: e.targetId,
    detail: e.detail,
    clientAddress: e.clientAddress,
  });

  it('records an export requested, downloaded (once, not per resumed range), refused to another pupil, refused without Origin, deleted', async () => {
    const owner = await newSession(s);
    const other = await newSession(s);
    const start = await owner.request('POST', '/api/archive/exports', { apps: ['calendar'] });
    expect(start.statusCode, start.body).toBe(202);
    const id = start.json<{ id: string }>().id;
    await waitFor('the export', async () => {
      const res = await owner.request('GET', `/api/archive/exports/${id}`);
      return res.json<{ status: string }>().status === 'ready';
    });
    const url = `/api/archive/exports/${id}/download`;
    expect((await owner.request('GET', url)).statusCode).toBe(200);
    const resumed = await s.app.inject({
      method: 'GET',
      url,
      headers: { ...owner.inject, range: 'bytes=10-' },
    });
    expect(resumed.statusCode).toBe(206);
    expect((await other.request('GET', url)).statusCode).toBe(404);
    const noOrigin = await s.app.inject({
      method: 'DELETE',
      url: `/api/archive/exports/${id}`,
      headers: { cookie: owner.inject.cookie ?? '' },
    });
    expect(noOrigin.statusCode).toBe(403);
    expect((await owner.request('DELETE', `/api/archive/exports/${id}`)).statusCode).toBe(204);

    const mine = await eventsOf(owner.user.login, 3);
    expect(mine.map(summary).reverse()).toEqual([
      {
        action: 'export_requested',
        outcome: 'ok',
        actorId: owner.user.id,
        targetId: id,
        detail: { apps: 'calendar' },
        clientAddress: '127.0.0.1',
      },
      {
        action: 'export_downloaded',
        outcome: 'ok',
        actorId: owner.user.id,
        targetId: id,
        detail: null,
        clientAddress: '127.0.0.1',
      },
      {
        action: 'export_deleted',
        outcome: 'ok',
        actorId: owner.user.id,
        targetId: id,
        detail: null,
        clientAddress: '127.0.0.1',
      },
    ]);
    const theirs = await eventsOf(other.user.login, 1);
    expect(theirs.map(summary)).toEqual([
      {
        action: 'export_downloaded',
        outcome: 'refused',
        actorId: other.user.id,
        targetId: id,
        detail: { code: 'not_found', status: 404 },
        clientAddress: '127.0.0.1',
      },
    ]);
    // Refused before the caller was known (CSRF): anonymous, with the code and the target.
    const csrf = await waitFor('the CSRF refusal', async () => {
      const events = await s.t.runtime.audit.list({ action: 'export_deleted' });
      return events.find((e) => e.targetId === id && e.outcome === 'refused');
    });
    expect(summary(csrf)).toEqual({
      action: 'export_deleted',
      outcome: 'refused',
      actorId: null,
      targetId: id,
      detail: { code: 'csrf', status: 403 },
      clientAddress: '127.0.0.1',
    });
  });

  it('records an import uploaded, launched (apps, dry run) and cancelled', async () => {
    const owner = await newSession(s);
    const start = await owner.request('POST', '/api/archive/exports', { apps: ['calendar'] });
    const exportId = start.json<{ id: string }>().id;
    await waitFor('the export', async () => {
      const res = await owner.request('GET', `/api/archive/exports/${exportId}`);
      return res.json<{ status: string }>().status === 'ready';
    });
    const zip = await owner.request('GET', `/api/archive/exports/${exportId}/download`);
    const uploaded = await owner.upload('/api/archive/imports', 'mine.zip', zip.rawPayload);
    expect(uploaded.status).toBe(202);
    const { id } = (await uploaded.json()) as { id: string };
    await waitFor('the analysis', async () => {
      const res = await owner.request('GET', `/api/archive/imports/${id}`);
      return res.json<{ status: string }>().status === 'analyzed';
    });
    const launch = await owner.request('POST', `/api/archive/imports/${id}/launch`, {
      apps: ['calendar'],
      dryRun: true,
    });
    expect(launch.statusCode, launch.body).toBe(202);
    await waitFor('the dry run', async () => {
      const res = await owner.request('GET', `/api/archive/imports/${id}`);
      return res.json<{ report: unknown }>().report !== null;
    });
    expect((await owner.request('DELETE', `/api/archive/imports/${id}`)).statusCode).toBe(204);

    const events = (await eventsOf(owner.user.login, 5)).filter((e) => e.targetId === id);
    expect(events.map((e) => [e.action, e.outcome, e.actorId, e.detail]).reverse()).toEqual([
      ['import_uploaded', 'ok', owner.user.id, null],
      ['import_launched', 'ok', owner.user.id, { apps: 'calendar', dryRun: true }],
      ['import_cancelled', 'ok', owner.user.id, null],
    ]);
  });

  it('records logins: a success with the account, a failure with the login as typed', async () => {
    const user = await makeUser(s.t.runtime.platform);
    await expect(Session.of(s, user, 'not the password')).rejects.toThrow(/login failed/);
    await Session.of(s, user, TEST_PASSWORD);
    const events = await eventsOf(user.login, 2, true);
    expect(events.map((e) => [e.action, e.outcome, e.actorId, e.detail]).reverse()).toEqual([
      ['login', 'refused', null, { code: 'invalid_credentials', status: 401 }],
      ['login', 'ok', user.id, null],
    ]);
  });

  it('prunes only the events older than the instant given (the operator’s retention)', async () => {
    const { audit } = s.t.runtime;
    const before = (await audit.list({ limit: 10_000 })).length;
    expect(before).toBeGreaterThan(0);
    expect(await audit.prune(Date.now() - 3_600_000)).toBe(0);
    expect(await audit.prune(Date.now() + 1)).toBe(before);
    expect(await audit.list()).toEqual([]);
  });

  it('is read by operators only: no route, no OpenAPI operation, no answer names it', async () => {
    const owner = await newSession(s);
    const routes = s.app.printRoutes({ commonPrefix: false });
    expect(routes).not.toMatch(/audit/i);
    expect(JSON.stringify(s.app.swagger())).not.toMatch(/audit/i);
    for (const url of ['/api/audit', '/api/audit/events', '/api/admin/audit']) {
      const res = await owner.request('GET', url);
      expect(res.statusCode, url).toBe(404);
    }
  });
});
