import { newId, type Clock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/dialect.ts';
import { AppError } from '../../errors.ts';
import { AccessReader, accessOf, allows, type Access } from '../../platform/access.ts';
import type { User } from '../../platform/accounts.service.ts';
import type { Platform } from '../../platform/platform.ts';
import { sanitize } from '../../html/sanitize.ts';
import { readableDocuments, type ReadableDocuments } from '../workspace/readable-documents.ts';
import type { WsDocument, WorkspaceService } from '../workspace/workspace.service.ts';
import {
  CALENDAR,
  CALENDARS,
  MAX_ATTACHMENTS,
  MAX_DESCRIPTION,
  MAX_LOCATION,
  MAX_TITLE,
  cleanColor,
  cleanLine,
  cleanUid,
  invalid,
  parseBound,
  presentTimes,
  resolveRecurrence,
  resolveTimes,
  type Calendar,
  type CalendarEvent,
} from './calendar.model.ts';
import {
  CalendarRepository,
  type AttachmentRef,
  type CalendarScope,
  type Window,
} from './calendar.repository.ts';
import type { CalEventsTable } from './calendar.schema.ts';
import { calendarToIcs, parseIcs, type IcsFailure } from './ics.ts';

export interface CalendarView extends Calendar {
  /** What the caller may do: owner, or the share they hold. */
  access: Access;
}

export interface EventInput {
  title: string;
  start: string;
  end: string;
  allDay?: boolean;
  timeZone?: string | null;
  description?: string;
  location?: string | null;
  rrule?: string | null;
  /** Workspace document ids the caller can read. */
  attachments?: string[];
  uid?: string;
}

export type EventPatch = Partial<Omit<EventInput, 'uid'>>;

export interface ImportReport {
  imported: number;
  /** Events whose UID the calendar already holds. */
  skipped: number;
  failed: IcsFailure[];
}

/** What an event says, as stored (its ids, uid, author and dates aside). */
export type EventFields = Pick<
  CalEventsTable,
  | 'title'
  | 'description'
  | 'location'
  | 'all_day'
  | 'start_at'
  | 'end_at'
  | 'start_offset'
  | 'end_offset'
  | 'time_zone'
  | 'rrule'
  | 'series_end_at'
>;

/** Checks and normalises what an event says (times, recurrence, texts), as the API does. */
export function eventFields(input: Omit<EventInput, 'attachments' | 'uid'>): EventFields {
  const times = resolveTimes({
    allDay: input.allDay ?? false,
    start: input.start,
    end: input.end,
    timeZone: input.timeZone,
  });
  const recurrence = resolveRecurrence(input.rrule, times);
  const description = input.description ?? '';
  if (description.length > MAX_DESCRIPTION)
    throw invalid('/description', `A description has at most ${MAX_DESCRIPTION} characters`);
  const location = cleanLine(input.location ?? '', '/location', MAX_LOCATION, false);
  return {
    title: cleanLine(input.title, '/title', MAX_TITLE, true),
    description: sanitize(description),
    location: location === '' ? null : location,
    all_day: times.allDay ? 1 : 0,
    start_at: times.startMs,
    end_at: times.endMs,
    start_offset: times.allDay ? 0 : times.startOffset,
    end_offset: times.allDay ? 0 : times.endOffset,
    time_zone: times.timeZone,
    rrule: recurrence.rrule,
    series_end_at: recurrence.seriesEnd,
  };
}

/** The Agenda: calendars and their events, shared through the platform. */
export class CalendarService {
  private readonly repo: CalendarRepository;
  private readonly clock: Clock;
  private readonly platform: Platform;
  private readonly access: AccessReader;
  private readonly workspace: Pick<WorkspaceService, 'requireDocument' | 'contentOf'>;
  private readonly publicUrl: string | undefined;

  constructor(deps: {
    db: Db;
    clock: Clock;
    platform: Platform;
    workspace: Pick<WorkspaceService, 'requireDocument' | 'contentOf'>;
    config: Pick<Config, 'publicUrl'>;
  }) {
    this.repo = new CalendarRepository(deps.db.kysely);
    this.clock = deps.clock;
    this.platform = deps.platform;
    this.access = new AccessReader(deps);
    this.workspace = deps.workspace;
    this.publicUrl = deps.config.publicUrl;
  }

  static link(calendarId: string): string {
    return `/calendar/${calendarId}`;
  }

  private ref(calendarId: string) {
    return { ...CALENDARS, id: calendarId };
  }

  /** Which documents readers may open through the calendars, by the vouchers' access (now). */
  private readableDocuments(): ReadableDocuments {
    return readableDocuments(this.platform, this.workspace);
  }

  // ---- calendars --------------------------------------------------------------------------

  /** The calendar if the user may act on it with `need`; 404 without access, so ids cannot be probed. */
  async requireCalendar(user: User, id: string, need: Access = 'read'): Promise<CalendarView> {
    const calendar = await this.repo.findCalendar(id);
    const access =
      calendar === undefined ? undefined : await this.access.accessTo(user.id, CALENDARS, calendar);
    if (calendar === undefined || access === undefined)
      throw new AppError('not_found', 'Calendar not found');
    if (!allows(access, need))
      throw new AppError('forbidden', 'Your share of this calendar does not allow this');
    return { ...calendar, access };
  }

  async createCalendar(
    user: User,
    input: { title: string; color?: string },
  ): Promise<CalendarView> {
    await this.platform.accounts.requireRight(user, 'calendar.create');
    const now = this.clock.now();
    const id = newId();
    await this.repo.insertCalendar({
      id,
      owner_id: user.id,
      title: cleanLine(input.title, '/title', MAX_TITLE, true),
      color: cleanColor(input.color),
      created_at: now,
      modified_at: now,
    });
    return this.requireCalendar(user, id);
  }

  /** Mine, then those shared with me (directly or through a group). */
  async listCalendars(user: User): Promise<CalendarView[]> {
    return this.calendarsIn({ userId: user.id, includeShared: true });
  }

  /** The calendars of a scope with the user's access to each: their own first, by title. */
  async calendarsIn(scope: CalendarScope): Promise<CalendarView[]> {
    const calendars = await this.repo.calendarsIn(scope);
    const shared = calendars.filter((c) => c.ownerId !== scope.userId).map((c) => c.id);
    const rights = await this.access.sharedRights(scope.userId, CALENDARS, shared);
    const views = calendars.flatMap((c): CalendarView[] => {
      const access = accessOf(scope.userId, c.ownerId, rights.get(c.id));
      return access === undefined ? [] : [{ ...c, access }];
    });
    return [
      ...views.filter((c) => c.access === 'owner'),
      ...views.filter((c) => c.access !== 'owner'),
    ];
  }

  async updateCalendar(
    user: User,
    id: string,
    patch: { title?: string; color?: string },
  ): Promise<CalendarView> {
    await this.requireCalendar(user, id, 'manage');
    await this.repo.updateCalendar(id, {
      ...(patch.title === undefined
        ? {}
        : { title: cleanLine(patch.title, '/title', MAX_TITLE, true) }),
      ...(patch.color === undefined ? {} : { color: cleanColor(patch.color) }),
      modified_at: this.clock.now(),
    });
    return this.requireCalendar(user, id);
  }

  /** Deletes the calendar, its events and its shares (owner only). */
  async deleteCalendar(user: User, id: string): Promise<void> {
    await this.requireCalendar(user, id, 'owner');
    await this.repo.deleteCalendar(id);
    await this.platform.sharing.unshareAll(this.ref(id));
  }

  // ---- events -----------------------------------------------------------------------------

  /**
   * The attachments an event will have: documents it already had keep who vouched for them;
   * a new one must be a live document the user can read (they vouch for it).
   */
  private async attachments(
    user: User,
    ids: readonly string[],
    existing: readonly AttachmentRef[],
  ): Promise<AttachmentRef[]> {
    const unique = [...new Set(ids)];
    if (unique.length > MAX_ATTACHMENTS)
      throw invalid('/attachments', `An event has at most ${MAX_ATTACHMENTS} attachments`);
    const kept = new Map(existing.map((a) => [a.documentId, a.vouchedBy]));
    const out: AttachmentRef[] = [];
    for (const documentId of unique) {
      const voucher = kept.get(documentId);
      if (voucher !== undefined) {
        out.push({ documentId, vouchedBy: voucher });
        continue;
      }
      const doc = await this.readableDocuments().vouchedFor(documentId, [user.id]);
      if (doc === undefined)
        throw invalid(
          '/attachments',
          `Document ${documentId} is not one of yours or shared with you`,
        );
      out.push({ documentId, vouchedBy: user.id });
    }
    return out;
  }

  /** Everyone who sees the calendar through a share, and its owner, but `except`. */
  private async audience(calendar: Calendar, except: string): Promise<string[]> {
    const shares = await this.platform.sharing.sharesOf(this.ref(calendar.id));
    if (shares.length === 0) return [];
    const ids = new Set<string>([calendar.ownerId]);
    for (const s of shares) {
      if (s.grantee.kind === 'user') ids.add(s.grantee.id);
      else
        for (const member of await this.platform.accounts.membersOf(s.grantee.id)) ids.add(member);
    }
    ids.delete(except);
    return [...ids];
  }

  async createEvent(user: User, calendarId: string, input: EventInput): Promise<CalendarEvent> {
    const calendar = await this.requireCalendar(user, calendarId, 'contrib');
    const fields = eventFields(input);
    const attachments = await this.attachments(user, input.attachments ?? [], []);
    const id = newId();
    const now = this.clock.now();
    try {
      await this.repo.insertEvent(
        {
          ...fields,
          id,
          calendar_id: calendarId,
          uid: input.uid === undefined ? newId() : cleanUid(input.uid),
          author_id: user.id,
          created_at: now,
          modified_at: now,
        },
        attachments,
      );
    } catch (error) {
      if (isUniqueViolation(error))
        throw new AppError('conflict', 'This calendar already has an event with this UID', {
          cause: error,
        });
      throw error;
    }
    const event = await this.requireEvent(user, calendarId, id);
    await this.platform.timeline.notify(await this.audience(calendar, user.id), {
      type: CALENDAR,
      messageKey: 'calendar.event.added',
      params: { calendar: calendar.title, title: event.title, start: event.start },
      link: CalendarService.link(calendarId),
    });
    return event;
  }

  async requireEvent(user: User, calendarId: string, eventId: string): Promise<CalendarEvent> {
    await this.requireCalendar(user, calendarId);
    const event = await this.repo.findEvent(calendarId, eventId);
    if (event === undefined) throw new AppError('not_found', 'Event not found');
    return event;
  }

  /** The events, or those that may occur in `[from, to)` (dates or date-times with an offset). */
  async listEvents(
    user: User,
    calendarId: string,
    query: { from?: string; to?: string } = {},
  ): Promise<CalendarEvent[]> {
    await this.requireCalendar(user, calendarId);
    const window: Window = {};
    if (query.from !== undefined && query.from !== '')
      window.from = parseBound(query.from, '/from');
    if (query.to !== undefined && query.to !== '') window.to = parseBound(query.to, '/to');
    if (window.from !== undefined && window.to !== undefined && window.to < window.from)
      throw invalid('/to', 'to is before from');
    return this.repo.listEvents(calendarId, window);
  }

  async updateEvent(
    user: User,
    calendarId: string,
    eventId: string,
    patch: EventPatch,
  ): Promise<CalendarEvent> {
    await this.requireCalendar(user, calendarId, 'contrib');
    const row = await this.repo.findEventRow(calendarId, eventId);
    if (row === undefined) throw new AppError('not_found', 'Event not found');
    const current = presentTimes(row);
    const fields = eventFields({
      title: patch.title ?? row.title,
      description: patch.description ?? row.description,
      location: patch.location === undefined ? row.location : patch.location,
      allDay: patch.allDay ?? current.allDay,
      start: patch.start ?? current.start,
      end: patch.end ?? current.end,
      timeZone: patch.timeZone === undefined ? row.time_zone : patch.timeZone,
      rrule: patch.rrule === undefined ? row.rrule : patch.rrule,
    });
    const attachments =
      patch.attachments === undefined
        ? undefined
        : await this.attachments(user, patch.attachments, await this.repo.attachmentRefs(eventId));
    await this.repo.updateEvent(eventId, { ...fields, modified_at: this.clock.now() }, attachments);
    return this.requireEvent(user, calendarId, eventId);
  }

  async deleteEvent(user: User, calendarId: string, eventId: string): Promise<void> {
    await this.requireCalendar(user, calendarId, 'contrib');
    const row = await this.repo.findEventRow(calendarId, eventId);
    if (row === undefined) throw new AppError('not_found', 'Event not found');
    await this.repo.deleteEvent(eventId);
  }

  /**
   * A document attached to an event, read through the access of the user who attached it
   * (`ReadableDocuments`): readers of the calendar need no share on the file, and it stops
   * showing once that user loses it, trashes it or has their account disabled.
   */
  async attachmentContent(
    user: User,
    calendarId: string,
    eventId: string,
    documentId: string,
  ): Promise<{ document: WsDocument; blobKey: string }> {
    await this.requireEvent(user, calendarId, eventId);
    const refs = await this.repo.attachmentRefs(eventId);
    const ref = refs.find((r) => r.documentId === documentId);
    if (ref === undefined) throw new AppError('not_found', 'Document not found');
    const content = await this.readableDocuments().contentVouchedFor(documentId, [ref.vouchedBy]);
    if (content === undefined) throw new AppError('not_found', 'Document not found');
    return content;
  }

  // ---- iCalendar --------------------------------------------------------------------------

  async exportIcs(
    user: User,
    calendarId: string,
  ): Promise<{ calendar: CalendarView; ics: string }> {
    const calendar = await this.requireCalendar(user, calendarId);
    const events = await this.repo.listEvents(calendarId);
    return { calendar, ics: calendarToIcs(calendar, events, { publicUrl: this.publicUrl }) };
  }

  /**
   * Adds the events of an iCalendar file to a calendar. An event whose UID the calendar
   * already holds is skipped (importing a file twice adds nothing); an event that does not
   * pass the checks of the API is reported with the reason, and the others still come in.
   */
  async importIcs(user: User, calendarId: string, source: string): Promise<ImportReport> {
    const calendar = await this.requireCalendar(user, calendarId, 'contrib');
    const { events, failed } = parseIcs(source);
    const known = await this.repo.existingUids(
      calendarId,
      events.map((e) => e.uid),
    );
    let imported = 0;
    let skipped = 0;
    for (const event of events) {
      if (known.has(event.uid)) {
        skipped += 1;
        continue;
      }
      try {
        const uid = cleanUid(event.uid);
        const fields = eventFields(event);
        const now = this.clock.now();
        await this.repo.insertEvent(
          {
            ...fields,
            id: newId(),
            calendar_id: calendarId,
            uid,
            author_id: user.id,
            created_at: now,
            modified_at: now,
          },
          [],
        );
        known.add(uid);
        imported += 1;
      } catch (error) {
        if (isUniqueViolation(error)) {
          skipped += 1; // brought in meanwhile by a concurrent import
        } else if (error instanceof AppError && error.code === 'invalid_request') {
          failed.push({ uid: event.uid, reason: error.message });
        } else {
          throw error;
        }
      }
    }
    if (imported > 0) {
      await this.platform.timeline.notify(await this.audience(calendar, user.id), {
        type: CALENDAR,
        messageKey: 'calendar.events.imported',
        params: { calendar: calendar.title, count: imported },
        link: CalendarService.link(calendarId),
      });
    }
    return { imported, skipped, failed };
  }
}
