import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newSession, type Session } from '../../test/support/session.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import { createTestServer, type TestServer } from '../../test/support/test-server.ts';
import { waitFor } from '../../test/support/wait.ts';
import { FAILURE_CODES, type JobProgress } from '../contracts/archive.ts';
import { newId } from '../clock.ts';
import { manifestSchema } from './format.ts';
import { allTrustedKeys } from './keys.ts';
import { ExportRepository } from './export.repository.ts';
import { exportFileName } from './export.service.ts';
import { verifyArchive } from './verify.ts';
import { listEntries, openZip, readEntry, hashEntry } from './zip-reader.ts';

/** The user's newest notification once it is of this kind (it follows the job's status). */
async function latestNotification(s: TestServer, userId: string, messageKey: string, link: string) {
  return waitFor(`notification ${messageKey} ${link}`, async () => {
    const [first] = (await s.t.runtime.platform.timeline.list(userId, { limit: 1 })).items;
    return first?.messageKey === messageKey && first.link === link && first;
  });
}

describe.each(testDbKinds())('Exporter failures on %s', (db) => {
  let s: TestServer;

  let dir: string;

  beforeAll(async () => {
    s = await createTestServer(db, 'local', { EXPORT_TTL: '1h' });
    s.t.runtime.queue.startWorker();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-export-failures-'));
  });
  afterAll(async () => {
    await s.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const upload = async (who: Session, name: string, bytes: Buffer): Promise<string> => {
    const res = await who.upload('/api/workspace/documents', name, bytes);
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string };
    return body.id;
  };

  const exportOf = async (who: Session, id: string) => {
    const res = await who.request('GET', `/api/archive/exports/${id}`);
    expect(res.statusCode).toBe(200);
    return res.json();
  };

  const finished = (who: Session, id: string) =>
    waitFor(
      'export finished',
      async () => {
        const body = await exportOf(who, id);
        return ['ready', 'failed'].includes(body.status as string) && body;
      },
      30_000,
    );

  const start = async (who: Session, apps: string[]) => {
    const res = await who.request('POST', '/api/archive/exports', { apps });
    expect(res.statusCode, res.body).toBe(202);
    const id: string = res.json().id;
    return id;
  };

  it('a lost document costs only that document: partial, listed by name and code in the status, the manifest and index.html; every other byte present', async () => {
    const who = await newSession(s, 'Student');
    const kept = new Map<string, Buffer>([
      ['cours.txt', Buffer.from('Cours de maths\n')],
      ['photo.bin', Buffer.alloc(70_000, 3)],
    ]);
    for (const [name, bytes] of kept) await upload(who, name, bytes);
    const lostId = await upload(
      who,
      'perdu.txt',
      Buffer.from('38 octets qui vont disparaître.....\n'),
    );
    const row = await s.t.runtime.db.kysely
      .selectFrom('ws_documents')
      .select('blob_key')
      .where('id', '=', lostId)
      .executeTakeFirstOrThrow();
    await s.t.runtime.blobs.delete(row.blob_key);

    const id = await start(who, ['workspace', 'blog']);
    const done = await finished(who, id);
    expect(done.status).toBe('ready');
    expect(done.error).toBeNull();
    expect(done.progress.workspace).toMatchObject({
      status: 'partial',
      failed: [{ name: 'perdu.txt', code: 'document_unreadable' }],
    });
    expect(done.progress.blog.status).toBe('complete');
    // Codes, never the server's own text or a storage key.
    const text = JSON.stringify(done);
    expect(text).not.toMatch(/not found|Blob|workspace\//i);

    const res = await who.fetch(done.downloadUrl);
    expect(res.status).toBe(200);
    const file = path.join(dir, `${id}.zip`);
    await fs.writeFile(file, Buffer.from(await res.arrayBuffer()));
    const zip = await openZip(file);
    const entries = await listEntries(zip);
    const read = async (name: string) => {
      const entry = entries.find((e) => e.name === name);
      expect(entry, name).toBeDefined();
      return (await readEntry(zip, entry!, 1e7)).toString('utf8');
    };
    const manifest = manifestSchema.parse(JSON.parse(await read('manifest.json')));
    expect(manifest.apps.workspace).toMatchObject({
      status: 'partial',
      items: 2,
      failed: [{ name: 'perdu.txt', code: 'document_unreadable' }],
    });
    for (const [name, bytes] of kept) {
      const entry = entries.find((e) => e.name === `Espace documentaire/Mes documents/${name}`);
      expect(entry, name).toBeDefined();
      expect((await hashEntry(zip, entry!)).sha256).toBe(
        createHash('sha256').update(bytes).digest('hex'),
      );
    }
    expect(entries.some((e) => e.name.includes('perdu'))).toBe(false);
    const index = await read('index.html');
    expect(index).toContain("Cet élément n'a pas pu être copié");
    expect(index).toContain('perdu.txt');
    expect(index).not.toContain('document_unreadable');
    const documents = (await read('Espace documentaire/documents.ndjson'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { name: string; path: string | null });
    expect(documents.find((d) => d.name === 'perdu.txt')?.path).toBeNull();
    zip.close();
    const verdict = await verifyArchive(
      file,
      await allTrustedKeys(await s.t.runtime.instanceKey(), s.t.config),
    );
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);

    // The notification says something is missing, and leads to that export.
    // The notification is written just after the status: wait for it.
    const latest = await latestNotification(
      s,
      who.user.id,
      'export.partial',
      `/archive?export=${id}`,
    );
    expect(latest).toMatchObject({
      messageKey: 'export.partial',
      params: { count: 1 },
      link: `/archive?export=${id}`,
    });
  });

  it('two exports of one day get different file names; a complete one links to itself', async () => {
    const who = await newSession(s, 'Student');
    await upload(who, 'a.txt', Buffer.from('a'));
    const first = await finished(who, await start(who, ['workspace']));
    const secondId = await start(who, ['workspace']);
    const second = await finished(who, secondId);
    expect(first.status).toBe('ready');
    expect(second.status).toBe('ready');
    const pattern = new RegExp(
      `^mes-donnees-${who.user.login}-\\d{4}-\\d{2}-\\d{2}-\\d{4}(-\\d+)?\\.zip$`,
    );
    expect(first.fileName).toMatch(pattern);
    expect(second.fileName).toMatch(pattern);
    expect(second.fileName).not.toBe(first.fileName);
    // The notification is written just after the status: wait for it.
    const latest = await latestNotification(
      s,
      who.user.id,
      'export.ready',
      `/archive?export=${secondId}`,
    );
    expect(latest).toMatchObject({
      messageKey: 'export.ready',
      link: `/archive?export=${secondId}`,
    });
  });

  it('a cancelled export leaves no app waiting or running', async () => {
    const who = await newSession(s, 'Student');
    await s.t.runtime.queue.stop(1000);
    try {
      const id = await start(who, ['workspace', 'blog']);
      const cancel = await who.request('POST', `/api/archive/exports/${id}/cancel`);
      expect(cancel.statusCode).toBe(200);
      const body = await exportOf(who, id);
      expect(body.status).toBe('cancelled');
      expect(body.progress.workspace.status).toBe('cancelled');
      expect(body.progress.blog.status).toBe('cancelled');
    } finally {
      s.t.runtime.queue.startWorker();
    }
  });

  it('a running export cancelled keeps its settled progress: the job writes no more', async () => {
    const who = await newSession(s, 'Student');
    const repo = new ExportRepository(s.t.runtime.db);
    const id = newId();
    expect(
      await repo.insertQueued({
        id,
        userId: who.user.id,
        apps: ['workspace', 'blog', 'wiki'],
        options: { includeDocuments: true, includeShared: true },
        createdAt: 1_000,
      }),
    ).toBe(true);
    await repo.markRunning(id, 1_001);
    const running: JobProgress = {
      workspace: { status: 'complete', items: 2, itemsTotal: 2, bytes: 5, bytesTotal: 5 },
      blog: { status: 'running', items: 1, itemsTotal: 3, bytes: 0, bytesTotal: 0 },
      wiki: { status: 'pending', items: 0, itemsTotal: 1, bytes: 0, bytesTotal: 0 },
    };
    await repo.saveProgress(id, running);
    expect(await repo.endActive(id, { status: 'cancelled', finishedAt: 2_000 })).toBe(true);
    await repo.settleProgress(id, 'cancelled');
    // The job's last write, racing the cancel, changes nothing.
    await repo.saveProgress(id, running);
    const after = await repo.find(id);
    expect(after?.progress).toMatchObject({
      workspace: { status: 'complete' },
      blog: { status: 'cancelled', items: 1 },
      wiki: { status: 'cancelled' },
    });
  });
});

describe.each(testDbKinds())('Exporter whose storage fails on %s', (db) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer(db, 'local', { EXPORT_TTL: '1h', JOB_MAX_ATTEMPTS: '1' });
    s.t.runtime.queue.startWorker();
  });
  afterAll(async () => {
    await s.close();
  });

  it('fails the export with storage_unavailable, no server text, no app left running, and links to it', async () => {
    const blobs = s.t.runtime.blobs;
    const put = blobs.put.bind(blobs);
    const spy = vi.spyOn(blobs, 'put').mockImplementation(async (key, ...rest) => {
      if (key.startsWith('exports/')) throw new Error('EACCES: disk /srv/blobs refused the write');
      return put(key, ...rest);
    });
    try {
      const who = await newSession(s, 'Student');
      const res = await who.request('POST', '/api/archive/exports', {
        apps: ['workspace', 'blog'],
      });
      expect(res.statusCode).toBe(202);
      const id: string = res.json().id;
      const done = await waitFor(
        'export failed',
        async () => {
          const body = (await who.request('GET', `/api/archive/exports/${id}`)).json();
          return body.status === 'failed' && body;
        },
        30_000,
      );
      expect(done.error).toBe('storage_unavailable');
      expect(JSON.stringify(done)).not.toMatch(/EACCES|srv/);
      for (const app of ['workspace', 'blog'])
        expect(['complete', 'partial', 'failed']).toContain(done.progress[app].status);
      // The notification is written just after the status: wait for it.
      const latest = await latestNotification(
        s,
        who.user.id,
        'export.failed',
        `/archive?export=${id}`,
      );
      expect(latest).toMatchObject({
        messageKey: 'export.failed',
        params: { code: 'storage_unavailable' },
        link: `/archive?export=${id}`,
      });
    } finally {
      spy.mockRestore();
    }
  });
});

describe('export names and codes', () => {
  it('names an archive by day and minute in French time, with a suffix when asked', () => {
    const at = Date.UTC(2026, 11, 5, 7, 15);
    expect(exportFileName('jean.dupont', at)).toBe('mes-donnees-jean.dupont-2026-12-05-0815.zip');
    expect(exportFileName('jean.dupont', at, 2)).toBe(
      'mes-donnees-jean.dupont-2026-12-05-0815-2.zip',
    );
  });

  it('shares one list of failure codes, each translated by the web page', async () => {
    const fr: unknown = JSON.parse(
      await fs.readFile(new URL('../../web/src/locales/fr.json', import.meta.url), 'utf8'),
    );
    const en: unknown = JSON.parse(
      await fs.readFile(new URL('../../web/src/locales/en.json', import.meta.url), 'utf8'),
    );
    const failure = (locale: unknown) =>
      (locale as { archive: { failure: Record<string, string> } }).archive.failure;
    for (const code of FAILURE_CODES) {
      expect(failure(fr)[code], code).toBeTruthy();
      expect(failure(en)[code], code).toBeTruthy();
    }
  });
});
