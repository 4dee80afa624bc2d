import type { Insertable } from 'kysely';
import {
  copyName,
  ImportItemError,
  type AppArchiveReader,
  type IdMap,
  type ImportAdapter,
  type ImportContext,
  type ImportItem,
  type PreparedItem,
  type SourceRef,
} from '../../../archive/adapter.ts';
import {
  analyzeRecords,
  checked,
  earlierInPlace,
  preparing,
  recordItem,
  recordsOf,
} from '../../../archive/import/importer-kit.ts';
import type { Db } from '../../../db/database.ts';
import { isUniqueViolation } from '../../../db/dialect.ts';
import type { SharingService } from '../../../platform/sharing.service.ts';
import { importedDocument, importedHtml } from '../../workspace/imported-html.ts';
import {
  CALENDAR,
  CALENDARS,
  MAX_ATTACHMENTS,
  MAX_TITLE,
  cleanColor,
  cleanLine,
  cleanUid,
} from '../calendar.model.ts';
import { CalendarRepository, type NewEventRow } from '../calendar.repository.ts';
import type { CalCalendarsTable } from '../calendar.schema.ts';
import { eventFields } from '../calendar.service.ts';
import {
  CALENDARS_FILE,
  EVENTS_FILE,
  type CalendarRecord,
  type EventRecord,
} from './calendar.records.ts';

/** A record of the Agenda's folder, as the engine hands it back to `prepare`. */
export type CalendarSource =
  { type: 'calendar'; calendar: CalendarRecord } | { type: 'event'; event: EventRecord };

/** A row ready to insert, every reference rewritten. */
export type CalendarRow =
  | { type: 'calendar'; calendar: Insertable<CalCalendarsTable> }
  /** `attachments`: the imported documents, in order, the importer vouching for them. */
  | { type: 'event'; event: NewEventRow; attachments: string[] };

const ms = (iso: string) => Date.parse(iso);

/**
 * Brings the Agenda's folder of an archive back (see `calendar.records.ts`): calendars, then
 * their events, every one the importer's (the `.ics` copies are for people, not read here).
 *
 * - Calendars keep title, colour and dates.
 * - Events keep their UID (unique within a calendar: a calendar imported as a copy keeps its
 *   events' UIDs), their times as given (all-day dates, offsets, time zone, RRULE) checked by
 *   the rules of the API, location, dates; their description points at the imported documents
 *   and is sanitised again; attachments become the imported documents, one the archive lacks
 *   is dropped and reported. The importer is their author and vouches for their attachments.
 * - Written through the repository: nobody is notified.
 */
