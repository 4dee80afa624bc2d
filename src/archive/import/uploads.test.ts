import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { pino } from 'pino';
import { Upload as TusUpload, type UploadOptions } from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser } from '../../../test/support/factories.ts';
import { newSession, Session } from '../../../test/support/session.ts';
import { testDbKinds } from '../../../test/support/test-env.ts';
import { createTestRuntime } from '../../../test/support/test-runtime.ts';
import type { TestServer } from '../../../test/support/test-server.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { buildServer } from '../../http/server.ts';
import { platformRoutes } from '../../platform/platform.routes.ts';
import { uploadsRoutes } from './uploads.routes.ts';
import { MAX_UPLOADS_PER_USER, UPLOADS_PATH, UploadService } from './uploads.ts';

const HOUR = 3_600_000;
const TTL = 24 * HOUR;
const MAX_BYTES = 4 * 1024 * 1024;
const TUS = { 'tus-resumable': '1.0.0' };
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** What the upload service logged, one parsed pino line each. */
const logged: { level: number; msg: string }[] = [];
const errorsLogged = () => logged.filter((l) => l.level >= 50);

/** A clock the tests move by hand (creation times, the purge's "now"). */
const clock = { t: Date.UTC(2026, 0, 5, 8), now: () => clock.t };

/**
 * The server with the platform's routes (login) and the uploads' only, over a real runtime and
 * a real listener; the service is built here so its clock is the test's.
 */
async function createUploadsServer(): Promise<{ s: TestServer; uploads: UploadService }> {
  const t = await createTestRuntime(testDbKinds()[0] ?? 'sqlite');
  const { runtime } = t;
  const uploads = new UploadService({
    dir: path.join(t.dataDir, 'uploads'),
    maxBytes: MAX_BYTES,
    clock,
    log: pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) }),
    ttlMs: TTL,
  });
  const app = await buildServer({
    config: runtime.config,
    log: pino({ level: process.env.TEST_LOG ?? 'silent' }),
    health: {
      database: () => runtime.db.check(),
      blobStore: () => runtime.blobs.check(),
      queue: () => runtime.queue.check(),
    },
    auth: runtime.platform.auth,
    routes: [
      platformRoutes({ platform: runtime.platform, config: runtime.config }),
      uploadsRoutes({ uploads, platform: runtime.platform }),
    ],
    webRoot: '/nonexistent',
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const s: TestServer = {
    t,
    app,
    url,
    async login(login, password) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { login, password: password ?? 'correct horse battery' },
        headers: { origin: 'http://localhost:80' },
      });
      const cookie = res.cookies.find((c) => c.name === 'md_session');
      if (cookie === undefined) throw new Error(`login failed: ${res.body}`);
      const session = `md_session=${cookie.value}`;
      return {
        inject: { cookie: session, origin: 'http://localhost:80' },
        http: { cookie: session, origin: url },
      };
    },
    async close() {
      await app.close();
      await t.destroy();
    },
  };
  return { s, uploads };
}

