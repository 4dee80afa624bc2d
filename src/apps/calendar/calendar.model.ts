import { AppError } from '../../errors.ts';
import type { ResourceKind } from '../../platform/access.ts';
import { parseRrule } from './rrule.ts';
import { canonicalTimeZone } from './time-zones.ts';

export const CALENDAR = 'calendar';
/** Calendars as shares name them. */
export const CALENDARS: ResourceKind = { app: CALENDAR, type: 'calendar' };
export const DEFAULT_COLOR = '#3b82f6';
export const MAX_TITLE = 500;
export const MAX_LOCATION = 500;
export const MAX_DESCRIPTION = 100_000;
export const MAX_UID = 255;
export const MAX_ATTACHMENTS = 20;

export interface Calendar {
  id: string;
  title: string;
  color: string;
  ownerId: string;
  ownerName: string;
  createdAt: number;
  modifiedAt: number;
}

export interface CalendarEvent {
  id: string;
  calendarId: string;
  uid: string;
  authorId: string;
  title: string;
  /** Sanitised HTML. */
  description: string;
  location: string | null;
  allDay: boolean;
  /** ISO 8601 with the offset it was given with; `YYYY-MM-DD` for all-day events. */
  start: string;
  /** Same form as `start`; for all-day events the last day (inclusive). */
  end: string;
  /** First instant (all-day: UTC midnight of the first day). */
  startMs: number;
  /** Last instant (all-day: UTC midnight after the last day). */
  endMs: number;
  timeZone: string | null;
  rrule: string | null;
  /** Workspace document ids, in order. */
  attachments: string[];
  createdAt: number;
  modifiedAt: number;
}

/** The times of an event as stored. */
export type EventTimes =
  | {
      allDay: false;
      startMs: number;
      endMs: number;
      startOffset: number;
      endOffset: number;
      timeZone: string | null;
    }
  | { allDay: true; startMs: number; endMs: number; timeZone: string | null };

export const DAY_MS = 86_400_000;
/** The widest UTC offset in use (Pacific/Kiritimati): bounds floating times. */
const MAX_OFFSET_MS = 14 * 3_600_000;

export function invalid(path: string, message: string): AppError {
  return new AppError('invalid_request', message, { details: [{ path, message }] });
}

const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function utcMs(year: number, month: number, day: number): number | undefined {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day
    ? d.getTime()
    : undefined;
}

/** A calendar date `YYYY-MM-DD` as the UTC midnight it starts, or undefined. */
export function parseDate(text: string): number | undefined {
  const m = DATE.exec(text);
  if (m === null) return undefined;
  return utcMs(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** An ISO 8601 date-time with an offset or `Z`: the instant and the offset (minutes). */
export function parseInstant(text: string): { ms: number; offset: number } | undefined {
  const m = INSTANT.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone = 'Z'] = m;
  const day = utcMs(Number(y), Number(mo), Number(d));
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s ?? '0');
  if (day === undefined || hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2));
    if (oh > 18 || om > 59) return undefined;
    offset = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const millis = Number((frac ?? '').padEnd(3, '0').slice(0, 3));
  const local = day + ((hour * 60 + minute) * 60 + second) * 1000 + millis;
  return { ms: local - offset * 60_000, offset };
}

