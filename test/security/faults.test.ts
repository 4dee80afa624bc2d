/**
 * Faults (issue 15): the blob store failing mid-export and mid-import, the database connection
 * lost and back, a full disk, clients that go away mid-upload and mid-download. Each time the
 * job ends failed or retries and succeeds, nothing half-written stays (blob store and temp
 * folders listed before and after), the quota stays exact, the user sees a code the page
 * translates (never a stack), and other users go on.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allTrustedKeys } from '../../src/archive/keys.ts';
import { WHOLE_ENTRY_BYTES } from '../../src/archive/zip-writer.ts';
import { FAILURE_CODES } from '../../src/contracts/archive.ts';
import { verifyArchive } from '../../src/archive/verify.ts';
import { exportThroughService } from '../support/export-archive.ts';
import { makeUser } from '../support/factories.ts';
import { FaultyBlobStore, interposeBlobStore, ioError } from '../support/faulty-blob-store.ts';
import {
  blobsUnder,
  expectQuotaExact,
  filesIn,
  mountSmallDisk,
  openFilesUnder,
} from '../support/leftovers.ts';
import { newSession, Session } from '../support/session.ts';
import { testDbKinds, testPgAdminUrl } from '../support/test-env.ts';
import { createTestServer, type TestServer } from '../support/test-server.ts';
import { waitFor } from '../support/wait.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Every key of the French texts of the page: a code the page can translate is one of them. */
async function frenchKeys(): Promise<Set<string>> {
  const dir = path.resolve('web/src/locales');
  const keys = new Set<string>();
  const walk = (o: unknown) => {
    if (o === null || typeof o !== 'object') return;
    for (const [k, v] of Object.entries(o)) {
      keys.add(k);
      walk(v);
    }
  };
  for (const f of await fs.readdir(dir))
    if (/(^|\.)fr\.json$/.test(f)) walk(JSON.parse(await fs.readFile(path.join(dir, f), 'utf8')));
  return keys;
}

/** An error answer in our shape, with no stack, path or system error text in it. */
function expectCleanError(body: unknown): string {
  expect(body).toMatchObject({ error: { code: expect.stringMatching(/^[a-z_]+$/) } });
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/\\n\s+at |node:internal|\.ts:\d+|\/tmp\/|ENOSPC|EIO|injected/);
  return (body as { error: { code: string } }).error.code;
}

