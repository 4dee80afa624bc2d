import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportThroughApi } from '../../../test/support/export-archive.ts';
import {
  buildCalendar,
  buildDocument,
  buildEvent,
  share,
} from '../../../test/support/factories.ts';
import { newSession, type Session } from '../../../test/support/session.ts';
import { testDbKinds } from '../../../test/support/test-env.ts';
import { createTestServer, type TestServer } from '../../../test/support/test-server.ts';
import { WORKSPACE_FILES } from '../workspace/archive/workspace.records.ts';
import { EVENTS_FILE } from './archive/calendar.records.ts';

/**
 * The one rule for documents attached to events (`ReadableDocuments`), live and in archives:
 * a document shows while it is out of the trash and the user who attached it may still read
 * it; a disabled account vouches for nothing.
 */
describe.each(testDbKinds())('Agenda documents on %s', (db) => {
  let s: TestServer;
  let dir: string;

  beforeAll(async () => {
    s = await createTestServer(db, 'local', { RATE_LIMIT_MAX: '100000' });
    s.t.runtime.queue.startWorker();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-calendar-documents-'));
  });
  afterAll(async () => {
    await s?.close();
    if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
  });

  /** A teacher's class calendar read by a pupil, one event carrying one of the teacher's files. */
  const eventWithAttachment = async () => {
    const rt = s.t.runtime;
    const teacher = await newSession(s, 'Teacher');
    const reader = await newSession(s, 'Student');
    const calendar = await buildCalendar(rt, teacher.user);
    await share(
      rt,
      teacher.user,
      { app: 'calendar', type: 'calendar', id: calendar.id },
      reader.user,
    );
    const doc = await buildDocument(rt, teacher.user, { name: 'Autorisation.txt' });
    const event = await buildEvent(rt, teacher.user, calendar, { attachments: [doc.id] });
    const url = `/api/calendar/calendars/${calendar.id}/events/${event.id}/attachments/${doc.id}`;
    return { teacher, reader, doc, event, url };
  };

  const served = async (who: Session, url: string) => (await who.request('GET', url)).statusCode;

  /** Whether the reader's archive carries the document (the event still names it). */
  const exported = async (who: Session, documentId: string) => {
    const a = await exportThroughApi(s, who, { apps: ['calendar', 'workspace'] }, dir);
    expect(a.manifest.apps.calendar).toMatchObject({ status: 'complete' });
    const events = (await a.ndjson<{ id: string }>('Agenda/events.ndjson')).map((r) =>
      EVENTS_FILE.schema.parse(r),
    );
    expect(events.flatMap((e) => e.attachments)).toContain(documentId);
    const documents = (await a.ndjson<{ id: string }>('Espace documentaire/documents.ndjson')).map(
      (r) => WORKSPACE_FILES.documents.schema.parse(r),
    );
    return documents.some((d) => d.id === documentId);
  };

  it('stops serving and exporting an attachment once the user who attached it is disabled', async () => {
    const { teacher, reader, doc, url } = await eventWithAttachment();
    expect(await served(reader, url)).toBe(200);
    expect(await exported(reader, doc.id)).toBe(true);

    await s.t.runtime.platform.accounts.setDisabled(teacher.user.login, true);
    expect(await served(reader, url)).toBe(404);
    expect(await exported(reader, doc.id)).toBe(false);

    // Enabled again, the account vouches again: the rule reads the account's state now.
    await s.t.runtime.platform.accounts.setDisabled(teacher.user.login, false);
    expect(await served(reader, url)).toBe(200);
    expect(await exported(reader, doc.id)).toBe(true);
  });

  it('stops serving and exporting an attachment once it is in the trash', async () => {
    const { teacher, reader, doc, url } = await eventWithAttachment();
    expect(await served(reader, url)).toBe(200);

    await s.t.runtime.apps.workspace.trashDocument(teacher.user, doc.id);
    expect(await served(reader, url)).toBe(404);
    expect(await served(teacher, url)).toBe(404);
    expect(await exported(reader, doc.id)).toBe(false);
  });
});
