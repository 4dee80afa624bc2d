import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { buildDocument, buildFolder, makeUser, share } from '../../../../test/support/factories.ts';
import { testDbKinds } from '../../../../test/support/test-env.ts';
import { createTestRuntime, type TestRuntime } from '../../../../test/support/test-runtime.ts';
import type { AppExportWriter, ExportOptions, RecordFile } from '../../../archive/adapter.ts';
import type { User } from '../../../platform/accounts.service.ts';
import type { Runtime } from '../../../runtime.ts';
import { workspaceArchiveAdapter } from './workspace.export.ts';
import {
  WORKSPACE_FILES,
  workspaceRecords,
  type DocumentRecord,
  type FolderRecord,
} from './workspace.records.ts';

/** A writer that keeps what the adapter writes, every record parsed with its file's schema. */
function memoryWriter() {
  const data = new Map<string, unknown[]>();
  const files = new Map<string, Buffer>();
  const writer: AppExportWriter = {
    folder: 'Espace documentaire',
    async json<S extends z.ZodType>(file: RecordFile<S>, value: z.input<S>) {
      data.set(file.name, [file.schema.parse(value)]);
      return `${this.folder}/${file.name}`;
    },
    async ndjson<S extends z.ZodType>(file: RecordFile<S>, rows: AsyncIterable<z.input<S>>) {
      const parsed: unknown[] = [];
      for await (const row of rows) parsed.push(file.schema.parse(row));
      data.set(file.name, parsed);
      return `${this.folder}/${file.name}`;
    },
    async text(dir: string, name: string) {
      return `${dir}/${name}`;
    },
    async file(dir: string, name: string, source: Readable) {
      const chunks: Buffer[] = [];
      for await (const chunk of source) chunks.push(Buffer.from(chunk as Uint8Array));
      files.set(`${dir}/${name}`, Buffer.concat(chunks));
      return `${dir}/${name}`;
    },
    progress() {},
    failed() {},
  };
  return {
    writer,
    files,
    folders: () => (data.get(WORKSPACE_FILES.folders.name)?.[0] ?? []) as FolderRecord[],
    documents: () => (data.get(WORKSPACE_FILES.documents.name) ?? []) as DocumentRecord[],
  };
}

describe.each(testDbKinds())('Espace documentaire export on %s', (db) => {
  let t: TestRuntime;
  let rt: Runtime;

  beforeAll(async () => {
    t = await createTestRuntime(db);
    rt = t.runtime;
  });

  afterAll(async () => {
    await t?.destroy();
  });

  async function exportFor(user: User, options: ExportOptions) {
    const adapter = workspaceArchiveAdapter({ db: rt.db, blobs: rt.blobs, platform: rt.platform });
    const out = memoryWriter();
    const summary = await adapter.export(
      {
        user,
        options,
        signal: new AbortController().signal,
        referenceDocuments: () => undefined,
        referencedDocuments: () => new Set(),
      },
      out.writer,
    );
    return { ...out, summary, count: await adapter.count(user, options) };
  }

  it('declares its data files and no dependency', () => {
    const adapter = workspaceArchiveAdapter({ db: rt.db, blobs: rt.blobs, platform: rt.platform });
    expect(adapter.dependsOn).toEqual([]);
    expect(adapter.records.map((r) => r.name)).toEqual(['folders.json', 'documents.ndjson']);
    expect(adapter.records).toBe(workspaceRecords);
  });

  it('writes records that fit the schemas: own, trashed and shared-tree documents', async () => {
    const owner = await makeUser(rt.platform, 'Teacher');
    const reader = await makeUser(rt.platform);
    const mine = await buildDocument(rt, reader, { name: 'à moi.txt', bytes: 'mine' });
    const binned = await buildDocument(rt, reader, { name: 'jeté.txt' });
    await rt.apps.workspace.trashDocument(reader, binned.id);
    const shared = await buildFolder(rt, owner, { name: 'Classe' });
    const sub = await buildFolder(rt, owner, { name: 'Sorties', parentId: shared.id });
    const inSub = await buildDocument(rt, owner, { name: 'plan.txt', folderId: sub.id });
    const gone = await buildDocument(rt, owner, { name: 'retiré.txt', folderId: sub.id });
    await rt.apps.workspace.trashDocument(owner, gone.id);
    await buildDocument(rt, owner, { name: 'privé.txt' });
    await share(rt, owner, { app: 'workspace', type: 'folder', id: shared.id }, reader);

    const a = await exportFor(reader, { includeDocuments: true, includeShared: true });
    const byId = new Map(a.documents().map((d) => [d.id, d]));
    expect([...byId.keys()].sort()).toEqual([mine.id, binned.id, inSub.id].sort());
    expect(byId.get(mine.id)).toMatchObject({ section: 'mine', owned: true, trashed: false });
    expect(byId.get(binned.id)).toMatchObject({ section: 'trash', trashed: true });
    expect(byId.get(inSub.id)).toMatchObject({
      section: 'shared',
      owned: false,
      folderId: sub.id,
      path: 'Espace documentaire/Partagés avec moi/Classe/Sorties/plan.txt',
    });
    expect(a.files.get(byId.get(mine.id)?.path ?? '')?.toString()).toBe('mine');
    expect(
      a
        .folders()
        .map((f) => f.name)
        .sort(),
    ).toEqual(['Classe', 'Sorties']);
    expect(a.summary).toEqual(a.count);
    expect(a.count.items).toBe(3);

    const alone = await exportFor(reader, { includeDocuments: false, includeShared: false });
    expect(
      alone
        .documents()
        .map((d) => d.id)
        .sort(),
    ).toEqual([mine.id, binned.id].sort());
    expect(alone.documents().every((d) => d.path === null)).toBe(true);
    expect(alone.folders()).toEqual([]);
  });
});
