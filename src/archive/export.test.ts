import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser } from '../../test/support/factories.ts';
import { newSession, Session } from '../../test/support/session.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import {
  createTestServer,
  type BlobKind,
  type TestServer,
} from '../../test/support/test-server.ts';
import { waitFor } from '../../test/support/wait.ts';
import type { User } from '../platform/accounts.service.ts';
import type { ArchiveAdapter } from './adapter.ts';
import { buildArchive } from './archive-builder.ts';
import { recordFile } from './records.ts';
import { allTrustedKeys } from './keys.ts';
import { verifyArchive } from './verify.ts';
import yazl from 'yazl';
import { z } from 'zod';
import { listEntries, openZip, readEntry, hashEntry } from './zip-reader.ts';

const kinds = testDbKinds();
const matrix: { db: (typeof kinds)[number]; blob: BlobKind }[] = [
  ...kinds.map((db) => ({ db, blob: 'local' as const })),
  { db: kinds[0]!, blob: 's3' as const },
];

function form(name: string, bytes: Uint8Array): FormData {
  const f = new FormData();
  f.append('file', new Blob([Buffer.from(bytes)]), name);
  return f;
}

describe.each(matrix)('Exporter on $db with $blob blobs', ({ db, blob }) => {
  let s: TestServer;
  let owner: User;
  let auth: Session;
  let dir: string;
  const uploaded = new Map<string, { name: string; sha256: string; bytes: Buffer }>();

  beforeAll(async () => {
    s = await createTestServer(db, blob, { EXPORT_TTL: '1h' });
    s.t.runtime.queue.startWorker();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-export-'));
    auth = await newSession(s, 'Teacher');
    owner = auth.user;
    const folder = (
      await s.app.inject({
        method: 'POST',
        url: '/api/workspace/folders',
        headers: auth.inject,
        payload: { name: 'Cours: maths?' },
      })
    ).json();
    const files: [string, Buffer, string | undefined][] = [
      ['notes.txt', Buffer.from('Bonjour à tous\n'), undefined],
      [
        'photo.png',
        Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex'),
        folder.id,
      ],
      ['notes.txt', Buffer.from('autre fichier, même nom'), undefined],
      ['Été 2026 ✓.bin', Buffer.alloc(300_000, 7), folder.id],
    ];
    for (const [name, bytes, folderId] of files) {
      const res = await fetch(
        `${s.url}/api/workspace/documents${folderId ? `?folderId=${folderId}` : ''}`,
        {
          method: 'POST',
          headers: auth.http,
          body: form(name, bytes),
        },
      );
      const doc = (await res.json()) as { id: string; sha256: string };
      uploaded.set(doc.id, { name, sha256: doc.sha256, bytes });
    }
  });
  afterAll(async () => {
    await s.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const waitReady = async (id: string, headers = auth.inject) =>
    waitFor(
      'export ready',
      async () => {
        const res = await s.app.inject({
          method: 'GET',
          url: `/api/archive/exports/${id}`,
          headers,
        });
        const body = res.json();
        return ['ready', 'failed'].includes(body.status as string) && body;
      },
      30_000,
    );

  /** A user of their own with one document, and a finished export of their workspace. */
  const readyExport = async (): Promise<{ who: Session; id: string; zip: Buffer }> => {
    const who = await newSession(s, 'Teacher');
    const up = await who.upload('/api/workspace/documents', 'cours.txt', Buffer.from('Cours\n'));
    expect(up.status).toBe(201);
    await up.body?.cancel(); // an unread body would keep the connection busy
    const start = await who.request('POST', '/api/archive/exports', { apps: ['workspace'] });
    expect(start.statusCode, start.body).toBe(202);
    const id: string = start.json().id;
    const done = await waitReady(id, who.inject);
    expect(done.status).toBe('ready');
    const res = await who.fetch(done.downloadUrl);
    expect(res.status).toBe(200);
    return { who, id, zip: Buffer.from(await res.arrayBuffer()) };
  };

  it('exports every document with identical bytes, listed with the right hash, and signed', async () => {
    const apps = await s.app.inject({
      method: 'GET',
      url: '/api/archive/apps',
      headers: auth.inject,
    });
    expect(apps.json().items.find((a: { id: string }) => a.id === 'workspace')).toMatchObject({
      items: 4,
      exportable: true,
    });
    // No worker for a moment: the export stays queued, and a second one must be refused.
    await s.t.runtime.queue.stop(1000);
    const start = await s.app.inject({
      method: 'POST',
      url: '/api/archive/exports',
      headers: auth.inject,
      payload: { apps: ['workspace'] },
    });
    expect(start.statusCode).toBe(202);
    expect(start.json().status).toBe('queued');
    let exportId: string = start.json().id;
    const again = await s.app.inject({
      method: 'POST',
      url: '/api/archive/exports',
      headers: auth.inject,
      payload: { apps: ['workspace'] },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('export_in_progress');
    // Cancelling a queued export works once; a finished export cannot be cancelled.
    const second = await s.app.inject({
      method: 'POST',
      url: `/api/archive/exports/${exportId}/cancel`,
      headers: auth.inject,
    });
    expect(second.statusCode).toBe(200);
    expect(second.json().status).toBe('cancelled');
    const again2 = await s.app.inject({
      method: 'POST',
      url: `/api/archive/exports/${exportId}/cancel`,
      headers: auth.inject,
    });
    expect(again2.statusCode).toBe(409);
    const restart = await s.app.inject({
      method: 'POST',
      url: '/api/archive/exports',
      headers: auth.inject,
      payload: { apps: ['workspace'] },
    });
    expect(restart.statusCode).toBe(202);
    exportId = restart.json().id;
    s.t.runtime.queue.startWorker();
    const done = await waitReady(exportId);
    expect(done.status).toBe('ready');
    expect(done.progress.workspace).toMatchObject({ status: 'complete', items: 4, itemsTotal: 4 });
    expect(done.downloadUrl).toBe(`/api/archive/exports/${exportId}/download`);

    const res = await fetch(`${s.url}${done.downloadUrl}`, { headers: auth.http });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain(`mes-donnees-${owner.login}-`);
    const archivePath = path.join(dir, 'export.zip');
    await fs.writeFile(archivePath, Buffer.from(await res.arrayBuffer()));

    const zip = await openZip(archivePath);
    const entries = await listEntries(zip);
    const manifestEntry = entries.find((e) => e.name === 'manifest.json')!;
    const manifest = JSON.parse((await readEntry(zip, manifestEntry, 1e7)).toString('utf8'));
    expect(manifest.user.login).toBe(owner.login);
    expect(manifest.apps.workspace).toMatchObject({
      status: 'complete',
      folder: 'Espace documentaire',
      items: 4,
    });
    const documents = (
      await readEntry(
        zip,
        entries.find((e) => e.name === 'Espace documentaire/documents.ndjson')!,
        1e7,
      )
    )
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; name: string; path: string; sha256: string });
    expect(documents).toHaveLength(4);
    const listed = new Map<string, string>(
      manifest.files.map((f: { path: string; sha256: string }) => [f.path, f.sha256]),
    );
    for (const d of documents) {
      const original = uploaded.get(d.id)!;
      expect(d.name).toBe(original.name.normalize('NFC'));
      const entry = entries.find((e) => e.name === d.path);
      expect(entry, d.path).toBeDefined();
      const actual = await hashEntry(zip, entry!);
      expect(actual.sha256).toBe(createHash('sha256').update(original.bytes).digest('hex'));
      expect(listed.get(d.path)).toBe(actual.sha256);
    }
    // Same names are numbered, unsafe characters replaced; the real name stays in the JSON.
    expect(documents.map((d) => d.path).sort()).toEqual(
      [
        'Espace documentaire/Mes documents/Cours_ maths_/photo.png',
        'Espace documentaire/Mes documents/Cours_ maths_/Été 2026 ✓.bin',
        'Espace documentaire/Mes documents/notes.txt',
        'Espace documentaire/Mes documents/notes (2).txt',
      ].sort(),
    );
    expect(entries.map((e) => e.name)).toContain('index.html');
    zip.close();

    const trusted = await allTrustedKeys(await s.t.runtime.instanceKey(), s.t.config);
    const verdict = await verifyArchive(archivePath, trusted);
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(verdict.checked).toBe(manifest.files.length);

    const timeline = await s.t.runtime.platform.timeline.list(owner.id, { limit: 5 });
    expect(timeline.items[0]).toMatchObject({
      messageKey: 'export.ready',
      link: `/archive?export=${exportId}`,
    });
  });

  it('lets the owner download again and resume with Range; others get 404', async () => {
    const { who, id, zip: full } = await readyExport();
    const url = `/api/archive/exports/${id}/download`;
    const again = await who.fetch(url);
    expect(Buffer.from(await again.arrayBuffer()).equals(full)).toBe(true);
    const part = await who.fetch(url, { headers: { range: 'bytes=100-' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(full.subarray(100))).toBe(true);
    const other = await newSession(s, 'Teacher');
    const refused = await other.fetch(url);
    expect(refused.status).toBe(404);
    await refused.body?.cancel();
    expect((await other.request('GET', `/api/archive/exports/${id}`)).statusCode).toBe(404);
    expect((await other.request('DELETE', `/api/archive/exports/${id}`)).statusCode).toBe(404);
    // The owner still has it: the refusals did not touch it.
    expect((await who.request('GET', `/api/archive/exports/${id}`)).json().status).toBe('ready');
  });

  it('purges an expired archive, after which it cannot be downloaded; others stay', async () => {
    const expired = await readyExport();
    const kept = await readyExport();
    const blobKey = async (id: string) =>
      (
        await s.t.runtime.db.kysely
          .selectFrom('archive_exports')
          .select(['blob_key'])
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).blob_key;
    const key = await blobKey(expired.id);
    expect(key).not.toBeNull();
    expect(await s.t.runtime.blobs.head(key!)).toBeDefined();
    await s.t.runtime.db.kysely
      .updateTable('archive_exports')
      .set({ expires_at: Date.now() - 1 })
      .where('id', '=', expired.id)
      .execute();
    // Other tests' exports are not expired: this one at least is purged.
    expect(await s.t.runtime.exports.purgeExpired()).toBeGreaterThanOrEqual(1);
    const view = await expired.who.request('GET', `/api/archive/exports/${expired.id}`);
    expect(view.json().status).toBe('expired');
    const download = `/api/archive/exports/${expired.id}/download`;
    expect((await expired.who.request('GET', download)).statusCode).toBe(409);
    expect(await s.t.runtime.blobs.head(key!)).toBeUndefined();
    // An archive that has not expired is left as it was.
    const still = await kept.who.request('GET', `/api/archive/exports/${kept.id}/download`);
    expect(still.statusCode).toBe(200);
    expect(still.rawPayload.equals(kept.zip)).toBe(true);
  });

  it('keeps a user’s three newest archives: a fourth lets the oldest go (history kept, bytes freed)', async () => {
    const who = await newSession(s, 'Teacher');
    const ids: string[] = [];
    for (let n = 0; n < 4; n++) {
      const start = await who.request('POST', '/api/archive/exports', { apps: ['workspace'] });
      expect(start.statusCode, start.body).toBe(202);
      ids.push(start.json().id);
      expect((await waitReady(ids[n]!, who.inject)).status).toBe('ready');
    }
    const rowsOf = () =>
      s.t.runtime.db.kysely
        .selectFrom('archive_exports')
        .select(['id', 'status', 'blob_key'])
        .where('id', 'in', ids)
        .execute();
    // The oldest is let go just after the newest is ready.
    const rows = await waitFor('the oldest archive let go', async () => {
      const all = await rowsOf();
      return all.some((r) => r.status !== 'ready') ? all : undefined;
    });
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(ids[0]!)).toMatchObject({ status: 'expired', blob_key: null });
    for (const id of ids.slice(1)) expect(byId.get(id)?.status, id).toBe('ready');
    const stored = await s.t.runtime.db.kysely
      .selectFrom('archive_exports')
      .select('blob_key')
      .where('user_id', '=', who.user.id)
      .where('blob_key', 'is not', null)
      .execute();
    expect(stored).toHaveLength(3);
    const gone = await who.request('GET', `/api/archive/exports/${ids[0]}/download`);
    expect(gone.statusCode).toBe(409);
  });

  it('needs the archive.export right and known apps', async () => {
    const u = await makeUser(s.t.runtime.platform, 'Student');
    const g = await s.t.runtime.platform.accounts.createGroup('Collège X', `no-export ${u.login}`);
    await s.t.runtime.platform.accounts.addMember(g.id, u.login);
    await s.t.runtime.platform.accounts.setGroupRight(g.id, 'archive.export', 'revoke');
    const h = await Session.of(s, u);
    const res = await h.request('POST', '/api/archive/exports', { apps: ['workspace'] });
    expect(res.statusCode).toBe(403);
    const bad = await s.app.inject({
      method: 'POST',
      url: '/api/archive/exports',
      headers: auth.inject,
      payload: { apps: ['nope'] },
    });
    expect(bad.statusCode).toBe(400);
  });
});

describe('archive builder and verify', () => {
  it('records an app that throws as failed, keeps the others, and the archive still verifies; any changed byte is caught', async () => {
    const { createTestRuntime } = await import('../../test/support/test-runtime.ts');
    const t = await createTestRuntime('sqlite');
    try {
      const user = await makeUser(t.runtime.platform, 'Teacher');
      // Two stand-ins under the ids of real apps (the manifest only knows those).
      const data = recordFile(
        'data.json',
        'json',
        z.strictObject({ hello: z.string() }),
        'A greeting.',
      );
      const good: ArchiveAdapter = {
        app: 'blog',
        label: 'Bonne appli',
        appVersion: '1',
        dataVersion: 1,
        dependsOn: [],
        records: [data],
        count: async () => ({ items: 1, bytes: 5 }),
        async export(_ctx, out) {
          await out.json(data, { hello: 'monde' });
          await out.file(`${out.folder}/fichiers`, 'a.bin', Readable.from([Buffer.from('12345')]), {
            size: 5,
            contentType: 'application/octet-stream',
          });
          return { items: 1, bytes: 5 };
        },
      };
      const bad: ArchiveAdapter = {
        app: 'news',
        label: 'Appli en panne',
        appVersion: '1',
        dataVersion: 1,
        dependsOn: [],
        records: [],
        count: async () => ({ items: 3, bytes: 0 }),
        async export() {
          throw new Error('database of the app is down');
        },
      };
      const key = await t.runtime.instanceKey();
      const file = path.join(t.dataDir, 'a.zip');
      const logged: [string, string][] = [];
      const result = await buildArchive(
        {
          exportId: 'x',
          user,
          adapters: [bad, good],
          options: { includeDocuments: true, includeShared: true },
          key,
          instance: { name: 'Test' },
          now: new Date(),
          signal: new AbortController().signal,
          onAppError: (app, error) => {
            logged.push([app, error instanceof Error ? error.message : String(error)]);
          },
        },
        async (zip) => {
          await fs.writeFile(file, zip);
        },
      );
      // A code, never the app's own text (that goes to the logs through onAppError).
      expect(result.manifest.apps.news).toMatchObject({ status: 'failed', error: 'app_failed' });
      expect(logged).toEqual([['news', 'database of the app is down']]);
      expect(result.manifest.apps.blog).toMatchObject({ status: 'complete', items: 1 });
      const trusted = await allTrustedKeys(key, t.config);
      expect((await verifyArchive(file, trusted)).ok).toBe(true);

      // Flip one byte of a stored entry's data, then one of the (deflated) manifest.
      const bytes = await fs.readFile(file);
      const at = bytes.indexOf(Buffer.from('12345'));
      expect(at).toBeGreaterThan(0);
      const tampered = Buffer.from(bytes);
      tampered[at] = 0x39;
      await fs.writeFile(file, tampered);
      const v1 = await verifyArchive(file, trusted);
      expect(v1.ok).toBe(false);
      expect(v1.problems.join('\n')).toMatch(/fichiers\/a\.bin/);

      // Rewrite the archive with one character of manifest.json changed (the user's name),
      // everything else, the signature included, as it was: the signature no longer holds.
      await fs.writeFile(file, bytes);
      const rewritten = path.join(t.dataDir, 'b.zip');
      {
        const src = await openZip(file);
        const out = new yazl.ZipFile();
        for (const e of await listEntries(src)) {
          let data = await readEntry(src, e, 1e8);
          if (e.name === 'manifest.json')
            data = Buffer.from(
              data.toString('utf8').replace(user.displayName, `${user.displayName}X`),
            );
          out.addBuffer(data, e.name);
        }
        out.end();
        await fs.writeFile(rewritten, out.outputStream);
        src.close();
      }
      const v3 = await verifyArchive(rewritten, trusted);
      expect(v3.ok).toBe(false);
      expect(v3.problems.join('\n')).toMatch(/signature of manifest.json does not verify/);

      const other = await createTestRuntime('sqlite');
      const foreign = await allTrustedKeys(await other.runtime.instanceKey(), other.config);
      await fs.writeFile(file, bytes);
      const v2 = await verifyArchive(file, foreign);
      expect(v2.ok).toBe(false);
      expect(v2.problems.join('\n')).toMatch(/unknown key/);
      await other.destroy();
    } finally {
      await t.destroy();
    }
  });
});
