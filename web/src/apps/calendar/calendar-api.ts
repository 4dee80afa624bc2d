/** Agenda endpoints (`/api/calendar/...`): calendars, events, iCalendar export and import. */
import { apiRequest, expectShape, isRecord } from '../../api/client.ts';
import {
  isId,
  itemsOf,
  longText,
  postFile,
  seg,
  text,
  parseOwned,
  type OwnedResource,
} from '../api-common.ts';

export interface Calendar extends OwnedResource {
  /** `#rrggbb`. */
  color: string;
}

interface EventBase {
  id: string;
  calendarId: string;
  title: string;
  /** Sanitised HTML. */
  description: string;
  location: string | null;
  /** IANA zone the event was written in, or null. */
  timeZone: string | null;
  /** RFC 5545 RRULE: the event is a series, listed once. */
  rrule: string | null;
  attachments: string[];
}

/** Timed: two instants. All-day: the first and last days (inclusive), `YYYY-MM-DD`. */
export type CalEvent =
  | (EventBase & { allDay: false; start: Date; end: Date })
  | (EventBase & { allDay: true; startDay: string; endDay: string });

export interface ImportReport {
  imported: number;
  skipped: number;
  failed: { uid: string; reason: string }[];
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const COLOR = /^#[0-9a-fA-F]{6}$/;

/** An ISO 8601 date-time with an offset (what the server sends for timed events). */
function parseInstant(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function parseCalendar(value: unknown): Calendar | undefined {
  if (!isRecord(value)) return undefined;
  const owned = parseOwned(value);
  const { color } = value;
  return (
    owned && {
      ...owned,
      color: typeof color === 'string' && COLOR.test(color) ? color.toLowerCase() : '#6b7280',
    }
  );
}

function parseEvent(value: unknown): CalEvent | undefined {
  if (!isRecord(value)) return undefined;
  const { id, calendarId, title, start, end } = value;
  if (!isId(id) || !isId(calendarId) || typeof title !== 'string') return undefined;
  const base: EventBase = {
    id,
    calendarId,
    title: text(title),
    description: longText(value.description),
    location: typeof value.location === 'string' ? text(value.location) : null,
    timeZone: typeof value.timeZone === 'string' ? text(value.timeZone) : null,
    rrule: typeof value.rrule === 'string' && value.rrule !== '' ? text(value.rrule) : null,
    attachments: Array.isArray(value.attachments) ? value.attachments.filter(isId) : [],
  };
  if (value.allDay === true) {
    if (typeof start !== 'string' || !DAY.test(start)) return undefined;
    const endDay = typeof end === 'string' && DAY.test(end) && end >= start ? end : start;
    return { ...base, allDay: true, startDay: start, endDay };
  }
  const startAt = parseInstant(start);
  if (startAt === undefined) return undefined;
  const endAt = parseInstant(end);
  return {
    ...base,
    allDay: false,
    start: startAt,
    end: endAt !== undefined && endAt >= startAt ? endAt : startAt,
  };
}

function parseReport(value: unknown): ImportReport | undefined {
  if (!isRecord(value)) return undefined;
  const { imported, skipped, failed } = value;
  if (typeof imported !== 'number' || typeof skipped !== 'number' || !Array.isArray(failed))
    return undefined;
  return {
    imported,
    skipped,
    failed: failed.flatMap((f: unknown) =>
      isRecord(f) ? [{ uid: text(f.uid), reason: text(f.reason) }] : [],
    ),
  };
}

const parseCalendars = itemsOf(parseCalendar);
const parseEvents = itemsOf(parseEvent);

const CALENDARS = '/api/calendar/calendars';
const calendarPath = (calendarId: string) => `${CALENDARS}/${seg(calendarId)}`;

/** Where the browser downloads the calendar as an `.ics` file. */
export function icsUrl(calendarId: string): string {
  return `${calendarPath(calendarId)}/ics`;
}

/** Where readers open an event's attached document. */
export function attachmentUrl(calendarId: string, eventId: string, documentId: string): string {
  return `${calendarPath(calendarId)}/events/${seg(eventId)}/attachments/${seg(documentId)}`;
}

export async function fetchCalendars(signal?: AbortSignal): Promise<Calendar[]> {
  return expectShape(await apiRequest(CALENDARS, { signal }), parseCalendars, 'calendars');
}

export async function fetchCalendar(calendarId: string, signal?: AbortSignal): Promise<Calendar> {
  const body = await apiRequest(calendarPath(calendarId), { signal });
  return expectShape(body, parseCalendar, 'calendar');
}

export async function createCalendar(title: string): Promise<Calendar> {
  const body = await apiRequest(CALENDARS, { method: 'POST', body: { title } });
  return expectShape(body, parseCalendar, 'calendar');
}

/** Events that may occur from `from` on (recurring ones once, as their series). */
export async function fetchEvents(
  calendarId: string,
  from: Date,
  signal?: AbortSignal,
): Promise<CalEvent[]> {
  const query = new URLSearchParams({ from: from.toISOString() });
  const body = await apiRequest(`${calendarPath(calendarId)}/events?${query.toString()}`, {
    signal,
  });
  return expectShape(body, parseEvents, 'events');
}

export interface NewEvent {
  title: string;
  allDay: boolean;
  /** Date-time with an offset, or `YYYY-MM-DD` when all-day. */
  start: string;
  /** Same form; for all-day events the last day, inclusive. */
  end: string;
  timeZone: string | null;
  location: string | null;
  /** HTML. */
  description: string;
}

export async function createEvent(calendarId: string, input: NewEvent): Promise<CalEvent> {
  const body = await apiRequest(`${calendarPath(calendarId)}/events`, {
    method: 'POST',
    body: input,
  });
  return expectShape(body, parseEvent, 'event');
}

export async function importIcs(calendarId: string, file: File): Promise<ImportReport> {
  const body = await postFile(`${calendarPath(calendarId)}/import`, file);
  return expectShape(body, parseReport, 'import report');
}
