/**
 * What the importers' tests build the same way: a runtime with a scratch folder, an app's
 * importer as the wiring gives it, an import's context, an id map and an app's folder held in
 * memory (both behaving as the engine's and the archive reader's do).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { z } from 'zod';
import type {
  AppArchiveReader,
  IdMap,
  ImportAdapter,
  ImportContext,
  RecordFile,
  SourceRef,
} from '../../src/archive/adapter.ts';
import { openImportArchive } from '../../src/archive/import/archive-reader.ts';
import { MemoryImportJournal } from '../../src/archive/import/import-journal.ts';
import type { AppId } from '../../src/contracts/archive.ts';
import type { Runtime } from '../../src/runtime.ts';
import type { BlobStore } from '../../src/storage/blob-store.ts';
import type { TestDbKind } from './test-env.ts';
import { createTestRuntime, type TestRuntime } from './test-runtime.ts';

/** A runtime whose worker runs, and a scratch folder for archives. */
export interface ImportTestEnv {
  readonly t: TestRuntime;
  readonly rt: Runtime;
  readonly dir: string;
  destroy(): Promise<void>;
}

/** `name` names the scratch folder ("md-news-import-…"). */
export async function importTestEnv(db: TestDbKind, name: string): Promise<ImportTestEnv> {
  const t = await createTestRuntime(db);
  const rt = t.runtime;
  rt.queue.startWorker();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `md-${name}-import-`));
  return {
    t,
    rt,
    dir,
    async destroy() {
      await t.destroy();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** The app's importer, as the app's archive adapter wires it. */
export function appImporter(rt: Runtime, app: AppId): ImportAdapter {
  const importer = rt.apps.list.find((a) => a.id === app)?.archive?.import;
  if (importer === undefined) throw new Error(`${app} has no importer`);
  return importer;
}

/** Runs `use` on an app's folder of an archive file, opened as the engine opens it. */
export async function withAppReader<T>(
  file: string,
  app: AppId,
  importer: ImportAdapter,
  use: (reader: AppArchiveReader) => Promise<T>,
): Promise<T> {
  const archive = await openImportArchive(file);
  try {
    const reader = archive.reader(app, { dataVersion: 1, import: importer });
    if (reader === undefined) throw new Error(`no ${app} in the archive`);
    return await use(reader);
  } finally {
    archive.close();
  }
}

/**
 * Drives an importer over a folder as the engine does (ids allocated first, then each item
 * prepared and written), writing every item twice as a resumed import does.
 */
export async function importWritingTwice(
  app: AppId,
  importer: ImportAdapter,
  reader: AppArchiveReader,
  ctx: ImportContext,
): Promise<void> {
  const journal = new MemoryImportJournal();
  const items = [];
  for await (const item of importer.items(reader, ctx)) items.push(item);
  await journal.allocateMany(
    app,
    items.map((i) => ({ type: i.type, sourceId: i.sourceId, name: i.name, bytes: 0 })),
  );
  for (const item of items) {
    const prepared = await importer.prepare(item, journal, ctx);
    await importer.write(prepared, reader, ctx);
    await importer.write(prepared, reader, ctx);
  }
}

/** An import's context as the service makes it, its memo in memory. */
export function importContext(
  user: ImportContext['user'],
  options: { duplicates?: 'skip' | 'copy'; dryRun?: boolean } = {},
): ImportContext {
  const memo = new Map<string, string | number | boolean | null>();
  return {
    user,
    importId: randomUUID(),
    signal: new AbortController().signal,
    dryRun: options.dryRun ?? false,
    duplicates: options.duplicates ?? 'skip',
    launchedAt: Date.now(),
    memo: async <T extends string | number | boolean | null>(
      key: string,
      compute: () => Promise<T>,
    ): Promise<T> => {
      if (memo.has(key)) return memo.get(key) as T;
      const value = await compute();
      memo.set(key, value);
      return value;
    },
  };
}

export type MemoryIdMap = IdMap & { rebind(app: string, ref: SourceRef, id: string): void };

/**
 * An id map in memory: `preset` gives ids already allocated, keyed `app/type/sourceId`
 * ("workspace/document/d1": the document's new id).
 */
export function memoryIdMap(preset: Record<string, string> = {}): MemoryIdMap {
  const ids = new Map<string, string>(Object.entries(preset));
  const key = (app: string, r: SourceRef) => `${app}/${r.type}/${r.sourceId}`;
  return {
    allocate: (app, r) => {
      const k = key(app, r);
      if (!ids.has(k)) ids.set(k, randomUUID());
      return Promise.resolve(ids.get(k) ?? '');
    },
    resolve: (app, r) => Promise.resolve(ids.get(key(app, r))),
    rebind: (app, r, id) => ids.set(key(app, r), id),
  };
}

/**
 * An app's folder held in memory (`files`: a JSON file's value, an NDJSON file's records by
 * file name; an absent name is a file the archive lacks). Records are parsed through their
 * schemas as the real reader does, and one that breaks it throws with its path and line.
 * `reads(name)`: how often an NDJSON file was read.
 */
export function memoryReader(
  folder: string,
  files: Readonly<Record<string, unknown>>,
): AppArchiveReader & { reads(name: string): number } {
  const reads = new Map<string, number>();
  const content = (file: RecordFile) => files[file.name];
  return {
    folder,
    dataVersion: 1,
    has: (file) => content(file) !== undefined,
    json: <S extends z.ZodType>(file: RecordFile<S>) =>
      Promise.resolve(file.schema.parse(content(file) ?? [])),
    async *ndjson<S extends z.ZodType>(file: RecordFile<S>) {
      reads.set(file.name, (reads.get(file.name) ?? 0) + 1);
      const records = content(file);
      let line = 0;
      for (const raw of Array.isArray(records) ? records : []) {
        line += 1;
        const parsed = file.schema.safeParse(raw);
        if (!parsed.success)
          throw Object.assign(new Error(`${file.name}:${line}: invalid`), {
            file: `${folder}/${file.name}`,
            line,
          });
        yield { line, record: parsed.data };
      }
    },
    open: () => Promise.resolve({ size: 0, stream: Readable.from([]) }),
    reads: (name) => reads.get(name) ?? 0,
  };
}

/** The bytes a blob holds. */
export async function blobBytes(blobs: BlobStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await blobs.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
