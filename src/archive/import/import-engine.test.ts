/**
 * The engine over a toy app held in memory (folders and notes inside them): ids allocated
 * before writes, references rewritten or reported, one failing item costing only itself,
 * duplicates skipped into the existing parent or copied, dry runs writing nothing, resume
 * without rewriting what was settled, and undo children first.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { User } from '../../platform/accounts.service.ts';
import {
  copyName,
  ImportItemError,
  type AppArchiveReader,
  type ImportAdapter,
  type ImportContext,
  type RecordFile,
} from '../adapter.ts';
import { recordFile, recordId, ref } from '../records.ts';
import { runImport } from './import-engine.ts';
import { MemoryImportJournal } from './import-journal.ts';

const entry = z.strictObject({
  id: recordId(),
  kind: z.enum(['folder', 'note']),
  title: z.string(),
  parentId: ref('wiki/wiki').nullable(),
});
type Entry = z.infer<typeof entry>;
const FILE = recordFile('entries.ndjson', 'ndjson', entry, 'Entries.');

function reader(lines: Entry[]): AppArchiveReader {
  return {
    folder: 'Toy',
    dataVersion: 1,
    has: () => true,
    json: () => Promise.reject(new Error('none')),
    async *ndjson<S extends z.ZodType>(file: RecordFile<S>) {
      let line = 0;
      for (const raw of lines) yield { line: ++line, record: file.schema.parse(raw) };
    },
    open: () => Promise.resolve({ size: 0, stream: Readable.from([]) }),
  };
}

interface Row {
  id: string;
  kind: 'folder' | 'note';
  title: string;
  parentId: string | null;
}

function toyImporter(store: Map<string, Row>, writes: string[]): ImportAdapter<Entry, Row> {
  return {
    analyze: () => Promise.resolve({ counts: {}, bytes: 0, problems: [] }),
    async *items(src) {
      for await (const { record } of src.ndjson(FILE))
        yield { type: record.kind, sourceId: record.id, name: record.title, bytes: 0, record };
    },
    async prepare(item, ids) {
      if (item.record.title === 'CASSÉ') throw new ImportItemError('record_invalid', 'broken');
      const id = (await ids.resolve('wiki', item)) ?? '';
      const p = item.record.parentId;
      const parentId =
        p === null ? null : ((await ids.resolve('wiki', { type: 'folder', sourceId: p })) ?? null);
      const unresolved = p !== null && parentId === null ? [{ type: 'folder', sourceId: p }] : [];
      return {
        ...item,
        id,
        row: { id, kind: item.record.kind, title: item.record.title, parentId },
        unresolved,
      };
    },
    findDuplicate: (item, _ctx, earlier) =>
      Promise.resolve(
        [...store.values()].find(
          (r) =>
            r.id !== item.id &&
            (earlier.includes(r.id) ||
              (r.title === item.row.title && r.parentId === item.row.parentId)),
        )?.id,
      ),
    copy: (item) => ({ ...item, row: { ...item.row, title: copyName(item.row.title) } }),
    write(item) {
      writes.push(item.row.title);
      if (item.row.title === 'Disque plein') throw new Error('ENOSPC');
      store.set(item.id, item.row);
      return Promise.resolve();
    },
    remove: (item) => Promise.resolve(store.delete(item.id) ? 'removed' : 'missing'),
  };
}

const user: User = {
  id: 'u1',
  login: 'x',
  displayName: 'X',
  profile: 'Teacher',
  disabled: false,
  isAdmin: false,
  email: null,
};
const ctx = (over: Partial<ImportContext> = {}): ImportContext => ({
  user,
  importId: 'imp',
  signal: new AbortController().signal,
  dryRun: false,
  duplicates: 'skip',
  launchedAt: 0,
  memo: (_k, compute) => compute(),
  ...over,
});

const LINES: Entry[] = [
  // Parents first, as the contract asks.
  { id: 'f1', kind: 'folder', title: 'Sciences', parentId: null },
  { id: 'n1', kind: 'note', title: 'Volcans', parentId: 'f1' },
  { id: 'n2', kind: 'note', title: 'Orpheline', parentId: 'gone' },
  { id: 'n3', kind: 'note', title: 'CASSÉ', parentId: null },
  { id: 'n4', kind: 'note', title: 'Disque plein', parentId: 'f1' },
];

const run = (
  store: Map<string, Row>,
  journal: MemoryImportJournal,
  c = ctx(),
  writes: string[] = [],
) =>
  runImport({
    apps: [
      { app: 'wiki', dependsOn: [], importer: toyImporter(store, writes), reader: reader(LINES) },
    ],
    ctx: c,
    journal,
  });

describe('import engine', () => {
  it('imports with new ids, reports what it could not do, and costs failures their item only', async () => {
    const store = new Map<string, Row>();
    const reports = await run(store, new MemoryImportJournal());
    expect(reports.wiki).toMatchObject({
      status: 'partial',
      imported: 3,
      duplicates: 0,
      failed: [
        { name: 'CASSÉ', code: 'record_invalid' },
        { name: 'Disque plein', code: 'import_failed' },
      ],
      warnings: [{ name: 'Orpheline', code: 'reference_missing' }],
    });
    const rows = [...store.values()];
    const folder = rows.find((r) => r.title === 'Sciences');
    expect(rows.find((r) => r.title === 'Volcans')?.parentId).toBe(folder?.id);
    expect(rows.find((r) => r.title === 'Orpheline')?.parentId).toBeNull();
    expect(rows.map((r) => r.id)).not.toContain('f1');
  });

  it('skips duplicates into what exists, or copies them; a dry run writes nothing', async () => {
    const store = new Map<string, Row>();
    await run(store, new MemoryImportJournal());
    const before = new Map(store);

    const dryWrites: string[] = [];
    const dry = await run(store, new MemoryImportJournal(), ctx({ dryRun: true }), dryWrites);
    expect(dryWrites).toEqual([]);
    expect(dry.wiki?.duplicates).toBe(3);
    expect(store).toEqual(before);

    const again = await run(store, new MemoryImportJournal());
    expect(again.wiki).toMatchObject({ imported: 0, duplicates: 3 });
    expect(store.size).toBe(3);

    await run(store, new MemoryImportJournal(), ctx({ duplicates: 'copy' }));
    const titles = [...store.values()].map((r) => r.title).sort();
    expect(titles).toEqual([
      'Orpheline',
      'Orpheline (copie)',
      'Sciences',
      'Sciences (copie)',
      'Volcans',
      'Volcans',
    ]);
    // The copied note went into the copied folder (so it is not a duplicate there).
    const copiedFolder = [...store.values()].find((r) => r.title === 'Sciences (copie)');
    expect(
      [...store.values()].filter((r) => r.parentId === copiedFolder?.id).map((r) => r.title),
    ).toEqual(['Volcans']);
  });

  it('resumes without writing again what was settled', async () => {
    const store = new Map<string, Row>();
    const journal = new MemoryImportJournal();
    await run(store, journal);
    const writes: string[] = [];
    await run(store, journal, ctx(), writes);
    // Only the failed ones were not settled as written: nothing is written twice.
    expect(writes).toEqual([]);
    expect(store.size).toBe(3);
  });
});

describe('import engine, items written several at a time', () => {
  const lines: Entry[] = [
    { id: 'f1', kind: 'folder', title: 'Sciences', parentId: null },
    ...Array.from({ length: 12 }, (_, i) => ({
      id: `n${i}`,
      kind: 'note' as const,
      // Pairs of the same title in the same folder: the second of each is a duplicate.
      title: `Note ${Math.floor(i / 2)}`,
      parentId: 'f1',
    })),
    { id: 'f2', kind: 'folder', title: 'Histoire', parentId: 'f1' },
    { id: 'n99', kind: 'note', title: 'Dates', parentId: 'f2' },
  ];

  it('keeps items of one key in order and waits for them before the next type', async () => {
    const store = new Map<string, Row>();
    const base = toyImporter(store, []);
    let running = 0;
    let most = 0;
    const importer: ImportAdapter<Entry, Row> = {
      ...base,
      // Folders after the first may go in parallel too: a new type waits for the one before.
      parallelKey: (item) =>
        item.record.parentId === null ? undefined : `${item.record.parentId}/${item.record.title}`,
      async write(item, src, c) {
        running += 1;
        most = Math.max(most, running);
        // Let the other writes of the window start before this one ends (folders slower).
        for (let i = item.row.kind === 'folder' ? 20 : 1; i > 0; i--)
          await new Promise<void>((r) => setImmediate(r));
        if (item.row.parentId !== null && !store.has(item.row.parentId))
          throw new Error('the parent is not written yet');
        await base.write(item, src, c);
        running -= 1;
      },
    };
    const reports = await runImport({
      apps: [{ app: 'wiki', dependsOn: [], importer, reader: reader(lines) }],
      ctx: ctx(),
      journal: new MemoryImportJournal(),
    });
    expect(reports.wiki).toMatchObject({ imported: 9, duplicates: 6, failed: [] });
    expect(most).toBeGreaterThan(1);
    const histoire = [...store.values()].find((r) => r.title === 'Histoire');
    expect([...store.values()].find((r) => r.title === 'Dates')?.parentId).toBe(histoire?.id);
  });
});