/** An instant written with a fixed offset: `2025-09-15T08:30:00+02:00`, `...Z` at offset 0. */
export function formatInstant(ms: number, offset: number): string {
  const iso = new Date(ms + offset * 60_000).toISOString();
  const body = iso.endsWith('.000Z') ? iso.slice(0, -5) : iso.slice(0, -1);
  if (offset === 0) return `${body}Z`;
  const abs = Math.abs(offset);
  const sign = offset < 0 ? '-' : '+';
  return `${body}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** A window bound (`?from=`, `?to=`): a date (UTC midnight) or a date-time with an offset. */
export function parseBound(raw: string, path: string): number {
  // An unencoded "+02:00" in a query string arrives as " 02:00".
  const text = raw.replace(/ (\d{2}:?\d{2})$/, '+$1');
  const date = parseDate(text);
  if (date !== undefined) return date;
  const instant = parseInstant(text);
  if (instant === undefined)
    throw invalid(path, `${path.slice(1)} is a date (YYYY-MM-DD) or a date-time with an offset`);
  return instant.ms;
}

export function cleanTimeZone(tz: string | null | undefined): string | null {
  if (tz === undefined || tz === null || tz.trim() === '') return null;
  const canonical = canonicalTimeZone(tz.trim());
  if (canonical === undefined) throw invalid('/timeZone', `Unknown time zone "${tz}"`);
  return canonical;
}

/**
 * Checks the times of an event: date-times with an offset (or `Z`) for timed events, dates for
 * all-day ones (the end is the last day, inclusive), the end never before the start.
 */
export function resolveTimes(input: {
  allDay: boolean;
  start: string;
  end: string;
  timeZone: string | null | undefined;
}): EventTimes {
  const timeZone = cleanTimeZone(input.timeZone);
  if (input.allDay) {
    const start = parseDate(input.start);
    if (start === undefined)
      throw invalid('/start', 'An all-day event starts on a date (YYYY-MM-DD)');
    const end = parseDate(input.end);
    if (end === undefined) throw invalid('/end', 'An all-day event ends on a date (YYYY-MM-DD)');
    if (end < start) throw invalid('/end', 'The end is before the start');
    return { allDay: true, startMs: start, endMs: end + DAY_MS, timeZone };
  }
  const start = parseInstant(input.start);
  if (start === undefined)
    throw invalid('/start', 'start is an ISO 8601 date-time with an offset or Z');
  const end = parseInstant(input.end);
  if (end === undefined) throw invalid('/end', 'end is an ISO 8601 date-time with an offset or Z');
  if (end.ms < start.ms) throw invalid('/end', 'The end is before the start');
  return {
    allDay: false,
    startMs: start.ms,
    endMs: end.ms,
    startOffset: start.offset,
    endOffset: end.offset,
    timeZone,
  };
}

/**
 * Checks an RRULE and bounds the end of its last occurrence, so window queries can skip
 * series that are over (null: no UNTIL, the series may go on for ever or COUNT times).
 */
export function resolveRecurrence(
  rrule: string | null | undefined,
  times: EventTimes,
): { rrule: string | null; seriesEnd: number | null } {
  if (rrule === undefined || rrule === null || rrule.trim() === '')
    return { rrule: null, seriesEnd: times.endMs };
  const rule = parseRrule(rrule);
  if (rule.until === undefined) return { rrule: rule.value, seriesEnd: null };
  const duration = times.endMs - times.startMs;
  const until = rule.until;
  const last = until.ms + (until.dateOnly ? DAY_MS : 0) + (until.utc ? 0 : MAX_OFFSET_MS);
  return { rrule: rule.value, seriesEnd: Math.max(times.endMs, last + duration) };
}

/** Time fields as the API shows them. */
export function presentTimes(row: {
  all_day: number;
  start_at: number;
  end_at: number;
  start_offset: number;
  end_offset: number;
}): { allDay: boolean; start: string; end: string } {
  if (row.all_day === 1) {
    return {
      allDay: true,
      start: formatDate(row.start_at),
      end: formatDate(Math.max(row.start_at, row.end_at - DAY_MS)),
    };
  }
  return {
    allDay: false,
    start: formatInstant(row.start_at, row.start_offset),
    end: formatInstant(row.end_at, row.end_offset),
  };
}

/** One-line text (titles, places): no control characters, spaces trimmed. */
export function cleanLine(text: string, path: string, max: number, required: boolean): string {
  const clean = text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/\p{Cc}/gu, '')
    .trim();
  if (required && clean.length === 0) throw invalid(path, `${path.slice(1)} is required`);
  if (clean.length > max) throw invalid(path, `${path.slice(1)} has at most ${max} characters`);
  return clean;
}

export function cleanColor(color: string | undefined): string {
  if (color === undefined) return DEFAULT_COLOR;
  if (!/^#[0-9a-f]{6}$/i.test(color)) throw invalid('/color', 'A colour is written #rrggbb');
  return color.toLowerCase();
}

export function cleanUid(uid: string): string {
  const clean = uid.trim();
  if (clean.length === 0 || clean.length > MAX_UID || /\p{Cc}/u.test(clean))
    throw invalid('/uid', `A UID is 1 to ${MAX_UID} printable characters`);
  return clean;
}
