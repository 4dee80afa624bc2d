/**
 * The import engine: drives the apps' importers (`ImportAdapter`) over an archive, the same
 * way for every app. Apps go in dependency order (the workspace first, so a post's image finds
 * the imported document). Per app, pass 1 allocates a new id for every item in the journal;
 * pass 2 prepares each item (references rewritten through the id map), applies the duplicates
 * policy, and writes it. An item that fails costs that item only. Everything is keyed by the
 * journal, so running it again after a crash resumes where it stopped.
 */
import type { AppId, AppImportReport, AppJobStatus, JobProgress } from '../../contracts/archive.ts';
import { AppError } from '../../errors.ts';
import type { AppArchiveReader, ImportAdapter, ImportContext, ImportItem } from '../adapter.ts';
import { ImportItemError } from '../adapter.ts';
import { dependencyOrder } from '../app-order.ts';
import { itemKey, SYNTHETIC, type ImportJournal, type JournalItem } from './import-journal.ts';

export interface EngineApp {
  readonly app: AppId;
  readonly dependsOn: readonly AppId[];
  readonly importer: ImportAdapter;
  readonly reader: AppArchiveReader;
  readonly upgradedFrom?: number | undefined;
}

export interface EngineRun {
  readonly apps: readonly EngineApp[];
  readonly ctx: ImportContext;
  readonly journal: ImportJournal;
  /** Progress as items are handled (the caller throttles its writes). */
  onProgress?(progress: JobProgress): void;
  /** An item that failed: its cause goes to the logs only. */
  onItemError?(app: AppId, item: { name: string; code: string }, cause: unknown): void;
}

/** The code a failure of an item shows in the report. */
export function itemErrorCode(error: unknown): string {
  if (error instanceof ImportItemError) return error.code;
  if (error instanceof AppError && error.code === 'quota_exceeded') return 'quota_exceeded';
  if (error instanceof Error && error.name === 'RecordError') return 'record_invalid';
  return 'import_failed';
}

const BATCH = 500;
/** Items written at once when their importer allows it (`parallelKey`). */
const PARALLEL_ITEMS = 8;

/**
 * Runs tasks a few at a time: tasks of one key one after the other, a task of another type
 * only once those before it are done. The first failure is thrown by the next `run` or
 * `drain`, once every started task has settled.
 */
class ParallelWindow {
  readonly #size: number;
  readonly #running = new Set<Promise<void>>();
  readonly #byKey = new Map<string, Promise<void>>();
  #type: string | undefined;
  #failure: { error: unknown } | undefined;

  constructor(size: number) {
    this.#size = size;
  }

