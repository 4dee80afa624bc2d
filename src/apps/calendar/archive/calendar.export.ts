import type { AppExportWriter, ArchiveAdapter, ExportContext } from '../../../archive/adapter.ts';
import { safeName } from '../../../archive/zip-writer.ts';
import type { Db } from '../../../db/database.ts';
import type { Platform } from '../../../platform/platform.ts';
import { readableDocuments } from '../../workspace/readable-documents.ts';
import type { WorkspaceService } from '../../workspace/workspace.service.ts';
import { CALENDAR, type CalendarEvent } from '../calendar.model.ts';
import { CalendarRepository, type CalendarScope } from '../calendar.repository.ts';
import type { CalendarService } from '../calendar.service.ts';
import { calendarToIcs } from '../ics.ts';
import {
  CALENDARS_FILE,
  EVENTS_FILE,
  CALENDAR_RECORDS,
  type CalendarRecord,
  type EventRecord,
} from './calendar.records.ts';
import { calendarImporter } from './calendar.import.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The `.ics` file name of a calendar: its title made safe and cut short enough (a title may be
 * 500 characters) that the writer's own cut never eats the extension or a " (2)" suffix.
 */
export function icsFileName(title: string): string {
  let base = safeName(title);
  while (Buffer.byteLength(base, 'utf8') > 180) base = [...base].slice(0, -1).join('');
  return `${safeName(base)}.ics`;
}

/**
 * How an event's attachment is named in the `.ics` copy: the document's id as a URN. An
 * archive has no server to link to, and the document's place in the archive is only known once
 * the Espace documentaire is written (after this app); `documents.ndjson` maps the id to it.
 */
export function attachmentUrn(documentId: string): string {
  return `urn:uuid:${documentId}`;
}

/** An event as the API gives it (`GET /api/calendar/calendars/:id/events`), dates in ISO 8601. */
export function eventRecord(e: CalendarEvent): EventRecord {
  return {
    id: e.id,
    calendarId: e.calendarId,
    uid: e.uid,
    title: e.title,
    description: e.description,
    location: e.location,
    allDay: e.allDay,
    start: e.start,
    end: e.end,
    timeZone: e.timeZone,
    rrule: e.rrule,
    attachments: e.attachments,
    authorId: e.authorId,
    createdAt: iso(e.createdAt),
    modifiedAt: iso(e.modifiedAt),
  };
}

const line = (value: unknown) => Buffer.byteLength(`${JSON.stringify(value)}\n`, 'utf8');
const pretty = (value: unknown) => Buffer.byteLength(`${JSON.stringify(value, null, 2)}\n`, 'utf8');

/**
 * The Agenda in an archive, in its folder (see `calendar.records.ts`):
 * - `events.ndjson`: every event of the exported calendars, one a line, as the API gives it;
 * - `<calendar title>.ics`: each calendar as a standard iCalendar file (`calendarToIcs`);
 * - `calendars.json`: the calendars, with the path of their `.ics` copy.
 * Documents attached to events the user may open (those the API would serve them, by the
 * rule of `ReadableDocuments`) are handed to the Espace documentaire, exported after this
 * app, through `ctx.referenceDocuments`.
 */
export function calendarArchiveAdapter(deps: {
  db: Db;
  platform: Platform;
  workspace: Pick<WorkspaceService, 'requireDocument' | 'contentOf'>;
  service: CalendarService;
}): ArchiveAdapter {
  const { db, platform, workspace, service } = deps;
  const repo = new CalendarRepository(db.kysely);
  const scopeOf = (user: { id: string }, options: { includeShared: boolean }): CalendarScope => ({
    userId: user.id,
    includeShared: options.includeShared,
  });

  return {
    app: CALENDAR,
    label: 'Agenda',
    appVersion: '1.0.0',
    dataVersion: 1,
    dependsOn: ['workspace'],
    records: CALENDAR_RECORDS,
    import: calendarImporter({ db, sharing: platform.sharing }),

    async count(user, options) {
      const scope = scopeOf(user, options);
      const calendars = await repo.calendarsIn(scope);
      return { items: calendars.length + (await repo.countEventsIn(scope)), bytes: 0 };
    },

    async referencedDocuments(user, options) {
      const scope = scopeOf(user, options);
      const readable = await readableDocuments(platform, workspace).resolve(
        user,
        await repo.attachmentVouchersIn(scope),
      );
      return new Set(readable.keys());
    },

    async export(ctx: ExportContext, out: AppExportWriter) {
      const { user, options, signal } = ctx;
      const scope = scopeOf(user, options);
      const calendars = await service.calendarsIn(scope);
      let items = 0;
      let bytes = 0;

      // Events, streamed: one calendar's events in memory at a time.
      async function* events(): AsyncGenerator<EventRecord> {
        for (const calendar of calendars) {
          signal.throwIfAborted();
          for (const event of await repo.listEvents(calendar.id)) {
            signal.throwIfAborted();
            const record = eventRecord(event);
            const size = line(record);
            items += 1;
            bytes += size;
            out.progress({ items: 1, bytes: size });
            yield record;
          }
        }
      }
      await out.ndjson(EVENTS_FILE, events());

      // Each calendar as an .ics file: two calendars of the same title are numbered by the writer.
      const icsPaths = new Map<string, string>();
      for (const calendar of calendars) {
        signal.throwIfAborted();
        const ics = calendarToIcs(calendar, await repo.listEvents(calendar.id), {
          attachmentUrl: attachmentUrn,
        });
        const path = await out.text(out.folder, icsFileName(calendar.title), ics, 'text/calendar');
        icsPaths.set(calendar.id, path);
        const size = Buffer.byteLength(ics, 'utf8');
        bytes += size;
        out.progress({ bytes: size });
      }

      const records = calendars.map((c): CalendarRecord => ({
        id: c.id,
        title: c.title,
        color: c.color,
        ownerId: c.ownerId,
        ownerName: c.ownerName,
        owned: c.ownerId === user.id,
        access: c.access,
        ics: icsPaths.get(c.id) ?? null,
        createdAt: iso(c.createdAt),
        modifiedAt: iso(c.modifiedAt),
      }));
      await out.json(CALENDARS_FILE, records);
      const size = pretty(records);
      items += calendars.length;
      bytes += size;
      out.progress({ items: calendars.length, bytes: size });

      // The attachments readers may open, by the same rule as `CalendarService.attachmentContent`.
      const readable = await readableDocuments(platform, workspace).resolve(
        user,
        await repo.attachmentVouchersIn(scope),
        signal,
      );
      ctx.referenceDocuments(readable.keys());
      return { items, bytes };
    },
  };
}
