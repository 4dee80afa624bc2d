import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser } from '../../../test/support/factories.ts';
import { newSession, Session } from '../../../test/support/session.ts';
import { testDbKinds } from '../../../test/support/test-env.ts';
import {
  createTestServer,
  type BlobKind,
  type TestServer,
} from '../../../test/support/test-server.ts';

const MiB = 1024 * 1024;

/** A multipart body with one file, built by the platform's FormData. */
function form(name: string, bytes: Uint8Array, fields: Record<string, string> = {}): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  f.append('file', new Blob([Buffer.from(bytes)]), name);
  return f;
}

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

const kinds = testDbKinds();
const matrix: { db: (typeof kinds)[number]; blob: BlobKind }[] = [
  ...kinds.map((db) => ({ db, blob: 'local' as const })),
  { db: kinds[0]!, blob: 's3' as const },
];

describe.each(matrix)('Espace documentaire on $db with $blob blobs', ({ db, blob }) => {
  let s: TestServer;

  beforeAll(async () => {
    s = await createTestServer(db, blob, { MAX_UPLOAD_SIZE: '300MB' });
  });
  afterAll(async () => {
    await s.close();
  });

  /** Each test works as a teacher of its own: quotas and lists hold only what it made. */
  const teacher = () => newSession(s, 'Teacher');

  const upload = async (
    who: Session,
    name: string,
    bytes: Uint8Array,
    query = '',
  ): Promise<Response> => who.upload(`/api/workspace/documents${query}`, name, bytes);

  const blobKeys = async (): Promise<string[]> => {
    const keys: string[] = [];
    for await (const b of s.t.runtime.blobs.list('workspace/')) keys.push(b.key);
    return keys;
  };

  it('uploads 200 MB streamed with bounded memory, and gives the bytes back identically', async () => {
    const auth = await teacher();
    const owner = auth.user;
    const chunk = randomBytes(MiB);
    const total = 200;
    const hash = createHash('sha256');
    for (let i = 0; i < total; i++) hash.update(chunk);
    const expected = hash.digest('hex');
    async function* body() {
      yield new TextEncoder().encode(
        '--BOUNDARY\r\nContent-Disposition: form-data; name="file"; filename="gros fichier.bin"\r\nContent-Type: application/octet-stream\r\n\r\n',
      );
      for (let i = 0; i < total; i++) yield chunk;
      yield new TextEncoder().encode('\r\n--BOUNDARY--\r\n');
    }
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const res = await fetch(`${s.url}/api/workspace/documents`, {
      method: 'POST',
      headers: { ...auth.http, 'content-type': 'multipart/form-data; boundary=BOUNDARY' },
      body: ReadableStreamFrom(body()),
      duplex: 'half',
    } as RequestInit);
    clearInterval(sampler);
    expect(res.status).toBe(201);
    const doc = (await res.json()) as {
      id: string;
      size: number;
      sha256: string;
      contentType: string;
    };
    expect(doc.size).toBe(total * MiB);
    expect(doc.sha256).toBe(expected);
    // The whole file would be 200 MB in memory; streaming keeps the growth well below it (the
    // bound leaves room for s3rver, which runs in this process, and for the garbage collector).
    expect(peak - before).toBeLessThan(150 * MiB);

    const down = await fetch(`${s.url}/api/workspace/documents/${doc.id}/content`, {
      headers: auth.http,
    });
    expect(down.status).toBe(200);
    expect(down.headers.get('etag')).toBe(`"${expected}"`);
    const back = createHash('sha256');
    for await (const part of down.body!) back.update(part);
    expect(back.digest('hex')).toBe(expected);
    expect((await s.t.runtime.platform.quota.usage(owner.id)).used).toBe(total * MiB);
    const purge = await s.app.inject({
      method: 'DELETE',
      url: `/api/workspace/documents/${doc.id}?purge=true`,
      headers: auth.inject,
    });
    expect(purge.statusCode).toBe(204);
    expect((await s.t.runtime.platform.quota.usage(owner.id)).used).toBe(0);
  }, 120_000);

  it('answers byte ranges (206), suffix ranges, 416 past the end, and conditional 304', async () => {
    const auth = await teacher();
    const bytes = Buffer.from('0123456789abcdefghij');
    const res = await upload(auth, 'notes.txt', bytes);
    const doc = (await res.json()) as { id: string; sha256: string; contentType: string };
    expect(doc.contentType).toBe('text/plain');
    const url = `${s.url}/api/workspace/documents/${doc.id}/content`;
    const part = await fetch(url, { headers: { ...auth.http, range: 'bytes=5-9' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 5-9/20');
    expect(await part.text()).toBe('56789');
    const open = await fetch(url, { headers: { ...auth.http, range: 'bytes=15-' } });
    expect(await open.text()).toBe('fghij');
    const suffix = await fetch(url, { headers: { ...auth.http, range: 'bytes=-3' } });
    expect(await suffix.text()).toBe('hij');
    const beyond = await fetch(url, { headers: { ...auth.http, range: 'bytes=20-30' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */20');
    const cached = await fetch(url, {
      headers: { ...auth.http, 'if-none-match': `"${doc.sha256}"` },
    });
    expect(cached.status).toBe(304);
    const stale = await fetch(url, {
      headers: { ...auth.http, range: 'bytes=0-1', 'if-range': '"other"' },
    });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toBe(bytes.toString());
    const head = await fetch(url, { method: 'HEAD', headers: auth.http });
    expect(head.headers.get('content-length')).toBe('20');
  });

  it('keeps Unicode names (NFC) and sends them back in Content-Disposition (RFC 5987)', async () => {
    const auth = await teacher();
    const decomposed = 'e\u0301te\u0301 — été 2026 ✓.png';
    const res = await upload(auth, decomposed, PNG);
    const doc = (await res.json()) as { id: string; name: string; contentType: string };
    expect(doc.name).toBe(decomposed.normalize('NFC'));
    expect(doc.contentType).toBe('image/png');
    const down = await fetch(`${s.url}/api/workspace/documents/${doc.id}/content?download`, {
      headers: auth.http,
    });
    const disposition = down.headers.get('content-disposition') ?? '';
    expect(disposition).toMatch(/^attachment;/);
    expect(disposition).toContain(`filename*=UTF-8''${encodeURIComponent(doc.name)}`);
    expect(down.headers.get('x-content-type-options')).toBe('nosniff');
    expect(down.headers.get('content-security-policy')).toContain('sandbox');
    const bad = await s.app.inject({
      method: 'PATCH',
      url: `/api/workspace/documents/${doc.id}`,
      headers: auth.inject,
      payload: { name: 'a/b.png' },
    });
    expect(bad.statusCode).toBe(400);
    const blank = await s.app.inject({
      method: 'PATCH',
      url: `/api/workspace/documents/${doc.id}`,
      headers: auth.inject,
      payload: { name: ' \u0007 ' },
    });
    expect(blank.statusCode).toBe(400);
  });

  it('types files by their bytes, not their name', async () => {
    const auth = await teacher();
    const res = await upload(auth, 'pas-un-pdf.pdf', PNG);
    expect(((await res.json()) as { contentType: string }).contentType).toBe('image/png');
  });

  it('allows same-name files in one folder', async () => {
    const auth = await teacher();
    const folder = await s.app.inject({
      method: 'POST',
      url: '/api/workspace/folders',
      headers: auth.inject,
      payload: { name: 'Bilans' },
    });
    expect(folder.statusCode).toBe(201);
    const folderId = folder.json().id as string;
    const a = await upload(auth, 'bilan.pdf', Buffer.from('%PDF-1.4 a'), `?folderId=${folderId}`);
    const b = await upload(auth, 'bilan.pdf', Buffer.from('%PDF-1.4 b'), `?folderId=${folderId}`);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    const list = await s.app.inject({
      method: 'GET',
      url: `/api/workspace/documents?folderId=${folderId}`,
      headers: auth.inject,
    });
    expect(list.json().items.map((d: { name: string }) => d.name)).toEqual([
      'bilan.pdf',
      'bilan.pdf',
    ]);
  });

  it('refuses an upload beyond the quota with 413, keeping no byte of it', async () => {
    const h = await newSession(s, 'Student', { quota: 64 * 1024 });
    const small = h.user;
    const before = await blobKeys();
    const res = await upload(h, 'trop-gros.bin', randomBytes(200 * 1024));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('quota_exceeded');
    expect(await blobKeys()).toEqual(before);
    expect((await s.t.runtime.platform.quota.usage(small.id)).used).toBe(0);
    const fits = await upload(h, 'petit.bin', randomBytes(10 * 1024));
    expect(fits.status).toBe(201);
  });

  it('refuses a file over MAX_UPLOAD_SIZE with 413 and cleans up', async () => {
    const tiny = await createTestServer(db, 'local', { MAX_UPLOAD_SIZE: '100000' });
    try {
      const u = await makeUser(tiny.t.runtime.platform, 'Teacher');
      const h = await tiny.login(u.login);
      const res = await fetch(`${tiny.url}/api/workspace/documents`, {
        method: 'POST',
        headers: h.http,
        body: form('big.bin', randomBytes(300_000)),
      });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'payload_too_large',
      );
      const left = await fs.readdir(path.join(tiny.t.dataDir, 'blobs'), { recursive: true });
      expect(
        left.filter((f) => !f.startsWith('.tmp') && f.includes('/') && !f.endsWith(u.id)),
      ).toEqual([]);
      expect((await tiny.t.runtime.platform.quota.usage(u.id)).used).toBe(0);
    } finally {
      await tiny.close();
    }
  });

  it('trashes, restores and purges, freeing the quota only when purged', async () => {
    const auth = await teacher();
    const owner = auth.user;
    const res = await upload(auth, 'brouillon.txt', Buffer.from('hello'));
    const id = ((await res.json()) as { id: string }).id;
    const used = (await s.t.runtime.platform.quota.usage(owner.id)).used;
    expect(
      (
        await s.app.inject({
          method: 'DELETE',
          url: `/api/workspace/documents/${id}`,
          headers: auth.inject,
        })
      ).statusCode,
    ).toBe(204);
    const trash = await s.app.inject({
      method: 'GET',
      url: '/api/workspace/documents?filter=trash',
      headers: auth.inject,
    });
    expect(trash.json().items.map((d: { id: string }) => d.id)).toContain(id);
    const mine = await s.app.inject({
      method: 'GET',
      url: '/api/workspace/documents',
      headers: auth.inject,
    });
    expect(mine.json().items.map((d: { id: string }) => d.id)).not.toContain(id);
    expect((await s.t.runtime.platform.quota.usage(owner.id)).used).toBe(used);
    const restored = await s.app.inject({
      method: 'POST',
      url: `/api/workspace/documents/${id}/restore`,
      headers: auth.inject,
    });
    expect(restored.json().trashed).toBe(false);
    await s.app.inject({
      method: 'DELETE',
      url: `/api/workspace/documents/${id}?purge=true`,
      headers: auth.inject,
    });
    expect((await s.t.runtime.platform.quota.usage(owner.id)).used).toBe(used - 5);
    const gone = await s.app.inject({
      method: 'GET',
      url: `/api/workspace/documents/${id}`,
      headers: auth.inject,
    });
    expect(gone.statusCode).toBe(404);
  });

  it('trashes a folder with its content and restores both', async () => {
    const auth = await teacher();
    const f = (
      await s.app.inject({
        method: 'POST',
        url: '/api/workspace/folders',
        headers: auth.inject,
        payload: { name: 'Projet' },
      })
    ).json();
    const sub = (
      await s.app.inject({
        method: 'POST',
        url: '/api/workspace/folders',
        headers: auth.inject,
        payload: { name: 'Images', parentId: f.id },
      })
    ).json();
    const doc = (await (await upload(auth, 'logo.png', PNG, `?folderId=${sub.id}`)).json()) as {
      id: string;
    };
    await s.app.inject({
      method: 'DELETE',
      url: `/api/workspace/folders/${f.id}`,
      headers: auth.inject,
    });
    expect(
      (
        await s.app.inject({
          method: 'GET',
          url: `/api/workspace/documents/${doc.id}`,
          headers: auth.inject,
        })
      ).json().trashed,
    ).toBe(true);
    const trashFolders = (
      await s.app.inject({
        method: 'GET',
        url: '/api/workspace/folders?filter=trash',
        headers: auth.inject,
      })
    ).json();
    expect(trashFolders.items.map((x: { id: string }) => x.id)).toEqual([f.id]);
    await s.app.inject({
      method: 'POST',
      url: `/api/workspace/folders/${f.id}/restore`,
      headers: auth.inject,
    });
    expect(
      (
        await s.app.inject({
          method: 'GET',
          url: `/api/workspace/documents/${doc.id}`,
          headers: auth.inject,
        })
      ).json().trashed,
    ).toBe(false);
    // No cycles: a folder cannot move into its own subfolder.
    const cycle = await s.app.inject({
      method: 'PATCH',
      url: `/api/workspace/folders/${f.id}`,
      headers: auth.inject,
      payload: { parentId: sub.id },
    });
    expect(cycle.statusCode).toBe(400);
  });

  it('shares a folder with a class: members read its documents, others get 404', async () => {
    const auth = await teacher();
    const owner = auth.user;
    const platform = s.t.runtime.platform;
    const pupil = await makeUser(platform, 'Student');
    const outsider = await makeUser(platform, 'Student');
    const group = await platform.accounts.createGroup('Collège Test', `5e B ${owner.login}`);
    await platform.accounts.addMember(group.id, pupil.login);
    const folder = (
      await s.app.inject({
        method: 'POST',
        url: '/api/workspace/folders',
        headers: auth.inject,
        payload: { name: 'Cours de maths' },
      })
    ).json();
    const doc = (await (
      await upload(auth, 'exercices.txt', Buffer.from('2+2'), `?folderId=${folder.id}`)
    ).json()) as { id: string };
    const share = await s.app.inject({
      method: 'POST',
      url: `/api/workspace/folders/${folder.id}/shares`,
      headers: auth.inject,
      payload: { group: group.id, right: 'read' },
    });
    expect(share.statusCode).toBe(200);
    expect(share.json().items).toEqual([
      {
        grantee: { kind: 'group', id: group.id, name: `${group.name} (Collège Test)` },
        right: 'read',
      },
    ]);

    const p = await s.login(pupil.login);
    const content = await s.app.inject({
      method: 'GET',
      url: `/api/workspace/documents/${doc.id}/content`,
      headers: p.inject,
    });
    expect(content.statusCode).toBe(200);
    expect(content.body).toBe('2+2');
    const shared = await s.app.inject({
      method: 'GET',
      url: '/api/workspace/folders?filter=shared',
      headers: p.inject,
    });
    expect(shared.json().items.map((x: { id: string }) => x.id)).toEqual([folder.id]);
    const timeline = await platform.timeline.list(pupil.id, { limit: 5 });
    expect(timeline.items[0]).toMatchObject({
      messageKey: 'share.received',
      params: { title: 'Cours de maths' },
    });
    // Read is not write: the pupil cannot rename, trash or re-share.
    const rename = await s.app.inject({
      method: 'PATCH',
      url: `/api/workspace/documents/${doc.id}`,
      headers: p.inject,
      payload: { name: 'x' },
    });
    expect(rename.statusCode).toBe(403);
    const reshare = await s.app.inject({
      method: 'POST',
      url: `/api/workspace/folders/${folder.id}/shares`,
      headers: p.inject,
      payload: { login: outsider.login, right: 'read' },
    });
    expect(reshare.statusCode).toBe(403);

    const o = await s.login(outsider.login);
    for (const url of [
      `/api/workspace/documents/${doc.id}`,
      `/api/workspace/documents/${doc.id}/content`,
      `/api/workspace/folders/${folder.id}`,
    ]) {
      const res = await s.app.inject({ method: 'GET', url, headers: o.inject });
      expect(res.statusCode, url).toBe(404);
    }
    const unshare = await s.app.inject({
      method: 'DELETE',
      url: `/api/workspace/folders/${folder.id}/shares/group/${group.id}`,
      headers: auth.inject,
    });
    expect(unshare.statusCode).toBe(204);
    expect(
      (
        await s.app.inject({
          method: 'GET',
          url: `/api/workspace/documents/${doc.id}`,
          headers: p.inject,
        })
      ).statusCode,
    ).toBe(404);
  });

  it('refuses uploads without the workspace.create right, and without a session', async () => {
    const platform = s.t.runtime.platform;
    const u = await makeUser(platform, 'Student');
    const g = await platform.accounts.createGroup('Collège Test', `sans-droit ${u.login}`);
    await platform.accounts.addMember(g.id, u.login);
    await platform.accounts.setGroupRight(g.id, 'workspace.create', 'revoke');
    const h = await Session.of(s, u);
    const res = await upload(h, 'x.txt', Buffer.from('x'));
    expect(res.status).toBe(403);
    const anonymous = await fetch(`${s.url}/api/workspace/documents`, {
      method: 'POST',
      body: form('x.txt', Buffer.from('x')),
    });
    expect(anonymous.status).toBe(401);
  });

  it('copies a document (new bytes, counted on the quota) and keeps app documents apart', async () => {
    const auth = await teacher();
    const owner = auth.user;
    const doc = (await (await upload(auth, 'original.txt', Buffer.from('abc'))).json()) as {
      id: string;
    };
    const copy = await s.app.inject({
      method: 'POST',
      url: `/api/workspace/documents/${doc.id}/copy`,
      headers: auth.inject,
      payload: {},
    });
    expect(copy.statusCode).toBe(201);
    expect(copy.json().id).not.toBe(doc.id);
    expect(copy.json().sha256).toBe(createHash('sha256').update('abc').digest('hex'));
    const appDoc = await s.t.runtime.apps.workspace.attachAppDocument(owner, {
      app: 'blog',
      resourceId: 'post-1',
      name: 'image.png',
      body: (await import('node:stream')).Readable.from([PNG]),
    });
    const apps = await s.app.inject({
      method: 'GET',
      url: '/api/workspace/documents?filter=apps',
      headers: auth.inject,
    });
    expect(apps.json().items.map((d: { id: string }) => d.id)).toEqual([appDoc.id]);
    const mine = await s.app.inject({
      method: 'GET',
      url: '/api/workspace/documents',
      headers: auth.inject,
    });
    expect(mine.json().items.map((d: { id: string }) => d.id)).not.toContain(appDoc.id);
  });
});

function ReadableStreamFrom(iterable: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = iterable[Symbol.asyncIterator]();
  return new ReadableStream({
    async pull(controller) {
      const { value, done } = await it.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
  });
}
