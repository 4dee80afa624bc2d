import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDocument, buildFolder, makeUser } from '../../../../test/support/factories.ts';
import { exportThroughService } from '../../../../test/support/export-archive.ts';
import { importArchive, undoImport } from '../../../../test/support/import-archive.ts';
import {
  blobBytes,
  importContext,
  importTestEnv,
  type ImportTestEnv,
} from '../../../../test/support/import-fixtures.ts';
import {
  compareRecords,
  exportApp,
  seeds,
  type AppExport,
} from '../../../../test/support/round-trip.ts';
import { testDbKinds } from '../../../../test/support/test-env.ts';
import type { AppArchiveReader, ImportContext } from '../../../archive/adapter.ts';
import { runImport } from '../../../archive/import/import-engine.ts';
import { MemoryImportJournal } from '../../../archive/import/import-journal.ts';
import { openImportArchive } from '../../../archive/import/archive-reader.ts';
import type { User } from '../../../platform/accounts.service.ts';
import type { Runtime } from '../../../runtime.ts';
import { importFolderName, orderFolders, workspaceImporter } from './workspace.import.ts';
import type { FolderRecord } from './workspace.records.ts';

const folder = (id: string, parentId: string | null, extra: Partial<FolderRecord> = {}) => ({
  id,
  name: `Dossier ${id}`,
  parentId,
  owned: true,
  trashed: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  modifiedAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});

describe('folders in write order', () => {
  it('puts parents before their children whatever the order of the file', () => {
    const order = orderFolders([folder('c', 'b'), folder('b', 'a'), folder('a', null)]);
    expect(order.map((f) => f.folder.id)).toEqual(['a', 'b', 'c']);
    expect(order.every((f) => f.detached === null)).toBe(true);
  });

  it('detaches a folder whose parent is unknown and the folders of a cycle, keeping their children under them', () => {
    const order = orderFolders([
      folder('under-cycle', 'x'),
      folder('x', 'y'),
      folder('y', 'x'),
      folder('self', 'self'),
      folder('lost', 'gone'),
      folder('under-lost', 'lost'),
    ]);
    const by = new Map(order.map((f, i) => [f.folder.id, { ...f, at: i }]));
    expect(by.get('x')?.detached).toBe('cycle');
    expect(by.get('y')?.detached).toBe('cycle');
    expect(by.get('self')?.detached).toBe('cycle');
    expect(by.get('lost')?.detached).toBe('unknown_parent');
    expect(by.get('under-cycle')?.detached).toBeNull();
    expect(by.get('under-lost')?.detached).toBeNull();
    expect(by.get('under-cycle')?.at).toBeGreaterThan(by.get('x')?.at ?? Infinity);
    expect(by.get('under-lost')?.at).toBeGreaterThan(by.get('lost')?.at ?? Infinity);
  });

  it('tells which trashed folders were carried along by their trashed parent', () => {
    const order = orderFolders([
      folder('top', null, { trashed: true }),
      folder('inner', 'top', { trashed: true }),
    ]);
    expect(order.map((f) => [f.folder.id, f.parentTrashed])).toEqual([
      ['top', false],
      ['inner', true],
    ]);
  });
});

describe('the import folder’s name', () => {
  it('is the day of the launch in France', () => {
    // 23:30 UTC on 4 December is already 5 December in Paris.
    expect(importFolderName(Date.parse('2026-12-04T23:30:00Z'))).toBe('Import du 5 décembre 2026');
    expect(importFolderName(Date.parse('2027-01-01T10:00:00Z'))).toBe('Import du 1er janvier 2027');
  });
});

// ---- On a database ---------------------------------------------------------------------------

