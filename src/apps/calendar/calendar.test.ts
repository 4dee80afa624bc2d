import { Readable } from 'node:stream';
import SwaggerParser from '@apidevtools/swagger-parser';
import ical, { type VEvent } from 'node-ical';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser } from '../../../test/support/factories.ts';
import { testDbKinds } from '../../../test/support/test-env.ts';
import { createTestServer, type TestServer } from '../../../test/support/test-server.ts';
import { expectInert, XSS_PAYLOADS } from '../../../test/support/xss-payloads.ts';
import type { Profile } from '../../db/schema.ts';
import type { User } from '../../platform/accounts.service.ts';

type Headers = { inject: Record<string, string>; http: Record<string, string> };

interface EventItem {
  id: string;
  uid: string;
  title: string;
  description: string;
  location: string | null;
  allDay: boolean;
  start: string;
  end: string;
  timeZone: string | null;
  rrule: string | null;
  attachments: string[];
}

/** The lines of an .ics file (CRLF, as RFC 5545 wants). */
function icsFile(...lines: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Test//Test//FR', ...lines, 'END:VCALENDAR']
    .map((l) => `${l}\r\n`)
    .join('');
}

function rruleParts(rule: string): string[] {
  return rule
    .replace(/^RRULE:/, '')
    .split(';')
    .sort();
}

