/**
 * The import adapter contract, exercised before any app implements it: a toy app (notes that
 * may point at another note) imported twice through a minimal two-pass driver written the way
 * the engine will drive real adapters. It proves the contract carries what the engine needs:
 * read-only analysis, ids allocated before writes (so forward references resolve), references
 * rewritten, duplicates found, idempotent writes, and undo.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  copyName,
  type AppArchiveReader,
  type IdMap,
  type ImportAdapter,
  type ImportContext,
  type PreparedItem,
  type RecordFile,
  type SourceRef,
} from './adapter.ts';
import { recordFile, recordId, ref } from './records.ts';

const noteRecord = z.strictObject({
  id: recordId(),
  title: z.string(),
  seeAlso: ref('wiki/page').nullable(),
});
type Note = z.infer<typeof noteRecord>;
const NOTES = recordFile('notes.ndjson', 'ndjson', noteRecord, 'Notes.');

/** An archive folder held in memory; parses through the schemas like the real reader. */
function memoryReader(lines: unknown[]): AppArchiveReader {
  return {
    folder: 'Notes',
    dataVersion: 1,
    has: (file) => file.name === NOTES.name,
    json: () => Promise.reject(new Error('no JSON file here')),
    async *ndjson<S extends z.ZodType>(file: RecordFile<S>) {
      let line = 0;
      for (const raw of lines) yield { line: ++line, record: file.schema.parse(raw) };
    },
    open: () => Promise.resolve({ size: 0, stream: Readable.from([]) }),
  };
}

function memoryIdMap(): IdMap & { size: () => number } {
  const ids = new Map<string, string>();
  const key = (app: string, r: SourceRef) => `${app}/${r.type}/${r.sourceId}`;
  return {
    allocate: (app, r) => {
      const k = key(app, r);
      if (!ids.has(k)) ids.set(k, randomUUID());
      return Promise.resolve(ids.get(k) ?? '');
    },
    resolve: (app, r) => Promise.resolve(ids.get(key(app, r))),
    size: () => ids.size,
  };
}

interface Row {
  id: string;
  owner: string;
  title: string;
  seeAlso: string | null;
}

function notesAdapter(store: Map<string, Row>): ImportAdapter<Note, Row> {
  return {
    async analyze(src) {
      let notes = 0;
      for await (const { line } of src.ndjson(NOTES)) notes = line;
      return { counts: { note: notes }, bytes: 0, problems: [] };
    },
    async *items(src) {
      for await (const { record } of src.ndjson(NOTES))
        yield { type: 'note', sourceId: record.id, name: record.title, bytes: 0, record };
    },
    async prepare(item, ids, ctx) {
      const id = (await ids.resolve('wiki', item)) ?? '';
      const target = item.record.seeAlso;
      const seeAlso =
        target === null
          ? null
          : ((await ids.resolve('wiki', { type: 'note', sourceId: target })) ?? null);
      const unresolved =
        target !== null && seeAlso === null ? [{ type: 'note', sourceId: target }] : [];
      return {
        ...item,
        id,
        row: { id, owner: ctx.user.id, title: item.record.title, seeAlso },
        unresolved,
      };
    },
    findDuplicate: (item, ctx) =>
      Promise.resolve(
        [...store.values()].find(
          (r) => r.owner === ctx.user.id && r.title === item.row.title && r.id !== item.id,
        )?.id,
      ),
    write: (item) => {
      store.set(item.id, item.row);
      return Promise.resolve();
    },
    copy: (item) => ({ ...item, row: { ...item.row, title: copyName(item.row.title) } }),
    remove: (item) => Promise.resolve(store.delete(item.id) ? 'removed' : 'missing'),
  };
}

/** The two passes, as the engine will run them (duplicates policy: skip). */
async function importWith(
  adapter: ImportAdapter<Note, Row>,
  src: AppArchiveReader,
  ids: IdMap,
  ctx: ImportContext,
) {
  for await (const item of adapter.items(src, ctx)) await ids.allocate('wiki', item);
  const report = { imported: 0, duplicates: 0, unresolved: 0 };
  const written: PreparedItem<Row>[] = [];
  for await (const item of adapter.items(src, ctx)) {
    const prepared = await adapter.prepare(item, ids, ctx);
    report.unresolved += prepared.unresolved.length;
    if ((await adapter.findDuplicate(prepared, ctx, [])) !== undefined) {
      report.duplicates++;
      continue;
    }
    if (!ctx.dryRun) await adapter.write(prepared, src, ctx);
    written.push(prepared);
    report.imported++;
  }
  return { report, written };
}

describe('import adapter contract', () => {
  const lines = [
    { id: 'a', title: 'Volcans', seeAlso: 'b' },
    { id: 'b', title: 'Séismes', seeAlso: null },
    { id: 'c', title: 'Orphelin', seeAlso: 'gone' },
  ];
  const ctx = (dryRun: boolean, userId = 'u1'): ImportContext => ({
    user: {
      id: userId,
      login: 'x',
      displayName: 'X',
      profile: 'Student',
      disabled: false,
      isAdmin: false,
      email: null,
    },
    importId: 'imp',
    signal: new AbortController().signal,
    dryRun,
    duplicates: 'skip',
    launchedAt: 0,
    memo: (_key, compute) => compute(),
  });

  it('analyses without writing, then imports with new ids and forward references rewritten', async () => {
    const store = new Map<string, Row>();
    const adapter = notesAdapter(store);
    const src = memoryReader(lines);
    expect(await adapter.analyze(src, ctx(false))).toEqual({
      counts: { note: 3 },
      bytes: 0,
      problems: [],
    });
    expect(store.size).toBe(0);

    const dry = await importWith(adapter, src, memoryIdMap(), ctx(true));
    expect(dry.report).toEqual({ imported: 3, duplicates: 0, unresolved: 1 });
    expect(store.size).toBe(0);

    const ids = memoryIdMap();
    const { report, written } = await importWith(adapter, src, ids, ctx(false));
    expect(report).toEqual({ imported: 3, duplicates: 0, unresolved: 1 });
    const volcans = [...store.values()].find((r) => r.title === 'Volcans');
    const seismes = [...store.values()].find((r) => r.title === 'Séismes');
    expect(volcans?.seeAlso).toBe(seismes?.id);
    expect(volcans?.id).not.toBe('a');
    expect([...store.values()].find((r) => r.title === 'Orphelin')?.seeAlso).toBeNull();

    // The same archive again: every item is a duplicate, nothing is added.
    const again = await importWith(adapter, src, memoryIdMap(), ctx(false));
    expect(again.report.duplicates).toBe(3);
    expect(store.size).toBe(3);

    // A resumed run allocates the same ids, so its writes land on the same rows.
    await importWith(notesAdapter(new Map()), src, ids, ctx(false));
    expect(ids.size()).toBe(3);

    for (const item of written) await adapter.remove(item, ctx(false));
    expect(store.size).toBe(0);
  });

  it('refuses a record that breaks its schema when it is read', async () => {
    const adapter = notesAdapter(new Map());
    await expect(
      adapter.analyze(memoryReader([{ id: 'a', title: 42, seeAlso: null }]), ctx(false)),
    ).rejects.toThrow();
  });
});
