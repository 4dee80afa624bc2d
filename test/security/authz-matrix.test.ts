/**
 * The authorisation matrix: every route of the running server, called by every kind of caller
 * the threat model names (docs/security.md), gets exactly the answer the model says, and no
 * answer to anyone but the owner carries the owner's data.
 *
 * The routes are enumerated from the server itself (its OpenAPI document, checked against
 * Fastify's route tree so a hidden route counts too): a route added without a row here fails
 * the first test. The owner's resources are private (nothing shared), so another pupil of the
 * class and a teacher of the class must be told "not found", exactly as if the id did not
 * exist. Distinctive values (ids, titles, names, a document's size, the account's byte count)
 * are planted and looked for in every other caller's answer, headers included.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/platform/accounts.service.ts';
import { buildGroup, makeUser, share } from '../support/factories.ts';
import { Session } from '../support/session.ts';
import { testDbKinds } from '../support/test-env.ts';
import { createTestServer, type TestServer } from '../support/test-server.ts';
import { waitFor } from '../support/wait.ts';

type Method = 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE' | 'OPTIONS';
const CALLERS = [
  'anonymous',
  'revokedToken',
  'expiredSession',
  'noOrigin',
  'otherPupil',
  'teacher',
  'parent',
  'owner',
] as const;
type Caller = (typeof CALLERS)[number];
/** An expected answer: a status, and the error code when it is an error. */
type Want = readonly [status: number, code?: string, inMessage?: string];

const UNAUTHENTICATED: Want = [401, 'unauthenticated'];
const NOT_FOUND: Want = [404, 'not_found'];
const CSRF: Want = [403, 'csrf'];
const FORBIDDEN: Want = [403, 'forbidden'];
/** A parent (Relative) has no right to create in these apps (their definitions' rights). */
const noRight = (action: string): Want => [403, 'forbidden', action];
const NO_BLOG_RIGHT = noRight('blog.create');
const NO_NEWS_RIGHT = noRight('news.create');
const NO_CALENDAR_RIGHT = noRight('calendar.create');
const NO_WIKI_RIGHT = noRight('wiki.create');
const SAFE = new Set<Method>(['GET', 'HEAD', 'OPTIONS']);

interface Payload {
  body?: string | Buffer;
  headers?: Record<string, string>;
}

interface Row {
  /** `METHOD /path/:param` as the server declares it. */
  route: string;
  url(f: Fixture): string;
  payload?(f: Fixture, caller: Caller): Payload;
  owner: Want;
  /** Another pupil of the class and a teacher of the class (default 404 not_found). */
  peer?: Want;
  /** When the teacher's answer differs from the other pupil's. */
  teacher?: Want;
  /** A parent (Relative) outside the class, when the answer differs from the other pupil's. */
  parent?: Want;
  /**
   * A pupil the owner shared every resource with, read only (default: the other pupil's answer
   * where a row gives one, else 200 on a safe method and 403 forbidden on the others). A
   * reader may copy a document into their own space and comment (the apps' policies).
   */
  reader?: Want;
  /** Default 401 unauthenticated (also for an expired session). */
  anonymous?: Want;
  /** Default 401 unauthenticated: every /api route refuses a revoked token. */
  revoked?: Want;
  /** After the owner's call: waits until what it started is over. */
  settle?(f: Fixture, owner: Session): Promise<unknown>;
}

interface Fixture {
  owner: User;
  otherPupil: User;
  teacher: User;
  folder: string;
  trashedFolder: string;
  doc: string;
  trashedDoc: string;
  blog: string;
  post: string;
  comment: string;
  blogImage: string;
  thread: string;
  item: string;
  newsComment: string;
  calendar: string;
  event: string;
  attachment: string;
  wiki: string;
  page: string;
  revision: string;
  exportId: string;
  importId: string;
  upload: string;
  archive: Buffer;
}

const json = (value: unknown): Payload => ({
  body: JSON.stringify(value),
  headers: { 'content-type': 'application/json' },
});

/** A multipart body with one file in the field `file`. */
function multipart(name: string, bytes: Buffer, type = 'application/octet-stream'): Payload {
  const boundary = `----matrix${randomBytes(8).toString('hex')}`;
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
        `Content-Type: ${type}\r\n\r\n`,
    ),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

const ICS =
  'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//matrix//EN\r\nBEGIN:VEVENT\r\nUID:matrix-1\r\n' +
  'DTSTAMP:20250101T000000Z\r\nDTSTART:20250915T080000Z\r\nDTEND:20250915T090000Z\r\n' +
  'SUMMARY:Matrix\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
const TUS = { 'tus-resumable': '1.0.0' };
const tusCreate = (): Payload => ({
  headers: {
    ...TUS,
    'upload-length': '64',
    'upload-metadata': `filename ${Buffer.from('matrix.zip').toString('base64')}`,
  },
});
const tusPatch = (): Payload => ({
  body: Buffer.alloc(8, 1),
  headers: {
    ...TUS,
    'upload-offset': '0',
    'content-type': 'application/offset+octet-stream',
  },
});
const event = { title: 'Matrix event', start: '2025-09-15T08:00:00Z', end: '2025-09-15T09:00:00Z' };
/** Shares asked by a caller name the other pupil; the owner's own ask is the one that works. */
const shareWith = (f: Fixture): Payload => json({ login: f.otherPupil.login, right: 'read' });

