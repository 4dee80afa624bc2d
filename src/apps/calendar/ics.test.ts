import ical from 'node-ical';
import { describe, expect, it } from 'vitest';
import {
  formatInstant,
  parseInstant,
  resolveRecurrence,
  resolveTimes,
  type CalendarEvent,
} from './calendar.model.ts';
import { calendarToIcs, htmlToPlainText, parseIcs, plainTextToHtml } from './ics.ts';
import { parseRrule } from './rrule.ts';
import { instantOf, offsetMinutes, vtimezone, wallTime } from './time-zones.ts';

function event(overrides: Partial<CalendarEvent>): CalendarEvent {
  return {
    id: 'e1',
    calendarId: 'c1',
    uid: 'uid-1@test',
    authorId: 'u1',
    title: 'Cours',
    description: '',
    location: null,
    allDay: false,
    start: '',
    end: '',
    startMs: Date.parse('2026-03-29T08:00:00Z'),
    endMs: Date.parse('2026-03-29T09:00:00Z'),
    timeZone: null,
    rrule: null,
    attachments: [],
    createdAt: 0,
    modifiedAt: 0,
    ...overrides,
  };
}

describe('RRULE checks', () => {
  it('normalises good rules and says why bad ones are refused', () => {
    expect(parseRrule('rrule:freq=weekly;byday=mo,we;interval=2').value).toBe(
      'FREQ=WEEKLY;BYDAY=MO,WE;INTERVAL=2',
    );
    expect(parseRrule('FREQ=MONTHLY;BYDAY=-1FR;COUNT=6')).toMatchObject({ count: 6 });
    expect(parseRrule('FREQ=YEARLY;UNTIL=20260704')).toMatchObject({
      until: { ms: Date.UTC(2026, 6, 4), dateOnly: true, utc: false },
    });
    for (const [rule, why] of [
      ['', /empty/],
      ['BYDAY=MO;FREQ=WEEKLY', /start with FREQ/],
      ['FREQ=FORTNIGHTLY', /FREQ=FORTNIGHTLY/],
      ['FREQ=WEEKLY;BYDAY=MO;BYDAY=TU', /twice/],
      ['FREQ=WEEKLY;COUNT=0', /COUNT=0/],
      ['FREQ=WEEKLY;UNTIL=20260231T000000Z', /UNTIL/],
      ['FREQ=WEEKLY;COUNT=3;UNTIL=20260101', /COUNT and UNTIL/],
      ['FREQ=MONTHLY;BYMONTHDAY=32', /BYMONTHDAY/],
      ['FREQ=WEEKLY;BYDAY=MO\r\nDTSTART:20250101', /not valid/],
      ['FREQ=DAILY;X-FOO=1', /unknown rule part/],
      [`FREQ=DAILY;${'BYHOUR=1;'.repeat(60)}`, /longer than/],
    ] as const) {
      expect(() => parseRrule(rule), rule).toThrow(why);
    }
  });

  it('bounds the end of a series from UNTIL, and leaves COUNT series open', () => {
    const times = resolveTimes({
      allDay: false,
      start: '2025-09-01T08:00:00+02:00',
      end: '2025-09-01T09:00:00+02:00',
      timeZone: 'Europe/Paris',
    });
    expect(resolveRecurrence(null, times).seriesEnd).toBe(times.endMs);
    expect(resolveRecurrence('FREQ=DAILY;COUNT=3', times).seriesEnd).toBeNull();
    expect(resolveRecurrence('FREQ=DAILY;UNTIL=20251001T060000Z', times).seriesEnd).toBe(
      Date.parse('2025-10-01T07:00:00Z'),
    );
  });
});

