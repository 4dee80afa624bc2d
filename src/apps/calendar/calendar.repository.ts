import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { ownedOrShared } from '../../platform/access.ts';
import { CALENDARS, presentTimes, type Calendar, type CalendarEvent } from './calendar.model.ts';
import type { CalCalendarsTable, CalEventsTable } from './calendar.schema.ts';

/** A document attached to an event, and the user whose workspace access vouches for it. */
export interface AttachmentRef {
  documentId: string;
  vouchedBy: string;
}

export interface Window {
  from?: number;
  to?: number;
}

/** Which calendars a listing covers: the user's own, and (`includeShared`) those shared with them. */
export interface CalendarScope {
  userId: string;
  includeShared: boolean;
}

/** Values per `in (...)` list: keeps the bound parameters under every driver's limit. */
const CHUNK = 500;

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

type CalendarRow = Selectable<CalCalendarsTable> & { owner_name: string };
export type EventRow = Selectable<CalEventsTable>;
export type NewEventRow = Insertable<CalEventsTable>;
export type EventChanges = Updateable<CalEventsTable>;

function toCalendar(r: CalendarRow): Calendar {
  return {
    id: r.id,
    title: r.title,
    color: r.color,
    ownerId: r.owner_id,
    ownerName: r.owner_name,
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
  };
}

function toEvent(r: EventRow, attachments: readonly AttachmentRef[]): CalendarEvent {
  return {
    id: r.id,
    calendarId: r.calendar_id,
    uid: r.uid,
    authorId: r.author_id,
    title: r.title,
    description: r.description,
    location: r.location,
    ...presentTimes(r),
    startMs: r.start_at,
    endMs: r.end_at,
    timeZone: r.time_zone,
    rrule: r.rrule,
    attachments: attachments.map((a) => a.documentId),
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
  };
}

/**
 * SQL of the Agenda: calendars, events and their attachments. Which calendars a user sees
 * comes from the platform's access model (as subqueries); what each right allows lives in the
 * service.
 */
export class CalendarRepository {
  private readonly db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  /** Ids of the calendars of a scope, as a subquery. */
  private calendarIdsIn(scope: CalendarScope) {
    return this.db
      .selectFrom('cal_calendars')
      .select('cal_calendars.id')
      .where((eb) =>
        ownedOrShared(
          this.db,
          eb,
          { owner: eb.ref('cal_calendars.owner_id'), id: eb.ref('cal_calendars.id') },
          scope.userId,
          CALENDARS,
          scope.includeShared,
        ),
      );
  }

  private calendars() {
    return this.db
      .selectFrom('cal_calendars')
      .innerJoin('users', 'users.id', 'cal_calendars.owner_id')
      .selectAll('cal_calendars')
      .select('users.display_name as owner_name');
  }

  // ---- calendars --------------------------------------------------------------------------

  async insertCalendar(row: Insertable<CalCalendarsTable>): Promise<void> {
    await this.db.insertInto('cal_calendars').values(row).execute();
  }

