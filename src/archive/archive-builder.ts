import { Readable } from 'node:stream';
import type { AppId, AppProgress, FailedItem, JobProgress } from '../contracts/archive.ts';
import type { User } from '../platform/accounts.service.ts';
import type {
  ArchiveAdapter,
  AppExportWriter,
  CountContext,
  ExportContext,
  ExportOptions,
  RecordFile,
} from './adapter.ts';
import { exportOrder } from './app-order.ts';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_FORMAT_VERSION,
  INDEX,
  MANIFEST,
  SIGNATURE,
  type Manifest,
  type ManifestApp,
} from './format.ts';
import { renderIndexHtml } from './index-html.ts';
import type { InstanceKey } from './keys.ts';
import { safeName, shouldCompress, ZipWriter } from './zip-writer.ts';

/**
 * A `CountContext` over `adapters` (those of one export): the union of the documents they
 * reference, computed on the first ask only, so that an export without the workspace pays
 * nothing for it.
 */
export function countContext(
  adapters: readonly ArchiveAdapter[],
  user: User,
  options: ExportOptions,
): CountContext {
  let union: Promise<ReadonlySet<string>> | undefined;
  return {
    referencedDocuments() {
      union ??= (async () => {
        const all = new Set<string>();
        for (const a of adapters) {
          if (a.referencedDocuments === undefined) continue;
          for (const id of await a.referencedDocuments(user, options)) all.add(id);
        }
        return all;
      })();
      return union;
    },
  };
}

export interface BuildArchiveInput {
  exportId: string;
  user: User;
  adapters: readonly ArchiveAdapter[];
  options: ExportOptions;
  key: InstanceKey;
  instance: { name: string; url?: string };
  now: Date;
  signal: AbortSignal;
  /** Called as progress changes (callers throttle their writes). */
  onProgress?(progress: JobProgress): void;
  /** An app's export threw: the archive records `app_failed`, the caller logs the error. */
  onAppError?(app: AppId, error: unknown): void;
  /** An item an app could not write (listed in the archive); the caller logs the cause. */
  onItemError?(app: AppId, item: FailedItem, cause: unknown): void;
}

/** Characters of NDJSON lines gathered before they go to the zip. */
const NDJSON_CHUNK = 64 * 1024;

/** A page an app writes once every app is (`ExportContext.afterApps`). */
type LateWrite = Parameters<NonNullable<ExportContext['afterApps']>>[0];

/**
 * A record as its schema writes it; a record that breaks the schema is a bug of the app's
 * export, which fails that app rather than write an archive its importer would refuse.
 */
function checked(app: string, file: RecordFile, value: unknown): unknown {
  const result = file.schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new Error(
    `${app}/${file.name}: a record breaks its schema at ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`,
  );
}

/**
 * Builds an archive as a stream: each app's folder, then `index.html`, then `manifest.json`
 * (every file with its size and SHA-256) and `manifest.sig` (Ed25519 over the manifest's
 * exact bytes). An app that throws is recorded as failed (`app_failed`) in the manifest; the
 * others go on. An item an app reports with `failed()` costs only that item: the app ends
 * `partial` with the item listed in its progress, its manifest entry and `index.html`.
 * `sink` consumes the zip stream (the blob store, a file) while it is written.
 */
export async function buildArchive<T>(
  input: BuildArchiveInput,
  sink: (zip: Readable) => Promise<T>,
): Promise<{ stored: T; manifest: Manifest; progress: JobProgress }> {
  const zip = new ZipWriter(input.now);
  const stored = sink(zip.output);
  let sinkError: unknown;
  stored.catch((error: unknown) => {
    sinkError = error;
  });
  // If the sink fails (storage down), stop writing rather than wait on a stream nobody reads.
  const sinkFailed = stored.then(
    () => new Promise<never>(() => undefined),
    (error: unknown) => Promise.reject(error instanceof Error ? error : new Error(String(error))),
  );
  // Handled here too: the sink can fail while no write is being guarded (during the counts).
  sinkFailed.catch(() => undefined);
  const guard = <R>(p: Promise<R>) => Promise.race([p, sinkFailed]);
  try {
    const built = await build(input, zip, guard, () => sinkError);
    return { stored: await stored, ...built };
  } catch (error) {
    // The sink's error, when it came first, is the cause (storage down), not the write it cut.
    const cause = sinkError ?? error;
    // A failed build never ends the zip stream: the sink (a blob write and its temp file)
    // would wait on it for ever. Destroyed, the sink fails and cleans up before we return.
    // A sink that already gave up no longer listens: its 'error' must not go uncaught.
    zip.output.on('error', () => undefined);
    zip.output.destroy(new ArchiveAbandoned(error));
    await stored.catch(() => undefined);
    throw cause;
  }
}

