/** Tables of the Agenda app (see src/db/schema.ts for the shared conventions). */

export interface CalCalendarsTable {
  id: string;
  owner_id: string;
  title: string;
  /** `#rrggbb`, lowercase. */
  color: string;
  created_at: number;
  modified_at: number;
}

/**
 * An event. Timed events keep the instants (ms) and the UTC offsets (minutes) they were given
 * with, so the API answers in the form it was asked; `time_zone` (IANA) is what recurrences
 * and the iCalendar export follow. All-day events are floating dates: `start_at` is the UTC
 * midnight of the first day, `end_at` the UTC midnight after the last day (exclusive).
 */
export interface CalEventsTable {
  id: string;
  calendar_id: string;
  /** iCalendar UID, unique within a calendar: what imports recognise duplicates by. */
  uid: string;
  /** Who created the event (no foreign key: events outlive a contributor's account). */
  author_id: string;
  title: string;
  /** Sanitised HTML. */
  description: string;
  location: string | null;
  all_day: number;
  start_at: number;
  end_at: number;
  start_offset: number;
  end_offset: number;
  time_zone: string | null;
  /** RFC 5545 RRULE value (without the `RRULE:` prefix), or null. */
  rrule: string | null;
  /**
   * Upper bound of the end of the last occurrence (for window queries): `end_at` for a single
   * event, a bound from UNTIL for a bounded series, null for a series without UNTIL.
   */
  series_end_at: number | null;
  created_at: number;
  modified_at: number;
}

/**
 * Workspace documents attached to an event, in order, each vouched for by the user who
 * attached it (and could read it then): the calendar's readers get the file through that
 * user's access, never through a bare id.
 */
export interface CalEventAttachmentsTable {
  event_id: string;
  document_id: string;
  position: number;
  vouched_by: string;
}

export interface CalendarTables {
  cal_calendars: CalCalendarsTable;
  cal_events: CalEventsTable;
  cal_event_attachments: CalEventAttachmentsTable;
}

declare module '../../db/schema.ts' {
  interface Database extends CalendarTables {}
}