describe('times', () => {
  it('reads ISO 8601 with an offset and writes it back the same', () => {
    for (const text of [
      '2025-09-15T08:30:00+02:00',
      '2025-09-15T08:30:00Z',
      '2025-12-31T23:59:59.500-05:30',
    ]) {
      const parsed = parseInstant(text)!;
      expect(parsed.ms).toBe(Date.parse(text));
      expect(formatInstant(parsed.ms, parsed.offset)).toBe(text);
    }
    expect(parseInstant('2025-09-15T08:30:00')).toBeUndefined();
    expect(parseInstant('2025-13-01T08:30:00Z')).toBeUndefined();
    expect(parseInstant('2025-09-15T24:00:00Z')).toBeUndefined();
  });

  it('converts wall-clock times and offsets of IANA zones, DST included', () => {
    const summer = Date.parse('2025-07-01T10:00:00Z');
    expect(offsetMinutes(summer, 'Europe/Paris')).toBe(120);
    expect(offsetMinutes(Date.parse('2025-01-01T10:00:00Z'), 'Europe/Paris')).toBe(60);
    expect(wallTime(summer, 'America/New_York')).toEqual({
      year: 2025,
      month: 7,
      day: 1,
      hour: 6,
      minute: 0,
      second: 0,
    });
    expect(
      instantOf({ year: 2025, month: 10, day: 26, hour: 2, minute: 30, second: 0 }, 'Europe/Paris'),
    ).toBe(Date.parse('2025-10-26T00:30:00Z')); // the earlier of the two 2:30
    expect(
      instantOf({ year: 2025, month: 3, day: 30, hour: 2, minute: 30, second: 0 }, 'Europe/Paris'),
    ).toBe(Date.parse('2025-03-30T01:30:00Z')); // in the gap: after it
  });

  it('writes VTIMEZONEs with the yearly rules of the zone', () => {
    const paris = vtimezone('Europe/Paris', 2026)!;
    expect(paris).toContain(
      'BEGIN:DAYLIGHT\r\nDTSTART:20260329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
    );
    expect(paris).toContain(
      'BEGIN:STANDARD\r\nDTSTART:20261025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
    );
    expect(vtimezone('America/New_York', 2026)).toContain('BYMONTH=3;BYDAY=2SU');
    expect(vtimezone('Asia/Tokyo', 2026)).toContain('TZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900');
    expect(vtimezone('Mars/Olympus', 2026)).toBeNull();
  });
});

describe('calendarToIcs', () => {
  it('links attachments absolutely when the public URL is known, and keeps zones across DST', () => {
    const ics = calendarToIcs(
      { title: 'Agenda', color: '#112233' },
      [
        event({
          uid: 'dst@test',
          // Sunday 29 March 2026: Paris goes to summer time at 2:00.
          startMs: Date.parse('2026-03-29T08:00:00Z'),
          endMs: Date.parse('2026-03-29T09:00:00Z'),
          timeZone: 'Europe/Paris',
          attachments: ['d1'],
          description: '<p>Un &lt;b&gt; et &amp;</p><ul><li>un</li><li>deux</li></ul>',
        }),
      ],
      { publicUrl: 'https://ent.example/' },
    );
    expect(ics).toContain('ATTACH:https://ent.example/api/workspace/documents/d1/content');
    expect(ics).toContain('DTSTART;TZID=Europe/Paris:20260329T100000');
    const parsed = ical.sync.parseICS(ics)['dst@test'];
    expect(parsed?.type).toBe('VEVENT');
    if (parsed?.type !== 'VEVENT') return;
    expect(parsed.start.toISOString()).toBe('2026-03-29T08:00:00.000Z');
    expect(parsed.description).toBe('Un <b> et &\nun\ndeux');
  });

  it('round-trips through parseIcs', () => {
    const source = [
      event({
        uid: 'a@test',
        timeZone: 'America/New_York',
        rrule: 'FREQ=WEEKLY;COUNT=4',
        location: 'Salle 1',
      }),
      event({
        uid: 'b@test',
        allDay: true,
        startMs: Date.UTC(2026, 1, 28),
        endMs: Date.UTC(2026, 2, 2),
        description: '<p>Ligne 1<br />Ligne 2</p>',
      }),
    ];
    const { events, failed } = parseIcs(calendarToIcs({ title: 'x', color: '#000000' }, source));
    expect(failed).toEqual([]);
    expect(events).toEqual([
      {
        uid: 'a@test',
        title: 'Cours',
        description: '',
        location: 'Salle 1',
        allDay: false,
        start: '2026-03-29T04:00:00-04:00',
        end: '2026-03-29T05:00:00-04:00',
        timeZone: 'America/New_York',
        rrule: 'FREQ=WEEKLY;COUNT=4',
      },
      {
        uid: 'b@test',
        title: 'Cours',
        description: '<p>Ligne 1<br />Ligne 2</p>',
        location: null,
        allDay: true,
        start: '2026-02-28',
        end: '2026-03-01',
        timeZone: null,
        rrule: null,
      },
    ]);
  });

  it('turns text into HTML and back', () => {
    const html = plainTextToHtml('Bonjour <toi> & moi\nligne 2\n\nparagraphe');
    expect(html).toBe('<p>Bonjour &lt;toi&gt; &amp; moi<br />ligne 2</p><p>paragraphe</p>');
    expect(htmlToPlainText(html)).toBe('Bonjour <toi> & moi\nligne 2\nparagraphe');
  });
});
