import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSession, type Session } from '../../test/support/session.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import { createTestServer, type TestServer } from '../../test/support/test-server.ts';
import { waitFor } from '../../test/support/wait.ts';

/**
 * What the Exporter page reads while an export runs and after (untested until mutation testing
 * showed it): the progress stream, the list of my exports, and how long a ready archive lives.
 */

const TTL_MS = 2 * 3_600_000;

interface ExportRow {
  id: string;
  status: string;
  createdAt: number;
  finishedAt: number | null;
  expiresAt: number | null;
  size: number | null;
}

/** The events of a Server-Sent Events body, read to its end. */
async function readEvents(res: Response): Promise<{ event: string; data: ExportRow }[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const lines = block.split('\n');
      return {
        event: (lines[0] ?? '').slice('event: '.length),
        data: JSON.parse((lines[1] ?? '').slice('data: '.length)) as ExportRow,
      };
    });
}

describe.each(testDbKinds())('export progress and list on %s', (kind) => {
  let s: TestServer;
  let teacher: Session;
  let other: Session;

  beforeAll(async () => {
    s = await createTestServer(kind, 'local', { EXPORT_TTL: '2h' });
    s.t.runtime.queue.startWorker();
    teacher = await newSession(s, 'Teacher');
    other = await newSession(s, 'Teacher');
  });
  afterAll(() => s.close());

  const start = async (who: Session) => {
    const res = await who.request('POST', '/api/archive/exports', { apps: ['workspace'] });
    expect(res.statusCode, res.body).toBe(202);
    return res.json<{ id: string }>().id;
  };
  const exportOf = async (who: Session, id: string) =>
    (await who.request('GET', `/api/archive/exports/${id}`)).json<ExportRow>();

  it('streams the export as it changes, ending with the ready archive; nobody else may listen', async () => {
    const id = await start(teacher);
    const res = await teacher.fetch(`/api/archive/exports/${id}/events`, {
      signal: AbortSignal.timeout(60_000),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const events = await readEvents(res);
    expect(events.length).toBeGreaterThanOrEqual(1);
    for (const e of events) {
      expect(e.event).toBe('progress');
      expect(e.data.id).toBe(id);
    }
    // Each event differs from the one before (a change, not a repeat).
    for (let i = 1; i < events.length; i++)
      expect(JSON.stringify(events[i]?.data)).not.toBe(JSON.stringify(events[i - 1]?.data));
    const last = events.at(-1)?.data;
    expect(last?.status).toBe('ready');
    expect(last).toEqual(await exportOf(teacher, id));

    const foreign = await other.fetch(`/api/archive/exports/${id}/events`);
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toMatchObject({ error: { code: 'not_found' } });
    const anonymous = await fetch(`${s.url}/api/archive/exports/${id}/events`);
    expect(anonymous.status).toBe(401);
  });

  it('keeps a ready archive for EXPORT_TTL from when it was finished, no longer', async () => {
    const id = await start(other);
    const ready = await waitFor(
      'the export to be ready',
      async () => {
        const e = await exportOf(other, id);
        return e.status === 'ready' ? e : undefined;
      },
      60_000,
    );
    expect(ready.finishedAt).not.toBeNull();
    const lives = (ready.expiresAt ?? 0) - (ready.finishedAt ?? 0);
    expect(lives).toBeGreaterThanOrEqual(TTL_MS);
    expect(lives).toBeLessThan(TTL_MS + 5_000);
  });

  it('lists my exports only, newest first', async () => {
    const pupil = await newSession(s, 'Teacher');
    const first = await start(pupil);
    await waitFor(
      'the first export to end',
      async () => (await exportOf(pupil, first)).status === 'ready',
      60_000,
    );
    const second = await start(pupil);
    const res = await pupil.request('GET', '/api/archive/exports');
    expect(res.statusCode).toBe(200);
    const items = res.json<{ items: ExportRow[] }>().items;
    expect(items.map((e) => e.id)).toEqual([second, first]);
    expect(items[1]?.status).toBe('ready');
    const stranger = await newSession(s, 'Teacher');
    const theirs = await stranger.request('GET', '/api/archive/exports');
    expect(theirs.json()).toEqual({ items: [] });
    const anonymous = await s.app.inject({ method: 'GET', url: '/api/archive/exports' });
    expect(anonymous.statusCode).toBe(401);
    await waitFor(
      'the second export to end',
      async () => (await exportOf(pupil, second)).status === 'ready',
      60_000,
    );
  });
});
