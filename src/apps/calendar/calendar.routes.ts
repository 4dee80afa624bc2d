import { create as contentDisposition } from 'content-disposition';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { requireUser } from '../../http/auth.ts';
import { sendBlob } from '../../http/send-blob.ts';
import { registerShareRoutes } from '../../http/share-routes.ts';
import { ACCESSES } from '../../platform/access.ts';
import type { Platform } from '../../platform/platform.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import { userFileResponse } from '../workspace/user-file.ts';
import {
  CALENDAR,
  MAX_ATTACHMENTS,
  MAX_DESCRIPTION,
  MAX_LOCATION,
  MAX_TITLE,
  MAX_UID,
} from './calendar.model.ts';
import { CalendarService } from './calendar.service.ts';
import { MAX_RRULE_LENGTH } from './rrule.ts';

const TAG = 'calendar';
const BASE = '/api/calendar/calendars';
/** An .ics file to import: a school year of a busy calendar is far below this. */
export const MAX_ICS_BYTES = 5 * 1024 * 1024;

const id = z.string().min(1).max(64);
const accessSchema = z.enum(ACCESSES);

const calendarSchema = z.object({
  id: z.string(),
  title: z.string(),
  color: z.string(),
  ownerId: z.string(),
  ownerName: z.string(),
  access: accessSchema,
  createdAt: z.number(),
  modifiedAt: z.number(),
});

const eventSchema = z.object({
  id: z.string(),
  calendarId: z.string(),
  uid: z.string(),
  authorId: z.string(),
  title: z.string(),
  description: z.string().describe('Sanitised HTML'),
  location: z.string().nullable(),
  allDay: z.boolean(),
  start: z.string().describe('ISO 8601 with its offset; YYYY-MM-DD for all-day events'),
  end: z.string().describe('Same form as start; the last day (inclusive) for all-day events'),
  timeZone: z.string().nullable(),
  rrule: z.string().nullable(),
  attachments: z.array(z.string()).describe('Workspace document ids'),
  createdAt: z.number(),
  modifiedAt: z.number(),
});

const color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'A colour is written #rrggbb');

const eventFields = {
  title: z.string().max(MAX_TITLE * 2),
  start: z
    .string()
    .max(64)
    .describe('ISO 8601 date-time with an offset or Z (YYYY-MM-DD when allDay)'),
  end: z.string().max(64).describe('Same form as start; all-day: the last day, inclusive'),
  allDay: z.boolean().optional(),
  timeZone: z.string().max(64).nullable().optional().describe('IANA zone, e.g. Europe/Paris'),
  description: z.string().max(MAX_DESCRIPTION).optional().describe('HTML (sanitised)'),
  location: z
    .string()
    .max(MAX_LOCATION * 2)
    .nullable()
    .optional(),
  rrule: z
    .string()
    .max(MAX_RRULE_LENGTH + 6)
    .nullable()
    .optional()
    .describe('RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO'),
  attachments: z.array(id).max(MAX_ATTACHMENTS).optional().describe('Workspace document ids'),
};

const importReportSchema = z.object({
  imported: z.number(),
  skipped: z.number(),
  failed: z.array(z.object({ uid: z.string(), reason: z.string() })),
});