describe.each(testDbKinds())('faults on %s', (kind) => {
  let s: TestServer;
  let faulty: FaultyBlobStore;
  let dir: string;
  let fr: Set<string>;
  let blobTmp: string;
  let workTmp: string;

  beforeAll(async () => {
    s = await createTestServer(kind, 'local', { JOB_LEASE: '3s', EXPORT_TTL: '1h' });
    // No local path: the import copies its archive into DATA_DIR/tmp through `get`, as on S3,
    // so reads can fail mid-way and the temp folder can fill.
    faulty = interposeBlobStore(s.t.runtime.blobs, (inner) => {
      return new FaultyBlobStore(inner, { localPath: false });
    });
    s.t.runtime.queue.startWorker();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-faults-'));
    fr = await frenchKeys();
    const { blobStore } = s.t.config;
    if (blobStore.kind !== 'local') throw new Error('local blobs expected');
    blobTmp = path.join(blobStore.dir, '.tmp');
    workTmp = path.join(s.t.dataDir, 'tmp');
  });
  afterAll(async () => {
    faulty.clear();
    await s.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** The files in the blob store's and the import's temp folders. */
  const tempFiles = async () => [
    ...(await filesIn(blobTmp)).map((f) => `blobs/.tmp/${f}`),
    ...(await filesIn(workTmp)).map((f) => `tmp/${f}`),
  ];
  /** Nothing half-written stays in the temp folders: none but those there `before`. */
  const expectNoNewTempFiles = async (before: string[]) => {
    const added = async () => (await tempFiles()).filter((f) => !before.includes(f));
    await waitFor(
      'the temp folders to be as before',
      async () => (await added()).length === 0,
    ).catch(async () => expect(await added()).toEqual([]));
  };

  const upload = async (who: Session, name: string, bytes: Uint8Array): Promise<string> => {
    const res = await who.upload('/api/workspace/documents', name, bytes);
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };

  const startExport = async (who: Session): Promise<string> => {
    const res = await who.request('POST', '/api/archive/exports', { apps: ['workspace'] });
    expect(res.statusCode, res.body).toBe(202);
    return res.json<{ id: string }>().id;
  };

  type ExportBody = {
    status: string;
    error: string | null;
    downloadUrl: string | null;
    progress: Record<string, { status: string }>;
  };
  const exportEnded = (who: Session, id: string, timeoutMs = 30_000) =>
    waitFor(
      'the export to end',
      async () => {
        const body = (await who.request('GET', `/api/archive/exports/${id}`)).json<ExportBody>();
        return ['ready', 'failed', 'cancelled'].includes(body.status) && body;
      },
      timeoutMs,
    );

  const exportAttempts = async (id: string) => {
    const row = await s.t.runtime.db.kysely
      .selectFrom('archive_exports')
      .select('job_id')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return (await s.t.runtime.queue.get(row.job_id ?? ''))?.attempts;
  };

  /** Downloads a ready export and checks it whole (every size, hash and the signature). */
  const downloadAndVerify = async (who: Session, body: ExportBody) => {
    const res = await who.fetch(body.downloadUrl ?? '');
    expect(res.status).toBe(200);
    const file = path.join(dir, `${randomBytes(6).toString('hex')}.zip`);
    await fs.writeFile(file, Buffer.from(await res.arrayBuffer()));
    const verdict = await verifyArchive(
      file,
      await allTrustedKeys(await s.t.runtime.instanceKey(), s.t.config),
    );
    expect(verdict.problems).toEqual([]);
    return verdict;
  };

  type ImportBody = {
    id: string;
    status: string;
    error: string | null;
    report: {
      apps: Record<string, { imported: number; failed: { name: string; code: string }[] }>;
    } | null;
  };
  const importNow = (who: Session, id: string) =>
    who.request('GET', `/api/archive/imports/${id}`).then((r) => r.json<ImportBody>());
  const importReaches = (who: Session, id: string, statuses: string[], timeoutMs = 30_000) =>
    waitFor(
      `the import to be ${statuses.join(' or ')}`,
      async () => {
        const body = await importNow(who, id);
        return statuses.includes(body.status) && body;
      },
      timeoutMs,
    );

  /** An archive of a user holding these documents, made by this instance (so trusted). */
  const archiveOf = async (docs: Buffer[]): Promise<string> => {
    const owner = await makeUser(s.t.runtime.platform, 'Teacher', { quota: 1024 * MiB });
    const who = await Session.of(s, owner);
    for (const [i, bytes] of docs.entries()) await upload(who, `doc-${i}.bin`, bytes);
    const archive = await exportThroughService(s.t.runtime, owner, { apps: ['workspace'] }, dir);
    return archive.file;
  };

  const startImport = async (who: Session, file: string): Promise<string> => {
    const res = await who.upload('/api/archive/imports', 'archive.zip', await fs.readFile(file));
    expect(res.status, await res.clone().text()).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };

  // ---- blob store ------------------------------------------------------------------------

  it('the archive write failing mid-way: the export is tried again and ends whole; another user’s export meanwhile is untouched', async () => {
    const before = await tempFiles();
    const who = await newSession(s, 'Teacher', { quota: 100 * MiB });
    const other = await newSession(s, 'Teacher', { quota: 100 * MiB });
    const docs = [randomBytes(300 * KiB), randomBytes(200 * KiB)];
    for (const [i, d] of docs.entries()) await upload(who, `piece-${i}.bin`, d);
    await upload(other, 'autre.bin', randomBytes(100 * KiB));
    faulty.inject({ method: 'put', keyPrefix: `exports/${who.user.id}/`, afterBytes: 150 * KiB });
    const fired = faulty.fired;

    const [mine, theirs] = [await startExport(who), await startExport(other)];
    const done = await exportEnded(who, mine);
    expect(faulty.fired).toBe(fired + 1);
    expect(done.status).toBe('ready');
    expect(await exportAttempts(mine)).toBe(2);
    const verdict = await downloadAndVerify(who, done);
    expect(
      verdict.manifest?.files
        .filter((f) => f.path.endsWith('.bin'))
        .map((f) => f.sha256)
        .sort(),
    ).toEqual(docs.map(sha256).sort());
    const theirsDone = await exportEnded(other, theirs);
    expect(theirsDone.status).toBe('ready');
    expect(await exportAttempts(theirs)).toBe(1);
    expect([...(await blobsUnder(s.t.runtime.blobs, `exports/${who.user.id}/`)).keys()]).toEqual([
      `exports/${who.user.id}/${mine}.zip`,
    ]);
    await expectNoNewTempFiles(before);
  });

  it('the archive never stored: the export fails with a code the page says in French, nothing stays, the next export works', async () => {
    const before = await tempFiles();
    const who = await newSession(s, 'Teacher', { quota: 100 * MiB });
    await upload(who, 'gros.bin', randomBytes(400 * KiB));
    faulty.inject({
      method: 'put',
      keyPrefix: `exports/${who.user.id}/`,
      afterBytes: 100 * KiB,
      times: Infinity,
    });
    const id = await startExport(who);
    const done = await exportEnded(who, id, 40_000);
    faulty.clear();
    expect(done).toMatchObject({
      status: 'failed',
      error: 'storage_unavailable',
      downloadUrl: null,
    });
    expect(FAILURE_CODES).toContain(done.error);
    expect(fr.has(done.error ?? '')).toBe(true);
    expect(Object.values(done.progress).map((p) => p.status)).not.toContain('running');
    expect(await exportAttempts(id)).toBe(s.t.config.queue.maxAttempts);
    expect((await blobsUnder(s.t.runtime.blobs, `exports/${who.user.id}/`)).size).toBe(0);
    await expectNoNewTempFiles(before);
    const timeline = await s.t.runtime.platform.timeline.list(who.user.id, { limit: 1 });
    expect(timeline.items[0]).toMatchObject({
      messageKey: 'export.failed',
      params: { code: done.error },
    });

    const again = await exportEnded(who, await startExport(who));
    expect(again.status).toBe('ready');
    await downloadAndVerify(who, again);
  });

  it('a big document’s bytes stopping mid-read: the export is tried again and whole', async () => {
    const before = await tempFiles();
    const who = await newSession(s, 'Teacher', { quota: 100 * MiB });
    // Bigger than what the zip writer reads whole first: streamed, its failure breaks the zip.
    const bytes = randomBytes(WHOLE_ENTRY_BYTES + 512 * KiB);
    await upload(who, 'lu-a-moitie.bin', bytes);
    faulty.inject({
      method: 'get',
      keyPrefix: `workspace/${who.user.id}/`,
      afterBytes: WHOLE_ENTRY_BYTES + 64 * KiB,
    });
    const id = await startExport(who);
    const done = await exportEnded(who, id);
    expect(done.status).toBe('ready');
    expect(await exportAttempts(id)).toBe(2);
    const verdict = await downloadAndVerify(who, done);
    expect(verdict.manifest?.files.find((f) => f.path.endsWith('lu-a-moitie.bin'))?.sha256).toBe(
      sha256(bytes),
    );
    // The failed try's archive write ended too: no `.part` file left, none held open.
    await expectNoNewTempFiles(before);
    expect(await openFilesUnder(blobTmp)).toEqual([]);
  });

  it('a small document’s bytes stopping mid-read cost that document only: the export is ready, partial, the document listed as unreadable', async () => {
    const before = await tempFiles();
    const who = await newSession(s, 'Teacher', { quota: 100 * MiB });
    const kept = randomBytes(100 * KiB);
    await upload(who, 'entier.bin', kept);
    // Small enough to be read whole before its entry starts: nothing of it reaches the zip.
    const cut = await upload(who, 'coupe.bin', randomBytes(500 * KiB));
    faulty.inject({
      method: 'get',
      keyPrefix: `workspace/${who.user.id}/${cut}`,
      afterBytes: 64 * KiB,
    });
    const id = await startExport(who);
    const done = await exportEnded(who, id);
    expect(done).toMatchObject({
      status: 'ready',
      progress: {
        workspace: {
          status: 'partial',
          failed: [{ name: 'coupe.bin', code: 'document_unreadable' }],
        },
      },
    });
    expect(fr.has('document_unreadable')).toBe(true);
    expect(await exportAttempts(id)).toBe(1);
    const verdict = await downloadAndVerify(who, done);
    const bins = verdict.manifest?.files.filter((f) => f.path.endsWith('.bin'));
    expect(bins?.map((f) => f.sha256)).toEqual([sha256(kept)]);
    await expectNoNewTempFiles(before);
  });

  it('the archive to import failing mid-read: the analysis is tried again and the import goes through', async () => {
    const file = await archiveOf([randomBytes(300 * KiB)]);
    const who = await newSession(s, 'Teacher', { quota: 100 * MiB });
    faulty.inject({ method: 'get', keyPrefix: `imports/${who.user.id}/`, afterBytes: 100 * KiB });
    const fired = faulty.fired;
    const id = await startImport(who, file);
    const analyzed = await importReaches(who, id, ['analyzed', 'rejected']);
    expect(faulty.fired).toBe(fired + 1);
    expect(analyzed.status).toBe('analyzed');
    const launch = await who.request('POST', `/api/archive/imports/${id}/launch`, {
      apps: ['workspace'],
    });
    expect(launch.statusCode, launch.body).toBe(202);
    const done = await importReaches(who, id, ['done', 'failed']);
    expect(done.status).toBe('done');
    expect(done.report?.apps.workspace?.imported).toBe(1);
    expect((await blobsUnder(s.t.runtime.blobs, `imports/${who.user.id}/`)).size).toBe(0);
    await expectQuotaExact(s.t.runtime, who.user.id);
  });

  it('a document’s write failing mid-import costs that document only: listed with import_failed, the quota exact, nothing half-stored; undo frees all', async () => {
    const before = await tempFiles();
    const docs = [0, 1, 2, 3].map(() => randomBytes(150 * KiB));
    const file = await archiveOf(docs);
    const who = await newSession(s, 'Teacher', { quota: 100 * MiB });
    const id = await startImport(who, file);
    expect((await importReaches(who, id, ['analyzed', 'rejected'])).status).toBe('analyzed');
    faulty.inject({
      method: 'put',
      keyPrefix: `workspace/${who.user.id}/`,
      nth: 2,
      afterBytes: 50 * KiB,
    });
    const launch = await who.request('POST', `/api/archive/imports/${id}/launch`, {
      apps: ['workspace'],
    });
    expect(launch.statusCode, launch.body).toBe(202);
    const done = await importReaches(who, id, ['done', 'failed']);
    expect(done.status).toBe('done');
    const report = done.report?.apps.workspace;
    expect(report?.imported).toBe(3);
    expect(report?.failed).toEqual([
      { name: expect.stringMatching(/^doc-\d\.bin$/), code: 'import_failed' },
    ]);
    expect(fr.has('import_failed')).toBe(true);
    expect(await expectQuotaExact(s.t.runtime, who.user.id)).toBe(3 * 150 * KiB);
    await expectNoNewTempFiles(before);

    const undo = await who.request('POST', `/api/archive/imports/${id}/undo`);
    expect(undo.statusCode, undo.body).toBe(200);
    expect(await expectQuotaExact(s.t.runtime, who.user.id)).toBe(0);
  });

  // ---- the database ----------------------------------------------------------------------

  /** Cuts every connection to this server's PostgreSQL database; how many were cut. */
  const killConnections = async (): Promise<number> => {
    const db = s.t.config.database;
    if (db.kind !== 'postgres') throw new Error('postgres expected');
    const admin = new pg.Client({ connectionString: testPgAdminUrl() });
    await admin.connect();
    try {
      const killed = await admin.query<{ n: string }>(
        'select count(pg_terminate_backend(pid)) as n from pg_stat_activity where datname = $1',
        [new URL(db.url).pathname.slice(1)],
      );
      return Number(killed.rows[0]?.n);
    } finally {
      await admin.end();
    }
  };

  if (kind === 'postgres')
    it('the database connections killed during an export: the job goes on or is tried again, and the next requests work', async () => {
      const before = await tempFiles();
      const who = await newSession(s, 'Teacher', { quota: 100 * MiB });
      const bytes = randomBytes(300 * KiB);
      await upload(who, 'pendant-la-coupure.bin', bytes);
      // The job waits on this document's bytes while every connection is cut.
      const gate = faulty.gate('get', `workspace/${who.user.id}/`);
      const id = await startExport(who);
      await gate.reached;
      expect(await killConnections()).toBeGreaterThan(0);
      gate.open();
      // The very next requests, not after a pause: no dead connection is handed out.
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => who.request('GET', '/api/me').then((r) => r.statusCode)),
      );
      expect(answers).toEqual(Array(8).fill(200));
      const done = await exportEnded(who, id, 40_000);
      expect(done.status).toBe('ready');
      const verdict = await downloadAndVerify(who, done);
      expect(verdict.manifest?.files.find((f) => f.path.endsWith('.bin'))?.sha256).toBe(
        sha256(bytes),
      );
      await expectNoNewTempFiles(before);
    });

  if (kind === 'postgres')
    it('the database connections killed during an import: it ends done or tried again, nothing twice, the quota exact', async () => {
      const docs = [0, 1, 2].map(() => randomBytes(100 * KiB));
      const file = await archiveOf(docs);
      const who = await newSession(s, 'Teacher', { quota: 100 * MiB });
      const id = await startImport(who, file);
      expect((await importReaches(who, id, ['analyzed', 'rejected'])).status).toBe('analyzed');
      // The second document's write waits while every connection is cut.
      const gate = faulty.gate('put', `workspace/${who.user.id}/`);
      const launch = await who.request('POST', `/api/archive/imports/${id}/launch`, {
        apps: ['workspace'],
      });
      expect(launch.statusCode, launch.body).toBe(202);
      await gate.reached;
      expect(await killConnections()).toBeGreaterThan(0);
      gate.open();
      const done = await importReaches(who, id, ['done', 'failed'], 40_000);
      expect(done.status).toBe('done');
      expect(done.report?.apps.workspace).toMatchObject({ imported: 3, failed: [] });
      const names = await s.t.runtime.db.kysely
        .selectFrom('ws_documents')
        .select('name')
        .where('owner_id', '=', who.user.id)
        .execute();
      expect(names.map((n) => n.name).sort()).toEqual(['doc-0.bin', 'doc-1.bin', 'doc-2.bin']);
      expect(await expectQuotaExact(s.t.runtime, who.user.id)).toBe(3 * 100 * KiB);
    });

  // ---- clients that go away --------------------------------------------------------------

  /**
   * Sends the start of a multipart body announcing `total` bytes of file, and drops the
   * connection once `sent` of them reached the blob store's temp file.
   */
  async function droppedMultipart(who: Session, url: string, total: number, sent: number) {
    const boundary = `----md${randomBytes(8).toString('hex')}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="coupé.zip"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const req = http.request(`${s.url}${url}`, {
      method: 'POST',
      headers: {
        ...who.http,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(head.length + total + tail.length),
      },
    });
    const closed = new Promise<void>((resolve) => {
      req.on('error', () => resolve());
      req.on('close', () => resolve());
    });
    req.write(head);
    req.write(randomBytes(sent));
    await waitFor('the first bytes in the blob store', async () => {
      for (const f of await filesIn(blobTmp)) {
        const size = await fs.stat(path.join(blobTmp, f)).then(
          (st) => st.size,
          () => 0,
        );
        if (size > 0) return true;
      }
      return false;
    });
    req.destroy();
    await closed;
  }

  it('an upload whose client goes away mid-file leaves no file, no row, no quota used; the next upload works', async () => {
    const before = await tempFiles();
    const who = await newSession(s, 'Student', { quota: 100 * MiB });
    await droppedMultipart(who, '/api/workspace/documents', 4 * MiB, 1 * MiB);
    await expectNoNewTempFiles(before);
    expect(await expectQuotaExact(s.t.runtime, who.user.id)).toBe(0);
    await upload(who, 'ensuite.txt', Buffer.from('la suite'));
    expect(await expectQuotaExact(s.t.runtime, who.user.id)).toBe(8);
  });

  it('an archive upload whose client goes away mid-file leaves no archive and no import holding the user', async () => {
    const before = await tempFiles();
    const who = await newSession(s, 'Student', { quota: 100 * MiB });
    await droppedMultipart(who, '/api/archive/imports', 4 * MiB, 1 * MiB);
    await expectNoNewTempFiles(before);
    expect((await blobsUnder(s.t.runtime.blobs, `imports/${who.user.id}/`)).size).toBe(0);
    const list = (await who.request('GET', '/api/archive/imports')).json<{ items: unknown[] }>();
    expect(list.items).toEqual([]);
    const file = await archiveOf([randomBytes(10 * KiB)]);
    const id = await startImport(who, file);
    expect((await importReaches(who, id, ['analyzed', 'rejected'])).status).toBe('analyzed');
  });

  it('a resumable upload whose PATCH is cut keeps what arrived; cancelled, it leaves nothing', async () => {
    const who = await newSession(s, 'Student', { quota: 100 * MiB });
    const uploads = path.join(s.t.dataDir, 'uploads');
    const TUS = { 'tus-resumable': '1.0.0' };
    const total = 2 * MiB;
    const created = await who.fetch('/api/archive/uploads', {
      method: 'POST',
      headers: { ...TUS, 'upload-length': String(total) },
    });
    expect(created.status).toBe(201);
    const uploadId = (created.headers.get('location') ?? '').split('/').pop() ?? '';
    const req = http.request(`${s.url}/api/archive/uploads/${uploadId}`, {
      method: 'PATCH',
      headers: {
        ...who.http,
        ...TUS,
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
        'content-length': String(total),
      },
    });
    const closed = new Promise<void>((resolve) => {
      req.on('error', () => resolve());
      req.on('close', () => resolve());
    });
    req.write(randomBytes(512 * KiB));
    await waitFor('the first bytes on disk', async () => {
      const st = await fs.stat(path.join(uploads, uploadId)).catch(() => undefined);
      return st !== undefined && st.size === 512 * KiB;
    });
    req.destroy();
    await closed;
    const offset = await waitFor('the offset after the cut', async () => {
      const res = await who.fetch(`/api/archive/uploads/${uploadId}`, {
        method: 'HEAD',
        headers: TUS,
      });
      return res.status === 200 && Number(res.headers.get('upload-offset'));
    });
    expect(offset).toBe(512 * KiB);
    const cancel = await who.fetch(`/api/archive/uploads/${uploadId}`, {
      method: 'DELETE',
      headers: TUS,
    });
    expect(cancel.status).toBe(204);
    expect((await filesIn(uploads)).filter((f) => f.startsWith(uploadId))).toEqual([]);
  });

  it('downloads cut mid-way (whole and by range) hold no file open, and the next download is whole', async () => {
    const who = await newSession(s, 'Teacher', { quota: 100 * MiB });
    await upload(who, 'film.bin', randomBytes(3 * MiB));
    const done = await exportEnded(who, await startExport(who));
    expect(done.status).toBe('ready');
    const { blobStore } = s.t.config;
    if (blobStore.kind !== 'local') throw new Error('local blobs expected');
    const exportsDir = path.join(blobStore.dir, 'exports');
    for (const range of [undefined, 'bytes=1000000-']) {
      const req = http.get(`${s.url}${done.downloadUrl ?? ''}`, {
        headers: { ...who.http, ...(range === undefined ? {} : { range }) },
      });
      const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
      expect(res.statusCode).toBe(range === undefined ? 200 : 206);
      await new Promise((resolve) => res.once('data', resolve));
      req.destroy();
      await waitFor('the archive’s file to be closed', async () => {
        return (await openFilesUnder(exportsDir)).length === 0;
      });
    }
    await downloadAndVerify(who, done);
  });

  // ---- a full disk -----------------------------------------------------------------------

  it('a full temp folder during an analysis: the import is refused with a code the page translates, its archive removed; the user can try again', async () => {
    const file = await archiveOf([randomBytes(3 * MiB)]);
    const who = await newSession(s, 'Teacher', { quota: 100 * MiB });
    const disk = await mountSmallDisk(workTmp, 2 * MiB);
    // Where mounting is refused, a read that fails as a full disk does stands in for it.
    if (disk === undefined)
      faulty.inject({
        method: 'get',
        keyPrefix: `imports/${who.user.id}/`,
        afterBytes: 2 * MiB,
        times: Infinity,
        error: () => ioError('ENOSPC', 'no space left on device'),
      });
    try {
      const id = await startImport(who, file);
      const ended = await importReaches(who, id, ['analyzed', 'rejected'], 40_000);
      expect(ended.status).toBe('rejected');
      expect(fr.has(ended.error ?? '')).toBe(true);
      expect((await blobsUnder(s.t.runtime.blobs, `imports/${who.user.id}/`)).size).toBe(0);
    } finally {
      faulty.clear();
      await disk?.unmount();
    }
    const again = await startImport(who, file);
    expect((await importReaches(who, again, ['analyzed', 'rejected'])).status).toBe('analyzed');
  });

  it('a full blob store: an upload answers a clean error and keeps nothing, an export fails with a code the page translates; room made, it works', async () => {
    // A server of its own whose whole blob store is a small disk (its temp folder included:
    // renames stay on one filesystem).
    const full = await createTestServer(kind, 'local', { JOB_LEASE: '3s', JOB_MAX_ATTEMPTS: '2' });
    const { blobStore } = full.t.config;
    if (blobStore.kind !== 'local') throw new Error('local blobs expected');
    const disk = await mountSmallDisk(blobStore.dir, 2560 * KiB);
    const fallback =
      disk === undefined
        ? interposeBlobStore(full.t.runtime.blobs, (inner) => new FaultyBlobStore(inner))
        : undefined;
    try {
      full.t.runtime.queue.startWorker();
      const who = await newSession(full, 'Teacher', { quota: 100 * MiB });
      // Where mounting is refused, writes that fail as a full disk's stand in for it.
      const enospc = () => ioError('ENOSPC', 'no space left on device');
      fallback?.inject({
        method: 'put',
        keyPrefix: 'workspace/',
        afterBytes: 2 * MiB,
        error: enospc,
      });
      const res = await who.upload(
        '/api/workspace/documents',
        'trop-gros.bin',
        randomBytes(3 * MiB),
      );
      // A full disk is no bug of ours: 507 with a code the page translates.
      expect(res.status).toBe(507);
      expect(expectCleanError(await res.json())).toBe('unavailable');
      expect(fr.has('unavailable')).toBe(true);
      expect(await expectQuotaExact(full.t.runtime, who.user.id)).toBe(0);
      expect(await filesIn(path.join(blobStore.dir, '.tmp'))).toEqual([]);

      const doc = await who.upload('/api/workspace/documents', 'gros.bin', randomBytes(1300 * KiB));
      expect(doc.status).toBe(201);
      const id = ((await doc.json()) as { id: string }).id;
      fallback?.inject({ method: 'put', keyPrefix: 'exports/', times: Infinity, error: enospc });
      const started = await who.request('POST', '/api/archive/exports', { apps: ['workspace'] });
      expect(started.statusCode).toBe(202);
      const exportId = started.json<{ id: string }>().id;
      const failed = await waitFor(
        'the export to fail',
        async () => {
          const b = (await who.request('GET', `/api/archive/exports/${exportId}`)).json<{
            status: string;
            error: string | null;
          }>();
          return b.status !== 'queued' && b.status !== 'running' && b;
        },
        40_000,
      );
      expect(failed.status).toBe('failed');
      expect(FAILURE_CODES).toContain(failed.error);
      expect(await filesIn(path.join(blobStore.dir, '.tmp'))).toEqual([]);
      expect(await expectQuotaExact(full.t.runtime, who.user.id)).toBe(1300 * KiB);

      // Room made (the document deleted for good): the next export is stored.
      fallback?.clear();
      expect(
        (await who.request('DELETE', `/api/workspace/documents/${id}?purge=true`)).statusCode,
      ).toBe(204);
      const again = await who.request('POST', '/api/archive/exports', { apps: ['workspace'] });
      const againId = again.json<{ id: string }>().id;
      await waitFor('the next export to be ready', async () => {
        const b = (await who.request('GET', `/api/archive/exports/${againId}`)).json<{
          status: string;
        }>();
        return b.status === 'ready';
      });
    } finally {
      await full.t.runtime.queue.stop(1000);
      await disk?.unmount();
      await full.close();
    }
  });
});