describe('Resumable uploads (tus 1.0)', () => {
  let s: TestServer;
  let uploads: UploadService;
  let dir: string;
  let alice: Session;
  let bob: Session;

  beforeAll(async () => {
    ({ s, uploads } = await createUploadsServer());
    dir = path.join(s.t.dataDir, 'uploads');
    alice = await newSession(s);
    bob = await newSession(s);
  });
  afterAll(async () => {
    await s.close();
  });

  /** Creates an upload of `length` bytes as `who`; returns its id (from the Location). */
  async function create(who: Session, length: number, fileName = 'archive.zip'): Promise<string> {
    const res = await who.fetch(UPLOADS_PATH, {
      method: 'POST',
      headers: {
        ...TUS,
        'upload-length': String(length),
        'upload-metadata': `filename ${b64(fileName)}`,
      },
    });
    expect(res.status).toBe(201);
    const location = res.headers.get('location') ?? '';
    expect(location).toMatch(new RegExp(`^${UPLOADS_PATH}/[0-9a-f]{32}$`));
    return location.slice(UPLOADS_PATH.length + 1);
  }

  function patch(who: Session, id: string, offset: number, body: Uint8Array): Promise<Response> {
    return who.fetch(`${UPLOADS_PATH}/${id}`, {
      method: 'PATCH',
      headers: {
        ...TUS,
        'upload-offset': String(offset),
        'content-type': 'application/offset+octet-stream',
      },
      body: Buffer.from(body),
    });
  }

  async function offsetOf(who: Session, id: string): Promise<number> {
    const res = await who.fetch(`${UPLOADS_PATH}/${id}`, { method: 'HEAD', headers: TUS });
    expect(res.status).toBe(200);
    return Number(res.headers.get('upload-offset'));
  }

  const exists = (id: string) =>
    fs.stat(path.join(dir, id)).then(
      () => true,
      () => false,
    );

  /**
   * A PATCH announcing `rest` bytes whose connection drops once `sent` of them reached the
   * disk (the data file's size says so): what a train going into a tunnel does.
   */
  async function droppedPatch(
    who: Session,
    id: string,
    offset: number,
    rest: Buffer,
    sent: number,
  ) {
    const req = http.request(`${s.url}${UPLOADS_PATH}/${id}`, {
      method: 'PATCH',
      headers: {
        ...who.http,
        ...TUS,
        'upload-offset': String(offset),
        'content-type': 'application/offset+octet-stream',
        'content-length': String(rest.length),
      },
    });
    const closed = new Promise<void>((resolve) => {
      req.on('error', () => resolve());
      req.on('close', () => resolve());
    });
    req.write(rest.subarray(0, sent));
    await waitFor('the first bytes on disk', async () => {
      const stat = await fs.stat(path.join(dir, id));
      return stat.size === offset + sent;
    });
    req.destroy();
    await closed;
  }

  it('takes an archive in two PATCHes with a dropped connection between, and resumes', async () => {
    const bytes = randomBytes(1024 * 1024 + 123);
    const id = await create(alice, bytes.length, 'mes-données.zip');
    expect(await offsetOf(alice, id)).toBe(0);

    const half = 400_000;
    await droppedPatch(alice, id, 0, bytes, half);
    // The server keeps what arrived: HEAD gives it (once the broken PATCH let go of the lock).
    const offset = await waitFor('the offset after the drop', async () => {
      const o = await offsetOf(alice, id);
      return o === half ? o : undefined;
    });
    expect(await uploads.fileOf(alice.user, id)).toBeUndefined(); // not complete yet

    // A PATCH from a wrong offset changes nothing (tus: 409).
    expect((await patch(alice, id, offset + 1, bytes.subarray(offset + 1))).status).toBe(409);

    const res = await patch(alice, id, offset, bytes.subarray(offset));
    expect(res.status).toBe(204);
    expect(res.headers.get('upload-offset')).toBe(String(bytes.length));
    expect(res.headers.get('x-content-type-options')).toBe('nosniff'); // Fastify's hooks ran

    const file = await uploads.fileOf(alice.user, id);
    expect(file).toMatchObject({ size: bytes.length, fileName: 'mes-données.zip' });
    expect(sha256(await fs.readFile(file?.path ?? ''))).toBe(sha256(bytes));
    // A dropped connection is ordinary life for resumable uploads, not an error to log.
    expect(errorsLogged()).toEqual([]);
    expect(logged.map((l) => l.msg)).toContain('upload complete');
  });

  it('works with tus-js-client (the page’s client): chunks, a stop, and a resume from HEAD', async () => {
    const grace = await newSession(s);
    const bytes = randomBytes(700_000);
    const chunk = 256 * 1024;
    const options: UploadOptions = {
      endpoint: `${s.url}${UPLOADS_PATH}`,
      headers: grace.http,
      metadata: { filename: 'archive de Grâce.zip', filetype: 'application/zip' },
      chunkSize: chunk,
      retryDelays: null,
      storeFingerprintForResuming: false,
    };
    // The first run stops after one chunk (the tab was closed).
    const url = await new Promise<string>((resolve, reject) => {
      const upload: TusUpload = new TusUpload(bytes, {
        ...options,
        onError: reject,
        onChunkComplete: () => {
          void upload.abort().then(() => resolve(upload.url ?? ''), reject);
        },
      });
      upload.start();
    });
    const id = url.split('/').pop() ?? '';
    expect(url).toBe(`${s.url}${UPLOADS_PATH}/${id}`);
    expect(await offsetOf(grace, id)).toBe(chunk);

    // The second run asks where it stopped and sends only the rest.
    const patchedFrom: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const upload = new TusUpload(bytes, {
        ...options,
        uploadUrl: url,
        onBeforeRequest: (req) => {
          if (req.getMethod() === 'PATCH') patchedFrom.push(req.getHeader('Upload-Offset') ?? '');
        },
        onError: reject,
        onSuccess: () => resolve(),
      });
      upload.start();
    });
    expect(patchedFrom).toEqual([String(chunk), String(2 * chunk)]);
    const file = await uploads.fileOf(grace.user, id);
    expect(file?.fileName).toBe('archive de Grâce.zip');
    expect(sha256(await fs.readFile(file?.path ?? ''))).toBe(sha256(bytes));
  });

  it('creation-with-upload: a small archive in the POST itself', async () => {
    const bytes = randomBytes(5000);
    const res = await alice.fetch(UPLOADS_PATH, {
      method: 'POST',
      headers: {
        ...TUS,
        'upload-length': String(bytes.length),
        'content-type': 'application/offset+octet-stream',
      },
      body: bytes,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('upload-offset')).toBe(String(bytes.length));
    const id = (res.headers.get('location') ?? '').split('/').pop() ?? '';
    const file = await uploads.fileOf(alice.user, id);
    expect(file?.fileName).toBeUndefined();
    expect(sha256(await fs.readFile(file?.path ?? ''))).toBe(sha256(bytes));
  });

  it("answers 404 to another user's HEAD, PATCH, DELETE and GET, and fileOf gives them nothing", async () => {
    const bytes = randomBytes(2000);
    const id = await create(alice, bytes.length);
    expect((await patch(alice, id, 0, bytes.subarray(0, 1000))).status).toBe(204);

    const url = `${UPLOADS_PATH}/${id}`;
    const answers = [
      await bob.fetch(url, { method: 'HEAD', headers: TUS }),
      await patch(bob, id, 1000, bytes.subarray(1000)),
      await bob.fetch(url, { method: 'DELETE', headers: TUS }),
      await bob.fetch(url, { method: 'GET', headers: TUS }),
    ];
    expect(answers.map((r) => r.status)).toEqual([404, 404, 404, 404]);
    const body: unknown = await answers[1]?.json();
    expect(body).toMatchObject({ error: { code: 'not_found' } });
    // An id that does not exist reads the same as someone else's.
    const absent = await bob.fetch(`${UPLOADS_PATH}/${'0'.repeat(32)}`, {
      method: 'HEAD',
      headers: TUS,
    });
    expect(absent.status).toBe(404);

    // Nor through his own upload's URL with Alice's id in the query (tus reads the last segment
    // of the whole URL): tus works on the id that was checked.
    const own = await create(bob, 1000);
    for (const trick of [`?x=/${id}`, `?/${id}`, `#/${id}`]) {
      const res = await patch(bob, `${own}${trick}`, 1000, bytes.subarray(1000));
      expect(res.status).not.toBe(204);
    }
    expect(await offsetOf(bob, own)).toBe(0);
    expect(await offsetOf(alice, id)).toBe(1000); // Bob's PATCHes wrote nothing
    expect((await patch(alice, id, 1000, bytes.subarray(1000))).status).toBe(204);
    expect(await uploads.fileOf(bob.user, id)).toBeUndefined();
    expect(await uploads.fileOf(alice.user, id)).toMatchObject({ size: 2000 });
  });

  it('keeps the owner the server wrote, whatever metadata the client sends', async () => {
    const res = await bob.fetch(UPLOADS_PATH, {
      method: 'POST',
      headers: {
        ...TUS,
        'upload-length': '0',
        'upload-metadata': `md_owner ${b64(alice.user.id)},md_launched_at ${b64('1')},x ${b64('y')}`,
      },
    });
    expect(res.status).toBe(201);
    const id = (res.headers.get('location') ?? '').split('/').pop() ?? '';
    expect(await uploads.fileOf(alice.user, id)).toBeUndefined();
    expect(await uploads.fileOf(bob.user, id)).toMatchObject({ size: 0 });
    expect(await uploads.claim(bob.user, id)).toMatchObject({ size: 0 }); // was not launched
  });

  it('refuses, in our error shape: too big (413), a deferred length (400), no session (401)', async () => {
    const before = (await fs.readdir(dir)).length;
    const tooBig = await alice.fetch(UPLOADS_PATH, {
      method: 'POST',
      headers: { ...TUS, 'upload-length': String(MAX_BYTES + 1) },
    });
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({ error: { code: 'payload_too_large' } });

    const deferred = await alice.fetch(UPLOADS_PATH, {
      method: 'POST',
      headers: { ...TUS, 'upload-defer-length': '1' },
    });
    expect(deferred.status).toBe(400);
    expect(await deferred.json()).toMatchObject({ error: { code: 'invalid_request' } });
    expect((await fs.readdir(dir)).length).toBe(before);

    const id = await create(alice, 10);
    for (const [method, url] of [
      ['POST', UPLOADS_PATH],
      ['OPTIONS', UPLOADS_PATH],
      ['HEAD', `${UPLOADS_PATH}/${id}`],
      ['PATCH', `${UPLOADS_PATH}/${id}`],
      ['DELETE', `${UPLOADS_PATH}/${id}`],
    ] as const) {
      const res = await fetch(`${s.url}${url}`, {
        method,
        headers: { ...TUS, 'upload-length': '10', 'upload-offset': '0' },
      });
      expect(res.status, `${method} ${url}`).toBe(401);
      if (method !== 'HEAD') {
        expect(await res.json()).toMatchObject({ error: { code: 'unauthenticated' } });
      }
    }
    // A session cookie used from another site's page is refused (CSRF), the bytes unwritten.
    const forged = await fetch(`${s.url}${UPLOADS_PATH}/${id}`, {
      method: 'PATCH',
      headers: {
        ...alice.http,
        origin: 'https://elsewhere.example',
        ...TUS,
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: Buffer.from('0123456789'),
    });
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({ error: { code: 'csrf' } });
    expect(await offsetOf(alice, id)).toBe(0);
  });

  it('takes a Bearer token as well as the session cookie', async () => {
    const frank = await newSession(s);
    const { token } = await s.t.runtime.platform.auth.createToken(frank.user.id, 'uploader');
    const res = await fetch(`${s.url}${UPLOADS_PATH}`, {
      method: 'POST',
      headers: { ...TUS, authorization: `Bearer ${token}`, 'upload-length': '3' },
    });
    expect(res.status).toBe(201);
    const id = (res.headers.get('location') ?? '').split('/').pop() ?? '';
    expect(await offsetOf(frank, id)).toBe(0);
  });

  it('refuses to create without the right to import (403)', async () => {
    const user = await makeUser(s.t.runtime.platform);
    const { accounts } = s.t.runtime.platform;
    const group = await accounts.createGroup('École U', `no-import-${user.login}`);
    await accounts.addMember(group.id, user.login);
    await accounts.setGroupRight(group.id, 'archive.import', 'revoke');
    const res = await (
      await Session.of(s, user)
    ).fetch(UPLOADS_PATH, {
      method: 'POST',
      headers: { ...TUS, 'upload-length': '3' },
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'forbidden' } });
  });

  it('limits the uploads one user holds at once', async () => {
    const carol = await newSession(s);
    const ids: string[] = [];
    for (let i = 0; i < MAX_UPLOADS_PER_USER; i++) ids.push(await create(carol, 10));
    const refused = await carol.fetch(UPLOADS_PATH, {
      method: 'POST',
      headers: { ...TUS, 'upload-length': '10' },
    });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ error: { code: 'conflict' } });
    // Cancelling one (termination) makes room.
    const cancel = await carol.fetch(`${UPLOADS_PATH}/${ids[0]}`, {
      method: 'DELETE',
      headers: TUS,
    });
    expect(cancel.status).toBe(204);
    expect(await exists(ids[0] ?? '')).toBe(false);
    await create(carol, 10);
  });

  it('OPTIONS tells the tus version, the size limit and the extensions (no deferred length)', async () => {
    const res = await alice.fetch(UPLOADS_PATH, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('tus-version')).toBe('1.0.0');
    expect(res.headers.get('tus-max-size')).toBe(String(MAX_BYTES));
    const extensions = (res.headers.get('tus-extension') ?? '').split(',');
    expect(extensions).toEqual(expect.arrayContaining(['creation', 'termination']));
    expect(extensions).not.toContain('creation-defer-length');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('purgeStale removes what was never used past the TTL and keeps fresh and launched uploads', async () => {
    const dave = await newSession(s);
    const t0 = clock.t;
    const old = await create(dave, 100);
    const launched = await create(dave, 4);
    expect((await patch(dave, launched, 0, Buffer.from('abcd'))).status).toBe(204);
    expect(await uploads.claim(dave.user, launched)).toMatchObject({ size: 4 });
    expect(await uploads.claim(dave.user, launched)).toBeUndefined(); // once only
    clock.t = t0 + 23 * HOUR;
    const fresh = await create(dave, 100);

    const purged = await uploads.purgeStale(t0 + TTL + 1);
    expect(purged).toBeGreaterThanOrEqual(1); // earlier tests' uploads are as old as `old`
    expect(await exists(old)).toBe(false);
    expect(await exists(`${old}.json`)).toBe(false);
    expect(
      (await dave.fetch(`${UPLOADS_PATH}/${old}`, { method: 'HEAD', headers: TUS })).status,
    ).toBe(404);
    expect(await offsetOf(dave, fresh)).toBe(0);
    expect(await uploads.fileOf(dave.user, launched)).toMatchObject({ size: 4 });
    // The owner can no longer cancel what an import reads.
    const cancel = await dave.fetch(`${UPLOADS_PATH}/${launched}`, {
      method: 'DELETE',
      headers: TUS,
    });
    expect(cancel.status).toBe(409);

    // Nothing new to purge at the same time; the fresh one goes a day after its creation.
    expect(await uploads.purgeStale(t0 + TTL + 1)).toBe(0);
    expect(await uploads.purgeStale(clock.t + TTL + 1)).toBeGreaterThanOrEqual(1);
    expect(await exists(fresh)).toBe(false);
    expect(await exists(launched)).toBe(true);
    clock.t = t0;
  });

  it('release deletes the upload’s files', async () => {
    const erin = await newSession(s);
    const id = await create(erin, 3);
    expect((await patch(erin, id, 0, Buffer.from('xyz'))).status).toBe(204);
    const file = await uploads.fileOf(erin.user, id);
    expect(file).toBeDefined();
    await uploads.release(id);
    expect(await exists(id)).toBe(false);
    expect(await exists(`${id}.json`)).toBe(false);
    expect(await uploads.fileOf(erin.user, id)).toBeUndefined();
    await uploads.release(id); // twice is fine
  });

  it('documents the routes in OpenAPI', async () => {
    const doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    await SwaggerParser.validate(structuredClone(doc));
    expect(doc.paths[UPLOADS_PATH].post.summary).toMatch(/tus/);
    expect(doc.paths[`${UPLOADS_PATH}/{id}`].patch.summary).toMatch(/tus/);
  });
});