export function calendarImporter(deps: {
  db: Db;
  sharing: Pick<SharingService, 'unshareAll'>;
}): ImportAdapter<CalendarSource, CalendarRow> {
  const repo = new CalendarRepository(deps.db.kysely);

  async function* records(src: AppArchiveReader): AsyncGenerator<ImportItem<CalendarSource>> {
    const calendars = src.has(CALENDARS_FILE) ? await src.json(CALENDARS_FILE) : [];
    for (const calendar of calendars)
      yield recordItem('calendar', calendar.id, calendar.title, { type: 'calendar', calendar });
    for await (const event of recordsOf(src, EVENTS_FILE))
      yield recordItem('event', event.id, event.title, { type: 'event', event });
  }

  async function prepareRow(
    source: CalendarSource,
    id: string,
    ids: IdMap,
    ctx: ImportContext,
    unresolved: SourceRef[],
  ): Promise<CalendarRow> {
    switch (source.type) {
      case 'calendar': {
        const c = source.calendar;
        return {
          type: 'calendar',
          calendar: {
            id,
            owner_id: ctx.user.id,
            title: checked(() => cleanLine(c.title, '/title', MAX_TITLE, true)),
            color: checked(() => cleanColor(c.color)),
            created_at: ms(c.createdAt),
            modified_at: ms(c.modifiedAt),
          },
        };
      }
      case 'event': {
        const e = source.event;
        const calendarId = await ids.resolve(CALENDAR, {
          type: 'calendar',
          sourceId: e.calendarId,
        });
        if (calendarId === undefined)
          throw new ImportItemError('parent_missing', 'Its calendar is not in the archive');
        const attachments: string[] = [];
        for (const sourceId of new Set(e.attachments)) {
          // One the archive lacks is dropped (and reported).
          const document = await importedDocument(sourceId, ids, unresolved);
          if (document !== null) attachments.push(document);
        }
        if (attachments.length > MAX_ATTACHMENTS)
          throw new ImportItemError(
            'record_invalid',
            `An event has at most ${MAX_ATTACHMENTS} attachments`,
          );
        const description = await importedHtml(e.description, ids, unresolved);
        const fields = checked(() =>
          eventFields({
            title: e.title,
            description,
            location: e.location,
            allDay: e.allDay,
            start: e.start,
            end: e.end,
            timeZone: e.timeZone,
            rrule: e.rrule,
          }),
        );
        return {
          type: 'event',
          event: {
            ...fields,
            id,
            calendar_id: calendarId,
            uid: checked(() => cleanUid(e.uid)),
            author_id: ctx.user.id,
            created_at: ms(e.createdAt),
            modified_at: ms(e.modifiedAt),
          },
          attachments,
        };
      }
    }
  }

  return {
    analyze: (src) => analyzeRecords(src, { calendar: CALENDARS_FILE, event: EVENTS_FILE }),

    items: (src) => records(src),

    prepare: preparing(CALENDAR, prepareRow),

    async findDuplicate(item, ctx, earlier) {
      const { row } = item;
      switch (row.type) {
        case 'calendar':
          return earlierInPlace(
            item,
            earlier,
            async (id) => (await repo.findCalendar(id))?.ownerId === ctx.user.id,
          );
        case 'event': {
          const calendarId = row.event.calendar_id;
          const again = await earlierInPlace(
            item,
            earlier,
            async (id) => (await repo.findEventRow(calendarId, id)) !== undefined,
          );
          if (again !== undefined) return again;
          // The same UID in the same calendar is the same event (the calendar holds it once).
          const same = await repo.eventIdByUid(calendarId, row.event.uid);
          return same === item.id ? undefined : same;
        }
      }
    },

    copy(item): PreparedItem<CalendarRow> {
      const { row } = item;
      switch (row.type) {
        case 'calendar':
          return {
            ...item,
            row: { ...row, calendar: { ...row.calendar, title: copyName(row.calendar.title) } },
          };
        case 'event':
          // A copy beside the original in one calendar: it needs a UID of its own.
          return {
            ...item,
            row: {
              ...row,
              event: { ...row.event, title: copyName(row.event.title), uid: item.id },
            },
          };
      }
    },

    async write(item, _src, ctx) {
      const { row } = item;
      switch (row.type) {
        case 'calendar':
          await repo.insertCalendarOnce(row.calendar);
          return;
        case 'event': {
          // Its calendar was written before, or is the duplicate it maps to (foreign key).
          const attachments = row.attachments.map((documentId) => ({
            documentId,
            vouchedBy: ctx.user.id,
          }));
          try {
            await repo.insertEventOnce(row.event, attachments);
          } catch (error) {
            if (isUniqueViolation(error))
              throw new ImportItemError(
                'event_uid_taken',
                'The calendar already has an event with this UID',
                { cause: error },
              );
            throw error;
          }
          return;
        }
      }
    },

    async remove({ type, id }) {
      switch (type) {
        case 'calendar': {
          if ((await repo.findCalendar(id)) === undefined) return 'missing';
          // The import's events went first: any left were added since.
          if (await repo.hasEvents(id)) return 'kept';
          await repo.deleteCalendar(id);
          await deps.sharing.unshareAll({ ...CALENDARS, id });
          return 'removed';
        }
        case 'event': {
          if (!(await repo.eventExists(id))) return 'missing';
          await repo.deleteEvent(id);
          return 'removed';
        }
        default:
          return 'missing';
      }
    },
  };
}
