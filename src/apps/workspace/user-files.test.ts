import { parse as parseDisposition } from 'content-disposition';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildBlog,
  buildCalendar,
  buildDocument,
  buildEvent,
  buildPost,
} from '../../../test/support/factories.ts';
import { newSession, type Session } from '../../../test/support/session.ts';
import { testDbKinds } from '../../../test/support/test-env.ts';
import { createTestServer, type TestServer } from '../../../test/support/test-server.ts';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** Files anyone may upload, and whether a browser may show each inline. */
const FILES: { name: string; bytes: string | Buffer; inline?: string }[] = [
  { name: 'evil.js', bytes: 'document.title = "pwned";\n' },
  { name: 'module.mjs', bytes: 'export default 1;\n' },
  { name: 'page.html', bytes: '<script>alert(document.cookie)</script>' },
  {
    name: 'page.xhtml',
    bytes: '<html xmlns="http://www.w3.org/1999/xhtml"><script>1</script></html>',
  },
  { name: 'dessin.svg', bytes: '<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>' },
  { name: 'style.css', bytes: 'body { background: url(//evil.example/x) }' },
  { name: 'data.json', bytes: '{"a":1}' },
  { name: 'feuille.xml', bytes: '<?xml version="1.0"?><a/>' },
  { name: 'photo.png', bytes: PNG, inline: 'image/png' },
  { name: 'notes.txt', bytes: 'Bonjour', inline: 'text/plain' },
  { name: 'fiche.pdf', bytes: '%PDF-1.4\n%%EOF\n', inline: 'application/pdf' },
];

/**
 * Every route that serves a user's stored bytes: a file runs nothing as part of this site,
 * whatever it holds and whoever opens it (issue 15, finding 4).
 */
describe.each(testDbKinds())('User files served on %s', (db) => {
  let s: TestServer;
  let owner: Session;
  /** For each file, the URL of each route that serves it. */
  const urls = new Map<string, { workspace: string; blog: string; calendar: string }>();

  beforeAll(async () => {
    s = await createTestServer(db, 'local', { RATE_LIMIT_MAX: '100000' });
    const rt = s.t.runtime;
    owner = await newSession(s, 'Teacher');
    const blog = await buildBlog(rt, owner.user);
    const calendar = await buildCalendar(rt, owner.user);
    for (const f of FILES) {
      const doc = await buildDocument(rt, owner.user, { name: f.name, bytes: f.bytes });
      const link = `/api/workspace/documents/${doc.id}/content`;
      await buildPost(rt, owner.user, blog, {
        content: `<p><a href="${link}">${f.name}</a><img src="${link}" alt="" /></p>`,
      });
      const event = await buildEvent(rt, owner.user, calendar, { attachments: [doc.id] });
      urls.set(f.name, {
        workspace: link,
        blog: `/api/blog/blogs/${blog.id}/documents/${doc.id}`,
        calendar: `/api/calendar/calendars/${calendar.id}/events/${event.id}/attachments/${doc.id}`,
      });
    }
  });
  afterAll(async () => {
    await s?.close();
  });

  const get = (url: string) => fetch(`${s.url}${url}`, { headers: owner.http });

  /** The headers every user file is sent with, inline or not. */
  const expectContained = (res: Response, what: string) => {
    expect(res.status, what).toBe(200);
    expect(res.headers.get('x-content-type-options'), what).toBe('nosniff');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp, what).toMatch(/(^|;\s*)sandbox(;|$)/);
    expect(csp, what).toContain("default-src 'none'");
    expect(res.headers.get('cross-origin-resource-policy'), what).toBe('same-origin');
  };

  for (const route of ['workspace', 'blog', 'calendar'] as const) {
    it(`sends through the ${route} route every file as an attachment of no runnable type, but images, PDF and text`, async () => {
      for (const f of FILES) {
        const what = `${route} ${f.name}`;
        const url = urls.get(f.name)?.[route] ?? '';
        const res = await get(url);
        expectContained(res, what);
        const disposition = res.headers.get('content-disposition') ?? '';
        expect(parseDisposition(disposition).parameters.filename, what).toBe(f.name);
        if (f.inline === undefined) {
          expect(disposition, what).toMatch(/^attachment;/);
          // Not a script, style or document type: `<script src>` refuses it under nosniff.
          expect(res.headers.get('content-type'), what).toBe('application/octet-stream');
        } else {
          expect(disposition, what).toMatch(/^inline;/);
          expect(res.headers.get('content-type'), what).toMatch(new RegExp(`^${f.inline}`));
        }
        expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(f.bytes)), what).toBe(true);

        // ?download makes even an image an attachment.
        const download = await get(`${url}?download`);
        expectContained(download, `${what}?download`);
        expect(download.headers.get('content-disposition'), what).toMatch(/^attachment;/);
        expect(download.headers.get('content-type'), what).toBe('application/octet-stream');
        await download.arrayBuffer();
      }
    });
  }

  it('keeps the headers on a HEAD and a range', async () => {
    const url = urls.get('evil.js')?.workspace ?? '';
    const head = await fetch(`${s.url}${url}`, { method: 'HEAD', headers: owner.http });
    expectContained(head, 'HEAD');
    expect(head.headers.get('content-type')).toBe('application/octet-stream');
    const part = await fetch(`${s.url}${url}`, {
      headers: { ...owner.http, range: 'bytes=0-3' },
    });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-type')).toBe('application/octet-stream');
    expect(part.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await part.text()).toBe('docu');
  });
});
