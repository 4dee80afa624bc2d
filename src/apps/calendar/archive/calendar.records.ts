/**
 * The data files of the Agenda's folder in an archive, one schema each: the export writes
 * through them, the import and the tests read through them. Each calendar is also written as
 * a standard `.ics` file, which `calendars.json` names.
 */
import { z } from 'zod';
import type { RecordFile } from '../../../archive/adapter.ts';
import {
  isoDate,
  recordFile,
  recordId,
  ref,
  sharedResourceFields,
  userId,
} from '../../../archive/records.ts';

/** `YYYY-MM-DD` for all-day events, else ISO 8601 with the offset the event was given with. */
const eventTime = () => z.union([z.iso.date(), isoDate()]);

export type CalendarRecord = z.infer<typeof calendarRecord>;
export const calendarRecord = z.strictObject({
  id: recordId(),
  title: z.string(),
  /** `#rrggbb`, lowercase. */
  color: z.string().regex(/^#[0-9a-f]{6}$/),
  ...sharedResourceFields(),
  /** The path in the archive of the calendar's `.ics` copy. */
  ics: z.string().nullable(),
});
export const CALENDARS_FILE = recordFile(
  'calendars.json',
  'json',
  z.array(calendarRecord),
  'The calendars exported: the user’s own and (option) those shared with them, each with its .ics copy.',
);

export type EventRecord = z.infer<typeof eventRecord>;
export const eventRecord = z.strictObject({
  id: recordId(),
  calendarId: ref('calendar/calendar'),
  /** iCalendar UID, unique within its calendar. */
  uid: z.string().min(1),
  title: z.string(),
  /** Sanitised HTML. */
  description: z.string(),
  location: z.string().nullable(),
  allDay: z.boolean(),
  start: eventTime(),
  /** Same form as `start`; for all-day events the last day (inclusive). */
  end: eventTime(),
  /** The IANA zone recurrences follow. */
  timeZone: z.string().nullable(),
  /** RFC 5545 RRULE value, without the `RRULE:` prefix. */
  rrule: z.string().nullable(),
  attachments: z.array(ref('workspace/document')),
  authorId: userId(),
  createdAt: isoDate(),
  modifiedAt: isoDate(),
});
export const EVENTS_FILE = recordFile(
  'events.ndjson',
  'ndjson',
  eventRecord,
  'Every event of the exported calendars, as the API gives it (dates in ISO 8601).',
);

/** Every data file of the folder (`ArchiveAdapter.records`). */
export const CALENDAR_RECORDS: readonly RecordFile[] = [CALENDARS_FILE, EVENTS_FILE];