export function calendarRoutes(deps: {
  calendars: CalendarService;
  platform: Platform;
  blobs: BlobStore;
}): FastifyPluginAsyncZod {
  const { calendars, platform, blobs } = deps;
  return async (app) => {
    app.post(
      BASE,
      {
        schema: {
          tags: [TAG],
          summary: 'Create a calendar (right calendar.create)',
          body: z.strictObject({ title: z.string().max(MAX_TITLE * 2), color: color.optional() }),
          response: { 201: calendarSchema },
        },
      },
      async (request, reply) => {
        const calendar = await calendars.createCalendar(requireUser(request), request.body);
        return reply.status(201).send(calendar);
      },
    );

    app.get(
      BASE,
      {
        schema: {
          tags: [TAG],
          summary: 'My calendars, then those shared with me',
          response: { 200: z.object({ items: z.array(calendarSchema) }) },
        },
      },
      async (request) => ({ items: await calendars.listCalendars(requireUser(request)) }),
    );

    app.get(
      `${BASE}/:id`,
      {
        schema: {
          tags: [TAG],
          summary: 'A calendar',
          params: z.object({ id }),
          response: { 200: calendarSchema },
        },
      },
      async (request) => calendars.requireCalendar(requireUser(request), request.params.id),
    );

    app.patch(
      `${BASE}/:id`,
      {
        schema: {
          tags: [TAG],
          summary: 'Rename or recolour a calendar (share manage)',
          params: z.object({ id }),
          body: z.strictObject({
            title: z
              .string()
              .max(MAX_TITLE * 2)
              .optional(),
            color: color.optional(),
          }),
          response: { 200: calendarSchema },
        },
      },
      async (request) =>
        calendars.updateCalendar(requireUser(request), request.params.id, request.body),
    );

    app.delete(
      `${BASE}/:id`,
      {
        schema: {
          tags: [TAG],
          summary: 'Delete a calendar with its events and shares (owner)',
          params: z.object({ id }),
        },
      },
      async (request, reply) => {
        await calendars.deleteCalendar(requireUser(request), request.params.id);
        return reply.status(204).send();
      },
    );

    app.post(
      `${BASE}/:id/events`,
      {
        schema: {
          tags: [TAG],
          summary: 'Add an event (share contrib); readers are told in their timeline',
          params: z.object({ id }),
          body: z.strictObject({
            ...eventFields,
            uid: z.string().max(MAX_UID).optional().describe('iCalendar UID (default: new)'),
          }),
          response: { 201: eventSchema },
        },
      },
      async (request, reply) => {
        const event = await calendars.createEvent(
          requireUser(request),
          request.params.id,
          request.body,
        );
        return reply.status(201).send(event);
      },
    );

    app.get(
      `${BASE}/:id/events`,
      {
        schema: {
          tags: [TAG],
          summary:
            'Events by start; with from/to (dates or date-times with an offset), those that may occur in [from, to): recurring ones are given once, as their series',
          params: z.object({ id }),
          querystring: z.object({
            from: z.string().max(64).optional(),
            to: z.string().max(64).optional(),
          }),
          response: { 200: z.object({ items: z.array(eventSchema) }) },
        },
      },
      async (request) => ({
        items: await calendars.listEvents(requireUser(request), request.params.id, request.query),
      }),
    );

    app.get(
      `${BASE}/:id/events/:eventId`,
      {
        schema: {
          tags: [TAG],
          summary: 'An event',
          params: z.object({ id, eventId: id }),
          response: { 200: eventSchema },
        },
      },
      async (request) =>
        calendars.requireEvent(requireUser(request), request.params.id, request.params.eventId),
    );

    app.patch(
      `${BASE}/:id/events/:eventId`,
      {
        schema: {
          tags: [TAG],
          summary: 'Change an event (share contrib); attachments replace the list',
          params: z.object({ id, eventId: id }),
          body: z.strictObject(eventFields).partial(),
          response: { 200: eventSchema },
        },
      },
      async (request) =>
        calendars.updateEvent(
          requireUser(request),
          request.params.id,
          request.params.eventId,
          request.body,
        ),
    );

    app.delete(
      `${BASE}/:id/events/:eventId`,
      {
        schema: {
          tags: [TAG],
          summary: 'Delete an event (share contrib)',
          params: z.object({ id, eventId: id }),
        },
      },
      async (request, reply) => {
        await calendars.deleteEvent(
          requireUser(request),
          request.params.id,
          request.params.eventId,
        );
        return reply.status(204).send();
      },
    );

    app.route({
      method: ['GET', 'HEAD'],
      url: `${BASE}/:id/events/:eventId/attachments/:documentId`,
      schema: {
        tags: [TAG],
        summary:
          "An attached document's bytes for readers of the calendar (through the access of whoever attached it)",
        params: z.object({ id, eventId: id, documentId: id }),
        querystring: z.object({ download: z.string().optional() }),
      },
      handler: async (request, reply) => {
        const { document, blobKey } = await calendars.attachmentContent(
          requireUser(request),
          request.params.id,
          request.params.eventId,
          request.params.documentId,
        );
        const sent = userFileResponse(
          { ...document, blobKey },
          { download: request.query.download !== undefined },
        );
        reply.headers(sent.headers);
        return sendBlob(request, reply, blobs, sent.blob);
      },
    });

    app.get(
      `${BASE}/:id/ics`,
      {
        schema: {
          tags: [TAG],
          summary: 'The calendar as iCalendar (text/calendar)',
          params: z.object({ id }),
          produces: ['text/calendar'],
        },
      },
      async (request, reply) => {
        const { calendar, ics } = await calendars.exportIcs(
          requireUser(request),
          request.params.id,
        );
        const name = `${calendar.title.replace(/[\\/:*?"<>|]+/g, '-')}.ics`;
        return reply
          .header('content-type', 'text/calendar; charset=utf-8')
          .header('content-disposition', contentDisposition(name))
          .header('cache-control', 'private, no-store')
          .send(ics);
      },
    );

    app.post(
      `${BASE}/:id/import`,
      {
        schema: {
          tags: [TAG],
          summary: `Add the events of an .ics file (multipart "file", at most ${MAX_ICS_BYTES / 1024 / 1024} MB); events whose UID is already there are skipped`,
          consumes: ['multipart/form-data'],
          params: z.object({ id }),
          response: { 200: importReportSchema },
        },
      },
      async (request) => {
        const user = requireUser(request);
        // Rights first: nobody uploads 5 MB to learn the calendar is not theirs.
        await calendars.requireCalendar(user, request.params.id, 'contrib');
        if (!request.isMultipart())
          throw new AppError('invalid_request', 'Send the file as multipart/form-data');
        const file = await request.file({ limits: { fileSize: MAX_ICS_BYTES, files: 1 } });
        if (file === undefined)
          throw new AppError('invalid_request', 'The multipart field "file" is missing');
        if (file.fieldname !== 'file') {
          file.file.resume();
          throw new AppError('invalid_request', 'The file must be sent in the field "file"');
        }
        const tooLarge = () =>
          new AppError('payload_too_large', `An .ics file is at most ${MAX_ICS_BYTES} bytes`);
        const bytes = await file.toBuffer().catch((error: unknown) => {
          if (error instanceof Error && 'statusCode' in error && error.statusCode === 413)
            throw tooLarge();
          throw error;
        });
        // toBuffer() may hand back the truncated part without an error when the limit falls
        // on its last chunk: the stream's flag is what tells.
        if (file.file.truncated) throw tooLarge();
        const source = new TextDecoder('utf-8').decode(bytes);
        return calendars.importIcs(user, request.params.id, source);
      },
    );

    registerShareRoutes(app, platform, {
      base: BASE,
      app: CALENDAR,
      type: 'calendar',
      tag: TAG,
      async requireManager(user, calendarId) {
        const calendar = await calendars.requireCalendar(user, calendarId, 'manage');
        return {
          ownerId: calendar.ownerId,
          title: calendar.title,
          link: CalendarService.link(calendar.id),
        };
      },
    });
  };
}
