/**
 * The journal of an import: for every item of the archive, its new id (the `IdMap` of the
 * contract), its state and what the report says of it. Persisted row by row
 * (`archive_import_items`), so a worker killed at any point resumes with the ids it had and
 * undo finds everything the import made; a dry run keeps it in memory.
 */
import { newId } from '../../clock.ts';
import type { AppId, AppImportReport, FailedItem } from '../../contracts/archive.ts';
import type { Db } from '../../db/database.ts';
import type { IdMap, SourceRef } from '../adapter.ts';
import type { ImportItemState } from '../archive.schema.ts';

export interface JournalItem extends SourceRef {
  readonly name: string;
  readonly bytes: number;
}

export interface ItemOutcome {
  state: Exclude<ImportItemState, 'allocated' | 'removed'>;
  /** The existing resource a duplicate maps to (children go into it). */
  newId?: string;
  code?: string;
  warnings?: readonly string[];
}

export interface JournalEntry {
  app: string;
  type: string;
  sourceId: string;
  newId: string;
  state: ImportItemState;
}

export interface ImportJournal extends IdMap {
  /** Allocates ids for items not yet in the journal (a resumed import keeps its ids). */
  allocateMany(app: AppId, items: readonly JournalItem[]): Promise<void>;
  state(app: AppId, ref: SourceRef): Promise<ImportItemState | undefined>;
  /** The items of `app` an earlier run of this import settled (empty on a first run). */
  settled(app: AppId): Promise<ReadonlySet<string>>;
  /** Writes what is pending (settles are batched: a crash before the flush rewrites them). */
  flush(): Promise<void>;
  settle(app: AppId, ref: SourceRef, outcome: ItemOutcome): Promise<void>;
  /** What earlier imports (same user, same source instance, not undone) made of this item. */
  earlier(app: AppId, ref: SourceRef): Promise<string[]>;
  /** The app's outcome so far, read from the journal. */
  report(app: AppId): Promise<Omit<AppImportReport, 'status'>>;
  /** Every item written or allocated (maybe written before a crash), last first. */
  undoable(): AsyncIterable<JournalEntry>;
  markRemoved(entry: JournalEntry): Promise<void>;
}

/** The code of an item the import made itself (`ImportItem.synthetic`): not counted. */
export const SYNTHETIC = 'synthetic';

const key = (app: string, r: SourceRef) => `${app}\u0000${r.type}\u0000${r.sourceId}`;
/** The key of an item within its app (`settled`). */
export const itemKey = (r: SourceRef) => `${r.type}\u0000${r.sourceId}`;
/** Settles written at once (one transaction). */
const SETTLE_BATCH = 250;
/** Failed and warned items listed in a report, per app; past it, counts only. */
const MAX_LISTED = 1000;

/** The journal in the database; ids looked up through a bounded cache. */
export class DbImportJournal implements ImportJournal {
  readonly #db: Db;
  readonly #importId: string;
  readonly #earlierOf: { userId: string; sourceInstance: string } | undefined;
  readonly #cache = new Map<string, string>();
  /**
   * Keys looked up and not found (an item the archive does not hold, the "Import du …" folder
   * when there is none): asked for again by every item that could point at them, so remembered
   * until an allocation or a settle makes them known.
   */
  readonly #absent = new Set<string>();
  #seq: number | undefined;
  #pending: { app: string; ref: SourceRef; outcome: ItemOutcome }[] = [];
  #hasEarlier: boolean | undefined;

  constructor(db: Db, importId: string, earlierOf?: { userId: string; sourceInstance: string }) {
    this.#db = db;
    this.#importId = importId;
    this.#earlierOf = earlierOf;
  }

  #remember(k: string, id: string): void {
    if (this.#cache.size >= 200_000) this.#cache.clear();
    this.#cache.set(k, id);
    this.#absent.delete(k);
  }

  #markAbsent(k: string): void {
    if (this.#absent.size >= 10_000) this.#absent.clear();
    this.#absent.add(k);
  }

