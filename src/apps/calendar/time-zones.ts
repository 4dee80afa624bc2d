/**
 * IANA time zones through `Intl` (Node ships the full ICU data): validation, wall-clock time
 * of an instant, UTC offsets, and the VTIMEZONE blocks RFC 5545 wants next to every TZID.
 */

export interface WallTime {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The canonical spelling of an IANA zone name (`europe/paris` → `Europe/Paris`), or undefined. */
export function canonicalTimeZone(name: string): string | undefined {
  if (name.length === 0 || name.length > 64) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** UTC and its aliases: a zone that says nothing more than a `Z` does. */
export function isUtc(timeZone: string): boolean {
  return /^(etc\/)?(utc|uct|gmt|zulu|universal|greenwich)$/i.test(timeZone);
}

export function wallTime(ms: number, timeZone: string): WallTime {
  const out: WallTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  let bc = false;
  for (const part of formatter(timeZone).formatToParts(new Date(ms))) {
    const { type, value } = part;
    if (type === 'era') bc = value.startsWith('B');
    else if (
      type === 'year' ||
      type === 'month' ||
      type === 'day' ||
      type === 'hour' ||
      type === 'minute' ||
      type === 'second'
    )
      out[type] = Number(value);
  }
  if (bc) out.year = 1 - out.year;
  return out;
}

function wallToUtcMs(w: WallTime): number {
  // Not Date.UTC alone: it maps years 0-99 to 1900-1999.
  const d = new Date(0);
  d.setUTCFullYear(w.year, w.month - 1, w.day);
  d.setUTCHours(w.hour, w.minute, w.second, 0);
  return d.getTime();
}

/** Minutes east of UTC in that zone at that instant (Europe/Paris in July: 120). */
export function offsetMinutes(ms: number, timeZone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return Math.round((wallToUtcMs(wallTime(whole, timeZone)) - whole) / 60_000);
}

/**
 * The instant a wall-clock time denotes in a zone. In a gap (spring forward) it lands after
 * the gap, in an overlap (fall back) on the earlier instant, like most calendar clients.
 */
export function instantOf(w: WallTime, timeZone: string): number {
  const local = wallToUtcMs(w);
  // The offsets in force around that day: one candidate each, usually the same.
  const before = local - offsetMinutes(local - DAY, timeZone) * 60_000;
  const after = local - offsetMinutes(local + DAY, timeZone) * 60_000;
  for (const candidate of [Math.min(before, after), Math.max(before, after)]) {
    if (wallToUtcMs(wallTime(candidate, timeZone)) === local) return candidate;
  }
  // In a gap: the time read with the offset before it, i.e. shifted by the gap's length.
  return before;
}

// ---- VTIMEZONE -----------------------------------------------------------------------------

interface Transition {
  /** First instant of the new offset. */
  at: number;
  from: number;
  to: number;
}

/** The offset changes of a zone during a year, found day by day then to the minute. */
function transitionsIn(year: number, timeZone: string): Transition[] {
  const out: Transition[] = [];
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  let prevAt = start;
  let prev = offsetMinutes(start, timeZone);
  for (let t = start + DAY; t <= end; t += DAY) {
    const off = offsetMinutes(t, timeZone);
    if (off === prev) {
      prevAt = t;
      continue;
    }
    let lo = prevAt;
    let hi = t;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (offsetMinutes(mid, timeZone) === prev) lo = mid;
      else hi = mid;
    }
    out.push({ at: hi, from: prev, to: off });
    prev = off;
    prevAt = t;
  }
  return out;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

function formatLocal(w: WallTime): string {
  return `${pad(w.year, 4)}${pad(w.month)}${pad(w.day)}T${pad(w.hour)}${pad(w.minute)}${pad(w.second)}`;
}

const WEEKDAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'] as const;

/** The yearly rule of a transition: its month and "n-th" (or last) weekday. */
function yearlyRule(local: WallTime): string {
  const weekday = WEEKDAYS[new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay()];
  const daysInMonth = new Date(Date.UTC(local.year, local.month, 0)).getUTCDate();
  const nth = local.day + 7 > daysInMonth ? -1 : Math.ceil(local.day / 7);
  return `FREQ=YEARLY;BYMONTH=${local.month};BYDAY=${nth}${weekday ?? 'SU'}`;
}

function observance(
  kind: 'STANDARD' | 'DAYLIGHT',
  from: number,
  to: number,
  start: string,
  rrule?: string,
): string[] {
  return [
    `BEGIN:${kind}`,
    `DTSTART:${start}`,
    ...(rrule === undefined ? [] : [`RRULE:${rrule}`]),
    `TZOFFSETFROM:${formatOffset(from)}`,
    `TZOFFSETTO:${formatOffset(to)}`,
    `END:${kind}`,
  ];
}

/**
 * A VTIMEZONE for an IANA zone, with the rules in force during `year`: a fixed offset, or two
 * yearly transitions (daylight saving time) expressed as month + weekday rules. A year with
 * another shape (a zone changing its rules) is given as the dated transitions of that year.
 * ical-generator has no zone database of its own; this one is derived from ICU's.
 */
export function vtimezone(timeZone: string, year: number): string | null {
  const tz = canonicalTimeZone(timeZone);
  if (tz === undefined) return null;
  const transitions = transitionsIn(year, tz);
  const lines = ['BEGIN:VTIMEZONE', `TZID:${timeZone}`];
  const initial = offsetMinutes(Date.UTC(year, 0, 1), tz);
  if (transitions.length === 2) {
    const [a, b] = transitions;
    if (a === undefined || b === undefined) return null;
    for (const t of [a, b]) {
      const local = wallTime(t.at - 60_000, tz);
      // The onset as the clock read just before it, one minute later (RFC 5545 §3.6.5).
      const onset = wallTime(wallToUtcMs(local) + 60_000, 'UTC');
      const kind = t.to > t.from ? 'DAYLIGHT' : 'STANDARD';
      lines.push(...observance(kind, t.from, t.to, formatLocal(onset), yearlyRule(onset)));
    }
  } else {
    lines.push(...observance('STANDARD', initial, initial, '19700101T000000'));
    for (const t of transitions) {
      const onset = wallTime(wallToUtcMs(wallTime(t.at - 60_000, tz)) + 60_000, 'UTC');
      const kind = t.to > t.from ? 'DAYLIGHT' : 'STANDARD';
      lines.push(...observance(kind, t.from, t.to, formatLocal(onset)));
    }
  }
  lines.push('END:VTIMEZONE');
  return lines.join('\r\n');
}
