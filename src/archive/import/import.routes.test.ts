/**
 * The import through HTTP as the page and other tools use it: multipart upload, analysis,
 * launch, progress, report (JSON and CSV), undo, cancel; every hostile archive refused with its
 * code and nothing written; rights, versions, trust and quota checked on the server.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SOUND_ARCHIVES,
  FIXTURE_KEY,
  HOSTILE_ARCHIVES,
  signedZip,
} from '../../../test/fixtures/hostile-archives.ts';
import { makeUser } from '../../../test/support/factories.ts';
import { roundTrip, type AppExport } from '../../../test/support/round-trip.ts';
import { Session } from '../../../test/support/session.ts';
import { testDbKinds } from '../../../test/support/test-env.ts';
import { createTestServer, type TestServer } from '../../../test/support/test-server.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { MANIFEST, SIGNATURE } from '../format.ts';

interface View {
  id: string;
  status: string;
  error: string | null;
  createdAt: number;
  analysis: {
    source: { signature: string; instance: string; exportedBy?: { login: string } };
    apps: {
      app: string;
      importable: boolean;
      reason?: string;
      items: number;
      bytes: number;
      upgradedFrom?: number;
    }[];
    quota: { needed: number; available: number };
  } | null;
  report: {
    apps: Record<string, { imported: number; duplicates: number; failed: unknown[] }>;
  } | null;
}

async function upload(s: Session, file: string): Promise<Response> {
  return s.upload('/api/archive/imports', path.basename(file), await fs.readFile(file));
}

async function settled(s: Session, id: string, statuses: string[]): Promise<View> {
  return waitFor(
    `import ${id} in ${statuses.join('|')}`,
    async () => {
      const v = (await (await s.fetch(`/api/archive/imports/${id}`)).json()) as View;
      return statuses.includes(v.status) ? v : undefined;
    },
    60_000,
    100,
  );
}

async function uploaded(s: Session, file: string): Promise<View> {
  const res = await upload(s, file);
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  return settled(s, id, ['analyzed', 'rejected']);
}

/** An exported archive with its manifest changed, signed again with `signer`. */
async function resigned(
  exported: AppExport,
  signer: { id: string; sign(bytes: Uint8Array): string },
  change: (m: { apps: Record<string, { dataVersion: number }> }) => void,
  file: string,
): Promise<string> {
  const entries = await exported.archive.entries();
  const manifest = JSON.parse((entries.get(MANIFEST) ?? Buffer.alloc(0)).toString('utf8')) as {
    apps: Record<string, { dataVersion: number }>;
  };
  change(manifest);
  const rest = [...entries]
    .filter(([n]) => n !== MANIFEST && n !== SIGNATURE && !n.endsWith('/'))
    .map(([name, data]) => ({ name, data }));
  await fs.writeFile(file, signedZip(rest, { signer, manifestText: JSON.stringify(manifest) }));
  return file;
}

