/** A recurrence rule (RFC 5545 RRULE) in words, for the rules the page knows how to say. */
import { useTranslation } from 'react-i18next';
import { useLanguage } from '../ui/hooks.ts';
import { formatDay } from './dates.ts';

const FREQS = ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'] as const;
type Freq = (typeof FREQS)[number];
const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;

/** "Chaque semaine, le lundi, jusqu'au 3 juillet 2026"; undefined for rules we do not word. */
export function useRuleText(): (rrule: string) => string | undefined {
  const { t } = useTranslation();
  const language = useLanguage();
  return (rrule) => {
    const parts = new Map<string, string>();
    for (const part of rrule.replace(/^RRULE:/i, '').split(';')) {
      const [key, value] = part.split('=');
      if (key !== undefined && value !== undefined) parts.set(key.toUpperCase(), value);
    }
    const freq = FREQS.find((f) => f === parts.get('FREQ'));
    if (freq === undefined) return undefined;
    const known = new Set(['FREQ', 'INTERVAL', 'BYDAY', 'UNTIL', 'COUNT', 'WKST']);
    if ([...parts.keys()].some((key) => !known.has(key))) return undefined;
    const interval = Number(parts.get('INTERVAL') ?? '1');
    if (!Number.isInteger(interval) || interval < 1) return undefined;
    const pieces = [t(`apps_ui.calendar.every.${freq satisfies Freq}`, { count: interval })];

    const byDay = parts.get('BYDAY');
    if (byDay !== undefined) {
      const days = byDay.split(',');
      if (!days.every((d) => (WEEKDAYS as readonly string[]).includes(d))) return undefined;
      const names = days.map((d) =>
        new Intl.DateTimeFormat(language, { weekday: 'long', timeZone: 'UTC' }).format(
          // 1 January 2024 was a Monday.
          new Date(Date.UTC(2024, 0, 1 + WEEKDAYS.indexOf(d as (typeof WEEKDAYS)[number]))),
        ),
      );
      const list = new Intl.ListFormat(language, { type: 'conjunction' }).format(names);
      pieces.push(t('apps_ui.calendar.onDays', { days: list }));
    }
    const until = parts.get('UNTIL');
    if (until !== undefined) {
      const m = /^(\d{4})(\d{2})(\d{2})/.exec(until);
      if (!m) return undefined;
      pieces.push(
        t('apps_ui.calendar.until', { date: formatDay(`${m[1]}-${m[2]}-${m[3]}`, language) }),
      );
    }
    const count = parts.get('COUNT');
    if (count !== undefined) {
      const n = Number(count);
      if (!Number.isInteger(n) || n < 1) return undefined;
      pieces.push(t('apps_ui.calendar.times', { count: n }));
    }
    return pieces.join(', ');
  };
}