/** A DATE value as node-ical gives it: local midnight of this process's zone. */
function localDate(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

describe.each(testDbKinds())('Agenda on %s', (db) => {
  let s: TestServer;
  let teacher: User;
  let t: Headers;

  beforeAll(async () => {
    s = await createTestServer(db, 'local', { RATE_LIMIT_MAX: '100000' });
    teacher = await makeUser(s.t.runtime.platform, 'Teacher');
    t = await s.login(teacher.login);
  });
  afterAll(async () => {
    await s.close();
  });

  const call = async (
    h: Headers,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: object,
  ) => s.app.inject({ method, url, headers: h.inject, ...(payload ? { payload } : {}) });

  const person = async (profile: Profile = 'Student') => {
    const user = await makeUser(s.t.runtime.platform, profile);
    return { user, h: await s.login(user.login) };
  };

  const newCalendar = async (h: Headers = t, title = 'Agenda'): Promise<string> => {
    const res = await call(h, 'POST', '/api/calendar/calendars', { title });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  };

  const addEvent = async (calendarId: string, body: object, h: Headers = t) => {
    const res = await call(h, 'POST', `/api/calendar/calendars/${calendarId}/events`, body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json<EventItem>();
  };

  const events = async (calendarId: string, query = '', h: Headers = t): Promise<EventItem[]> => {
    const res = await call(h, 'GET', `/api/calendar/calendars/${calendarId}/events${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ items: EventItem[] }>().items;
  };

  const importIcs = async (calendarId: string, content: string | Buffer, h: Headers = t) => {
    const form = new FormData();
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    form.append('file', new Blob([new Uint8Array(bytes)], { type: 'text/calendar' }), 'agenda.ics');
    return fetch(`${s.url}/api/calendar/calendars/${calendarId}/import`, {
      method: 'POST',
      headers: h.http,
      body: form,
    });
  };

  const exportIcs = async (calendarId: string) => {
    const res = await call(t, 'GET', `/api/calendar/calendars/${calendarId}/ics`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/calendar; charset=utf-8');
    const parsed = ical.sync.parseICS(res.body);
    const byUid = new Map<string, VEvent>();
    for (const c of Object.values(parsed)) if (c?.type === 'VEVENT') byUid.set(c.uid, c);
    return { text: res.body, byUid };
  };

  it('creates calendars and events, and lists them with the fields given', async () => {
    const created = await call(t, 'POST', '/api/calendar/calendars', {
      title: 'Agenda de la 6e B',
      color: '#E76F51',
    });
    expect(created.statusCode).toBe(201);
    const calendar = created.json();
    expect(calendar).toMatchObject({
      title: 'Agenda de la 6e B',
      color: '#e76f51',
      ownerId: teacher.id,
      access: 'owner',
    });
    expect(calendar.id).toMatch(/^[0-9a-f-]{36}$/);

    const body = {
      title: 'Conseil de classe',
      start: '2025-12-04T17:30:00+01:00',
      end: '2025-12-04T19:00:00+01:00',
      timeZone: 'Europe/Paris',
      location: 'Salle des professeurs',
      description: '<p>Bilan du <strong>premier trimestre</strong>.</p>',
      rrule: 'FREQ=MONTHLY;COUNT=3;BYDAY=1TH',
    };
    const event = await addEvent(calendar.id, body);
    expect(event).toMatchObject({ ...body, allDay: false, attachments: [] });
    expect(event.uid.length).toBeGreaterThan(0);
    const allDay = await addEvent(calendar.id, {
      title: 'Vacances de Noël',
      allDay: true,
      start: '2025-12-20',
      end: '2026-01-04',
    });
    expect(allDay).toMatchObject({ allDay: true, start: '2025-12-20', end: '2026-01-04' });
    const utc = await addEvent(calendar.id, {
      title: 'Visio',
      start: '2025-12-01T10:00:00Z',
      end: '2025-12-01T10:45:00.250Z',
    });
    expect(utc).toMatchObject({ start: '2025-12-01T10:00:00Z', end: '2025-12-01T10:45:00.250Z' });

    const list = await call(t, 'GET', '/api/calendar/calendars');
    expect(list.json().items.map((c: { id: string }) => c.id)).toContain(calendar.id);
    // By start: the visio (1 Dec), the council (4 Dec), the holidays (20 Dec).
    expect((await events(calendar.id)).map((e) => e.id)).toEqual([utc.id, event.id, allDay.id]);
    const one = await call(t, 'GET', `/api/calendar/calendars/${calendar.id}/events/${event.id}`);
    expect(one.json()).toEqual(event);

    const patched = await call(
      t,
      'PATCH',
      `/api/calendar/calendars/${calendar.id}/events/${event.id}`,
      {
        title: 'Conseil de classe (1er trimestre)',
        end: '2025-12-04T19:30:00+01:00',
        rrule: null,
      },
    );
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      title: 'Conseil de classe (1er trimestre)',
      start: body.start,
      end: '2025-12-04T19:30:00+01:00',
      rrule: null,
      uid: event.uid,
    });
    const renamed = await call(t, 'PATCH', `/api/calendar/calendars/${calendar.id}`, {
      title: 'Agenda 6e B',
    });
    expect(renamed.json()).toMatchObject({ title: 'Agenda 6e B', color: '#e76f51' });

    const removed = await call(
      t,
      'DELETE',
      `/api/calendar/calendars/${calendar.id}/events/${utc.id}`,
    );
    expect(removed.statusCode).toBe(204);
    expect((await events(calendar.id)).map((e) => e.id)).toEqual([event.id, allDay.id]);

    const sameUid = await call(t, 'POST', `/api/calendar/calendars/${calendar.id}/events`, {
      title: 'Doublon',
      start: '2025-12-05T10:00:00Z',
      end: '2025-12-05T11:00:00Z',
      uid: event.uid,
    });
    expect(sameUid.statusCode).toBe(409);

    const gone = await call(t, 'DELETE', `/api/calendar/calendars/${calendar.id}`);
    expect(gone.statusCode).toBe(204);
    expect((await call(t, 'GET', `/api/calendar/calendars/${calendar.id}/events`)).statusCode).toBe(
      404,
    );
  });

  it('refuses invalid events and calendars with 400', async () => {
    const id = await newCalendar();
    const base = {
      title: 'Cours',
      start: '2025-09-15T08:30:00+02:00',
      end: '2025-09-15T09:30:00+02:00',
    };
    const cases: [string, object][] = [
      ['end before start', { ...base, end: '2025-09-15T08:00:00+02:00' }],
      // 07:29+01:00 is 06:29Z, a minute before 08:30+02:00 (06:30Z).
      ['end before start across offsets', { ...base, end: '2025-09-15T07:29:00+01:00' }],
      [
        'all-day end before start',
        { title: 'x', allDay: true, start: '2025-09-15', end: '2025-09-14' },
      ],
      ['no offset', { ...base, start: '2025-09-15T08:30:00' }],
      ['not a date', { ...base, start: 'demain' }],
      ['impossible date', { ...base, start: '2025-02-30T08:30:00Z' }],
      ['date-time for an all-day event', { ...base, allDay: true }],
      ['rrule without FREQ first', { ...base, rrule: 'BYDAY=MO;FREQ=WEEKLY' }],
      ['unknown FREQ', { ...base, rrule: 'FREQ=SOMETIMES' }],
      ['bad BYDAY', { ...base, rrule: 'FREQ=WEEKLY;BYDAY=XX' }],
      ['COUNT and UNTIL', { ...base, rrule: 'FREQ=DAILY;COUNT=3;UNTIL=20251001T000000Z' }],
      ['unknown rule part', { ...base, rrule: 'FREQ=DAILY;EVERY=2' }],
      ['unknown time zone', { ...base, timeZone: 'Europe/Atlantis' }],
      ['empty title', { ...base, title: '   ' }],
      ['unknown field', { ...base, colour: 'red' }],
      ['missing end', { title: 'x', start: base.start }],
    ];
    for (const [why, body] of cases) {
      const res = await call(t, 'POST', `/api/calendar/calendars/${id}/events`, body);
      expect(res.statusCode, why).toBe(400);
      expect(res.json().error.code, why).toBe('invalid_request');
    }
    const badColour = await call(t, 'POST', '/api/calendar/calendars', {
      title: 'x',
      color: 'red',
    });
    expect(badColour.statusCode).toBe(400);
    expect(await events(id)).toEqual([]);
    // The same checks hold when a patch makes the event wrong.
    const ok = await addEvent(id, { ...base, rrule: 'rrule:freq=weekly;byday=mo' });
    expect(ok.rrule).toBe('FREQ=WEEKLY;BYDAY=MO');
    const patch = await call(t, 'PATCH', `/api/calendar/calendars/${id}/events/${ok.id}`, {
      start: '2025-09-15T10:00:00+02:00',
    });
    expect(patch.statusCode).toBe(400);
    const badWindow = await call(
      t,
      'GET',
      `/api/calendar/calendars/${id}/events?from=2025-10-01&to=2025-09-01`,
    );
    expect(badWindow.statusCode).toBe(400);
  });

  it('filters events by window, series included while they may recur', async () => {
    const id = await newCalendar();
    const add = async (title: string, extra: object) =>
      (await addEvent(id, { title, ...extra })).id;
    await add('Septembre', {
      start: '2025-09-10T10:00:00+02:00',
      end: '2025-09-10T11:00:00+02:00',
    });
    const october = await add('Octobre', {
      start: '2025-10-15T10:00:00+02:00',
      end: '2025-10-15T11:00:00+02:00',
    });
    const overlapping = await add('À cheval', {
      start: '2025-09-30T23:00:00+02:00',
      end: '2025-10-01T01:00:00+02:00',
    });
    const lastDay = await add('Dernier jour', {
      allDay: true,
      start: '2025-10-31',
      end: '2025-10-31',
    });
    await add('Novembre', { allDay: true, start: '2025-11-01', end: '2025-11-02' });
    const weekly = await add('Hebdo sans fin', {
      start: '2025-09-01T08:00:00+02:00',
      end: '2025-09-01T09:00:00+02:00',
      rrule: 'FREQ=WEEKLY',
    });
    await add('Hebdo fini en septembre', {
      start: '2025-09-01T14:00:00+02:00',
      end: '2025-09-01T15:00:00+02:00',
      rrule: 'FREQ=WEEKLY;UNTIL=20250922T120000Z',
    });
    const untilOctober = await add('Hebdo jusqu’en octobre', {
      start: '2025-09-02T14:00:00+02:00',
      end: '2025-09-02T15:00:00+02:00',
      rrule: 'FREQ=WEEKLY;UNTIL=20251007T120000Z',
    });

    const window = await events(id, '?from=2025-10-01T00:00:00%2B02:00&to=2025-11-01');
    expect(window.map((e) => e.id).sort()).toEqual(
      [october, overlapping, lastDay, weekly, untilOctober].sort(),
    );
    // The same window with the "+" of the offset left unencoded (read as a space).
    expect((await events(id, '?from=2025-10-01T00:00:00+02:00&to=2025-11-01')).length).toBe(5);
    const fromOnly = await events(id, '?from=2025-11-01');
    expect(fromOnly.map((e) => e.title).sort()).toEqual(['Hebdo sans fin', 'Novembre']);
    const toOnly = await events(id, '?to=2025-09-02');
    expect(toOnly.map((e) => e.title).sort()).toEqual([
      'Hebdo fini en septembre',
      'Hebdo sans fin',
    ]);
    expect(await events(id)).toHaveLength(8);
  });

  it('shares a calendar with a class: members read, contributors add, outsiders get 404', async () => {
    const platform = s.t.runtime.platform;
    const pupil = await person();
    const outsider = await person();
    const colleague = await person('Teacher');
    const group = await platform.accounts.createGroup('Collège Test', `6e C ${teacher.login}`);
    await platform.accounts.addMember(group.id, pupil.user.login);
    const id = await newCalendar(t, 'Agenda de la 6e C');
    const event = await addEvent(id, {
      title: 'Sortie',
      allDay: true,
      start: '2026-03-12',
      end: '2026-03-12',
    });

    const share = await call(t, 'POST', `/api/calendar/calendars/${id}/shares`, {
      group: group.id,
      right: 'read',
    });
    expect(share.statusCode, share.body).toBe(200);
    expect(share.json().items).toEqual([
      {
        grantee: { kind: 'group', id: group.id, name: `${group.name} (Collège Test)` },
        right: 'read',
      },
    ]);

    const mine = (await call(pupil.h, 'GET', '/api/calendar/calendars')).json().items;
    expect(mine).toEqual([
      expect.objectContaining({
        id,
        title: 'Agenda de la 6e C',
        access: 'read',
        ownerId: teacher.id,
      }),
    ]);
    expect((await events(id, '', pupil.h)).map((e) => e.id)).toEqual([event.id]);
    expect((await call(pupil.h, 'GET', `/api/calendar/calendars/${id}/ics`)).statusCode).toBe(200);
    // Read is not write.
    for (const [method, url, payload] of [
      [
        'POST',
        `/api/calendar/calendars/${id}/events`,
        { title: 'x', allDay: true, start: '2026-03-13', end: '2026-03-13' },
      ],
      ['PATCH', `/api/calendar/calendars/${id}/events/${event.id}`, { title: 'x' }],
      ['DELETE', `/api/calendar/calendars/${id}/events/${event.id}`, undefined],
      ['PATCH', `/api/calendar/calendars/${id}`, { title: 'x' }],
      [
        'POST',
        `/api/calendar/calendars/${id}/shares`,
        { login: outsider.user.login, right: 'read' },
      ],
    ] as const) {
      const res = await call(pupil.h, method, url, payload);
      expect(res.statusCode, `${method} ${url}`).toBe(403);
    }

    for (const url of [
      `/api/calendar/calendars/${id}`,
      `/api/calendar/calendars/${id}/events`,
      `/api/calendar/calendars/${id}/events/${event.id}`,
      `/api/calendar/calendars/${id}/ics`,
      `/api/calendar/calendars/${id}/shares`,
    ]) {
      const res = await call(outsider.h, 'GET', url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    expect((await call(outsider.h, 'GET', '/api/calendar/calendars')).json().items).toEqual([]);

    // contrib adds and edits events, but neither the calendar nor its shares.
    await call(t, 'POST', `/api/calendar/calendars/${id}/shares`, {
      login: colleague.user.login,
      right: 'contrib',
    });
    const added = await addEvent(
      id,
      { title: 'Réunion', start: '2026-03-10T17:00:00+01:00', end: '2026-03-10T18:00:00+01:00' },
      colleague.h,
    );
    expect(
      (
        await call(colleague.h, 'PATCH', `/api/calendar/calendars/${id}/events/${event.id}`, {
          title: 'Sortie au parc',
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (await call(colleague.h, 'PATCH', `/api/calendar/calendars/${id}`, { title: 'x' }))
        .statusCode,
    ).toBe(403);
    expect(
      (await call(colleague.h, 'GET', `/api/calendar/calendars/${id}/shares`)).statusCode,
    ).toBe(403);
    expect((await events(id, '', pupil.h)).map((e) => e.title)).toEqual([
      'Réunion',
      'Sortie au parc',
    ]);

    // manage edits the calendar and its shares, but only the owner deletes it.
    await call(t, 'POST', `/api/calendar/calendars/${id}/shares`, {
      login: colleague.user.login,
      right: 'manage',
    });
    expect(
      (await call(colleague.h, 'PATCH', `/api/calendar/calendars/${id}`, { color: '#000000' }))
        .statusCode,
    ).toBe(200);
    expect(
      (await call(colleague.h, 'GET', `/api/calendar/calendars/${id}/shares`)).statusCode,
    ).toBe(200);
    expect((await call(colleague.h, 'DELETE', `/api/calendar/calendars/${id}`)).statusCode).toBe(
      403,
    );
    // The owner hears of what a contributor adds.
    const ownerTimeline = (await platform.timeline.list(teacher.id, { limit: 20 })).items;
    expect(
      ownerTimeline.find(
        (n) => n.params.title === 'Réunion' && n.params.calendar === 'Agenda de la 6e C',
      ),
    ).toMatchObject({ messageKey: 'calendar.event.added', params: { start: added.start } });

    const unshare = await call(
      t,
      'DELETE',
      `/api/calendar/calendars/${id}/shares/group/${group.id}`,
    );
    expect(unshare.statusCode).toBe(204);
    expect((await call(pupil.h, 'GET', `/api/calendar/calendars/${id}/events`)).statusCode).toBe(
      404,
    );
  });

  it('lets only holders of calendar.create make calendars (a parent gets 403)', async () => {
    const parent = await person('Relative');
    const res = await call(parent.h, 'POST', '/api/calendar/calendars', {
      title: 'Agenda familial',
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('forbidden');
    expect((await call(parent.h, 'GET', '/api/calendar/calendars')).json().items).toEqual([]);
    const pupil = await person('Student');
    expect(
      (await call(pupil.h, 'POST', '/api/calendar/calendars', { title: 'Mes devoirs' })).statusCode,
    ).toBe(201);
    const anonymous = await s.app.inject({ method: 'GET', url: '/api/calendar/calendars' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('sanitises descriptions: XSS payloads stay inert in the API and the .ics', async () => {
    const id = await newCalendar();
    const made: EventItem[] = [];
    for (const [i, payload] of XSS_PAYLOADS.entries()) {
      const event = await addEvent(id, {
        title: `Événement ${i}`,
        start: '2025-09-15T08:30:00+02:00',
        end: '2025-09-15T09:30:00+02:00',
        description: `<p>Texte ${i}</p>${payload}`,
      });
      expectInert(event.description);
      expect(event.description).toContain(`<p>Texte ${i}</p>`);
      made.push(event);
    }
    for (const e of await events(id)) expectInert(e.description);
    const { byUid } = await exportIcs(id);
    for (const e of made) {
      const alt: unknown = byUid.get(e.uid)?.['ALT-DESC'];
      const html = typeof alt === 'object' && alt !== null && 'val' in alt ? String(alt.val) : '';
      expect(html).toContain('<p>Texte');
      expectInert(html);
    }
    // On patch too.
    const first = made[0]!;
    const patched = await call(t, 'PATCH', `/api/calendar/calendars/${id}/events/${first.id}`, {
      description: '<img src=x onerror=alert(1)><a href="javascript:alert(1)">x</a>',
    });
    expectInert(patched.json().description);
  });

  it('exports .ics that node-ical reads back with the same events', async () => {
    const id = await newCalendar(t, 'Agenda exporté');
    const doc = await s.t.runtime.apps.workspace.upload(teacher, {
      name: 'programme.pdf',
      body: Readable.from([Buffer.from('%PDF-1.4 programme')]),
    });
    const weekly = await addEvent(id, {
      title: 'Mathématiques',
      start: '2025-09-15T08:30:00+02:00',
      end: '2025-09-15T09:30:00+02:00',
      timeZone: 'Europe/Paris',
      location: 'Salle 12, bâtiment B',
      description: '<p>Chapitre 3 &amp; exercices</p><p>Apportez <strong>le compas</strong>.</p>',
      rrule: 'FREQ=WEEKLY;BYDAY=MO;UNTIL=20260703T220000Z',
      attachments: [doc.id],
    });
    const trip = await addEvent(id, {
      title: 'Sortie au musée',
      allDay: true,
      start: '2025-10-09',
      end: '2025-10-10',
    });
    const winter = await addEvent(id, {
      title: 'Réunion (heure d’hiver)',
      start: '2025-12-01T18:00:00+01:00',
      end: '2025-12-01T19:00:00+01:00',
      timeZone: 'Europe/Paris',
    });
    const utc = await addEvent(id, {
      title: 'Visio; avec, des: caractères\\spéciaux',
      start: '2025-11-03T14:00:00Z',
      end: '2025-11-03T15:00:00Z',
      rrule: 'FREQ=DAILY;COUNT=5',
    });

    const { text, byUid } = await exportIcs(id);
    expect(text).toMatch(/^BEGIN:VCALENDAR\r\n/);
    expect(text).toContain('X-WR-CALNAME:Agenda exporté');
    expect(text).toContain('DTSTART;TZID=Europe/Paris:20250915T083000');
    expect(text).toContain('BEGIN:VTIMEZONE\r\nTZID:Europe/Paris');
    expect([...byUid.keys()].sort()).toEqual([weekly.uid, trip.uid, winter.uid, utc.uid].sort());

    for (const e of [weekly, winter, utc]) {
      const v = byUid.get(e.uid)!;
      expect(v.summary).toBe(e.title);
      expect(v.start.getTime(), e.title).toBe(Date.parse(e.start));
      expect(v.end?.getTime(), e.title).toBe(Date.parse(e.end));
      expect(v.datetype).toBe('date-time');
    }
    const w = byUid.get(weekly.uid)!;
    expect(w.start.tz).toBe('Europe/Paris');
    expect(w.location).toBe('Salle 12, bâtiment B');
    expect(w.description).toBe('Chapitre 3 & exercices\nApportez le compas.');
    expect(w['ALT-DESC']).toMatchObject({ val: weekly.description });
    const rule = w
      .rrule!.toString()
      .split('\n')
      .find((l) => l.startsWith('RRULE:'))!;
    expect(rruleParts(rule)).toEqual(rruleParts(weekly.rrule!));
    // Every Monday at 8:30 Paris time, summer and winter.
    const dates = w.rrule!.between(
      new Date('2025-10-20T00:00:00Z'),
      new Date('2025-11-04T00:00:00Z'),
    );
    expect(dates.map((d) => d.toISOString())).toEqual([
      '2025-10-20T06:30:00.000Z',
      '2025-10-27T07:30:00.000Z',
      '2025-11-03T07:30:00.000Z',
    ]);
    expect(w.attach).toBe(`/api/workspace/documents/${doc.id}/content`);
    const u = byUid.get(utc.uid)!;
    expect(
      rruleParts(
        u
          .rrule!.toString()
          .split('\n')
          .find((l) => l.startsWith('RRULE:'))!,
      ),
    ).toEqual(['COUNT=5', 'FREQ=DAILY']);
    expect(u.start.tz).toBe('Etc/UTC');

    const d = byUid.get(trip.uid)!;
    expect(d.datetype).toBe('date');
    expect(d.start.dateOnly).toBe(true);
    expect(localDate(d.start)).toBe('2025-10-09');
    // DTEND of dates is exclusive: the day after the last day.
    expect(localDate(d.end!)).toBe('2025-10-11');
    expect(text).toContain('DTSTART;VALUE=DATE:20251009');
  });

  it('imports an .ics file, and skips its events the second time', async () => {
    const id = await newCalendar(t, 'Agenda importé');
    const file = icsFile(
      'BEGIN:VTIMEZONE',
      'TZID:America/New_York',
      'BEGIN:STANDARD',
      'DTSTART:19701101T020000',
      'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU',
      'TZOFFSETFROM:-0400',
      'TZOFFSETTO:-0500',
      'END:STANDARD',
      'BEGIN:DAYLIGHT',
      'DTSTART:19700308T020000',
      'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU',
      'TZOFFSETFROM:-0500',
      'TZOFFSETTO:-0400',
      'END:DAYLIGHT',
      'END:VTIMEZONE',
      'BEGIN:VEVENT',
      'UID:weekly-1@example.org',
      'DTSTAMP:20250901T000000Z',
      'DTSTART;TZID=Europe/Paris:20250916T140000',
      'DTEND;TZID=Europe/Paris:20250916T160000',
      'RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=10',
      'SUMMARY:Atelier théâtre',
      'LOCATION:Foyer',
      'DESCRIPTION:Apporter une tenue\\nconfortable & des chaussons',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:ny-2@example.org',
      'DTSTAMP:20250901T000000Z',
      'DTSTART;TZID=America/New_York:20251105T090000',
      'DTEND;TZID=America/New_York:20251105T103000',
      'SUMMARY;LANGUAGE=en:Visio avec New York',
      'X-ALT-DESC;FMTTYPE=text/html:<p>Lien <a href="https://visio.example/x">ici</a></p><script>alert(1)</script>',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:allday-3@example.org',
      'DTSTAMP:20250901T000000Z',
      'DTSTART;VALUE=DATE:20251020',
      'DTEND;VALUE=DATE:20251023',
      'SUMMARY:Voyage scolaire',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:utc-4@example.org',
      'DTSTAMP:20250901T000000Z',
      'DTSTART:20251201T080000Z',
      'DURATION:PT45M',
      'SUMMARY:Rendez-vous',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:broken-5@example.org',
      'DTSTAMP:20250901T000000Z',
      'SUMMARY:Sans date',
      'END:VEVENT',
      'BEGIN:VTODO',
      'UID:todo-6@example.org',
      'SUMMARY:Pas un événement',
      'END:VTODO',
    );

    const first = await importIcs(id, file);
    expect(first.status).toBe(200);
    const report = (await first.json()) as {
      imported: number;
      skipped: number;
      failed: { uid: string }[];
    };
    expect(report).toMatchObject({ imported: 4, skipped: 0 });
    expect(report.failed.map((f) => f.uid)).toEqual(['broken-5@example.org']);

    const list = await events(id);
    const byUid = new Map(list.map((e) => [e.uid, e]));
    expect(byUid.get('weekly-1@example.org')).toMatchObject({
      title: 'Atelier théâtre',
      location: 'Foyer',
      start: '2025-09-16T14:00:00+02:00',
      end: '2025-09-16T16:00:00+02:00',
      timeZone: 'Europe/Paris',
      allDay: false,
      description: '<p>Apporter une tenue<br />confortable &amp; des chaussons</p>',
    });
    expect(rruleParts(byUid.get('weekly-1@example.org')!.rrule!)).toEqual(
      rruleParts('FREQ=WEEKLY;BYDAY=TU;COUNT=10'),
    );
    const ny = byUid.get('ny-2@example.org')!;
    expect(ny).toMatchObject({
      title: 'Visio avec New York',
      start: '2025-11-05T09:00:00-05:00',
      end: '2025-11-05T10:30:00-05:00',
      timeZone: 'America/New_York',
    });
    expect(Date.parse(ny.start)).toBe(Date.parse('2025-11-05T14:00:00Z'));
    expect(ny.description).toContain('<a href="https://visio.example/x">ici</a>');
    expectInert(ny.description);
    expect(byUid.get('allday-3@example.org')).toMatchObject({
      allDay: true,
      start: '2025-10-20',
      end: '2025-10-22',
      timeZone: null,
      rrule: null,
    });
    expect(byUid.get('utc-4@example.org')).toMatchObject({
      start: '2025-12-01T08:00:00Z',
      end: '2025-12-01T08:45:00Z',
      timeZone: null,
    });

    const second = await importIcs(id, file);
    expect(await second.json()).toMatchObject({ imported: 0, skipped: 4 });
    expect(await events(id)).toHaveLength(4);

    // What comes in goes out again: the export of the imported events reads the same.
    const { byUid: exported } = await exportIcs(id);
    expect(exported.get('ny-2@example.org')!.start.getTime()).toBe(
      Date.parse('2025-11-05T14:00:00Z'),
    );
    expect(localDate(exported.get('allday-3@example.org')!.end!)).toBe('2025-10-23');

    // A file node-ical chokes on loses only the bad event.
    const mixed = await importIcs(
      id,
      icsFile(
        'BEGIN:VEVENT',
        'UID:bad-rule@example.org',
        'DTSTART:20251001T080000Z',
        'RRULE:FREQ=NEVER',
        'SUMMARY:Règle cassée',
        'END:VEVENT',
        'BEGIN:VEVENT',
        'UID:fine@example.org',
        'DTSTART:20251002T080000Z',
        'DTEND:20251002T090000Z',
        'SUMMARY:Correct',
        'END:VEVENT',
      ),
    );
    const mixedReport = (await mixed.json()) as { imported: number; failed: { uid: string }[] };
    expect(mixedReport.imported).toBe(1);
    expect(mixedReport.failed.map((f) => f.uid)).toEqual(['bad-rule@example.org']);
  });

  it('refuses imports that are not .ics, too large, or into a calendar one only reads', async () => {
    const id = await newCalendar();
    const notIcs = await importIcs(id, 'Ceci n’est pas un agenda');
    expect(notIcs.status).toBe(400);
    const big = Buffer.alloc(5 * 1024 * 1024 + 10, 0x41);
    big.write('BEGIN:VCALENDAR\r\n');
    const tooBig = await importIcs(id, big);
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { error: { code: string } }).error.code).toBe(
      'payload_too_large',
    );
    const reader = await person();
    await s.t.runtime.platform.sharing.share(
      teacher.id,
      { app: 'calendar', type: 'calendar', id },
      { kind: 'user', id: reader.user.id },
      'read',
    );
    const ok = icsFile(
      'BEGIN:VEVENT',
      'UID:x@y',
      'DTSTART:20251001T080000Z',
      'SUMMARY:x',
      'END:VEVENT',
    );
    expect((await importIcs(id, ok, reader.h)).status).toBe(403);
    expect(await events(id)).toEqual([]);
  });

  it('tells the readers of a shared calendar in their timeline when an event is added', async () => {
    const platform = s.t.runtime.platform;
    const pupil = await person();
    const other = await person();
    const group = await platform.accounts.createGroup('Collège Test', `6e D ${teacher.login}`);
    await platform.accounts.addMember(group.id, pupil.user.login);
    const shared = await newCalendar(t, 'Agenda de la 6e D');
    await call(t, 'POST', `/api/calendar/calendars/${shared}/shares`, {
      group: group.id,
      right: 'read',
    });
    const mine = await newCalendar(t, 'Agenda privé');
    const before = (await platform.timeline.list(pupil.user.id, { limit: 10 })).items.length;

    await addEvent(mine, {
      title: 'Privé',
      start: '2025-10-01T10:00:00Z',
      end: '2025-10-01T11:00:00Z',
    });
    const event = await addEvent(shared, {
      title: 'Sortie au musée',
      allDay: true,
      start: '2025-10-09',
      end: '2025-10-09',
    });

    const timeline = (await platform.timeline.list(pupil.user.id, { limit: 10 })).items;
    expect(timeline).toHaveLength(before + 1);
    expect(timeline[0]).toMatchObject({
      type: 'calendar',
      messageKey: 'calendar.event.added',
      params: { calendar: 'Agenda de la 6e D', title: 'Sortie au musée', start: event.start },
      link: `/calendar/${shared}`,
    });
    const own = (await platform.timeline.list(teacher.id, { limit: 10 })).items;
    // The author is not told about their own event.
    expect(own.some((n) => n.params.calendar === 'Agenda de la 6e D')).toBe(false);
    expect((await platform.timeline.list(other.user.id, { limit: 10 })).items).toEqual([]);
  });

  it('attaches documents the author can read, and serves them to the calendar’s readers', async () => {
    const platform = s.t.runtime.platform;
    const workspace = s.t.runtime.apps.workspace;
    const pupil = await person();
    const id = await newCalendar();
    await platform.sharing.share(
      teacher.id,
      { app: 'calendar', type: 'calendar', id },
      { kind: 'user', id: pupil.user.id },
      'contrib',
    );
    const doc = await workspace.upload(teacher, {
      name: 'convocation.txt',
      body: Readable.from([Buffer.from('Réunion à 18 h')]),
    });
    const privateDoc = await workspace.upload(teacher, {
      name: 'notes.txt',
      body: Readable.from([Buffer.from('privé')]),
    });
    const event = await addEvent(id, {
      title: 'Réunion',
      start: '2025-10-01T18:00:00+02:00',
      end: '2025-10-01T19:00:00+02:00',
      attachments: [doc.id],
    });
    expect(event.attachments).toEqual([doc.id]);

    // The pupil has no share on the file: the workspace says 404, the calendar serves it.
    const direct = await call(pupil.h, 'GET', `/api/workspace/documents/${doc.id}/content`);
    expect(direct.statusCode).toBe(404);
    const url = `/api/calendar/calendars/${id}/events/${event.id}/attachments/${doc.id}`;
    const viaCalendar = await call(pupil.h, 'GET', url);
    expect(viaCalendar.statusCode).toBe(200);
    expect(viaCalendar.body).toBe('Réunion à 18 h');
    const outsider = await person();
    expect((await call(outsider.h, 'GET', url)).statusCode).toBe(404);

    // A contributor attaches only what they can read themselves.
    const refused = await call(pupil.h, 'POST', `/api/calendar/calendars/${id}/events`, {
      title: 'x',
      start: '2025-10-02T18:00:00+02:00',
      end: '2025-10-02T19:00:00+02:00',
      attachments: [privateDoc.id],
    });
    expect(refused.statusCode).toBe(400);
    // ...but keeps the attachments someone else vouched for when editing the event.
    const edited = await call(
      pupil.h,
      'PATCH',
      `/api/calendar/calendars/${id}/events/${event.id}`,
      {
        title: 'Réunion parents-professeurs',
        attachments: [doc.id],
      },
    );
    expect(edited.statusCode, edited.body).toBe(200);
    expect((await call(pupil.h, 'GET', url)).statusCode).toBe(200);

    await workspace.trashDocument(teacher, doc.id);
    expect((await call(pupil.h, 'GET', url)).statusCode).toBe(404);
  });

  it('publishes its routes in a valid OpenAPI document', async () => {
    const doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const paths = Object.fromEntries(
      Object.entries(doc.paths as Record<string, unknown>).filter(([path]) =>
        path.startsWith('/api/calendar/'),
      ),
    );
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/api/calendar/calendars',
        '/api/calendar/calendars/{id}',
        '/api/calendar/calendars/{id}/events',
        '/api/calendar/calendars/{id}/events/{eventId}',
        '/api/calendar/calendars/{id}/events/{eventId}/attachments/{documentId}',
        '/api/calendar/calendars/{id}/ics',
        '/api/calendar/calendars/{id}/import',
        '/api/calendar/calendars/{id}/shares',
      ]),
    );
    await expect(SwaggerParser.validate(structuredClone({ ...doc, paths }))).resolves.toBeTruthy();
  });

  it('seeds the demo agendas', async () => {
    const platform = s.t.runtime.platform;
    const { seedCalendarDemo } = await import('./calendar.demo.ts');
    const demoTeacher = await makeUser(platform, 'Teacher');
    const demoPupil = await person();
    const group = await platform.accounts.createGroup('Collège Test', `6e A ${demoTeacher.login}`);
    await platform.accounts.addMember(group.id, demoPupil.user.login);
    const users = { teacher: demoTeacher, student: demoPupil.user, classGroupId: group.id };
    await seedCalendarDemo(s.t.runtime, users);
    await seedCalendarDemo(s.t.runtime, users); // idempotent

    const calendars = (await call(demoPupil.h, 'GET', '/api/calendar/calendars')).json().items;
    expect(calendars.map((c: { title: string; access: string }) => [c.title, c.access])).toEqual([
      ['Mes devoirs', 'owner'],
      ['Agenda de la 6e A', 'read'],
    ]);
    const classAgenda = calendars[1].id as string;
    const list = await events(classAgenda, '', demoPupil.h);
    expect(list).toHaveLength(3);
    expect(list.find((e) => e.rrule !== null)).toMatchObject({ timeZone: 'Europe/Paris' });
    expect(list.find((e) => e.allDay)).toMatchObject({ title: 'Sortie au musée' });
    const withFile = list.find((e) => e.attachments.length === 1)!;
    const file = await call(
      demoPupil.h,
      'GET',
      `/api/calendar/calendars/${classAgenda}/events/${withFile.id}/attachments/${withFile.attachments[0]}`,
    );
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('application/pdf');
    expect(await events(calendars[0].id, '', demoPupil.h)).toHaveLength(2);
    const timeline = await platform.timeline.list(demoPupil.user.id, { limit: 10 });
    expect(timeline.items.filter((n) => n.messageKey === 'calendar.event.added')).toHaveLength(3);
  });
});