describe.each(testDbKinds())('imports over HTTP on %s', (db) => {
  let server: TestServer;
  let dir: string;
  let blogExport: AppExport;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-import-http-'));
    const fixtureKey = path.join(dir, 'fixture.pem');
    await fs.writeFile(fixtureKey, FIXTURE_KEY.publicKeyPem);
    server = await createTestServer(db, 'local', {
      TRUSTED_KEYS: fixtureKey,
      MAX_IMPORT_SIZE: '8MiB',
      // Many uploads and polls from one address: not what this file tests.
      RATE_LIMIT_MAX: '100000',
    });
    server.t.runtime.queue.startWorker();
    const a = await makeUser(server.t.runtime.platform, 'Teacher');
    blogExport = await roundTrip.blog(server.t.runtime, a, dir);
  });
  afterAll(async () => {
    await server?.close();
    if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
  });

  const teacher = async () =>
    Session.of(server, await makeUser(server.t.runtime.platform, 'Teacher'));

  it('uploads, analyses, imports, reports (JSON, CSV), and undoes; owner only', async () => {
    const b = await teacher();
    const analyzed = await uploaded(b, blogExport.archive.file);
    expect(analyzed.status, analyzed.error ?? '').toBe('analyzed');
    expect(analyzed.analysis?.source).toMatchObject({ signature: 'trusted' });
    const blog = analyzed.analysis?.apps.find((x) => x.app === 'blog');
    expect(blog).toMatchObject({ importable: true });
    expect(blog?.items).toBeGreaterThan(0);
    expect(analyzed.analysis?.quota.needed).toBeGreaterThan(0);

    // Someone else sees nothing of it.
    const other = await teacher();
    expect((await other.fetch(`/api/archive/imports/${analyzed.id}`)).status).toBe(404);
    expect(
      (
        await other.fetch(`/api/archive/imports/${analyzed.id}/launch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ apps: ['blog'] }),
        })
      ).status,
    ).toBe(404);

    const launch = await b.fetch(`/api/archive/imports/${analyzed.id}/launch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apps: ['workspace', 'blog'], duplicates: 'skip' }),
    });
    expect(launch.status).toBe(202);
    // One import at a time.
    const second = await upload(b, blogExport.archive.file);
    const done = await settled(b, analyzed.id, ['done', 'failed']);
    expect(done.status).toBe('done');
    if (second.status === 409)
      expect(((await second.json()) as { error: { code: string } }).error.code).toBe(
        'import_in_progress',
      );
    else await settled(b, ((await second.json()) as { id: string }).id, ['analyzed', 'rejected']);
    expect(done.report?.apps.blog?.imported).toBeGreaterThan(0);
    expect(done.report?.apps.blog?.failed).toEqual([]);

    const json = await b.fetch(`/api/archive/imports/${analyzed.id}/report`);
    expect(json.status).toBe(200);
    expect(((await json.json()) as View['report'])?.apps.blog?.imported).toBe(
      done.report?.apps.blog?.imported,
    );
    const csv = await b.fetch(`/api/archive/imports/${analyzed.id}/report?format=csv`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    // Named by when the import was made, not by its id.
    const made = new Date(done.createdAt)
      .toISOString()
      .slice(0, 16)
      .replace('T', '-')
      .replace(':', '');
    expect(csv.headers.get('content-disposition')).toBe(
      `attachment; filename="rapport-import-${made}.csv"`,
    );
    const text = await csv.text();
    expect(text).toContain('app,kind,name,code,count');
    expect(text).toContain(`blog,imported,,,${done.report?.apps.blog?.imported}`);

    const events = await b.fetch(`/api/archive/imports/${analyzed.id}/events`);
    expect(await events.text()).toContain('"status":"done"');

    const posts = async () => {
      const blogs = (await (await b.fetch('/api/blog/blogs')).json()) as {
        items: { id: string }[];
      };
      return blogs.items.length;
    };
    expect(await posts()).toBeGreaterThan(0);
    const undo = await b.fetch(`/api/archive/imports/${analyzed.id}/undo`, { method: 'POST' });
    expect(undo.status).toBe(200);
    expect(((await undo.json()) as View).status).toBe('undone');
    expect(await posts()).toBe(0);
    expect((await server.t.runtime.platform.quota.usage(b.user.id)).used).toBe(0);
  });

  it('refuses every hostile archive with its code, and writes nothing', async () => {
    // A few users (one import at a time each), each going through its share of the archives.
    const users = await Promise.all([1, 2, 3, 4].map(() => teacher()));
    const outcomes: { b: Session; name: string; status: string; error: string | null }[] = [];
    await Promise.all(
      users.map(async (b, u) => {
        for (let i = u; i < HOSTILE_ARCHIVES.length; i += users.length) {
          const h = HOSTILE_ARCHIVES[i];
          if (h === undefined) continue;
          const res = await upload(b, await h.build(dir));
          if (res.status === 413) {
            outcomes[i] = { b, name: h.name, status: 'too large', error: h.code };
            continue;
          }
          const { id } = (await res.json()) as { id: string };
          const v = await settled(b, id, ['analyzed', 'rejected']);
          outcomes[i] = { b, name: h.name, status: v.status, error: v.error };
        }
      }),
    );
    for (const [i, o] of outcomes.entries()) {
      const h = HOSTILE_ARCHIVES[i];
      expect({ name: o.name, error: o.error }).toEqual({ name: h?.name, error: h?.code });
      expect(['rejected', 'too large'], o.name).toContain(o.status);
      // Nothing kept: no archive left in the store, no quota used.
      const left = [];
      for await (const blob of server.t.runtime.blobs.list(`imports/${o.b.user.id}/`))
        left.push(blob.key);
      expect(left, o.name).toEqual([]);
      expect((await server.t.runtime.platform.quota.usage(o.b.user.id)).used).toBe(0);
    }
  });

  it('purges an analysed archive never launched after UPLOAD_TTL, and keeps a fresh one', async () => {
    const old = await teacher();
    const fresh = await teacher();
    const a = await uploaded(old, blogExport.archive.file);
    const b = await uploaded(fresh, blogExport.archive.file);
    await server.t.runtime.db.kysely
      .updateTable('archive_imports')
      .set({ created_at: Date.now() - 2 * 86_400_000 })
      .where('id', '=', a.id)
      .execute();
    expect(await server.t.runtime.imports.purgeStale()).toBeGreaterThanOrEqual(1);
    const gone = (await (await old.fetch(`/api/archive/imports/${a.id}`)).json()) as View;
    expect(gone).toMatchObject({ status: 'cancelled', error: 'upload_expired' });
    const kept = (await (await fresh.fetch(`/api/archive/imports/${b.id}`)).json()) as View;
    expect(kept.status).toBe('analyzed');
    const left: string[] = [];
    for await (const blob of server.t.runtime.blobs.list(`imports/${old.user.id}/`))
      left.push(blob.key);
    expect(left).toEqual([]);
    await fresh.fetch(`/api/archive/imports/${b.id}`, { method: 'DELETE' });
  });

  it('refuses too large an upload from its announced size (413)', async () => {
    const b = await teacher();
    const res = await b.upload('/api/archive/imports', 'big.zip', Buffer.alloc(9 * 1024 * 1024));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      'payload_too_large',
    );
  });

  it('shows an archive of an untrusted instance as such, and refuses it', async () => {
    const b = await teacher();
    const v = await uploaded(b, await SOUND_ARCHIVES.untrusted.build(dir));
    expect(v.status).toBe('rejected');
    expect(v.error).toBe('archive_untrusted');
    expect(v.analysis?.source.signature).toBe('untrusted');
  });

  it('a pupil may not import news (no_right), on the page and on the server', async () => {
    const a = await makeUser(server.t.runtime.platform, 'Teacher');
    const news = await roundTrip.news(server.t.runtime, a, dir);
    const pupil = await Session.of(server, await makeUser(server.t.runtime.platform, 'Student'));
    const v = await uploaded(pupil, news.archive.file);
    expect(v.status).toBe('analyzed');
    expect(v.analysis?.apps.find((x) => x.app === 'news')).toMatchObject({
      importable: false,
      reason: 'no_right',
    });
    const res = await pupil.fetch(`/api/archive/imports/${v.id}/launch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apps: ['news'] }),
    });
    expect(res.status).toBe(403);
    await pupil.fetch(`/api/archive/imports/${v.id}`, { method: 'DELETE' });
  });

  it('a newer data version is unsupported_version; an older one is upgraded or refused', async () => {
    const b = await teacher();
    const key = await server.t.runtime.instanceKey();
    const newer = await resigned(
      blogExport,
      key,
      (m) => {
        m.apps.blog = { ...m.apps.blog, dataVersion: 99 };
      },
      path.join(dir, 'newer.zip'),
    );
    const v = await uploaded(b, newer);
    expect(v.status).toBe('analyzed');
    expect(v.analysis?.apps.find((x) => x.app === 'blog')).toMatchObject({
      importable: false,
      reason: 'unsupported_version',
    });
    expect(v.analysis?.apps.find((x) => x.app === 'workspace')).toMatchObject({ importable: true });
    await b.fetch(`/api/archive/imports/${v.id}`, { method: 'DELETE' });
  });

  it('refuses a launch beyond the quota, on the server', async () => {
    const b = await Session.of(
      server,
      await makeUser(server.t.runtime.platform, 'Teacher', { quota: 10 }),
    );
    const v = await uploaded(b, blogExport.archive.file);
    expect(v.analysis?.quota.available).toBe(10);
    const res = await b.fetch(`/api/archive/imports/${v.id}/launch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apps: ['workspace', 'blog'] }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('quota_exceeded');
    const dry = await b.fetch(`/api/archive/imports/${v.id}/launch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apps: ['workspace', 'blog'], dryRun: true }),
    });
    expect(dry.status).toBe(202);
    const after = await waitFor('dry run report', async () => {
      const x = (await (await b.fetch(`/api/archive/imports/${v.id}`)).json()) as View;
      return x.status === 'analyzed' && x.report !== null ? x : undefined;
    });
    expect(after.report?.apps.blog?.imported).toBeGreaterThan(0);
    const blogs = (await (await b.fetch('/api/blog/blogs')).json()) as { items: unknown[] };
    expect(blogs.items).toEqual([]);
    expect((await server.t.runtime.platform.quota.usage(b.user.id)).used).toBe(0);
  });
});

describe('imports over HTTP with blobs on S3', () => {
  let server: TestServer;
  let dir: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-import-s3-'));
    server = await createTestServer(testDbKinds()[0] ?? 'sqlite', 's3');
    server.t.runtime.queue.startWorker();
  });
  afterAll(async () => {
    await server?.close();
    if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
  });

  it('imports an archive whose upload and documents live in the bucket, and undoes it', async () => {
    const a = await makeUser(server.t.runtime.platform, 'Teacher');
    const exported = await roundTrip.blog(server.t.runtime, a, dir);
    const b = await Session.of(server, await makeUser(server.t.runtime.platform, 'Teacher'));
    const v = await uploaded(b, exported.archive.file);
    expect(v.status, v.error ?? '').toBe('analyzed');
    await b.fetch(`/api/archive/imports/${v.id}/launch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apps: ['workspace', 'blog'] }),
    });
    const done = await settled(b, v.id, ['done', 'failed']);
    expect(done.report?.apps.workspace?.imported).toBeGreaterThan(0);
    expect(done.report?.apps.blog?.failed).toEqual([]);
    // The uploaded archive is gone from the bucket; the documents are there.
    const keys: string[] = [];
    for await (const blob of server.t.runtime.blobs.list('')) keys.push(blob.key);
    expect(keys.filter((k) => k.startsWith(`imports/${b.user.id}/`))).toEqual([]);
    expect(keys.filter((k) => k.startsWith(`workspace/${b.user.id}/`)).length).toBeGreaterThan(0);
    expect((await b.fetch(`/api/archive/imports/${v.id}/undo`, { method: 'POST' })).status).toBe(
      200,
    );
    expect((await server.t.runtime.platform.quota.usage(b.user.id)).used).toBe(0);
  });
});