  /** Inserts a calendar unless one has this id already (an import writing again). */
  async insertCalendarOnce(row: Insertable<CalCalendarsTable>): Promise<void> {
    await this.db
      .insertInto('cal_calendars')
      .values(row)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async hasEvents(calendarId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('cal_events')
      .select('id')
      .where('calendar_id', '=', calendarId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async findCalendar(id: string): Promise<Calendar | undefined> {
    const row = await this.calendars().where('cal_calendars.id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toCalendar(row);
  }

  /** The calendars of a scope, by title. */
  async calendarsIn(scope: CalendarScope): Promise<Calendar[]> {
    const rows = await this.calendars()
      .where('cal_calendars.id', 'in', this.calendarIdsIn(scope))
      .orderBy('cal_calendars.title')
      .orderBy('cal_calendars.id')
      .execute();
    return rows.map(toCalendar);
  }

  async countEventsIn(scope: CalendarScope): Promise<number> {
    const row = await this.db
      .selectFrom('cal_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('calendar_id', 'in', this.calendarIdsIn(scope))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The documents attached to the events of a scope, each with the users who vouch for it. */
  async attachmentVouchersIn(scope: CalendarScope): Promise<Map<string, Set<string>>> {
    const rows = await this.db
      .selectFrom('cal_event_attachments')
      .innerJoin('cal_events', 'cal_events.id', 'cal_event_attachments.event_id')
      .select(['cal_event_attachments.document_id', 'cal_event_attachments.vouched_by'])
      .where('cal_events.calendar_id', 'in', this.calendarIdsIn(scope))
      .distinct()
      .execute();
    const vouchers = new Map<string, Set<string>>();
    for (const r of rows) {
      const set = vouchers.get(r.document_id) ?? new Set<string>();
      set.add(r.vouched_by);
      vouchers.set(r.document_id, set);
    }
    return vouchers;
  }

  async updateCalendar(
    id: string,
    set: { title?: string; color?: string; modified_at: number },
  ): Promise<void> {
    await this.db.updateTable('cal_calendars').set(set).where('id', '=', id).execute();
  }

  /** The calendar, its events and their attachment rows (foreign keys cascade). */
  async deleteCalendar(id: string): Promise<void> {
    await this.db.deleteFrom('cal_calendars').where('id', '=', id).execute();
  }

  // ---- events -----------------------------------------------------------------------------

  async insertEvent(row: NewEventRow, attachments: readonly AttachmentRef[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('cal_events').values(row).execute();
      await insertAttachments(trx, row.id, attachments);
    });
  }

  /**
   * Inserts an event and its attachments unless one has this id already (an import writing
   * again); a UID the calendar already holds is a unique violation.
   */
  async insertEventOnce(row: NewEventRow, attachments: readonly AttachmentRef[]): Promise<void> {
    if (attachments.length === 0) {
      // One statement: no transaction needed to keep the event and its attachments together.
      await this.db
        .insertInto('cal_events')
        .values(row)
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      return;
    }
    await this.db.transaction().execute(async (trx) => {
      const existing = await trx
        .selectFrom('cal_events')
        .select('id')
        .where('id', '=', row.id)
        .executeTakeFirst();
      if (existing !== undefined) return;
      await trx.insertInto('cal_events').values(row).execute();
      await insertAttachments(trx, row.id, attachments);
    });
  }

  async eventExists(eventId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('cal_events')
      .select('id')
      .where('id', '=', eventId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The id of the calendar's event with this UID, if any. */
  async eventIdByUid(calendarId: string, uid: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('cal_events')
      .select('id')
      .where('calendar_id', '=', calendarId)
      .where('uid', '=', uid)
      .executeTakeFirst();
    return row?.id;
  }

  async findEvent(calendarId: string, eventId: string): Promise<CalendarEvent | undefined> {
    const row = await this.db
      .selectFrom('cal_events')
      .selectAll()
      .where('id', '=', eventId)
      .where('calendar_id', '=', calendarId)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const attachments = await this.attachmentsOf([row.id]);
    return toEvent(row, attachments.get(row.id) ?? []);
  }

  async findEventRow(calendarId: string, eventId: string): Promise<EventRow | undefined> {
    return this.db
      .selectFrom('cal_events')
      .selectAll()
      .where('id', '=', eventId)
      .where('calendar_id', '=', calendarId)
      .executeTakeFirst();
  }

  /**
   * The events of a calendar by start, those that may overlap the window when one is given:
   * a series without UNTIL may always recur into it.
   */
  async listEvents(calendarId: string, window: Window = {}): Promise<CalendarEvent[]> {
    let query = this.db
      .selectFrom('cal_events')
      .selectAll()
      .where('calendar_id', '=', calendarId)
      .orderBy('start_at')
      .orderBy('id');
    const { from, to } = window;
    if (to !== undefined) query = query.where('start_at', '<', to);
    if (from !== undefined) {
      query = query.where((eb) =>
        eb.or([
          eb('series_end_at', 'is', null),
          eb('series_end_at', '>', from),
          // An instant event (start = end) right at the start of the window.
          eb('start_at', '>=', from),
        ]),
      );
    }
    const rows = await query.execute();
    const attachments = await this.attachmentsOf(rows.map((r) => r.id));
    return rows.map((r) => toEvent(r, attachments.get(r.id) ?? []));
  }

  async updateEvent(
    eventId: string,
    set: EventChanges,
    attachments: readonly AttachmentRef[] | undefined,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('cal_events').set(set).where('id', '=', eventId).execute();
      if (attachments === undefined) return;
      await trx.deleteFrom('cal_event_attachments').where('event_id', '=', eventId).execute();
      await insertAttachments(trx, eventId, attachments);
    });
  }

  async deleteEvent(eventId: string): Promise<void> {
    await this.db.deleteFrom('cal_events').where('id', '=', eventId).execute();
  }

  /** Which of these UIDs the calendar already holds. */
  async existingUids(calendarId: string, uids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const chunk of chunks(uids)) {
      const rows = await this.db
        .selectFrom('cal_events')
        .select('uid')
        .where('calendar_id', '=', calendarId)
        .where('uid', 'in', chunk)
        .execute();
      for (const r of rows) found.add(r.uid);
    }
    return found;
  }

  async attachmentRefs(eventId: string): Promise<AttachmentRef[]> {
    return (await this.attachmentsOf([eventId])).get(eventId) ?? [];
  }

  private async attachmentsOf(eventIds: readonly string[]): Promise<Map<string, AttachmentRef[]>> {
    const out = new Map<string, AttachmentRef[]>();
    for (const chunk of chunks(eventIds)) {
      const rows = await this.db
        .selectFrom('cal_event_attachments')
        .select(['event_id', 'document_id', 'vouched_by'])
        .where('event_id', 'in', chunk)
        .orderBy('event_id')
        .orderBy('position')
        .execute();
      for (const r of rows) {
        const list = out.get(r.event_id) ?? [];
        list.push({ documentId: r.document_id, vouchedBy: r.vouched_by });
        out.set(r.event_id, list);
      }
    }
    return out;
  }
}

async function insertAttachments(
  trx: Kysely<Database>,
  eventId: string,
  attachments: readonly AttachmentRef[],
): Promise<void> {
  if (attachments.length === 0) return;
  await trx
    .insertInto('cal_event_attachments')
    .values(
      attachments.map((a, position) => ({
        event_id: eventId,
        document_id: a.documentId,
        position,
        vouched_by: a.vouchedBy,
      })),
    )
    .execute();
}