describe.each(testDbKinds())('Espace documentaire import on %s', (db) => {
  let env: ImportTestEnv | undefined;
  let rt: Runtime;
  let dir: string;

  beforeAll(async () => {
    env = await importTestEnv(db, 'ws');
    ({ rt, dir } = env);
  });

  afterAll(() => env?.destroy());

  const teacher = (quota?: number) =>
    makeUser(rt.platform, 'Teacher', quota === undefined ? {} : { quota });

  /** A's seeded workspace (`seeds.workspace`), exported once for every test. */
  let seeded: AppExport;
  /** Its documents' bytes, by name. */
  let bytesOf: Map<string, Buffer>;
  const SEEDED = [
    'Cours d’été — 2026/',
    'Cours d’été — 2026/Chapitre 1 : Énergie/',
    'Cours d’été — 2026/Chapitre 1 : Énergie/Exercices ✓/',
    'Cours d’été — 2026/Chapitre 1 : Énergie/Exercices ✓/Schéma électrique.png',
    'Cours d’été — 2026/Chapitre 1 : Énergie/Résumé du cours.txt',
    'notes.txt',
    '🗑 Brouillon à jeter.txt',
  ];

  beforeAll(async () => {
    const a = await teacher();
    await seeds.workspace(rt, a);
    seeded = await exportApp(rt, a, 'workspace', dir);
    bytesOf = new Map();
    for (const d of seeded.records['Espace documentaire/documents.ndjson'] as {
      name: string;
      path: string;
    }[])
      bytesOf.set(d.name, await seeded.archive.bytes(d.path));
  });

  /** Every document of the user has the bytes of A's document of the same name. */
  async function expectSameBytes(user: User) {
    for (const d of (await state(user)).documents) {
      const original = bytesOf.get(d.name.replace(' (copie)', ''));
      const bytes = await blobBytes(rt.blobs, d.blob_key);
      expect(bytes.equals(original ?? Buffer.alloc(0)), d.name).toBe(true);
    }
  }

  /** Every row of the user's workspace, and their quota: what "nothing changed" compares. */
  async function state(user: User) {
    const k = rt.db.kysely;
    const folders = await k
      .selectFrom('ws_folders')
      .selectAll()
      .where('owner_id', '=', user.id)
      .orderBy('id')
      .execute();
    const documents = await k
      .selectFrom('ws_documents')
      .selectAll()
      .where('owner_id', '=', user.id)
      .orderBy('id')
      .execute();
    const blobs: string[] = [];
    for await (const b of rt.blobs.list(`workspace/${user.id}/`)) blobs.push(b.key);
    return {
      folders,
      documents,
      blobs: blobs.sort(),
      quota: await rt.platform.quota.usage(user.id),
    };
  }

  /** The "Import du …" folder at the user's root, named after a launch between `since` and now. */
  async function importFolderOf(user: User, since: number): Promise<string> {
    const names = [importFolderName(since), importFolderName(Date.now())];
    const found = (await state(user)).folders.find(
      (f) => f.parent_id === null && names.includes(f.name),
    );
    if (found === undefined) throw new Error('no import folder');
    return found.name;
  }

  /** The user's folders and documents by path ("a/b/c.txt", "🗑 d.txt" in the trash). */
  async function paths(user: User): Promise<string[]> {
    const s = await state(user);
    const byId = new Map(s.folders.map((f) => [f.id, f]));
    const pathOf = (id: string | null): string[] => {
      const names: string[] = [];
      for (let f = id === null ? undefined : byId.get(id); f !== undefined;) {
        names.unshift(f.name);
        f = f.parent_id === null ? undefined : byId.get(f.parent_id);
      }
      return names;
    };
    return [
      ...s.folders.map(
        (f) => `${f.trashed_at === null ? '' : '🗑 '}${[...pathOf(f.id)].join('/')}/`,
      ),
      ...s.documents.map(
        (d) => `${d.trashed_at === null ? '' : '🗑 '}${[...pathOf(d.folder_id), d.name].join('/')}`,
      ),
    ].sort();
  }

  /** The workspace importer driven by the engine alone (no launch checks), on a memory journal. */
  async function runWorkspaceImport(
    user: User,
    file: string,
    options: {
      duplicates?: 'skip' | 'copy';
      dryRun?: boolean;
      reader?: (real: AppArchiveReader) => AppArchiveReader;
    } = {},
  ) {
    const archive = await openImportArchive(file);
    try {
      const importer = workspaceImporter({ db: rt.db, blobs: rt.blobs, platform: rt.platform });
      const real = archive.reader('workspace', { dataVersion: 1, import: importer });
      if (real === undefined) throw new Error('no workspace in the archive');
      const reader = options.reader?.(real) ?? real;
      const ctx = importContext(user, options);
      const reports = await runImport({
        apps: [{ app: 'workspace', dependsOn: [], importer, reader }],
        ctx,
        journal: new MemoryImportJournal(),
      });
      const report = reports.workspace;
      if (report === undefined) throw new Error('no report');
      return report;
    } finally {
      archive.close();
    }
  }

  it('refuses per document what the quota cannot hold, and leaves nothing half-written', async () => {
    // Room for some documents only (they are 1 to ~200 bytes).
    const b = await teacher(40);
    const report = await runWorkspaceImport(b, seeded.archive.file);

    expect(report.failed.length).toBeGreaterThan(0);
    expect(report.failed.every((f) => f.code === 'quota_exceeded')).toBe(true);
    expect(report.imported).toBeGreaterThan(3); // the 3 folders and at least one document
    const after = await state(b);
    expect(after.documents.length).toBe(report.imported - 3);
    // Usage is the sum of what is there, and every stored blob has its row (no orphans).
    expect(after.quota.used).toBe(after.documents.reduce((n, d) => n + d.size, 0));
    expect(after.quota.used).toBeLessThanOrEqual(40);
    expect(after.blobs).toEqual(after.documents.map((d) => d.blob_key).sort());
  });

  it('keeps documents shared with the exporting user in "Partagés avec moi", app documents as such, a trashed folder in the trash', async () => {
    const a = await teacher();
    const c = await teacher();
    const theirs = await buildFolder(rt, c, { name: 'Sorties' });
    await buildDocument(rt, c, { name: 'Programme.txt', bytes: 'visite', folderId: theirs.id });
    const single = await buildDocument(rt, c, { name: 'Menu.txt', bytes: 'frites' });
    await rt.platform.sharing.share(
      c.id,
      { app: 'workspace', type: 'folder', id: theirs.id },
      { kind: 'user', id: a.id },
      'read',
    );
    await rt.platform.sharing.share(
      c.id,
      { app: 'workspace', type: 'document', id: single.id },
      { kind: 'user', id: a.id },
      'read',
    );
    await rt.apps.workspace.attachAppDocument(a, {
      app: 'calendar',
      name: 'Autorisation.txt',
      body: Readable.from([Buffer.from('signée')]),
    });
    await buildDocument(rt, a, { name: 'À moi.txt', bytes: 'mien' });
    const old = await buildFolder(rt, a, { name: 'Ancien' });
    await buildDocument(rt, a, { name: 'vieux.txt', bytes: 'vieux', folderId: old.id });
    await rt.apps.workspace.trashFolder(a, old.id);
    const archive = await exportThroughService(rt, a, { apps: ['workspace'] }, dir);

    const b = await teacher();
    const report = await runWorkspaceImport(b, archive.file);
    expect(report.failed).toEqual([]);
    expect(await paths(b)).toEqual([
      'Autorisation.txt',
      'Partagés avec moi/',
      'Partagés avec moi/Menu.txt',
      'Partagés avec moi/Sorties/',
      'Partagés avec moi/Sorties/Programme.txt',
      'À moi.txt',
      '🗑 Ancien/',
      '🗑 Ancien/vieux.txt',
    ]);
    // In B's trash as B would have put it there: the folder with what it carried.
    const trash = await rt.apps.workspace.listFolders(b, { filter: 'trash' });
    expect(trash.map((f) => f.name)).toEqual(['Ancien']);
    expect(await rt.apps.workspace.listDocuments(b, { filter: 'trash' })).toEqual([]);
    await rt.apps.workspace.restoreFolder(b, trash[0]?.id ?? '');
    expect(await paths(b)).toContain('Ancien/vieux.txt');
    const docs = (await state(b)).documents;
    expect(docs.find((d) => d.name === 'Autorisation.txt')?.app_source).toBe('calendar');
    expect(docs.filter((d) => d.app_source !== null)).toHaveLength(1);
    // All B's, on B's quota.
    expect((await state(b)).quota.used).toBe(docs.reduce((n, d) => n + d.size, 0));
  });

  it('analyses the folder without writing: counts, bytes, and a broken record with its line', async () => {
    const importer = workspaceImporter({ db: rt.db, blobs: rt.blobs, platform: rt.platform });
    const zip = await openImportArchive(seeded.archive.file);
    try {
      const reader = zip.reader('workspace', { dataVersion: 1, import: importer });
      if (reader === undefined) throw new Error('no workspace in the archive');
      const docs = seeded.records['Espace documentaire/documents.ndjson'] as { size: number }[];
      const analysis = await importer.analyze(reader, {} as ImportContext);
      expect(analysis).toEqual({
        counts: { folder: 3, document: 4 },
        bytes: docs.reduce((n, d) => n + d.size, 0),
        problems: [],
      });
      const broken: AppArchiveReader = {
        ...reader,
        has: (file) => reader.has(file),
        json: (file) => reader.json(file),
        open: (p) => reader.open(p),
        // eslint-disable-next-line require-yield
        async *ndjson() {
          throw Object.assign(new Error('documents.ndjson:2: size: expected number'), {
            file: 'Espace documentaire/documents.ndjson',
            line: 2,
          });
        },
      };
      expect((await importer.analyze(broken, {} as ImportContext)).problems).toEqual([
        {
          code: 'record_invalid',
          file: 'Espace documentaire/documents.ndjson',
          line: 2,
          message: 'documents.ndjson:2: size: expected number',
        },
      ]);
    } finally {
      zip.close();
    }
  });

  it('refuses a document whose bytes are not those its record says, and keeps nothing of it', async () => {
    const b = await teacher();
    const report = await runWorkspaceImport(b, seeded.archive.file, {
      reader: (real) => ({
        ...real,
        has: (file) => real.has(file),
        json: (file) => real.json(file),
        ndjson: (file) => real.ndjson(file),
        async open(p) {
          if (!p.endsWith('/notes.txt')) return real.open(p);
          const bytes = Buffer.from('à relirE\n');
          return { size: bytes.length, stream: Readable.from([bytes]) };
        },
      }),
    });
    expect(report.failed).toEqual([{ name: 'notes.txt', code: 'document_corrupt' }]);
    expect(await paths(b)).toEqual(SEEDED.filter((p) => p !== 'notes.txt'));
    const after = await state(b);
    expect(after.blobs).toEqual(after.documents.map((d) => d.blob_key).sort());
    expect(after.quota.used).toBe(after.documents.reduce((n, d) => n + d.size, 0));
  });

  it('writes again safely (a resumed import): one row and one charge each; undo takes bytes stored without their row', async () => {
    const b = await teacher();
    const importer = workspaceImporter({ db: rt.db, blobs: rt.blobs, platform: rt.platform });
    const zip = await openImportArchive(seeded.archive.file);
    try {
      const reader = zip.reader('workspace', { dataVersion: 1, import: importer });
      if (reader === undefined) throw new Error('no workspace in the archive');
      const ctx = importContext(b);
      const ids = new MemoryImportJournal();
      for await (const item of importer.items(reader, ctx)) await ids.allocate('workspace', item);
      // Twice, as a worker killed after its writes and before the journal knew would.
      for (let run = 0; run < 2; run++)
        for await (const item of importer.items(reader, ctx))
          await importer.write(await importer.prepare(item, ids, ctx), reader, ctx);
      expect(await paths(b)).toEqual(SEEDED);
      const after = await state(b);
      expect(after.quota.used).toBe(after.documents.reduce((n, d) => n + d.size, 0));
      expect(after.blobs).toEqual(after.documents.map((d) => d.blob_key).sort());

      // A write stopped after its bytes and before its row: undo leaves no orphan.
      const stopped = randomUUID();
      await rt.blobs.put(`workspace/${b.id}/${stopped}`, Readable.from([Buffer.from('x')]));
      expect(await importer.remove({ type: 'document', id: stopped }, ctx)).toBe('missing');
      expect((await state(b)).blobs).toEqual(after.blobs);

      // Undo, children first: a folder that still holds something is kept.
      const course = after.folders.find((f) => f.parent_id === null);
      const notes = after.documents.find((d) => d.name === 'notes.txt');
      expect(await importer.remove({ type: 'folder', id: course?.id ?? '' }, ctx)).toBe('kept');
      expect(await importer.remove({ type: 'document', id: notes?.id ?? '' }, ctx)).toBe('removed');
      expect(await importer.remove({ type: 'document', id: notes?.id ?? '' }, ctx)).toBe('missing');
      expect((await state(b)).quota.used).toBe(after.quota.used - (notes?.size ?? 0));
    } finally {
      zip.close();
    }
  });

  it('a document whose bytes the archive lacks fails alone with document_missing; a shared document alone gets its folder', async () => {
    const a = await teacher();
    const kept = await buildDocument(rt, a, { name: 'Gardé.txt', bytes: 'gardé' });
    const lost = await buildDocument(rt, a, { name: 'Perdu.txt', bytes: 'perdu' });
    // Its stored file is gone: the export lists it without bytes (path null).
    const { blobKey } = await rt.apps.workspace.contentOf(a, lost.id);
    await rt.blobs.delete(blobKey);
    // Shared with A on its own, outside any folder.
    const c = await teacher();
    const menu = await buildDocument(rt, c, { name: 'Menu.txt', bytes: 'frites' });
    await rt.platform.sharing.share(
      c.id,
      { app: 'workspace', type: 'document', id: menu.id },
      { kind: 'user', id: a.id },
      'read',
    );
    const { archive } = await exportApp(rt, a, 'workspace', dir);
    const b = await teacher();
    const report = await runWorkspaceImport(b, archive.file);
    expect(report).toMatchObject({
      status: 'partial',
      imported: 2,
      failed: [{ name: 'Perdu.txt', code: 'document_missing' }],
    });
    expect(await paths(b)).toEqual([
      'Gardé.txt',
      'Partagés avec moi/',
      'Partagés avec moi/Menu.txt',
    ]);
    expect((await state(b)).quota.used).toBe(kept.size + menu.size);
  });

  // ---- Through the import service, as a user imports --------------------------------------

  describe('through the import service', () => {
    it('round trip: B exports what A exported, modulo ids, with the same bytes', async () => {
      const b = await teacher();
      const result = await importArchive(rt, b, seeded.archive.file, { apps: ['workspace'] });
      expect(result.apps.workspace).toMatchObject({
        status: 'complete',
        imported: 7,
        duplicates: 0,
        failed: [],
        warnings: [],
      });
      expect(await paths(b)).toEqual(SEEDED);
      const again = await exportApp(rt, b, 'workspace', dir);
      expect(compareRecords(seeded.records, again.records).differences).toEqual([]);
      for (const d of again.records['Espace documentaire/documents.ndjson'] as { path: string }[])
        expect((await again.archive.bytes(d.path)).equals(await seeded.archive.bytes(d.path))).toBe(
          true,
        );
      await expectSameBytes(b);
      const docs = (await state(b)).documents;
      expect((await state(b)).quota.used).toBe(docs.reduce((n, d) => n + d.size, 0));
      // The trashed document is in the trash, restorable where it was.
      const draft = docs.find((d) => d.name === 'Brouillon à jeter.txt');
      await rt.apps.workspace.restoreDocument(b, draft?.id ?? '');
      expect(await paths(b)).toContain('Brouillon à jeter.txt');
    });

    it('puts everything in "Import du …" when the user has content, the same folder all day; again with skip adds nothing', async () => {
      const b = await teacher();
      await buildDocument(rt, b, { name: 'Déjà là.txt', bytes: 'à moi' });
      const since = Date.now();
      const first = await importArchive(rt, b, seeded.archive.file, { apps: ['workspace'] });
      expect(first.apps.workspace).toMatchObject({ imported: 7, failed: [] });
      const root = await importFolderOf(b, since);
      expect(await paths(b)).toEqual(
        ['Déjà là.txt', `${root}/`, ...SEEDED.map((p) => p.replace(/^(🗑 )?/, `$1${root}/`))].sort(),
      );
      const before = await state(b);

      const again = await importArchive(rt, b, seeded.archive.file, { apps: ['workspace'] });
      // The import folder is found again, so is everything in it (the folder, which the
      // import made itself, is not counted).
      expect(again.apps.workspace).toMatchObject({ imported: 0, duplicates: 7, failed: [] });
      expect(await state(b)).toEqual(before);

      // The same content exported by someone else (other ids, no earlier import of them): the
      // same folders by name, the same live documents by bytes and name (not the trashed one;
      // the import folder is not counted).
      const other = await teacher();
      await seeds.workspace(rt, other);
      const theirs = await exportApp(rt, other, 'workspace', dir);
      const third = await importArchive(rt, b, theirs.archive.file, { apps: ['workspace'] });
      expect(third.apps.workspace).toMatchObject({ imported: 1, duplicates: 6, failed: [] });
      const after = await state(b);
      expect(after.folders).toEqual(before.folders);
      expect(after.documents.length).toBe(before.documents.length + 1);
    });

    it('again with skip creates nothing and counts duplicates; with copy, documents again as " (copie)" in merged folders', async () => {
      const b = await teacher();
      await importArchive(rt, b, seeded.archive.file, { apps: ['workspace'] });
      const before = await state(b);
      const again = await importArchive(rt, b, seeded.archive.file, { apps: ['workspace'] });
      // B has content now: an import folder is made, and removed at the end as it stays empty.
      expect(again.apps.workspace).toMatchObject({ imported: 0, duplicates: 7, failed: [] });
      expect(await state(b)).toEqual(before);

      const since = Date.now();
      const copied = await importArchive(rt, b, seeded.archive.file, {
        apps: ['workspace'],
        duplicates: 'copy',
      });
      expect(copied.apps.workspace?.failed).toEqual([]);
      const root = await importFolderOf(b, since);
      expect(await paths(b)).toEqual(
        [
          ...SEEDED,
          'Cours d’été — 2026/Chapitre 1 : Énergie/Exercices ✓/Schéma électrique (copie).png',
          'Cours d’été — 2026/Chapitre 1 : Énergie/Résumé du cours (copie).txt',
          `${root}/`,
          `${root}/notes (copie).txt`,
          `🗑 ${root}/Brouillon à jeter (copie).txt`,
        ].sort(),
      );
      await expectSameBytes(b);
      const after = await state(b);
      expect(after.quota.used).toBe(after.documents.reduce((n, d) => n + d.size, 0));
    });

    it('a document added from a blog stays the blog’s, the imported blog’s', async () => {
      const a = await teacher();
      await seeds.blog(rt, a);
      const { archive } = await exportApp(rt, a, 'blog', dir);
      const b = await teacher();
      const result = await importArchive(rt, b, archive.file, { apps: ['workspace', 'blog'] });
      expect(result.apps.workspace?.failed).toEqual([]);
      const blogs = await rt.db.kysely
        .selectFrom('blog_blogs')
        .select('id')
        .where('owner_id', '=', b.id)
        .execute();
      expect(blogs).toHaveLength(1);
      const fromApps = (await state(b)).documents.filter((d) => d.app_source !== null);
      expect(fromApps.map((d) => [d.name, d.app_source, d.app_resource_id])).toEqual([
        ['Photo de classe.png', 'blog', blogs[0]?.id],
      ]);
    });

    it('dry run: reports what would happen and writes nothing', async () => {
      const b = await teacher();
      await buildFolder(rt, b, { name: 'Mon dossier' });
      const before = await state(b);
      const result = await importArchive(rt, b, seeded.archive.file, {
        apps: ['workspace'],
        dryRun: true,
      });
      expect(result.apps.workspace).toMatchObject({ imported: 7, duplicates: 0, failed: [] });
      expect(await state(b)).toEqual(before);
    });

    it('undo: the account is back to exactly what it was, quota included', async () => {
      const b = await teacher();
      const mine = await buildFolder(rt, b, { name: 'Cours d’été — 2026' });
      await buildDocument(rt, b, { name: 'notes.txt', bytes: 'à relire\n', folderId: mine.id });
      const before = await state(b);
      const result = await importArchive(rt, b, seeded.archive.file, { apps: ['workspace'] });
      expect(result.apps.workspace).toMatchObject({ imported: 7, failed: [] });
      expect((await state(b)).documents.length).toBe(before.documents.length + 4);
      await undoImport(rt, b, result.id);
      expect(await state(b)).toEqual(before);
    });
  });
});
