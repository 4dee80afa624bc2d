import { AppError } from '../../errors.ts';

/** A recurrence rule checked against RFC 5545 §3.3.10, in its canonical spelling. */
export interface Rrule {
  /** The RRULE value, upper case, without the `RRULE:` prefix. */
  value: string;
  /** The UNTIL bound as an instant (floating and date values read as UTC), if any. */
  until?: { ms: number; dateOnly: boolean; utc: boolean };
  count?: number;
}

export const MAX_RRULE_LENGTH = 500;

const FREQS = new Set(['SECONDLY', 'MINUTELY', 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY']);
const WEEKDAY = '(SU|MO|TU|WE|TH|FR|SA)';

function intList(min: number, max: number, signed: boolean): (v: string) => boolean {
  return (v) =>
    v.split(',').every((item) => {
      const m = (signed ? /^[+-]?\d{1,3}$/ : /^\d{1,3}$/).exec(item);
      if (m === null) return false;
      const n = Math.abs(Number(item));
      return n >= min && n <= max;
    });
}

const PARTS: Record<string, (v: string) => boolean> = {
  FREQ: (v) => FREQS.has(v),
  UNTIL: (v) => parseUntil(v) !== undefined,
  COUNT: (v) => /^[1-9]\d{0,5}$/.test(v),
  INTERVAL: (v) => /^[1-9]\d{0,5}$/.test(v),
  BYSECOND: intList(0, 60, false),
  BYMINUTE: intList(0, 59, false),
  BYHOUR: intList(0, 23, false),
  BYDAY: (v) =>
    v.split(',').every((d) => {
      const m = new RegExp(`^([+-]?\\d{1,2})?${WEEKDAY}$`).exec(d);
      if (m === null) return false;
      const n = m[1] === undefined ? 1 : Math.abs(Number(m[1]));
      return n >= 1 && n <= 53;
    }),
  BYMONTHDAY: intList(1, 31, true),
  BYYEARDAY: intList(1, 366, true),
  BYWEEKNO: intList(1, 53, true),
  BYMONTH: intList(1, 12, false),
  BYSETPOS: intList(1, 366, true),
  WKST: (v) => new RegExp(`^${WEEKDAY}$`).test(v),
};

function parseUntil(v: string): Rrule['until'] {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(v);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, z] = m;
  const parts = [y, mo, d, h ?? '0', mi ?? '0', s ?? '0'].map(Number);
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = parts;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(ms);
  if (
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month - 1 ||
    back.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 60
  ) {
    return undefined;
  }
  return { ms, dateOnly: h === undefined, utc: z === 'Z' };
}

/**
 * Checks and normalises an RRULE (`FREQ=WEEKLY;BYDAY=MO`, an `RRULE:` prefix is accepted):
 * FREQ first, known rule parts each at most once with valid values, not both COUNT and UNTIL.
 * Throws `invalid_request` with the reason otherwise.
 */
export function parseRrule(input: string): Rrule {
  const fail = (why: string): never => {
    throw new AppError('invalid_request', `Invalid recurrence rule: ${why}`, {
      details: [{ path: '/rrule', message: why }],
    });
  };
  let text = input.trim();
  if (/^RRULE:/i.test(text)) text = text.slice(6);
  if (text.length === 0) fail('it is empty');
  if (text.length > MAX_RRULE_LENGTH) fail(`it is longer than ${MAX_RRULE_LENGTH} characters`);
  const parts = text.replace(/;$/, '').split(';');
  const seen = new Map<string, string>();
  const out: string[] = [];
  for (const [i, part] of parts.entries()) {
    const eq = part.indexOf('=');
    if (eq <= 0) fail(`"${part}" is not NAME=VALUE`);
    const name = part.slice(0, eq).trim().toUpperCase();
    const value = part
      .slice(eq + 1)
      .trim()
      .toUpperCase();
    if (i === 0 && name !== 'FREQ') fail('it must start with FREQ=');
    const check = PARTS[name];
    if (check === undefined) fail(`unknown rule part ${name}`);
    if (seen.has(name)) fail(`${name} is given twice`);
    if (value.length === 0 || check?.(value) !== true) fail(`${name}=${value} is not valid`);
    seen.set(name, value);
    out.push(`${name}=${value}`);
  }
  if (seen.has('COUNT') && seen.has('UNTIL')) fail('COUNT and UNTIL cannot both be given');
  const until = seen.get('UNTIL');
  const count = seen.get('COUNT');
  return {
    value: out.join(';'),
    ...(until === undefined ? {} : { until: parseUntil(until) }),
    ...(count === undefined ? {} : { count: Number(count) }),
  };
}
