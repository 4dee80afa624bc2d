import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ical, { type VEvent } from 'node-ical';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  buildCalendar,
  buildDocument,
  buildEvent,
  buildGroup,
  makeUser,
  share,
} from '../../../../test/support/factories.ts';
import { testDbKinds } from '../../../../test/support/test-env.ts';
import { createTestServer, type TestServer } from '../../../../test/support/test-server.ts';
import { exportThroughApi } from '../../../../test/support/export-archive.ts';
import type { AppExportWriter, ArchiveAdapter, RecordFile } from '../../../archive/adapter.ts';
import { allTrustedKeys } from '../../../archive/keys.ts';
import { verifyArchive } from '../../../archive/verify.ts';
import type { User } from '../../../platform/accounts.service.ts';
import type { CalendarEvent } from '../calendar.model.ts';
import type { CalendarView } from '../calendar.service.ts';
import { WORKSPACE_FILES } from '../../workspace/archive/workspace.records.ts';
import { CALENDARS_FILE, EVENTS_FILE, type EventRecord } from './calendar.records.ts';

type Headers = { inject: Record<string, string>; http: Record<string, string> };

interface Archive {
  file: string;
  manifest: {
    apps: Record<string, { status: string; items: number; bytes: number; folder: string }>;
    files: { path: string }[];
  };
  names: string[];
  text(name: string): string;
  bytes(name: string): Buffer;
}

/** A DATE value as node-ical gives it: local midnight of this process's zone. */
function localDate(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function rruleParts(rule: string): string[] {
  return rule
    .replace(/^RRULE:/, '')
    .split(';')
    .sort();
}

/** The records of an NDJSON data file, each parsed with the file's schema. */
function ndjson<S extends z.ZodType>(file: RecordFile<S>, text: string): z.output<S>[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => file.schema.parse(JSON.parse(l)));
}

/** A JSON data file parsed with its schema. */
function json<S extends z.ZodType>(file: RecordFile<S>, text: string): z.output<S> {
  return file.schema.parse(JSON.parse(text));
}