/** One row per route: what each caller gets. */
const ROWS: Row[] = [
  // ---- platform -------------------------------------------------------------------------------
  {
    route: 'GET /api/health',
    url: () => '/api/health',
    owner: [200],
    peer: [200],
    anonymous: [200],
  },
  // Operators' metrics: answered to this machine only (or to METRICS_TOKEN); every call here
  // comes from 127.0.0.1, so every caller is answered. They hold no user's data (checked).
  {
    route: 'GET /metrics',
    url: () => '/metrics',
    owner: [200],
    peer: [200],
    anonymous: [200],
    revoked: [200],
  },
  {
    route: 'GET /api/openapi.json',
    url: () => '/api/openapi.json',
    owner: [200],
    peer: [200],
    anonymous: [200],
  },
  {
    route: 'POST /api/auth/login',
    url: () => '/api/auth/login',
    // Everyone but the owner fails a login of their own (an account nobody has: the answer is
    // the one a wrong password gets). Not all of them on the owner's login: failures on one
    // account from one address are throttled (429), and the owner's own login after them too.
    payload: (f, c) =>
      json(
        c === 'owner'
          ? { login: f.owner.login, password: 'correct horse battery' }
          : { login: `${c}.absent`, password: 'wrong password' },
      ),
    owner: [200],
    peer: [401, 'invalid_credentials'],
    anonymous: [401, 'invalid_credentials'],
  },
  { route: 'GET /api/me', url: () => '/api/me', owner: [200], peer: [200] },
  { route: 'GET /api/portal/apps', url: () => '/api/portal/apps', owner: [200], peer: [200] },
  { route: 'GET /api/timeline', url: () => '/api/timeline', owner: [200], peer: [200] },
  {
    route: 'POST /api/timeline/read',
    url: () => '/api/timeline/read',
    payload: () => json({}),
    owner: [200],
    peer: [200],
  },

  // ---- Espace documentaire ------------------------------------------------------------------
  {
    route: 'POST /api/workspace/documents',
    url: () => '/api/workspace/documents',
    payload: () => multipart('mine.txt', Buffer.from('mine\n'), 'text/plain'),
    owner: [201],
    peer: [201],
  },
  {
    route: 'GET /api/workspace/documents',
    url: () => '/api/workspace/documents',
    owner: [200],
    peer: [200],
  },
  {
    route: 'GET /api/workspace/documents/:id',
    url: (f) => `/api/workspace/documents/${f.doc}`,
    owner: [200],
  },
  {
    route: 'GET /api/workspace/documents/:id/content',
    url: (f) => `/api/workspace/documents/${f.doc}/content`,
    owner: [200],
  },
  {
    route: 'HEAD /api/workspace/documents/:id/content',
    url: (f) => `/api/workspace/documents/${f.doc}/content`,
    owner: [200],
  },
  {
    route: 'PATCH /api/workspace/documents/:id',
    url: (f) => `/api/workspace/documents/${f.doc}`,
    payload: () => json({ name: 'renamed.txt' }),
    owner: [200],
  },
  {
    route: 'POST /api/workspace/documents/:id/copy',
    url: (f) => `/api/workspace/documents/${f.doc}/copy`,
    payload: () => json({}),
    owner: [201],
    reader: [201],
  },
  {
    route: 'DELETE /api/workspace/documents/:id',
    url: (f) => `/api/workspace/documents/${f.doc}`,
    owner: [204],
  },
  {
    route: 'POST /api/workspace/documents/:id/restore',
    url: (f) => `/api/workspace/documents/${f.trashedDoc}/restore`,
    payload: () => json({}),
    owner: [200],
    reader: NOT_FOUND,
  },
  {
    route: 'POST /api/workspace/folders',
    url: () => '/api/workspace/folders',
    payload: () => json({ name: 'Mine' }),
    owner: [201],
    peer: [201],
  },
  {
    route: 'GET /api/workspace/folders',
    url: () => '/api/workspace/folders',
    owner: [200],
    peer: [200],
  },
  {
    route: 'GET /api/workspace/folders/:id',
    url: (f) => `/api/workspace/folders/${f.folder}`,
    owner: [200],
  },
  {
    route: 'PATCH /api/workspace/folders/:id',
    url: (f) => `/api/workspace/folders/${f.folder}`,
    payload: () => json({ name: 'Renamed' }),
    owner: [200],
  },
  {
    route: 'DELETE /api/workspace/folders/:id',
    url: (f) => `/api/workspace/folders/${f.folder}`,
    owner: [204],
  },
  {
    route: 'POST /api/workspace/folders/:id/restore',
    url: (f) => `/api/workspace/folders/${f.trashedFolder}/restore`,
    payload: () => json({}),
    owner: [200],
    reader: NOT_FOUND,
  },
  ...shareRows('/api/workspace/documents', (f) => f.doc),
  ...shareRows('/api/workspace/folders', (f) => f.folder),

  // ---- Blog -------------------------------------------------------------------------------------
  {
    route: 'POST /api/blog/blogs',
    url: () => '/api/blog/blogs',
    payload: () => json({ title: 'Mine' }),
    owner: [201],
    peer: [201],
    parent: NO_BLOG_RIGHT,
  },
  { route: 'GET /api/blog/blogs', url: () => '/api/blog/blogs', owner: [200], peer: [200] },
  { route: 'GET /api/blog/blogs/:id', url: (f) => `/api/blog/blogs/${f.blog}`, owner: [200] },
  {
    route: 'PATCH /api/blog/blogs/:id',
    url: (f) => `/api/blog/blogs/${f.blog}`,
    payload: () => json({ description: 'x' }),
    owner: [200],
  },
  { route: 'DELETE /api/blog/blogs/:id', url: (f) => `/api/blog/blogs/${f.blog}`, owner: [204] },
  {
    route: 'POST /api/blog/blogs/:id/posts',
    url: (f) => `/api/blog/blogs/${f.blog}/posts`,
    payload: () => json({ title: 'Injected', content: '<p>x</p>' }),
    owner: [201],
  },
  {
    route: 'GET /api/blog/blogs/:id/posts',
    url: (f) => `/api/blog/blogs/${f.blog}/posts`,
    owner: [200],
  },
  {
    route: 'GET /api/blog/blogs/:id/posts/:postId',
    url: (f) => `/api/blog/blogs/${f.blog}/posts/${f.post}`,
    owner: [200],
  },
  {
    route: 'PATCH /api/blog/blogs/:id/posts/:postId',
    url: (f) => `/api/blog/blogs/${f.blog}/posts/${f.post}`,
    payload: () => json({ content: '<p>changed</p>' }),
    owner: [200],
  },
  {
    route: 'DELETE /api/blog/blogs/:id/posts/:postId',
    url: (f) => `/api/blog/blogs/${f.blog}/posts/${f.post}`,
    owner: [204],
  },
  {
    route: 'POST /api/blog/blogs/:id/posts/:postId/publish',
    url: (f) => `/api/blog/blogs/${f.blog}/posts/${f.post}/publish`,
    payload: () => json({}),
    owner: [200],
  },
  {
    route: 'GET /api/blog/blogs/:id/posts/:postId/comments',
    url: (f) => `/api/blog/blogs/${f.blog}/posts/${f.post}/comments`,
    owner: [200],
  },
  {
    route: 'POST /api/blog/blogs/:id/posts/:postId/comments',
    url: (f) => `/api/blog/blogs/${f.blog}/posts/${f.post}/comments`,
    payload: () => json({ text: 'Injected' }),
    owner: [201],
    reader: [201],
  },
  {
    route: 'POST /api/blog/blogs/:id/posts/:postId/comments/:commentId/publish',
    url: (f) => `/api/blog/blogs/${f.blog}/posts/${f.post}/comments/${f.comment}/publish`,
    payload: () => json({}),
    owner: [200],
  },
  {
    route: 'DELETE /api/blog/blogs/:id/posts/:postId/comments/:commentId',
    url: (f) => `/api/blog/blogs/${f.blog}/posts/${f.post}/comments/${f.comment}`,
    owner: [204],
  },
  {
    route: 'POST /api/blog/blogs/:id/posts/:postId/unpublish',
    url: (f) => `/api/blog/blogs/${f.blog}/posts/${f.post}/unpublish`,
    payload: () => json({}),
    owner: [200],
  },
  {
    route: 'POST /api/blog/blogs/:id/images',
    url: (f) => `/api/blog/blogs/${f.blog}/images`,
    payload: () => multipart('i.png', PNG, 'image/png'),
    owner: [201],
  },
  {
    route: 'GET /api/blog/blogs/:id/documents/:documentId',
    url: (f) => `/api/blog/blogs/${f.blog}/documents/${f.blogImage}`,
    owner: [200],
  },
  {
    route: 'HEAD /api/blog/blogs/:id/documents/:documentId',
    url: (f) => `/api/blog/blogs/${f.blog}/documents/${f.blogImage}`,
    owner: [200],
  },
  ...shareRows('/api/blog/blogs', (f) => f.blog),

  // ---- Actualités -------------------------------------------------------------------------------
  {
    route: 'POST /api/news/threads',
    url: () => '/api/news/threads',
    payload: () => json({ title: 'Mine' }),
    owner: [201],
    peer: [201],
    parent: NO_NEWS_RIGHT,
  },
  { route: 'GET /api/news/threads', url: () => '/api/news/threads', owner: [200], peer: [200] },
  { route: 'GET /api/news/threads/:id', url: (f) => `/api/news/threads/${f.thread}`, owner: [200] },
  {
    route: 'PATCH /api/news/threads/:id',
    url: (f) => `/api/news/threads/${f.thread}`,
    payload: () => json({ title: 'Changed' }),
    owner: [200],
  },
  {
    route: 'DELETE /api/news/threads/:id',
    url: (f) => `/api/news/threads/${f.thread}`,
    owner: [204],
  },
  {
    route: 'GET /api/news/threads/:id/items',
    url: (f) => `/api/news/threads/${f.thread}/items`,
    owner: [200],
  },
  {
    route: 'POST /api/news/threads/:id/items',
    url: (f) => `/api/news/threads/${f.thread}/items`,
    payload: () => json({ title: 'Injected', content: '<p>x</p>' }),
    owner: [201],
  },
  { route: 'GET /api/news/items', url: () => '/api/news/items', owner: [200], peer: [200] },
  { route: 'GET /api/news/items/:id', url: (f) => `/api/news/items/${f.item}`, owner: [200] },
  {
    route: 'PATCH /api/news/items/:id',
    url: (f) => `/api/news/items/${f.item}`,
    payload: () => json({ title: 'Changed' }),
    owner: [200],
  },
  { route: 'DELETE /api/news/items/:id', url: (f) => `/api/news/items/${f.item}`, owner: [204] },
  {
    route: 'GET /api/news/items/:id/comments',
    url: (f) => `/api/news/items/${f.item}/comments`,
    owner: [200],
  },
  {
    route: 'POST /api/news/items/:id/comments',
    url: (f) => `/api/news/items/${f.item}/comments`,
    payload: () => json({ text: 'Injected' }),
    owner: [201],
    reader: [201],
  },
  {
    route: 'DELETE /api/news/items/:id/comments/:commentId',
    url: (f) => `/api/news/items/${f.item}/comments/${f.newsComment}`,
    owner: [204],
  },
  ...shareRows('/api/news/threads', (f) => f.thread),

  // ---- Agenda -----------------------------------------------------------------------------------
  {
    route: 'POST /api/calendar/calendars',
    url: () => '/api/calendar/calendars',
    payload: () => json({ title: 'Mine' }),
    owner: [201],
    peer: [201],
    parent: NO_CALENDAR_RIGHT,
  },
  {
    route: 'GET /api/calendar/calendars',
    url: () => '/api/calendar/calendars',
    owner: [200],
    peer: [200],
  },
  {
    route: 'GET /api/calendar/calendars/:id',
    url: (f) => `/api/calendar/calendars/${f.calendar}`,
    owner: [200],
  },
  {
    route: 'PATCH /api/calendar/calendars/:id',
    url: (f) => `/api/calendar/calendars/${f.calendar}`,
    payload: () => json({ color: '#123456' }),
    owner: [200],
  },
  {
    route: 'DELETE /api/calendar/calendars/:id',
    url: (f) => `/api/calendar/calendars/${f.calendar}`,
    owner: [204],
  },
  {
    route: 'POST /api/calendar/calendars/:id/events',
    url: (f) => `/api/calendar/calendars/${f.calendar}/events`,
    payload: () => json(event),
    owner: [201],
  },
  {
    route: 'GET /api/calendar/calendars/:id/events',
    url: (f) => `/api/calendar/calendars/${f.calendar}/events`,
    owner: [200],
  },
  {
    route: 'GET /api/calendar/calendars/:id/events/:eventId',
    url: (f) => `/api/calendar/calendars/${f.calendar}/events/${f.event}`,
    owner: [200],
  },
  {
    route: 'PATCH /api/calendar/calendars/:id/events/:eventId',
    url: (f) => `/api/calendar/calendars/${f.calendar}/events/${f.event}`,
    payload: () => json({ location: 'Salle 12' }),
    owner: [200],
  },
  {
    route: 'DELETE /api/calendar/calendars/:id/events/:eventId',
    url: (f) => `/api/calendar/calendars/${f.calendar}/events/${f.event}`,
    owner: [204],
  },
  {
    route: 'GET /api/calendar/calendars/:id/events/:eventId/attachments/:documentId',
    url: (f) =>
      `/api/calendar/calendars/${f.calendar}/events/${f.event}/attachments/${f.attachment}`,
    owner: [200],
  },
  {
    route: 'HEAD /api/calendar/calendars/:id/events/:eventId/attachments/:documentId',
    url: (f) =>
      `/api/calendar/calendars/${f.calendar}/events/${f.event}/attachments/${f.attachment}`,
    owner: [200],
  },
  {
    route: 'GET /api/calendar/calendars/:id/ics',
    url: (f) => `/api/calendar/calendars/${f.calendar}/ics`,
    owner: [200],
  },
  {
    route: 'POST /api/calendar/calendars/:id/import',
    url: (f) => `/api/calendar/calendars/${f.calendar}/import`,
    payload: () => multipart('a.ics', Buffer.from(ICS), 'text/calendar'),
    owner: [200],
  },
  ...shareRows('/api/calendar/calendars', (f) => f.calendar),

  // ---- Cours et Wiki ----------------------------------------------------------------------------
  {
    route: 'POST /api/wiki/wikis',
    url: () => '/api/wiki/wikis',
    payload: () => json({ title: 'Mine' }),
    owner: [201],
    peer: [201],
    parent: NO_WIKI_RIGHT,
  },
  { route: 'GET /api/wiki/wikis', url: () => '/api/wiki/wikis', owner: [200], peer: [200] },
  { route: 'GET /api/wiki/wikis/:id', url: (f) => `/api/wiki/wikis/${f.wiki}`, owner: [200] },
  {
    route: 'PATCH /api/wiki/wikis/:id',
    url: (f) => `/api/wiki/wikis/${f.wiki}`,
    payload: () => json({ description: 'x' }),
    owner: [200],
  },
  { route: 'DELETE /api/wiki/wikis/:id', url: (f) => `/api/wiki/wikis/${f.wiki}`, owner: [204] },
  {
    route: 'POST /api/wiki/wikis/:id/pages',
    url: (f) => `/api/wiki/wikis/${f.wiki}/pages`,
    payload: () => json({ title: 'Injected', content: '<p>x</p>' }),
    owner: [201],
  },
  {
    route: 'GET /api/wiki/wikis/:id/pages',
    url: (f) => `/api/wiki/wikis/${f.wiki}/pages`,
    owner: [200],
  },
  {
    route: 'GET /api/wiki/wikis/:id/pages/:pageId',
    url: (f) => `/api/wiki/wikis/${f.wiki}/pages/${f.page}`,
    owner: [200],
  },
  {
    route: 'PATCH /api/wiki/wikis/:id/pages/:pageId',
    url: (f) => `/api/wiki/wikis/${f.wiki}/pages/${f.page}`,
    payload: () => json({ content: '<p>changed</p>' }),
    owner: [200],
  },
  {
    route: 'DELETE /api/wiki/wikis/:id/pages/:pageId',
    url: (f) => `/api/wiki/wikis/${f.wiki}/pages/${f.page}`,
    owner: [204],
  },
  {
    route: 'GET /api/wiki/wikis/:id/pages/:pageId/backlinks',
    url: (f) => `/api/wiki/wikis/${f.wiki}/pages/${f.page}/backlinks`,
    owner: [200],
  },
  {
    route: 'GET /api/wiki/wikis/:id/pages/:pageId/revisions',
    url: (f) => `/api/wiki/wikis/${f.wiki}/pages/${f.page}/revisions`,
    owner: [200],
  },
  {
    route: 'GET /api/wiki/wikis/:id/pages/:pageId/revisions/:revisionId',
    url: (f) => `/api/wiki/wikis/${f.wiki}/pages/${f.page}/revisions/${f.revision}`,
    owner: [200],
  },
  {
    route: 'POST /api/wiki/wikis/:id/pages/:pageId/revisions/:revisionId/restore',
    url: (f) => `/api/wiki/wikis/${f.wiki}/pages/${f.page}/revisions/${f.revision}/restore`,
    payload: () => json({}),
    owner: [200],
  },
  ...shareRows('/api/wiki/wikis', (f) => f.wiki),

  // ---- Mes Données ------------------------------------------------------------------------------
  { route: 'GET /api/archive/apps', url: () => '/api/archive/apps', owner: [200], peer: [200] },
  {
    route: 'POST /api/archive/exports',
    url: () => '/api/archive/exports',
    payload: () => json({ apps: ['calendar'] }),
    owner: [202],
    peer: [202],
  },
  {
    route: 'GET /api/archive/exports',
    url: () => '/api/archive/exports',
    owner: [200],
    peer: [200],
  },
  {
    route: 'GET /api/archive/exports/:id',
    url: (f) => `/api/archive/exports/${f.exportId}`,
    owner: [200],
    reader: NOT_FOUND,
  },
  {
    route: 'GET /api/archive/exports/:id/events',
    url: (f) => `/api/archive/exports/${f.exportId}/events`,
    owner: [200],
    reader: NOT_FOUND,
  },
  {
    route: 'GET /api/archive/exports/:id/download',
    url: (f) => `/api/archive/exports/${f.exportId}/download`,
    owner: [200],
    reader: NOT_FOUND,
  },
  {
    route: 'HEAD /api/archive/exports/:id/download',
    url: (f) => `/api/archive/exports/${f.exportId}/download`,
    owner: [200],
    reader: NOT_FOUND,
  },
  // A finished export cannot be cancelled (it can be deleted).
  {
    route: 'POST /api/archive/exports/:id/cancel',
    url: (f) => `/api/archive/exports/${f.exportId}/cancel`,
    payload: () => json({}),
    owner: [409, 'conflict'],
    reader: NOT_FOUND,
  },
  {
    route: 'DELETE /api/archive/exports/:id',
    url: (f) => `/api/archive/exports/${f.exportId}`,
    owner: [204],
    reader: NOT_FOUND,
  },
  {
    route: 'GET /api/archive/imports',
    url: () => '/api/archive/imports',
    owner: [200],
    peer: [200],
  },
  {
    route: 'GET /api/archive/imports/:id',
    url: (f) => `/api/archive/imports/${f.importId}`,
    owner: [200],
    reader: NOT_FOUND,
  },
  {
    route: 'POST /api/archive/imports/:id/launch',
    url: (f) => `/api/archive/imports/${f.importId}/launch`,
    payload: () => json({ apps: ['calendar'], dryRun: true }),
    owner: [202],
    reader: NOT_FOUND,
    // The dry run ends "analyzed" with its report: the next rows see it.
    settle: (f, s) =>
      waitFor(
        'the dry run',
        async () => {
          const res = await s.request('GET', `/api/archive/imports/${f.importId}`);
          return res.json<{ report: unknown }>().report !== null;
        },
        60_000,
      ),
  },
  {
    route: 'GET /api/archive/imports/:id/report',
    url: (f) => `/api/archive/imports/${f.importId}/report`,
    owner: [200],
    reader: NOT_FOUND,
  },
  {
    route: 'GET /api/archive/imports/:id/events',
    url: (f) => `/api/archive/imports/${f.importId}/events`,
    owner: [200],
    reader: NOT_FOUND,
  },
  {
    route: 'POST /api/archive/imports/:id/undo',
    url: (f) => `/api/archive/imports/${f.importId}/undo`,
    payload: () => json({}),
    owner: [409, 'conflict'],
    reader: NOT_FOUND,
  },
  {
    route: 'POST /api/archive/imports',
    url: () => '/api/archive/imports',
    payload: (f) => multipart('archive.zip', f.archive, 'application/zip'),
    owner: [202],
    peer: [202],
  },
  {
    route: 'DELETE /api/archive/imports/:id',
    url: (f) => `/api/archive/imports/${f.importId}`,
    owner: [204],
    reader: NOT_FOUND,
  },
  {
    route: 'POST /api/archive/uploads',
    url: () => '/api/archive/uploads',
    payload: tusCreate,
    owner: [201],
    peer: [201],
  },
  {
    route: 'OPTIONS /api/archive/uploads',
    url: () => '/api/archive/uploads',
    payload: () => ({ headers: TUS }),
    owner: [204],
    peer: [204],
  },
  {
    route: 'HEAD /api/archive/uploads/:id',
    url: (f) => `/api/archive/uploads/${f.upload}`,
    payload: () => ({ headers: TUS }),
    owner: [200],
    reader: NOT_FOUND,
  },
  {
    route: 'PATCH /api/archive/uploads/:id',
    url: (f) => `/api/archive/uploads/${f.upload}`,
    payload: tusPatch,
    owner: [204],
    reader: NOT_FOUND,
  },
  {
    route: 'DELETE /api/archive/uploads/:id',
    url: (f) => `/api/archive/uploads/${f.upload}`,
    payload: () => ({ headers: TUS }),
    owner: [204],
    reader: NOT_FOUND,
  },
  {
    route: 'OPTIONS /api/archive/uploads/:id',
    url: (f) => `/api/archive/uploads/${f.upload}`,
    payload: () => ({ headers: TUS }),
    owner: [204],
    reader: NOT_FOUND,
  },

  // Last: it ends the caller's session.
  {
    route: 'POST /api/auth/logout',
    url: () => '/api/auth/logout',
    payload: () => json({}),
    owner: [204],
    peer: [204],
    anonymous: [204],
  },
];

