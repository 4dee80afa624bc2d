import type {
  AppExportWriter,
  ArchiveAdapter,
  ExportContext,
  ExportOptions,
} from '../../../archive/adapter.ts';
import { safeName } from '../../../archive/zip-writer.ts';
import type { Db } from '../../../db/database.ts';
import { AppError } from '../../../errors.ts';
import type { User } from '../../../platform/accounts.service.ts';
import type { Platform } from '../../../platform/platform.ts';
import type { WorkspaceService } from '../../workspace/workspace.service.ts';
import { CALENDAR, type CalendarEvent } from '../calendar.model.ts';
import { CalendarRepository } from '../calendar.repository.ts';
import type { CalendarService, CalendarView } from '../calendar.service.ts';
import { calendarToIcs } from '../ics.ts';

/** Ids per query: keeps the bound parameters under every driver's limit. */
const CHUNK = 500;

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

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
export function eventRecord(e: CalendarEvent) {
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
 * The Agenda in an archive, in its folder:
 * - `events.ndjson`: every event of the exported calendars, one a line, as the API gives it;
 * - `<calendar title>.ics`: each calendar as a standard iCalendar file (`calendarToIcs`);
 * - `calendars.json`: the calendars, with the path of their `.ics` copy.
 * Documents attached to events the user may open (those the API would serve them) are handed
 * to the Espace documentaire, exported after this app, through `ctx.referenceDocuments`.
 */
export function calendarArchiveAdapter(deps: {
  db: Db;
  platform: Platform;
  workspace: WorkspaceService;
  service: CalendarService;
}): ArchiveAdapter {
  const { db, platform, workspace, service } = deps;
  const repo = new CalendarRepository(db.kysely);

  /** Own calendars, and those shared with the user when the export takes shared content. */
  async function calendarsOf(user: User, options: ExportOptions): Promise<CalendarView[]> {
    const all = await service.listCalendars(user);
    return options.includeShared ? all : all.filter((c) => c.access === 'owner');
  }

  async function countEvents(calendarIds: readonly string[]): Promise<number> {
    let total = 0;
    for (const ids of chunks(calendarIds)) {
      const row = await db.kysely
        .selectFrom('cal_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('calendar_id', 'in', ids)
        .executeTakeFirst();
      total += Number(row?.n ?? 0);
    }
    return total;
  }

  /**
   * The attached documents the user may open through these calendars: like
   * `CalendarService.attachmentContent`, through the access of the user who attached each one
   * (still an active account that can read it), and never a document in the trash.
   */
  async function readableAttachments(
    calendarIds: readonly string[],
    signal: AbortSignal,
  ): Promise<Set<string>> {
    const pairs = new Map<string, Set<string>>();
    for (const ids of chunks(calendarIds)) {
      const rows = await db.kysely
        .selectFrom('cal_event_attachments')
        .innerJoin('cal_events', 'cal_events.id', 'cal_event_attachments.event_id')
        .select(['cal_event_attachments.document_id', 'cal_event_attachments.vouched_by'])
        .where('cal_events.calendar_id', 'in', ids)
        .distinct()
        .execute();
      for (const r of rows) {
        const vouchers = pairs.get(r.document_id) ?? new Set<string>();
        vouchers.add(r.vouched_by);
        pairs.set(r.document_id, vouchers);
      }
    }
    const users = new Map<string, User | undefined>();
    const voucher = async (id: string) => {
      if (!users.has(id)) {
        const u = await platform.accounts.getUser(id).catch(() => undefined);
        users.set(id, u === undefined || u.disabled ? undefined : u);
      }
      return users.get(id);
    };
    const readable = new Set<string>();
    for (const [documentId, vouchers] of pairs) {
      for (const voucherId of vouchers) {
        signal.throwIfAborted();
        const by = await voucher(voucherId);
        if (by === undefined) continue;
        const doc = await workspace
          .requireDocument(by, documentId)
          .catch((error: unknown): undefined => {
            if (error instanceof AppError && error.code === 'not_found') return undefined;
            throw error;
          });
        if (doc !== undefined && !doc.trashed) {
          readable.add(documentId);
          break;
        }
      }
    }
    return readable;
  }

  return {
    app: CALENDAR,
    label: 'Agenda',
    appVersion: '1.0.0',
    dataVersion: 1,
    dependsOn: ['workspace'],

    async count(user, options) {
      const calendars = await calendarsOf(user, options);
      const events = await countEvents(calendars.map((c) => c.id));
      return { items: calendars.length + events, bytes: 0 };
    },

    async export(ctx: ExportContext, out: AppExportWriter) {
      const { user, options, signal } = ctx;
      const calendars = await calendarsOf(user, options);
      let items = 0;
      let bytes = 0;

      // Events, streamed: one calendar's events in memory at a time.
      async function* events(): AsyncGenerator<unknown> {
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
      await out.ndjson('events.ndjson', events());

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

      const records = calendars.map((c) => ({
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
      await out.json('calendars.json', records);
      const size = pretty(records);
      items += calendars.length;
      bytes += size;
      out.progress({ items: calendars.length, bytes: size });

      ctx.referenceDocuments(
        await readableAttachments(
          calendars.map((c) => c.id),
          signal,
        ),
      );
      return { items, bytes };
    },
  };
}