/**
 * What the zip stream is destroyed with when the build fails: a sink that sees it as its
 * stream's `errored` knows the failure is not its own (the storage did not fail).
 */
export class ArchiveAbandoned extends Error {
  constructor(cause: unknown) {
    super('The archive was abandoned: its build failed', { cause });
    this.name = 'ArchiveAbandoned';
  }
}

/** Writes every app's folder, `index.html` and the signed manifest into `zip`, then ends it. */
async function build(
  input: BuildArchiveInput,
  zip: ZipWriter,
  guard: <R>(p: Promise<R>) => Promise<R>,
  sinkError: () => unknown,
): Promise<{ manifest: Manifest; progress: JobProgress }> {
  const { user, options, signal } = input;

  const ordered = exportOrder(input.adapters);
  const progress: JobProgress = {};
  const progressOf = new Map<ArchiveAdapter, AppProgress>();
  for (const a of ordered) {
    const p: AppProgress = { status: 'pending', items: 0, itemsTotal: 0, bytes: 0, bytesTotal: 0 };
    progress[a.app] = p;
    progressOf.set(a, p);
  }
  // The totals are what the archive will hold: the workspace's include the documents the
  // other apps of this export reference.
  const refs = countContext(ordered, user, options);
  for (const [a, p] of progressOf) {
    const total = await a.count(user, options, refs).catch(() => ({ items: 0, bytes: 0 }));
    p.itemsTotal = total.items;
    p.bytesTotal = total.bytes;
  }
  input.onProgress?.(progress);

  const referenced = new Set<string>();
  const ctx: ExportContext = {
    user,
    options,
    signal,
    referenceDocuments: (ids) => {
      for (const id of ids) referenced.add(id);
    },
    referencedDocuments: () => referenced,
  };

  const apps: Record<string, ManifestApp> = {};
  // Written once every app is: pages that link the workspace's documents by path.
  const documentPaths = new Map<string, string>();
  const pages = new Map<string, string | undefined>();
  const late: { adapter: ArchiveAdapter; failed: FailedItem[]; write: LateWrite }[] = [];
  const usedFolders = new Set<string>([MANIFEST, SIGNATURE, INDEX].map((n) => n.toLowerCase()));
  for (const [adapter, p] of progressOf) {
    signal.throwIfAborted();
    let folder = safeName(adapter.label);
    for (let i = 2; usedFolders.has(folder.toLowerCase()); i++)
      folder = `${safeName(adapter.label)} (${i})`;
    usedFolders.add(folder.toLowerCase());
    // The app's data files keep their names whatever users named their content (a blog titled
    // "posts.ndjson" must not push the posts aside, where verify and import would not look).
    for (const r of adapter.records) zip.keep(folder, r.name);
    p.status = 'running';
    const failed: FailedItem[] = [];
    input.onProgress?.(progress);
    const writer: AppExportWriter = {
      folder,
      json: async (file, value) =>
        (
          await guard(
            zip.addBuffer(
              zip.reservePath(folder, file.name),
              Buffer.from(
                `${JSON.stringify(checked(adapter.app, file, value), null, 2)}\n`,
                'utf8',
              ),
              { compress: true },
            ),
          )
        ).path,
      ndjson: async (file, rows) => {
        // Lines gathered into chunks: a chunk a row made the stream's cost per row.
        async function* lines() {
          let chunk = '';
          for await (const row of rows) {
            chunk += `${JSON.stringify(checked(adapter.app, file, row))}\n`;
            if (chunk.length >= NDJSON_CHUNK) {
              yield Buffer.from(chunk, 'utf8');
              chunk = '';
            }
          }
          if (chunk !== '') yield Buffer.from(chunk, 'utf8');
        }
        return (
          await guard(
            zip.addStream(zip.reservePath(folder, file.name), Readable.from(lines()), {
              compress: true,
            }),
          )
        ).path;
      },
      text: async (dir, name, content, contentType, page) => {
        const { path } = await guard(
          zip.addBuffer(zip.reservePath(dir, name), Buffer.from(content, 'utf8'), {
            compress: shouldCompress(contentType),
          }),
        );
        // An app's page to read offline (index.html lists it as a page, not as a file).
        if (contentType === 'text/html') pages.set(path, page?.title);
        return path;
      },
      file: async (dir, name, source, meta) => {
        const { path } = await guard(
          zip.addStream(zip.reservePath(dir, name), source, {
            compress: shouldCompress(meta.contentType),
            size: meta.size,
          }),
        );
        if (meta.documentId !== undefined) documentPaths.set(meta.documentId, path);
        return path;
      },
      progress: (delta) => {
        p.items += delta.items ?? 0;
        p.bytes += delta.bytes ?? 0;
        input.onProgress?.(progress);
      },
      failed: (item, cause) => {
        input.onItemError?.(adapter.app, item, cause);
        failed.push({ name: item.name, code: item.code });
        p.failed = failed;
        input.onProgress?.(progress);
      },
    };
    const entry = {
      label: adapter.label,
      folder,
      appVersion: adapter.appVersion,
      dataVersion: adapter.dataVersion,
    };
    try {
      const summary = await adapter.export(
        { ...ctx, afterApps: (write) => late.push({ adapter, failed, write }) },
        writer,
      );
      const status: 'partial' | 'complete' = failed.length > 0 ? 'partial' : 'complete';
      p.status = status;
      apps[adapter.app] = {
        ...entry,
        status,
        ...(failed.length > 0 ? { failed } : {}),
        items: summary.items,
        bytes: summary.bytes,
      };
    } catch (error) {
      // A cancelled export, or a broken zip stream, is not one app's failure.
      if (signal.aborted || sinkError() !== undefined || zip.broken()) throw error;
      input.onAppError?.(adapter.app, error);
      p.status = 'failed';
      p.error = 'app_failed';
      apps[adapter.app] = {
        ...entry,
        status: 'failed',
        error: p.error,
        ...(failed.length > 0 ? { failed } : {}),
        items: p.items,
        bytes: p.bytes,
      };
    }
    input.onProgress?.(progress);
  }

  for (const { adapter, failed, write } of late) {
    signal.throwIfAborted();
    const app = apps[adapter.app];
    const p = progressOf.get(adapter);
    if (app === undefined || p === undefined || app.status === 'failed') continue;
    try {
      const added = await write({ pathOf: (id) => documentPaths.get(id) });
      app.items += added.items;
      app.bytes += added.bytes;
      if (failed.length > 0) {
        app.status = 'partial';
        app.failed = failed;
        p.status = 'partial';
      }
    } catch (error) {
      if (signal.aborted || sinkError() !== undefined || zip.broken()) throw error;
      input.onAppError?.(adapter.app, error);
      p.status = 'failed';
      p.error = 'app_failed';
      apps[adapter.app] = { ...app, status: 'failed', error: 'app_failed' };
    }
    input.onProgress?.(progress);
  }

  const head: Omit<Manifest, 'files'> = {
    format: ARCHIVE_FORMAT,
    formatVersion: ARCHIVE_FORMAT_VERSION,
    instance: {
      name: input.instance.name,
      publicKeyId: input.key.id,
      ...(input.instance.url ? { url: input.instance.url } : {}),
    },
    export: { id: input.exportId, createdAt: input.now.toISOString(), options },
    user: { id: user.id, login: user.login, displayName: user.displayName, profile: user.profile },
    apps,
  };
  await guard(
    zip.addBuffer(INDEX, Buffer.from(renderIndexHtml(head, zip.written(), pages), 'utf8'), {
      compress: true,
    }),
  );
  const manifest: Manifest = { ...head, files: [...zip.written()] };
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  await guard(zip.addBuffer(MANIFEST, manifestBytes, { compress: true, listed: false }));
  await guard(
    zip.addBuffer(SIGNATURE, Buffer.from(`${input.key.sign(manifestBytes)}\n`, 'utf8'), {
      compress: false,
      listed: false,
    }),
  );
  zip.end();
  return { manifest, progress };
}