/** The three share routes every app registers on a resource (share-routes.ts). */
function shareRows(base: string, id: (f: Fixture) => string): Row[] {
  return [
    {
      route: `GET ${base}/:id/shares`,
      url: (f) => `${base}/${id(f)}/shares`,
      owner: [200],
      reader: FORBIDDEN,
    },
    {
      route: `POST ${base}/:id/shares`,
      url: (f) => `${base}/${id(f)}/shares`,
      payload: shareWith,
      owner: [200],
    },
    {
      route: `DELETE ${base}/:id/shares/:kind/:granteeId`,
      url: (f) => `${base}/${id(f)}/shares/user/${f.otherPupil.id}`,
      owner: [204],
    },
  ];
}

/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/** The routes the server has: `METHOD /path/:param`, from its OpenAPI document and route tree. */
function serverRoutes(s: TestServer): string[] {
  const doc = s.app.swagger() as { paths: Record<string, Record<string, unknown>> };
  const routes: string[] = [];
  for (const [p, methods] of Object.entries(doc.paths)) {
    for (const m of Object.keys(methods))
      routes.push(`${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`);
  }
  // Hidden from the document on purpose: the document itself, the operators' metrics.
  routes.push('GET /api/openapi.json', 'GET /metrics');
  return routes.sort();
}