  async #nextSeq(): Promise<number> {
    if (this.#seq === undefined) {
      const row = await this.#db.kysely
        .selectFrom('archive_import_items')
        .select((eb) => eb.fn.max('seq').as('max'))
        .where('import_id', '=', this.#importId)
        .executeTakeFirst();
      this.#seq = Number(row?.max ?? 0);
    }
    return this.#seq;
  }

  async allocateMany(app: AppId, items: readonly JournalItem[]): Promise<void> {
    if (items.length === 0) return;
    let seq = await this.#nextSeq();
    const rows = items.map((i) => ({
      import_id: this.#importId,
      app,
      type: i.type,
      source_id: i.sourceId,
      seq: ++seq,
      new_id: newId(),
      state: 'allocated' as const,
      name: i.name.slice(0, 500),
      bytes: i.bytes,
    }));
    this.#seq = seq;
    for (let i = 0; i < rows.length; i += 200) {
      const chunk = rows.slice(i, i + 200);
      await this.#db.kysely
        .insertInto('archive_import_items')
        .values(chunk)
        .onConflict((oc) => oc.columns(['import_id', 'app', 'type', 'source_id']).doNothing())
        .execute();
      // Read back what the journal holds (a resumed import keeps its ids): pass 2 then finds
      // most ids in memory rather than one query a reference.
      const held = await this.#db.kysely
        .selectFrom('archive_import_items')
        .select(['type', 'source_id', 'new_id', 'state'])
        .where('import_id', '=', this.#importId)
        .where('app', '=', app)
        .where(
          'source_id',
          'in',
          chunk.map((r) => r.source_id),
        )
        .execute();
      for (const r of held)
        if (r.state !== 'failed' && r.state !== 'removed')
          this.#remember(key(app, { type: r.type, sourceId: r.source_id }), r.new_id);
    }
  }

  async allocate(app: AppId, ref: SourceRef): Promise<string> {
    await this.allocateMany(app, [{ ...ref, name: ref.sourceId, bytes: 0 }]);
    const id = await this.resolve(app, ref);
    if (id === undefined) throw new Error('allocation lost');
    return id;
  }

  async resolve(app: AppId, ref: SourceRef): Promise<string | undefined> {
    const k = key(app, ref);
    const cached = this.#cache.get(k);
    if (cached !== undefined) return cached;
    if (this.#absent.has(k)) return undefined;
    if (this.#pending.some((p) => p.outcome.state === 'failed' && key(p.app, p.ref) === k))
      return undefined;
    const row = await this.#row(app, ref);
    if (row === undefined || row.state === 'failed' || row.state === 'removed') {
      this.#markAbsent(k);
      return undefined;
    }
    this.#remember(k, row.new_id);
    return row.new_id;
  }

  #row(app: string, ref: SourceRef) {
    return this.#db.kysely
      .selectFrom('archive_import_items')
      .select(['new_id', 'state'])
      .where('import_id', '=', this.#importId)
      .where('app', '=', app)
      .where('type', '=', ref.type)
      .where('source_id', '=', ref.sourceId)
      .executeTakeFirst();
  }

  async state(app: AppId, ref: SourceRef): Promise<ImportItemState | undefined> {
    await this.flush();
    return (await this.#row(app, ref))?.state;
  }

  async settle(app: AppId, ref: SourceRef, outcome: ItemOutcome): Promise<void> {
    const k = key(app, ref);
    if (outcome.state === 'failed') {
      this.#cache.delete(k);
      this.#markAbsent(k);
    }
    if (outcome.newId !== undefined) this.#remember(k, outcome.newId);
    this.#pending.push({ app, ref, outcome });
    if (this.#pending.length >= SETTLE_BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    await this.#db.kysely.transaction().execute(async (trx) => {
      for (const { app, ref, outcome } of batch) {
        await trx
          .updateTable('archive_import_items')
          .set({
            state: outcome.state,
            code: outcome.code ?? null,
            warnings:
              outcome.warnings !== undefined && outcome.warnings.length > 0
                ? JSON.stringify(outcome.warnings)
                : null,
            ...(outcome.newId === undefined ? {} : { new_id: outcome.newId }),
          })
          .where('import_id', '=', this.#importId)
          .where('app', '=', app)
          .where('type', '=', ref.type)
          .where('source_id', '=', ref.sourceId)
          .execute();
      }
    });
  }

  async settled(app: AppId): Promise<ReadonlySet<string>> {
    await this.flush();
    const rows = await this.#db.kysely
      .selectFrom('archive_import_items')
      .select(['type', 'source_id'])
      .where('import_id', '=', this.#importId)
      .where('app', '=', app)
      .where('state', '!=', 'allocated')
      .execute();
    return new Set(rows.map((r) => itemKey({ type: r.type, sourceId: r.source_id })));
  }

  async earlier(app: AppId, ref: SourceRef): Promise<string[]> {
    if (this.#earlierOf === undefined) return [];
    // Most imports are a user's first of that source: one query says so for all items.
    this.#hasEarlier ??=
      (await this.#db.kysely
        .selectFrom('archive_imports')
        .select('id')
        .where('user_id', '=', this.#earlierOf.userId)
        .where('source_instance', '=', this.#earlierOf.sourceInstance)
        .where('status', '!=', 'undone')
        .where('id', '!=', this.#importId)
        .executeTakeFirst()) !== undefined;
    if (!this.#hasEarlier) return [];
    const rows = await this.#db.kysely
      .selectFrom('archive_import_items as i')
      .innerJoin('archive_imports as m', 'm.id', 'i.import_id')
      .select('i.new_id')
      .where('i.app', '=', app)
      .where('i.type', '=', ref.type)
      .where('i.source_id', '=', ref.sourceId)
      .where('i.state', 'in', ['written', 'duplicate'])
      .where('i.import_id', '!=', this.#importId)
      .where('m.user_id', '=', this.#earlierOf.userId)
      .where('m.source_instance', '=', this.#earlierOf.sourceInstance)
      .where('m.status', '!=', 'undone')
      .execute();
    return [...new Set(rows.map((r) => r.new_id))];
  }

  async report(app: AppId): Promise<Omit<AppImportReport, 'status'>> {
    await this.flush();
    const counts = await this.#db.kysely
      .selectFrom('archive_import_items')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('import_id', '=', this.#importId)
      .where('app', '=', app)
      .where((eb) => eb.or([eb('code', 'is', null), eb('code', '!=', SYNTHETIC)]))
      .groupBy('state')
      .execute();
    const n = (s: ImportItemState) => Number(counts.find((c) => c.state === s)?.n ?? 0);
    const failed = await this.#db.kysely
      .selectFrom('archive_import_items')
      .select(['name', 'source_id', 'code'])
      .where('import_id', '=', this.#importId)
      .where('app', '=', app)
      .where('state', '=', 'failed')
      .orderBy('seq')
      .limit(MAX_LISTED)
      .execute();
    const warned = await this.#db.kysely
      .selectFrom('archive_import_items')
      .select(['name', 'source_id', 'warnings'])
      .where('import_id', '=', this.#importId)
      .where('app', '=', app)
      .where('warnings', 'is not', null)
      .orderBy('seq')
      .limit(MAX_LISTED)
      .execute();
    return {
      imported: n('written'),
      duplicates: n('duplicate'),
      skipped: n('allocated'),
      failed: failed.map((f) => ({ name: f.name ?? f.source_id, code: f.code ?? 'import_failed' })),
      warnings: warned.flatMap((w) =>
        parseCodes(w.warnings).map((code) => ({ name: w.name ?? w.source_id, code })),
      ),
    };
  }

  async *undoable(): AsyncGenerator<JournalEntry> {
    await this.flush();
    // The largest 32-bit integer: the column is an `integer` (PostgreSQL refuses more).
    let before = 2_147_483_647;
    for (;;) {
      const rows = await this.#db.kysely
        .selectFrom('archive_import_items')
        .select(['app', 'type', 'source_id', 'new_id', 'state', 'seq'])
        .where('import_id', '=', this.#importId)
        .where('state', 'in', ['written', 'allocated'])
        .where('seq', '<', before)
        .orderBy('seq', 'desc')
        .limit(500)
        .execute();
      if (rows.length === 0) return;
      for (const r of rows) {
        before = r.seq;
        yield { app: r.app, type: r.type, sourceId: r.source_id, newId: r.new_id, state: r.state };
      }
    }
  }

  async markRemoved(entry: JournalEntry): Promise<void> {
    await this.#db.kysely
      .updateTable('archive_import_items')
      .set({ state: 'removed' })
      .where('import_id', '=', this.#importId)
      .where('app', '=', entry.app)
      .where('type', '=', entry.type)
      .where('source_id', '=', entry.sourceId)
      .execute();
  }
}

function parseCodes(text: string | null): string[] {
  if (text === null) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * A dry run's journal: nothing persisted; earlier imports are still looked up (read-only), so
 * the report says which items would be duplicates.
 */
export class MemoryImportJournal implements ImportJournal {
  readonly #items = new Map<
    string,
    JournalEntry & { seq: number; name: string; code?: string; warnings?: readonly string[] }
  >();
  readonly #earlier: (app: AppId, ref: SourceRef) => Promise<string[]>;
  #seq = 0;

  constructor(
    earlier: (app: AppId, ref: SourceRef) => Promise<string[]> = () => Promise.resolve([]),
  ) {
    this.#earlier = earlier;
  }

  allocateMany(app: AppId, items: readonly JournalItem[]): Promise<void> {
    for (const i of items) {
      const k = key(app, i);
      if (!this.#items.has(k))
        this.#items.set(k, {
          app,
          type: i.type,
          sourceId: i.sourceId,
          newId: newId(),
          state: 'allocated',
          seq: ++this.#seq,
          name: i.name,
        });
    }
    return Promise.resolve();
  }

  async allocate(app: AppId, ref: SourceRef): Promise<string> {
    await this.allocateMany(app, [{ ...ref, name: ref.sourceId, bytes: 0 }]);
    return this.#items.get(key(app, ref))?.newId ?? '';
  }

  resolve(app: AppId, ref: SourceRef): Promise<string | undefined> {
    const item = this.#items.get(key(app, ref));
    return Promise.resolve(
      item === undefined || item.state === 'failed' || item.state === 'removed'
        ? undefined
        : item.newId,
    );
  }

  state(app: AppId, ref: SourceRef): Promise<ImportItemState | undefined> {
    return Promise.resolve(this.#items.get(key(app, ref))?.state);
  }

  settled(app: AppId): Promise<ReadonlySet<string>> {
    return Promise.resolve(
      new Set(
        [...this.#items.values()]
          .filter((i) => i.app === app && i.state !== 'allocated')
          .map((i) => itemKey(i)),
      ),
    );
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  settle(app: AppId, ref: SourceRef, outcome: ItemOutcome): Promise<void> {
    const item = this.#items.get(key(app, ref));
    if (item !== undefined) {
      item.state = outcome.state;
      if (outcome.newId !== undefined) item.newId = outcome.newId;
      if (outcome.code !== undefined) item.code = outcome.code;
      if (outcome.warnings !== undefined) item.warnings = outcome.warnings;
    }
    return Promise.resolve();
  }

  earlier(app: AppId, ref: SourceRef): Promise<string[]> {
    return this.#earlier(app, ref);
  }

  report(app: AppId): Promise<Omit<AppImportReport, 'status'>> {
    const items = [...this.#items.values()].filter((i) => i.app === app && i.code !== SYNTHETIC);
    const failed: FailedItem[] = items
      .filter((i) => i.state === 'failed')
      .map((i) => ({ name: i.name, code: i.code ?? 'import_failed' }));
    return Promise.resolve({
      imported: items.filter((i) => i.state === 'written').length,
      duplicates: items.filter((i) => i.state === 'duplicate').length,
      skipped: items.filter((i) => i.state === 'allocated').length,
      failed: failed.slice(0, MAX_LISTED),
      warnings: items
        .flatMap((i) => (i.warnings ?? []).map((code) => ({ name: i.name, code })))
        .slice(0, MAX_LISTED),
    });
  }

  async *undoable(): AsyncGenerator<JournalEntry> {
    // Nothing was written.
  }

  markRemoved(): Promise<void> {
    return Promise.resolve();
  }
}
