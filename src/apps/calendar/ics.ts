/**
 * iCalendar (RFC 5545) in and out: `calendarToIcs` builds a calendar file with ical-generator
 * (the Agenda's export route, and the Mes Données archive), `parseIcs` reads one with node-ical
 * into event inputs the service checks like any other.
 */
import ical, {
  type ICalEventData,
  type ICalTemporalInstantStub,
  type ICalTemporalPlainDateStub,
  type ICalTemporalPlainDateTimeStub,
  type ICalTemporalZonedDateTimeStub,
} from 'ical-generator';
import { sync as icalParser, type VEvent } from 'node-ical';
import sanitizeHtml from 'sanitize-html';
import { AppError } from '../../errors.ts';
import { documentUrl } from '../workspace/document-links.ts';
import { DAY_MS, formatInstant, type Calendar, type CalendarEvent } from './calendar.model.ts';
import {
  canonicalTimeZone,
  instantOf,
  isUtc,
  offsetMinutes,
  vtimezone,
  wallTime,
  type WallTime,
} from './time-zones.ts';

// ---- out ----------------------------------------------------------------------------------

export interface IcsOptions {
  /** The instance's public URL: attachment links are absolute when it is known. */
  publicUrl?: string;
  /** Where an attached document is linked (default: its workspace content URL). */
  attachmentUrl?: (documentId: string) => string;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function plainDate(w: Pick<WallTime, 'year' | 'month' | 'day'>): ICalTemporalPlainDateStub {
  const text = `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
  return { year: w.year, month: w.month, day: w.day, toJSON: () => text, toString: () => text };
}

function plainDateTime(w: WallTime): ICalTemporalPlainDateTimeStub {
  const text = `${plainDate(w).toString()}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
  return {
    ...w,
    toJSON: () => text,
    toString: () => text,
    toPlainDate: () => plainDate(w),
    toZonedDateTime: (timeZone) => zoned(instantOf(w, timeZone), timeZone),
  };
}

function instant(ms: number): ICalTemporalInstantStub {
  const text = new Date(ms).toISOString();
  return {
    epochMilliseconds: ms,
    toJSON: () => text,
    toString: () => text,
    toZonedDateTimeISO: (timeZone) => zoned(ms, timeZone),
  };
}

/**
 * An instant in a zone, in the shape of Temporal.ZonedDateTime that ical-generator accepts:
 * it then writes `DTSTART;TZID=<zone>:<wall-clock time>`. (Given a plain Date and a zone,
 * ical-generator would read the wall-clock time in the server's own zone.)
 */
function zoned(ms: number, timeZone: string): ICalTemporalZonedDateTimeStub {
  const w = wallTime(ms, timeZone);
  const text = `${plainDateTime(w).toString()}[${timeZone}]`;
  return {
    ...w,
    timeZoneId: timeZone,
    toInstant: () => instant(ms),
    toJSON: () => text,
    toString: () => text,
    toPlainDateTime: () => plainDateTime(w),
    withTimeZone: (other) => zoned(ms, other),
  };
}

const BLOCK_END = /<\/(p|div|h[1-6]|li|tr|blockquote|pre|dt|dd|figcaption|caption)>|<br\s*\/?>/gi;

/** Readable plain text of sanitised HTML, line breaks kept (the DESCRIPTION of an event). */
export function htmlToPlainText(html: string): string {
  const text = sanitizeHtml(html.replace(BLOCK_END, '$&\n'), {
    allowedTags: [],
    allowedAttributes: {},
  });
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .split('\n')
    .map((line) => line.replace(/[ \t\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function eventData(
  event: CalendarEvent,
  attachmentUrl: (documentId: string) => string,
): ICalEventData {
  const times: Pick<ICalEventData, 'start' | 'end' | 'allDay' | 'timezone'> = event.allDay
    ? {
        // UTC midnights, written as dates (no zone); DTEND is the day after the last
        // (exclusive, RFC 5545 §3.6.1).
        allDay: true,
        start: new Date(event.startMs),
        end: new Date(Math.max(event.endMs, event.startMs + DAY_MS)),
      }
    : event.timeZone !== null && !isUtc(event.timeZone)
      ? {
          start: zoned(event.startMs, event.timeZone),
          end: zoned(event.endMs, event.timeZone),
          timezone: event.timeZone,
        }
      : { start: new Date(event.startMs), end: new Date(event.endMs) };
  return {
    id: event.uid,
    summary: event.title,
    ...times,
    ...(event.description.length > 0
      ? { description: { plain: htmlToPlainText(event.description), html: event.description } }
      : {}),
    ...(event.location !== null && event.location !== '' ? { location: event.location } : {}),
    ...(event.rrule !== null ? { repeating: `RRULE:${event.rrule}` } : {}),
    attachments: event.attachments.map(attachmentUrl),
    created: new Date(event.createdAt),
    lastModified: new Date(event.modifiedAt),
    stamp: new Date(event.modifiedAt),
  };
}

/**
 * One calendar as an iCalendar file: every event with its recurrence, all-day dates, time
 * zone (TZID with a VTIMEZONE), location, description (plain text, and the HTML as
 * X-ALT-DESC) and attachments (ATTACH links to the workspace documents).
 */
export function calendarToIcs(
  calendar: Pick<Calendar, 'title' | 'color'>,
  events: Iterable<CalendarEvent>,
  options: IcsOptions = {},
): string {
  const base = options.publicUrl?.replace(/\/+$/, '') ?? '';
  const attachmentUrl = options.attachmentUrl ?? ((id: string) => `${base}${documentUrl(id)}`);
  const list = [...events];
  // Each zone's VTIMEZONE gives the rules in force in the year of its first event.
  const yearOf = new Map<string, number>();
  for (const e of list) {
    if (e.allDay || e.timeZone === null || isUtc(e.timeZone)) continue;
    const year = wallTime(e.startMs, e.timeZone).year;
    yearOf.set(e.timeZone, Math.min(yearOf.get(e.timeZone) ?? year, year));
  }
  const cal = ical({
    name: calendar.title,
    color: calendar.color,
    prodId: { company: 'Mes Donnees', product: 'Agenda', language: 'FR' },
    timezone: {
      name: null,
      generator: (tz) => vtimezone(tz, yearOf.get(tz) ?? new Date().getUTCFullYear()),
    },
  });
  for (const e of list) cal.createEvent(eventData(e, attachmentUrl));
  return cal.toString();
}

// ---- in -----------------------------------------------------------------------------------

/** An event read from a file, in the API's input shape (the service checks it). */
export interface IcsEvent {
  uid: string;
  title: string;
  /** HTML, to be sanitised. */
  description: string;
  location: string | null;
  allDay: boolean;
  start: string;
  end: string;
  timeZone: string | null;
  rrule: string | null;
}

export interface IcsFailure {
  uid: string;
  reason: string;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && 'val' in value) {
    const val = value.val;
    return typeof val === 'string' ? val : undefined;
  }
  return undefined;
}

function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Plain text as HTML paragraphs, line breaks kept. */
export function plainTextToHtml(plain: string): string {
  const trimmed = plain.replace(/\r\n?/g, '\n').trim();
  if (trimmed.length === 0) return '';
  return trimmed
    .split(/\n{2,}/)
    .map((para) => `<p>${escapeHtml(para).replace(/\n/g, '<br />')}</p>`)
    .join('');
}

function htmlDescription(event: VEvent): string {
  const alt: unknown = event['ALT-DESC'];
  if (typeof alt === 'object' && alt !== null && 'params' in alt) {
    const params: unknown = alt.params;
    const type =
      typeof params === 'object' && params !== null && 'FMTTYPE' in params
        ? params.FMTTYPE
        : undefined;
    const html = text(alt);
    if (typeof type === 'string' && type.toLowerCase() === 'text/html' && html !== undefined)
      return html;
  }
  return plainTextToHtml(text(event.description) ?? '');
}

function isDate(value: unknown): value is Date & { tz?: unknown; dateOnly?: unknown } {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

/** node-ical gives a DATE value as local midnight of the server's zone. */
function localDate(d: Date): string {
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function rruleOf(event: VEvent): string | null {
  const rule = event.rrule;
  if (rule === undefined || rule === null) return null;
  // node-ical gives a wrapper whose text is "DTSTART...\nRRULE:..."; keep the RRULE value.
  const raw = typeof rule.toString === 'function' ? rule.toString() : '';
  const line = raw.split(/\r?\n/).find((l) => /^RRULE:/i.test(l)) ?? raw;
  return line.replace(/^RRULE:/i, '').trim();
}

function toIcsEvent(event: VEvent): IcsEvent | string {
  const start: unknown = event.start;
  const end: unknown = event.end;
  if (!isDate(start)) return 'DTSTART is missing or invalid';
  const allDay = start.dateOnly === true || event.datetype === 'date';
  const base = {
    uid: event.uid,
    title: text(event.summary)?.trim() || 'Sans titre',
    description: htmlDescription(event),
    location: text(event.location) ?? null,
    rrule: rruleOf(event),
  };
  if (allDay) {
    const first = localDate(start);
    // DTEND of dates is exclusive: the API's end is the last day.
    const last = isDate(end) ? localDate(new Date(end.getTime() - DAY_MS)) : first;
    return { ...base, allDay, start: first, end: last < first ? first : last, timeZone: null };
  }
  const tzid = typeof start.tz === 'string' ? canonicalTimeZone(start.tz) : undefined;
  const timeZone = tzid === undefined || isUtc(tzid) ? null : tzid;
  const stop = isDate(end) ? end : start;
  const offset = (ms: number) => (timeZone === null ? 0 : offsetMinutes(ms, timeZone));
  return {
    ...base,
    allDay,
    start: formatInstant(start.getTime(), offset(start.getTime())),
    end: formatInstant(stop.getTime(), offset(stop.getTime())),
    timeZone,
  };
}

type Parsed = ReturnType<typeof icalParser.parseICS>;

function readable(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}

/**
 * node-ical gives up on a whole file for one bad event (an RRULE it cannot read...): then
 * each VEVENT is read on its own, next to the file's other components (its VTIMEZONEs).
 */
function parseEventByEvent(source: string, failed: IcsFailure[]): Parsed[] {
  const head: string[] = [];
  const blocks: string[][] = [];
  let current: string[] | undefined;
  for (const line of source.split(/\r?\n/)) {
    if (/^BEGIN:VEVENT\s*$/i.test(line)) current = [];
    if (current !== undefined) current.push(line);
    else if (!/^END:VCALENDAR\s*$/i.test(line)) head.push(line);
    if (current !== undefined && /^END:VEVENT\s*$/i.test(line)) {
      blocks.push(current);
      current = undefined;
    }
  }
  const out: Parsed[] = [];
  for (const block of blocks) {
    try {
      out.push(icalParser.parseICS([...head, ...block, 'END:VCALENDAR'].join('\r\n')));
    } catch (error) {
      const uidLine = block.find((l) => /^UID[:;]/i.test(l));
      const uid = uidLine === undefined ? '' : uidLine.slice(uidLine.indexOf(':') + 1).trim();
      failed.push({ uid, reason: `This event cannot be read: ${readable(error)}` });
    }
  }
  return out;
}

/**
 * The VEVENTs of an iCalendar file (other components are ignored). Events that cannot be
 * read are listed with the reason; a file that is not iCalendar at all is `invalid_request`.
 */
export function parseIcs(source: string): { events: IcsEvent[]; failed: IcsFailure[] } {
  const text = source.replace(/^\uFEFF/, '');
  if (!/^\s*BEGIN:VCALENDAR/i.test(text)) {
    throw new AppError('invalid_request', 'This is not an iCalendar (.ics) file');
  }
  const events: IcsEvent[] = [];
  const failed: IcsFailure[] = [];
  let parsed: Parsed[];
  try {
    parsed = [icalParser.parseICS(text)];
  } catch {
    parsed = parseEventByEvent(text, failed);
  }
  for (const calendar of parsed) {
    for (const component of Object.values(calendar)) {
      if (component === undefined || component.type !== 'VEVENT') continue;
      const uid = typeof component.uid === 'string' ? component.uid.trim() : '';
      if (uid === '') {
        failed.push({ uid: '', reason: 'UID is missing' });
        continue;
      }
      const event = toIcsEvent({ ...component, uid });
      if (typeof event === 'string') failed.push({ uid, reason: event });
      else events.push(event);
    }
  }
  return { events, failed };
}