const calendarsOf = (a: Archive) => json(CALENDARS_FILE, a.text('Agenda/calendars.json'));
const eventsOf = (a: Archive) => ndjson(EVENTS_FILE, a.text('Agenda/events.ndjson'));
const documentsOf = (a: Archive) =>
  ndjson(WORKSPACE_FILES.documents, a.text('Espace documentaire/documents.ndjson'));

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.each(testDbKinds())('Agenda archive export on %s', (db) => {
  let s: TestServer;
  let dir: string;
  let teacher: User;
  let pupil: User;
  let th: Headers;
  let ph: Headers;
  let classCal: CalendarView;
  let privateCal: CalendarView;
  let pupilCal: CalendarView;
  let weekly: CalendarEvent;
  let trip: CalendarEvent;
  let council: CalendarEvent;
  let homework: CalendarEvent;
  const permission = Buffer.from('Autorisation de sortie : signature des parents\n');
  let permissionId = '';
  let trashedId = '';

  beforeAll(async () => {
    s = await createTestServer(db, 'local', { RATE_LIMIT_MAX: '100000' });
    s.t.runtime.queue.startWorker();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-calendar-export-'));
    const rt = s.t.runtime;
    const { platform, apps } = rt;
    teacher = await makeUser(platform, 'Teacher');
    pupil = await makeUser(platform, 'Student');
    th = await s.login(teacher.login);
    ph = await s.login(pupil.login);
    const group = await buildGroup(rt, [pupil]);

    // The teacher's own documents: never shared with the pupil through the workspace.
    const permissionDoc = await buildDocument(rt, teacher, {
      name: 'Autorisation sortie.txt',
      bytes: permission,
    });
    permissionId = permissionDoc.id;
    const trashed = await buildDocument(rt, teacher, {
      name: 'Ancien programme.txt',
      bytes: 'périmé',
    });
    trashedId = trashed.id;

    classCal = await buildCalendar(rt, teacher, {
      title: 'Classe de 6e B',
      color: '#E76F51',
    });
    weekly = await buildEvent(rt, teacher, classCal, {
      title: 'Mathématiques',
      start: '2025-09-01T08:30:00+02:00',
      end: '2025-09-01T09:25:00+02:00',
      timeZone: 'Europe/Paris',
      rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=30',
      description: '<p>Chapitre 3 &amp; exercices</p><p>Apportez le <strong>compas</strong>.</p>',
      location: 'Salle 12',
    });
    trip = await buildEvent(rt, teacher, classCal, {
      title: 'Sortie au musée',
      allDay: true,
      start: '2025-10-06',
      end: '2025-10-07',
      attachments: [permissionDoc.id, trashed.id],
    });
    council = await buildEvent(rt, teacher, classCal, {
      uid: 'conseil-2025@college.test',
      title: 'Conseil de classe',
      start: '2025-12-04T17:30:00Z',
      end: '2025-12-04T19:00:00Z',
    });
    // Attached when it was live: once trashed, readers of the calendar no longer see it.
    await apps.workspace.trashDocument(teacher, trashed.id);
    await share(rt, teacher, { app: 'calendar', type: 'calendar', id: classCal.id }, group);

    privateCal = await buildCalendar(rt, teacher, { title: 'Réunions' });
    await buildEvent(rt, teacher, privateCal, {
      title: 'Réunion privée',
      start: '2025-09-10T12:00:00+02:00',
      end: '2025-09-10T13:00:00+02:00',
    });

    // The pupil's own calendar, with the same title as the shared one.
    pupilCal = await buildCalendar(rt, pupil, { title: 'Classe de 6e B' });
    homework = await buildEvent(rt, pupil, pupilCal, {
      title: 'Rédaction à rendre',
      allDay: true,
      start: '2025-09-19',
      end: '2025-09-19',
    });
  });

  afterAll(async () => {
    await s.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Exports through the API, as a user does, and opens the archive. */
  async function exportAs(
    h: Headers,
    body: { apps: string[]; includeShared?: boolean },
  ): Promise<Archive> {
    const archive = await exportThroughApi(s, h, body, dir);
    expect(archive.progress.calendar).toMatchObject({ status: 'complete' });
    expect(archive.progress.calendar?.items).toBe(archive.progress.calendar?.itemsTotal);
    const entries = await archive.entries();
    const bytes = (name: string) => {
      const b = entries.get(name);
      if (b === undefined) throw new Error(`${name} is not in the archive`);
      return b;
    };
    return {
      file: archive.file,
      manifest: JSON.parse(bytes('manifest.json').toString('utf8')) as Archive['manifest'],
      names: [...entries.keys()],
      text: (name) => bytes(name).toString('utf8'),
      bytes,
    };
  }

  const apiEvents = async (h: Headers, calendarId: string) => {
    const res = await s.app.inject({
      method: 'GET',
      url: `/api/calendar/calendars/${calendarId}/events`,
      headers: h.inject,
    });
    expect(res.statusCode).toBe(200);
    return res.json<{
      items: (Omit<EventRecord, 'createdAt' | 'modifiedAt'> & {
        createdAt: number;
        modifiedAt: number;
      })[];
    }>().items;
  };

  const parseIcs = (text: string) => {
    const byUid = new Map<string, VEvent>();
    for (const c of Object.values(ical.sync.parseICS(text))) {
      if (c?.type === 'VEVENT') byUid.set(c.uid, c);
    }
    return byUid;
  };

  it('exports a reader’s calendars: JSON, NDJSON and .ics, with the shared attachments', async () => {
    const apps = await s.app.inject({
      method: 'GET',
      url: '/api/archive/apps',
      headers: ph.inject,
    });
    const listed = apps
      .json<{ items: { id: string; items: number }[] }>()
      .items.find((a) => a.id === 'calendar');
    // Two calendars (own + shared) and four events (three shared, one own).
    expect(listed?.items).toBe(6);

    const a = await exportAs(ph, { apps: ['calendar', 'workspace'] });
    expect(a.manifest.apps.calendar).toMatchObject({
      status: 'complete',
      folder: 'Agenda',
      items: 6,
    });
    expect(a.manifest.apps.calendar?.bytes).toBeGreaterThan(0);

    const calendars = calendarsOf(a);
    expect(calendars.map((c) => c.id).sort()).toEqual([classCal.id, pupilCal.id].sort());
    const shared = calendars.find((c) => c.id === classCal.id);
    const own = calendars.find((c) => c.id === pupilCal.id);
    expect(shared).toMatchObject({
      title: 'Classe de 6e B',
      color: '#e76f51',
      ownerId: teacher.id,
      owned: false,
      access: 'read',
      createdAt: new Date(classCal.createdAt).toISOString(),
      modifiedAt: new Date(classCal.modifiedAt).toISOString(),
    });
    expect(own).toMatchObject({ owned: true, access: 'owner', ownerId: pupil.id });
    // Same title: the second .ics is numbered, and each calendar says which file is its own.
    expect([shared?.ics, own?.ics].sort()).toEqual([
      'Agenda/Classe de 6e B (2).ics',
      'Agenda/Classe de 6e B.ics',
    ]);
    for (const c of calendars) expect(a.names).toContain(c.ics);
    expect(JSON.stringify(calendars)).not.toContain('Réunions');

    // events.ndjson: every event as the API gives it (dates in ISO 8601).
    const events = eventsOf(a);
    const fromApi = [
      ...(await apiEvents(ph, classCal.id)),
      ...(await apiEvents(ph, pupilCal.id)),
    ].map((e) => ({
      ...e,
      createdAt: new Date(e.createdAt).toISOString(),
      modifiedAt: new Date(e.modifiedAt).toISOString(),
    }));
    expect(fromApi).toHaveLength(4);
    expect([...events].sort((x, y) => x.id.localeCompare(y.id))).toEqual(
      [...fromApi].sort((x, y) => x.id.localeCompare(y.id)),
    );
    const tripRecord = events.find((e) => e.id === trip.id);
    expect(tripRecord).toMatchObject({
      allDay: true,
      start: '2025-10-06',
      end: '2025-10-07',
      attachments: [permissionId, trashedId],
      authorId: teacher.id,
    });
    expect(events.find((e) => e.id === weekly.id)?.description).toBe(weekly.description);

    // The shared calendar's .ics reads back to the same events.
    const byUid = parseIcs(a.text(shared?.ics ?? ''));
    expect([...byUid.keys()].sort()).toEqual([weekly.uid, trip.uid, council.uid].sort());
    for (const e of [weekly, council]) {
      const v = byUid.get(e.uid);
      expect(v?.summary, e.title).toBe(e.title);
      expect(v?.datetype).toBe('date-time');
      expect(v?.start.getTime(), e.title).toBe(Date.parse(e.start));
      expect(v?.end?.getTime(), e.title).toBe(Date.parse(e.end));
    }
    const w = byUid.get(weekly.uid);
    expect(w?.start.tz).toBe('Europe/Paris');
    expect(w?.location).toBe('Salle 12');
    const rule = w?.rrule
      ?.toString()
      .split('\n')
      .find((l) => l.startsWith('RRULE:'));
    expect(rruleParts(rule ?? '')).toEqual(rruleParts(weekly.rrule ?? 'missing'));
    expect(byUid.get(council.uid)?.rrule).toBeUndefined();
    const t = byUid.get(trip.uid);
    expect(t?.datetype).toBe('date');
    expect(localDate(t?.start ?? new Date(0))).toBe('2025-10-06');
    // DTEND of dates is exclusive: the day after the last.
    expect(localDate(t?.end ?? new Date(0))).toBe(addDays('2025-10-07', 1));
    // Attachments name the documents by id (urn:uuid:<id>), no server URL.
    const attach = [t?.attach ?? []].flat().map(String);
    expect(attach).toEqual([`urn:uuid:${permissionId}`, `urn:uuid:${trashedId}`]);
    expect(a.text(shared?.ics ?? '')).not.toContain('/api/workspace');

    const mine = parseIcs(a.text(own?.ics ?? ''));
    const hw = mine.get(homework.uid);
    expect([...mine.keys()]).toEqual([homework.uid]);
    expect(hw?.summary).toBe('Rédaction à rendre');
    expect(localDate(hw?.start ?? new Date(0))).toBe('2025-09-19');
    expect(localDate(hw?.end ?? new Date(0))).toBe('2025-09-20');

    // The teacher's attachment comes along for the reader (not shared through the workspace);
    // the one trashed since is not served to readers, so it is not in the archive either.
    const documents = documentsOf(a);
    const attached = documents.find((d) => d.id === permissionId);
    expect(attached).toMatchObject({ section: 'shared' });
    expect(attached?.path).toBe('Espace documentaire/Partagés avec moi/Autorisation sortie.txt');
    expect(sha256(a.bytes(attached?.path ?? ''))).toBe(sha256(permission));
    expect(documents.find((d) => d.id === trashedId)).toBeUndefined();

    const verdict = await verifyArchive(
      a.file,
      await allTrustedKeys(await s.t.runtime.instanceKey(), s.t.config),
    );
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
  });

  it('exports only the reader’s own calendars without shared content', async () => {
    const a = await exportAs(ph, { apps: ['calendar', 'workspace'], includeShared: false });
    expect(a.manifest.apps.calendar).toMatchObject({ status: 'complete', items: 2 });
    const calendars = calendarsOf(a);
    expect(calendars.map((c) => c.id)).toEqual([pupilCal.id]);
    expect(calendars[0]?.ics).toBe('Agenda/Classe de 6e B.ics');
    const events = eventsOf(a);
    expect(events.map((e) => e.id)).toEqual([homework.id]);
    expect(a.names.filter((n) => n.endsWith('.ics'))).toEqual(['Agenda/Classe de 6e B.ics']);
    const documents = documentsOf(a);
    expect(documents.map((d) => d.id)).not.toContain(permissionId);
    expect(
      (
        await verifyArchive(
          a.file,
          await allTrustedKeys(await s.t.runtime.instanceKey(), s.t.config),
        )
      ).ok,
    ).toBe(true);
  });

  it('exports the owner’s calendars, shared or not, with their attachments', async () => {
    // A long title: the file name is cut, never its extension.
    const long = await s.t.runtime.apps.calendar.createCalendar(teacher, {
      title: `Agenda ${'très long '.repeat(45)}`,
    });
    const a = await exportAs(th, { apps: ['calendar', 'workspace'] });
    // Three calendars, four events.
    expect(a.manifest.apps.calendar).toMatchObject({ status: 'complete', items: 7 });
    const calendars = calendarsOf(a);
    const longIcs = calendars.find((c) => c.title === long.title)?.ics ?? '';
    expect(longIcs).toMatch(/^Agenda\/Agenda (très long )+.*\.ics$/);
    expect(Buffer.byteLength(longIcs.slice('Agenda/'.length))).toBeLessThanOrEqual(200);
    expect(parseIcs(a.text(longIcs)).size).toBe(0);
    expect(
      calendars
        .filter((c) => c.title !== long.title)
        .map((c) => [c.title, c.owned, c.access, c.ics])
        .sort(),
    ).toEqual([
      ['Classe de 6e B', true, 'owner', 'Agenda/Classe de 6e B.ics'],
      ['Réunions', true, 'owner', 'Agenda/Réunions.ics'],
    ]);
    const reunions = parseIcs(a.text('Agenda/Réunions.ics'));
    expect([...reunions.values()].map((v) => v.summary)).toEqual(['Réunion privée']);
    const documents = documentsOf(a);
    expect(documents.find((d) => d.id === permissionId)?.section).toBe('mine');
    expect(documents.find((d) => d.id === trashedId)?.section).toBe('trash');
  });

  it('reports progress per event and stops when the export is cancelled', async () => {
    const found = s.t.runtime.apps.list.find((a) => a.id === 'calendar')?.archive;
    if (found === undefined) throw new Error('The Agenda has no archive adapter');
    const adapter: ArchiveAdapter = found;
    const run = async (signal: AbortSignal) => {
      const progress: { items?: number; bytes?: number }[] = [];
      const referenced = new Set<string>();
      const lines: unknown[] = [];
      const writer: AppExportWriter = {
        folder: 'Agenda',
        json: async (file) => `Agenda/${file.name}`,
        ndjson: async (file, rows) => {
          for await (const row of rows) lines.push(row);
          return `Agenda/${file.name}`;
        },
        text: async (d, name) => `${d}/${name}`,
        file: async (d, name) => `${d}/${name}`,
        progress: (delta) => progress.push(delta),
        failed: () => undefined,
      };
      const summary = await adapter.export(
        {
          user: pupil,
          options: { includeDocuments: true, includeShared: true },
          signal,
          referenceDocuments: (ids) => {
            for (const id of ids) referenced.add(id);
          },
          referencedDocuments: () => referenced,
        },
        writer,
      );
      return { summary, progress, referenced, lines };
    };
    const { summary, progress, referenced, lines } = await run(new AbortController().signal);
    expect(lines).toHaveLength(4);
    // One step per event, then the two calendars.
    expect(progress.flatMap((p) => (p.items === undefined ? [] : [p.items]))).toEqual([
      1, 1, 1, 1, 2,
    ]);
    expect(summary.items).toBe(6);
    expect([...referenced]).toEqual([permissionId]);

    const controller = new AbortController();
    controller.abort();
    await expect(run(controller.signal)).rejects.toThrow(/abort/i);
  });
});