/** Every path of Fastify's route tree (printRoutes), to catch a route the document hides. */
function treePaths(s: TestServer): string[] {
  const stack: string[] = [];
  const paths: string[] = [];
  for (const line of s.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+) \(/.exec(line);
    if (m === null) continue;
    const [, indent = '', segment = ''] = m;
    stack.length = indent.length / 4;
    stack.push(segment);
    paths.push(stack.join(''));
  }
  return paths;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

describe.each(testDbKinds())('authorisation matrix (%s)', (db) => {
  let s: TestServer;
  let f: Fixture;
  let owner: Session;
  let otherPupil: Session;
  let teacher: Session;
  let parent: Session;
  let reader: Session;
  /** The owner's values a reader of the shared resources still must not see. */
  const unshared: string[] = [];
  let revoked: string;
  /** The owner's values no one else may be shown. */
  const secrets: string[] = [];
  let dir: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-matrix-'));
    s = await createTestServer(db);
    s.t.runtime.queue.startWorker();
    const rt = s.t.runtime;
    const tag = `Qz${randomBytes(4).toString('hex')}`;
    const ownerUser = await makeUser(rt.platform, 'Student', { displayName: `Zélie ${tag}` });
    const otherUser = await makeUser(rt.platform, 'Student');
    const teacherUser = await makeUser(rt.platform, 'Teacher');
    const klass = await buildGroup(rt, [ownerUser, otherUser, teacherUser]);
    // The class may publish news, so the pupils' news routes are reachable at all.
    await rt.platform.accounts.setGroupRight(klass.id, 'news.create', 'grant');
    owner = await Session.of(s, ownerUser);
    otherPupil = await Session.of(s, otherUser);
    teacher = await Session.of(s, teacherUser);
    parent = await Session.of(s, await makeUser(rt.platform, 'Relative'));
    // A classmate too, to whom the owner then gives read access to everything.
    const readerUser = await makeUser(rt.platform, 'Student');
    await rt.platform.accounts.addMember(klass.id, readerUser.login);
    reader = await Session.of(s, readerUser);
    const token = await rt.platform.auth.createToken(ownerUser.id, 'matrix');
    await rt.platform.auth.revokeToken(token.id);
    revoked = token.token;

    const made = async (method: Method, url: string, payload?: Payload): Promise<string> => {
      const res = await s.app.inject({
        method,
        url,
        headers: { ...owner.inject, ...payload?.headers },
        ...(payload?.body === undefined ? {} : { payload: payload.body }),
      });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
      const id: unknown = res.json<{ id?: unknown }>().id;
      if (typeof id !== 'string') throw new Error(`${url} gave no id`);
      return id;
    };
    const title = (what: string) => `${tag} ${what}`;
    // 737373 bytes: a size that appears nowhere else.
    const docBytes = Buffer.alloc(737_373, 'z');
    const folder = await made('POST', '/api/workspace/folders', json({ name: title('dossier') }));
    const trashedFolder = await made(
      'POST',
      '/api/workspace/folders',
      json({ name: title('corbeille') }),
    );
    const doc = await made(
      'POST',
      '/api/workspace/documents',
      multipart(`${tag}-secret.txt`, docBytes, 'text/plain'),
    );
    const trashedDoc = await made(
      'POST',
      '/api/workspace/documents',
      multipart(`${tag}-old.txt`, Buffer.from('old')),
    );
    for (const url of [
      `/api/workspace/documents/${trashedDoc}`,
      `/api/workspace/folders/${trashedFolder}`,
    ]) {
      const res = await owner.request('DELETE', url);
      expect(res.statusCode, res.body).toBe(204);
    }
    const blog = await made('POST', '/api/blog/blogs', json({ title: title('blog') }));
    const post = await made(
      'POST',
      `/api/blog/blogs/${blog}/posts`,
      json({ title: title('article'), content: `<p>${tag} texte</p>` }),
    );
    const comment = await made(
      'POST',
      `/api/blog/blogs/${blog}/posts/${post}/comments`,
      json({ text: title('commentaire') }),
    );
    const blogImage = await made(
      'POST',
      `/api/blog/blogs/${blog}/images`,
      multipart(`${tag}.png`, PNG, 'image/png'),
    );
    // The blog shows it (as its thumbnail): readers of the blog may read it, no one else.
    const shown = await owner.request('PATCH', `/api/blog/blogs/${blog}`, {
      thumbnailId: blogImage,
    });
    expect(shown.statusCode, shown.body).toBe(200);
    const thread = await made('POST', '/api/news/threads', json({ title: title('fil') }));
    const item = await made(
      'POST',
      `/api/news/threads/${thread}/items`,
      json({ title: title('actualité'), content: `<p>${tag}</p>` }),
    );
    const newsComment = await made(
      'POST',
      `/api/news/items/${item}/comments`,
      json({ text: title('réaction') }),
    );
    const calendar = await made(
      'POST',
      '/api/calendar/calendars',
      json({ title: title('agenda') }),
    );
    const attachment = await made(
      'POST',
      '/api/workspace/documents',
      multipart(`${tag}-pj.txt`, Buffer.from('pj')),
    );
    const eventId = await made(
      'POST',
      `/api/calendar/calendars/${calendar}/events`,
      json({ ...event, title: title('événement'), attachments: [attachment] }),
    );
    const wiki = await made('POST', '/api/wiki/wikis', json({ title: title('wiki') }));
    const page = await made(
      'POST',
      `/api/wiki/wikis/${wiki}/pages`,
      json({ title: title('page'), content: `<p>${tag} v1</p>` }),
    );
    const edited = await owner.request('PATCH', `/api/wiki/wikis/${wiki}/pages/${page}`, {
      content: `<p>${tag} v2</p>`,
    });
    expect(edited.statusCode, edited.body).toBe(200);
    const revisions = await owner.request('GET', `/api/wiki/wikis/${wiki}/pages/${page}/revisions`);
    const revision = revisions.json<{ items: { id: string }[] }>().items[0]?.id ?? 'none';

    // A ready export of the owner's whole account, and that archive uploaded for import.
    const exportId = await made(
      'POST',
      '/api/archive/exports',
      json({ apps: ['workspace', 'blog', 'news', 'calendar', 'wiki'] }),
    );
    await waitFor(
      'the export',
      async () =>
        (await owner.request('GET', `/api/archive/exports/${exportId}`)).json<{ status: string }>()
          .status === 'ready',
      60_000,
    );
    const download = await owner.request('GET', `/api/archive/exports/${exportId}/download`);
    const archive = download.rawPayload;
    await fs.writeFile(path.join(dir, 'owner.zip'), archive);
    const importId = await made(
      'POST',
      '/api/archive/imports',
      multipart(`${tag}.zip`, archive, 'application/zip'),
    );
    await waitFor(
      'the analysis',
      async () =>
        (await owner.request('GET', `/api/archive/imports/${importId}`)).json<{ status: string }>()
          .status === 'analyzed',
      60_000,
    );
    const created = await s.app.inject({
      method: 'POST',
      url: '/api/archive/uploads',
      headers: { ...owner.inject, ...tusCreate().headers },
    });
    expect(created.statusCode, created.body).toBe(201);
    const upload = String(created.headers.location).split('/').pop() ?? '';

    f = {
      owner: ownerUser,
      otherPupil: otherUser,
      teacher: teacherUser,
      folder,
      trashedFolder,
      doc,
      trashedDoc,
      blog,
      post,
      comment,
      blogImage,
      thread,
      item,
      newsComment,
      calendar,
      event: eventId,
      attachment,
      wiki,
      page,
      revision,
      exportId,
      importId,
      upload,
      archive,
    };
    for (const [app, type, id] of [
      ['workspace', 'document', doc],
      ['workspace', 'folder', folder],
      ['blog', 'blog', blog],
      ['news', 'thread', thread],
      ['calendar', 'calendar', calendar],
      ['wiki', 'wiki', wiki],
    ] as const)
      await share(rt, ownerUser, { app, type, id }, reader.user, 'read');
    unshared.push(trashedDoc, trashedFolder, exportId, importId, upload);
    const apps = await owner.request('GET', '/api/archive/apps');
    const workspaceBytes = apps
      .json<{ items: { id: string; bytes: number }[] }>()
      .items.find((a) => a.id === 'workspace')?.bytes;
    secrets.push(
      tag,
      ownerUser.id,
      ownerUser.login,
      '737373',
      sha256(docBytes.toString()),
      String(workspaceBytes),
      ...[
        folder,
        trashedFolder,
        doc,
        trashedDoc,
        blog,
        post,
        comment,
        blogImage,
        thread,
        item,
        newsComment,
        calendar,
        eventId,
        attachment,
        wiki,
        page,
        revision,
        exportId,
        importId,
        upload,
      ],
    );
  }, 180_000);

  afterAll(async () => {
    await s.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('has a row for every route of the server, and no row for a route it lacks', () => {
    const routes = serverRoutes(s);
    const rows = ROWS.map((r) => r.route).sort();
    expect(rows).toEqual(routes);
    // Every path of the route tree is in the document (HEAD routes Fastify adds aside).
    const documented = new Set(routes.map((r) => r.split(' ')[1]));
    const tree = treePaths(s);
    expect(tree.length).toBeGreaterThan(routes.length / 3);
    for (const p of tree) expect(documented, p).toContain(p);
  });

  /** Who calls, with which headers; `undefined` where the caller does not apply. */
  async function headersOf(
    caller: Caller,
    method: Method,
  ): Promise<Record<string, string> | undefined> {
    const origin = owner.inject.origin ?? 'http://localhost:80';
    switch (caller) {
      case 'anonymous':
        return { origin };
      case 'revokedToken':
        return { authorization: `Bearer ${revoked}` };
      case 'expiredSession': {
        // Expired sessions are deleted when seen: a new one for every call.
        const token = randomBytes(32).toString('base64url');
        await s.t.runtime.db.kysely
          .insertInto('sessions')
          .values({
            id: sha256(token),
            user_id: f.owner.id,
            created_at: 0,
            last_seen_at: 0,
            expires_at: 1,
          })
          .execute();
        return { cookie: `md_session=${token}`, origin };
      }
      case 'noOrigin': {
        if (SAFE.has(method)) return undefined;
        return Object.fromEntries(Object.entries(owner.inject).filter(([k]) => k !== 'origin'));
      }
      case 'otherPupil':
        return otherPupil.inject;
      case 'teacher':
        return teacher.inject;
      case 'parent':
        return parent.inject;
      case 'owner':
        return owner.inject;
    }
  }

  function wanted(row: Row, caller: Caller): Want {
    switch (caller) {
      case 'anonymous':
      case 'expiredSession':
        return row.anonymous ?? UNAUTHENTICATED;
      case 'revokedToken':
        return row.revoked ?? UNAUTHENTICATED;
      case 'noOrigin':
        return CSRF;
      case 'otherPupil':
        return row.peer ?? NOT_FOUND;
      case 'teacher':
        return row.teacher ?? row.peer ?? NOT_FOUND;
      case 'parent':
        return row.parent ?? row.peer ?? NOT_FOUND;
      case 'owner':
        return row.owner;
    }
  }

  async function call(
    row: Row,
    caller: Caller,
  ): Promise<{ res: LightMyRequestResponse; sent: string } | undefined> {
    const [method = 'GET', template = ''] = row.route.split(' ');
    const m = method as Method;
    const headers = await headersOf(caller, m);
    if (headers === undefined) return undefined;
    const payload = row.payload?.(f, caller);
    const url = row.url(f);
    expect(template.split('/').length, row.route).toBe(url.split('/').length);
    const res = await s.app.inject({
      method: m,
      url,
      headers: { ...headers, ...payload?.headers },
      ...(payload?.body === undefined ? {} : { payload: payload.body }),
    });
    return { res, sent: `${url} ${payload?.body?.toString() ?? ''}` };
  }

  /** No value of the owner's in an answer to someone else (unless the caller sent it). */
  function expectNoLeak(
    row: Row,
    caller: Caller | 'reader',
    res: LightMyRequestResponse,
    sent: string,
    hidden: readonly string[] = secrets,
  ): void {
    const seen = `${res.body}\n${JSON.stringify(res.headers)}`;
    for (const secret of hidden) {
      if (sent.includes(secret)) continue;
      // A number counts only whole (metrics are full of other numbers).
      const found = /^\d+$/.test(secret)
        ? new RegExp(`(?<![0-9.])${secret}(?![0-9])`).test(seen)
        : seen.includes(secret);
      expect(found, `${row.route} as ${caller} shows ${secret}: ${seen.slice(0, 400)}`).toBe(false);
    }
  }

  /** What differs from the model in one answer ("" when nothing does). */
  function mismatch(
    row: Row,
    caller: Caller | 'reader',
    res: LightMyRequestResponse,
    want: Want,
  ): string {
    const [status, code] = want;
    const what = `${row.route} as ${caller}: ${res.statusCode} ${res.body.slice(0, 200)}`;
    if (res.statusCode !== status) return `${what} (expected ${status})`;
    // A HEAD answer has no body to carry a code.
    if (code === undefined || row.route.startsWith('HEAD ')) return '';
    const error = (JSON.parse(res.body) as { error?: { code?: string; message?: string } }).error;
    if (error?.code !== code) return `${what} (expected code ${code})`;
    const inMessage = want[2];
    return inMessage === undefined || (error.message ?? '').includes(inMessage)
      ? ''
      : `${what} (expected a message naming ${inMessage})`;
  }

  const isLast = (r: Row) => r.route === 'POST /api/auth/logout';

  for (const caller of CALLERS.filter((c) => c !== 'owner')) {
    it(`${caller}: every route answers as the model says and shows nothing of the owner`, async () => {
      const problems: string[] = [];
      for (const row of ROWS.filter((r) => !isLast(r))) {
        const done = await call(row, caller);
        if (done === undefined) continue;
        problems.push(mismatch(row, caller, done.res, wanted(row, caller)));
        expectNoLeak(row, caller, done.res, done.sent);
      }
      expect(problems.filter((p) => p !== '')).toEqual([]);
    }, 120_000);
  }

  it('a reader of every shared resource: reads them, changes none, sees nothing else of the owner', async () => {
    const problems: string[] = [];
    for (const row of ROWS.filter((r) => !isLast(r))) {
      const [method = 'GET'] = row.route.split(' ');
      const payload = row.payload?.(f, 'otherPupil');
      const url = row.url(f);
      const res = await s.app.inject({
        method: method as Method,
        url,
        headers: { ...reader.inject, ...payload?.headers },
        ...(payload?.body === undefined ? {} : { payload: payload.body }),
      });
      const want = row.reader ?? row.peer ?? (SAFE.has(method as Method) ? [200] : FORBIDDEN);
      problems.push(mismatch(row, 'reader', res, want));
      expectNoLeak(row, 'reader', res, `${url} ${payload?.body?.toString() ?? ''}`, unshared);
    }
    expect(problems.filter((p) => p !== '')).toEqual([]);
  }, 120_000);

  it('owner: every route works (destructive ones last, children before parents)', async () => {
    const problems: string[] = [];
    // The table lists parents before children: deletes run in reverse order.
    const rows = ROWS.filter((r) => !isLast(r));
    const deletes = rows.filter((r) => r.route.startsWith('DELETE ')).reverse();
    for (const row of [...rows.filter((r) => !deletes.includes(r)), ...deletes]) {
      const done = await call(row, 'owner');
      if (done === undefined) continue;
      problems.push(mismatch(row, 'owner', done.res, row.owner));
      await row.settle?.(f, owner);
    }
    expect(problems.filter((p) => p !== '')).toEqual([]);
  }, 120_000);

  it('logout ends only the caller’s own session, whoever calls', async () => {
    const problems: string[] = [];
    const row = ROWS.find(isLast);
    if (row === undefined) throw new Error('no logout row');
    for (const caller of CALLERS) {
      const done = await call(row, caller);
      if (done === undefined) continue;
      problems.push(mismatch(row, caller, done.res, wanted(row, caller)));
      if (caller !== 'owner') expectNoLeak(row, caller, done.res, done.sent);
    }
  });
});
