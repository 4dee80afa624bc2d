/** Locale-aware formatting with Intl, for the language currently displayed. */

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;
/** Sizes use binary multiples (1 Mo = 1 048 576 octets), like most file managers in French. */
const STEP = 1024;

/** "1,2 Mo" / "1.2 MB". */
export function formatBytes(bytes: number, language: string): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= STEP && unit < BYTE_UNITS.length - 1) {
    value /= STEP;
    unit += 1;
  }
  return (
    new Intl.NumberFormat(language, {
      style: 'unit',
      unit: BYTE_UNITS[unit] ?? 'byte',
      unitDisplay: 'short',
      maximumFractionDigits: unit === 0 ? 0 : 1,
    })
      .format(value)
      // A size never breaks between its number and its unit ("28.2 kB" in English).
      .replace(/ /g, '\u00a0')
  );
}

/** "12 %" / "12%"; `ratio` is 0..1. */
export function formatPercent(ratio: number, language: string): string {
  return new Intl.NumberFormat(language, { style: 'percent', maximumFractionDigits: 0 }).format(
    ratio,
  );
}

/** "12 mars 2026 à 14:05" / "March 12, 2026 at 2:05 PM". */
export function formatDateTime(date: Date, language: string): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'long', timeStyle: 'short' }).format(date);
}

/** "29 nov. 2026, 14:05" / "Nov 29, 2026, 2:05 PM": for tables. */
export function formatShortDateTime(date: Date, language: string): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' }).format(
    date,
  );
}