  async run(key: string, type: string, task: () => Promise<void>): Promise<void> {
    if (type !== this.#type) await this.drain();
    this.#type = type;
    while (this.#running.size >= this.#size) await Promise.race(this.#running);
    this.#throwIfFailed();
    const before = this.#byKey.get(key);
    const started: Promise<void> = (async () => {
      if (before !== undefined) await before;
      await task();
    })()
      .catch((error: unknown) => {
        this.#failure ??= { error };
      })
      .finally(() => {
        this.#running.delete(started);
        if (this.#byKey.get(key) === started) this.#byKey.delete(key);
      });
    this.#running.add(started);
    this.#byKey.set(key, started);
  }

  async drain(): Promise<void> {
    await Promise.all([...this.#running]);
    this.#type = undefined;
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure.error;
  }
}

/** Runs the import; returns each app's report (read back from the journal). */
export async function runImport(run: EngineRun): Promise<Record<string, AppImportReport>> {
  const { ctx, journal } = run;
  const progress: JobProgress = {};
  for (const a of run.apps)
    progress[a.app] = { status: 'pending', items: 0, itemsTotal: 0, bytes: 0, bytesTotal: 0 };
  const emit = () => run.onProgress?.(structuredClone(progress));
  const reports: Record<string, AppImportReport> = {};

  const ordered = dependencyOrder(run.apps);
  // Pass 1, for every app before any is written: a new id for every item (kept when the
  // journal already has one), so an item may point at an item of an app imported after it
  // (a document added from a blog names the blog).
  for (const a of ordered) {
    const p = progress[a.app];
    if (p === undefined) continue;
    let batch: JournalItem[] = [];
    for await (const item of a.importer.items(a.reader, ctx)) {
      batch.push({ type: item.type, sourceId: item.sourceId, name: item.name, bytes: item.bytes });
      if (item.synthetic !== true) {
        p.itemsTotal += 1;
        p.bytesTotal += item.bytes;
      }
      if (batch.length >= BATCH) {
        ctx.signal.throwIfAborted();
        await journal.allocateMany(a.app, batch);
        batch = [];
      }
    }
    await journal.allocateMany(a.app, batch);
  }
  emit();

  // Pass 2, app by app in dependency order: prepare, duplicates, write.
  for (const a of ordered) {
    ctx.signal.throwIfAborted();
    const p = progress[a.app];
    if (p === undefined) continue;
    p.status = 'running';
    emit();
    // Items an earlier run of this import settled (resumed after a crash) are not done again.
    const settled = await journal.settled(a.app);
    const window = new ParallelWindow(PARALLEL_ITEMS);
    const done = (item: ImportItem) => {
      if (item.synthetic === true) return;
      p.items += 1;
      p.bytes += item.bytes;
      emit();
    };
    for await (const item of a.importer.items(a.reader, ctx)) {
      ctx.signal.throwIfAborted();
      if (settled.has(itemKey(item))) {
        done(item);
        continue;
      }
      const key = a.importer.parallelKey?.(item);
      if (key === undefined) {
        await window.drain();
        await importItem(a, item, run);
        done(item);
      } else {
        await window.run(`${item.type}\u0000${key}`, item.type, async () => {
          await importItem(a, item, run);
          done(item);
        });
      }
    }
    await window.drain();
    await journal.flush();
    if (!ctx.dryRun) await a.importer.finish?.(ctx);
    const report = await journal.report(a.app);
    const status: AppJobStatus =
      report.failed.length === 0
        ? 'complete'
        : report.imported + report.duplicates === 0
          ? 'failed'
          : 'partial';
    p.status = status;
    if (report.failed.length > 0) p.failed = report.failed.slice(0, 50);
    reports[a.app] = {
      status,
      ...report,
      ...(a.upgradedFrom === undefined ? {} : { upgradedFrom: a.upgradedFrom }),
    };
    emit();
  }
  return reports;
}

async function importItem(a: EngineApp, item: ImportItem, run: EngineRun): Promise<void> {
  const { ctx, journal } = run;
  try {
    let prepared = await a.importer.prepare(item, journal, ctx);
    const warnings = prepared.unresolved.map(() => 'reference_missing');
    const earlier = await journal.earlier(a.app, item);
    const existing = await a.importer.findDuplicate(prepared, ctx, earlier);
    if (existing !== undefined && existing !== prepared.id) {
      if (ctx.duplicates === 'skip') {
        await journal.settle(a.app, item, {
          state: 'duplicate',
          newId: existing,
          ...(item.synthetic === true ? { code: SYNTHETIC } : {}),
        });
        return;
      }
      prepared = a.importer.copy(prepared);
    }
    if (!ctx.dryRun) await a.importer.write(prepared, a.reader, ctx);
    await journal.settle(a.app, item, {
      state: 'written',
      warnings,
      ...(item.synthetic === true ? { code: SYNTHETIC } : {}),
    });
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    const code = itemErrorCode(error);
    run.onItemError?.(a.app, { name: item.name, code }, error);
    await journal.settle(a.app, item, { state: 'failed', code });
  }
}

/**
 * Removes what an import made, last first (children before their parents): undo, and a
 * cancelled or failed import. Returns how many items were removed and kept.
 */
export async function removeImported(
  importers: ReadonlyMap<string, ImportAdapter>,
  journal: ImportJournal,
  ctx: ImportContext,
): Promise<{ removed: number; kept: number }> {
  let removed = 0;
  let kept = 0;
  for await (const entry of journal.undoable()) {
    const importer = importers.get(entry.app);
    if (importer === undefined) continue;
    const outcome = await importer.remove({ type: entry.type, id: entry.newId }, ctx);
    if (outcome === 'kept') kept += 1;
    else if (outcome === 'removed') removed += 1;
    await journal.markRemoved(entry);
  }
  return { removed, kept };
}
