/**
 * Imports the Espace documentaire's folder of an archive (`ImportAdapter`): folders with their
 * tree, documents with their original bytes, names and dates, into the importing user's own
 * workspace. The other apps' importers find the documents their content points at through the
 * id map (`ids.resolve('workspace', { type: 'document', sourceId })`).
 *
 * Where things land:
 * - into a folder "Import du 5 décembre 2026" (item `root`) when the user already has content
 *   at launch, else at the user's root; a folder of that name already at the root is reused;
 * - what was shared with the exporting user into a folder "Partagés avec moi" (item `shared`)
 *   of the import, owned by the importer, with its folder tree;
 * - documents added from inside apps stay app documents; the trash goes back into the trash.
 */
import type { Readable } from 'node:stream';
import type { Insertable } from 'kysely';
import {
  copyName,
  ImportItemError,
  type AppArchiveReader,
  type IdMap,
  type ImportAdapter,
  type ImportContext,
  type ImportItem,
  type PreparedItem,
  type SourceRef,
} from '../../../archive/adapter.ts';
import {
  allocatedId,
  recordProblem,
  type AnalysisProblem,
} from '../../../archive/import/importer-kit.ts';
import { isAppId, type AppId } from '../../../contracts/archive.ts';
import type { Db } from '../../../db/database.ts';
import { AppError } from '../../../errors.ts';
import type { Platform } from '../../../platform/platform.ts';
import type { BlobStore } from '../../../storage/blob-store.ts';
import { detectContentType, SNIFF_BYTES } from '../content-type.ts';
import { cleanName } from '../names.ts';
import {
  deleteStoredDocument,
  documentBlobKey,
  recordStoredDocument,
} from '../workspace-documents.ts';
import { WorkspaceRepository } from '../workspace.repository.ts';
import type { WsDocumentsTable, WsFoldersTable } from '../workspace.schema.ts';
import { SECTIONS } from './page-documents.ts';
import { WORKSPACE_FILES, type DocumentRecord, type FolderRecord } from './workspace.records.ts';

const APP: AppId = 'workspace';
const ROOT: SourceRef = { type: 'root', sourceId: 'root' };
const SHARED: SourceRef = { type: 'shared', sourceId: 'shared' };

/** The item of an app that documents added from inside it belong to (`appResourceId`). */
const APP_RESOURCE_TYPE: Readonly<Partial<Record<AppId, string>>> = {
  blog: 'blog',
  news: 'thread',
  calendar: 'calendar',
  wiki: 'wiki',
};

/** An app name worth keeping on a document ("blog"); anything else is dropped. */
const APP_SOURCE = /^[a-z][a-z0-9_-]{0,63}$/;

/** Where a folder of the archive goes when its parent cannot be its parent. */
type Detached = 'unknown_parent' | 'cycle' | null;

/** An item of the Espace documentaire as read from the archive, ready to be placed. */
export type WorkspaceImportRecord =
  | { kind: 'root' }
  | { kind: 'shared' }
  | { kind: 'folder'; folder: FolderRecord; detached: Detached; parentTrashed: boolean }
  | { kind: 'document'; document: DocumentRecord; folderTrashed: boolean };

/** What `write` stores: a folder's row, or a document's row and where its bytes are. */
export type WorkspaceImportRow =
  | {
      kind: 'folder';
      folder: Insertable<WsFoldersTable>;
      /** Copy policy: the existing folder this one merges into (nothing is written). */
      mergeInto?: string;
    }
  | {
      kind: 'document';
      document: Omit<Insertable<WsDocumentsTable>, 'content_type' | 'blob_key'>;
      /** The file's full path in the archive; null: the archive does not hold its bytes. */
      path: string | null;
    };

/** "Import du 5 décembre 2026": the day the import was launched, in France. */
export function importFolderName(launchedAt: number): string {
  const parts = new Intl.DateTimeFormat('fr-FR', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'Europe/Paris',
  }).formatToParts(launchedAt);
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find((p) => p.type === type)?.value ?? '';
  const day = part('day') === '1' ? '1er' : part('day');
  return `Import du ${day} ${part('month')} ${part('year')}`;
}

/**
 * The folders in write order, parents first (an archive may list children first). A folder
 * whose parent is not in the archive, or that sits on a cycle of parents, is detached: it goes
 * to the top of the import and the broken reference is reported.
 */
export function orderFolders(
  folders: readonly FolderRecord[],
): { folder: FolderRecord; detached: Detached; parentTrashed: boolean }[] {
  const byId = new Map(folders.map((f) => [f.id, f]));
  const depth = new Map<string, number>();
  const detached = new Map<string, Exclude<Detached, null>>();
  for (const start of folders) {
    // Walk up to the root, a folder already placed, an unknown parent or a cycle.
    const path: FolderRecord[] = [];
    const onPath = new Set<string>();
    let above: FolderRecord | undefined = start;
    while (above !== undefined && !depth.has(above.id)) {
      if (onPath.has(above.id)) {
        const at = path.findIndex((f) => f.id === above?.id);
        for (const f of path.slice(at)) {
          detached.set(f.id, 'cycle');
          depth.set(f.id, 0);
        }
        path.length = at;
        break;
      }
      const child: FolderRecord = above;
      path.push(child);
      onPath.add(child.id);
      above = child.parentId === null ? undefined : byId.get(child.parentId);
      if (above === undefined && child.parentId !== null) detached.set(child.id, 'unknown_parent');
    }
    let d = above === undefined ? -1 : (depth.get(above.id) ?? -1);
    for (let i = path.length - 1; i >= 0; i--) {
      const f = path[i];
      if (f !== undefined) depth.set(f.id, ++d);
    }
  }
  return folders
    .map((folder, index) => ({ folder, index, depth: depth.get(folder.id) ?? 0 }))
    .sort((a, b) => a.depth - b.depth || a.index - b.index)
    .map(({ folder }) => {
      const how = detached.get(folder.id) ?? null;
      const parent = folder.parentId === null ? undefined : byId.get(folder.parentId);
      return { folder, detached: how, parentTrashed: how === null && parent?.trashed === true };
    });
}

/** A name as the workspace stores it; one it cannot store costs only its item. */
function importedName(raw: string): string {
  try {
    return cleanName(raw);
  } catch (error) {
    throw new ImportItemError('name_invalid', 'This name cannot be used', { cause: error });
  }
}

/**
 * The bytes of an archive entry, at most `size` of them, with the first ones kept to tell the
 * type: any failure of the entry (its bytes differ from the manifest's) is `document_corrupt`,
 * while a failure of the store stays what it is.
 */
function checkedBytes(stream: Readable, size: number, name: string) {
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let seen = 0;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      const source: AsyncIterable<unknown> = stream;
      for await (const chunk of source) {
        if (!(chunk instanceof Uint8Array)) throw new Error(`${name}: not bytes`);
        seen += chunk.length;
        if (seen > size) throw new Error(`${name}: larger than its record says`);
        if (headBytes < SNIFF_BYTES) {
          head.push(chunk.subarray(0, SNIFF_BYTES - headBytes));
          headBytes += Math.min(chunk.length, SNIFF_BYTES - headBytes);
        }
        yield chunk;
      }
    } catch (error) {
      stream.destroy();
      throw new ImportItemError('document_corrupt', `${name}: its bytes are damaged`, {
        cause: error,
      });
    }
  }
  return { chunks: chunks(), head: () => Buffer.concat(head) };
}

/**
 * Room left in each running import's user quota: read once, then counted down as documents
 * are stored (several at a time), so that a document costs no read of the quota. The charge
 * in each document's transaction stays the rule (exact, conditional); this only spares the
 * write of bytes that could not be charged. Read again whenever a document seems not to fit:
 * the user may have freed space meanwhile.
 */
class QuotaRoom {
  readonly #quota: Pick<Platform['quota'], 'remaining'>;
  readonly #rooms = new Map<string, { left: number; inFlight: number }>();

  constructor(quota: Pick<Platform['quota'], 'remaining'>) {
    this.#quota = quota;
  }

  /** Whether `bytes` seem to fit; if so they are held until `release`. */
  async reserve(ctx: ImportContext, bytes: number): Promise<boolean> {
    let room = this.#rooms.get(ctx.importId);
    if (room === undefined || room.left < bytes) {
      const remaining = await this.#quota.remaining(ctx.user.id);
      room = this.#rooms.get(ctx.importId) ?? { left: 0, inFlight: 0 };
      // Bytes held by documents being stored are not charged yet.
      room.left = remaining - room.inFlight;
      if (!this.#rooms.has(ctx.importId) && this.#rooms.size >= 1000) this.#rooms.clear();
      this.#rooms.set(ctx.importId, room);
    }
    if (bytes > room.left) return false;
    room.left -= bytes;
    room.inFlight += bytes;
    return true;
  }

  /** The document is stored and charged, or not (its bytes are room again). */
  release(ctx: ImportContext, bytes: number, charged: boolean): void {
    const room = this.#rooms.get(ctx.importId);
    if (room === undefined) return;
    room.inFlight -= bytes;
    if (!charged) room.left += bytes;
  }

  forget(ctx: ImportContext): void {
    this.#rooms.delete(ctx.importId);
  }
}

/**
 * The Espace documentaire's importer. Writes go through the repository (no notification);
 * a document's bytes are kept under a key made from its new id and its row is recorded with
 * the quota charge in one transaction, so a retried write replaces the bytes and charges once.
 */
export function workspaceImporter(deps: {
  db: Db;
  blobs: BlobStore;
  platform: Pick<Platform, 'quota' | 'sharing'>;
}): ImportAdapter<WorkspaceImportRecord, WorkspaceImportRow> {
  const { blobs } = deps;
  const repo = new WorkspaceRepository(deps.db.kysely);
  const { quota, sharing } = deps.platform;
  const room = new QuotaRoom(quota);

  /** Whether the import goes into a folder "Import du …": decided once, at launch. */
  const intoImportFolder = (ctx: ImportContext) =>
    ctx.memo('workspace.root', () => repo.hasLiveContent(ctx.user.id));

  /** Whether the archive holds anything shared with the exporting user. */
  const holdsShared = (src: AppArchiveReader, ctx: ImportContext, folders: FolderRecord[]) =>
    ctx.memo('workspace.shared', async () => {
      if (folders.some((f) => !f.owned)) return true;
      if (!src.has(WORKSPACE_FILES.documents)) return false;
      for await (const { record } of src.ndjson(WORKSPACE_FILES.documents))
        if (!record.owned) return true;
      return false;
    });

  const readFolders = async (src: AppArchiveReader): Promise<FolderRecord[]> =>
    src.has(WORKSPACE_FILES.folders) ? src.json(WORKSPACE_FILES.folders) : [];

  // Under the copy policy a folder that already exists (same name, same place) is not copied
  // but merged: `findDuplicate` notes which folder, `write` keeps it in the import's memo
  // instead of making a folder, and whoever goes into the folder goes into that one.
  const mergeTargets = new WeakMap<PreparedItem<WorkspaceImportRow>, string>();
  const mergedKey = (id: string) => `workspace.merged.${id}`;
  const placed = new Map<string, string>();

  /** Where what goes into the folder the import allocated `id` for goes. */
  async function folderTarget(id: string, ctx: ImportContext): Promise<string> {
    if (ctx.duplicates !== 'copy' || ctx.dryRun) return id;
    const key = `${ctx.importId}/${id}`;
    const known = placed.get(key);
    if (known !== undefined) return known;
    // Written: itself; else merged (its parent is written before its children are prepared).
    const target =
      (await repo.folderRow(id)) !== undefined
        ? id
        : String(await ctx.memo(mergedKey(id), () => Promise.resolve(id)));
    if (placed.size >= 10_000) placed.clear();
    placed.set(key, target);
    return target;
  }

  const resolveFolder = async (ids: IdMap, ref: SourceRef, ctx: ImportContext) => {
    const id = await ids.resolve(APP, ref);
    return id === undefined ? undefined : folderTarget(id, ctx);
  };
  /** The folder the import puts things in at the top: its "Import du …" folder, or the root. */
  const topFolder = async (ids: IdMap, ctx: ImportContext) =>
    (await resolveFolder(ids, ROOT, ctx)) ?? null;
  /** Where what was shared with the exporting user goes. */
  const sharedFolder = async (ids: IdMap, ctx: ImportContext) =>
    (await resolveFolder(ids, SHARED, ctx)) ?? topFolder(ids, ctx);

  const folderRow = (
    id: string,
    ctx: ImportContext,
    values: { name: string; parentId: string | null; createdAt: number; modifiedAt: number },
  ): Insertable<WsFoldersTable> => ({
    id,
    owner_id: ctx.user.id,
    parent_id: values.parentId,
    name: values.name,
    created_at: values.createdAt,
    modified_at: values.modifiedAt,
  });

  async function prepareFolder(
    item: ImportItem<WorkspaceImportRecord>,
    record: Extract<WorkspaceImportRecord, { kind: 'folder' }>,
    id: string,
    ids: IdMap,
    ctx: ImportContext,
  ): Promise<PreparedItem<WorkspaceImportRow>> {
    const f = record.folder;
    const top = f.owned ? await topFolder(ids, ctx) : await sharedFolder(ids, ctx);
    const unresolved: SourceRef[] = [];
    let parentId = top;
    if (f.parentId !== null) {
      const parent =
        record.detached === null
          ? await resolveFolder(ids, { type: 'folder', sourceId: f.parentId }, ctx)
          : undefined;
      if (parent === undefined) unresolved.push({ type: 'folder', sourceId: f.parentId });
      else parentId = parent;
    }
    const row = folderRow(id, ctx, {
      name: importedName(f.name),
      parentId,
      createdAt: Date.parse(f.createdAt),
      modifiedAt: Date.parse(f.modifiedAt),
    });
    if (f.trashed) {
      row.trashed_at = ctx.launchedAt;
      row.trashed_by = ctx.user.id;
      // The folder the user trashed remembers where it was; those it carried along do not.
      row.former_parent_id =
        record.parentTrashed && unresolved.length === 0 ? null : (parentId ?? id);
    }
    return { ...item, id, row: { kind: 'folder', folder: row }, unresolved };
  }

  async function prepareDocument(
    item: ImportItem<WorkspaceImportRecord>,
    record: Extract<WorkspaceImportRecord, { kind: 'document' }>,
    id: string,
    ids: IdMap,
    ctx: ImportContext,
  ): Promise<PreparedItem<WorkspaceImportRow>> {
    const d = record.document;
    const owned = d.owned;
    // Shared documents become the importer's own, plain documents of "Partagés avec moi".
    const appSource =
      owned && d.appSource !== null && APP_SOURCE.test(d.appSource) ? d.appSource : null;
    const top = !owned
      ? await sharedFolder(ids, ctx)
      : appSource !== null && !d.trashed
        ? null // app documents are listed by app, not in a folder: they stay out of the tree
        : await topFolder(ids, ctx);
    const unresolved: SourceRef[] = [];
    let folderId = top;
    let inTrashedFolder = false;
    if (d.folderId !== null) {
      const folder = await resolveFolder(ids, { type: 'folder', sourceId: d.folderId }, ctx);
      if (folder === undefined) unresolved.push({ type: 'folder', sourceId: d.folderId });
      else {
        folderId = folder;
        inTrashedFolder = record.folderTrashed;
      }
    }
    let appResourceId: string | null = null;
    if (appSource !== null && d.appResourceId !== null && isAppId(appSource)) {
      const type = APP_RESOURCE_TYPE[appSource];
      // Apps are imported after the workspace: what cannot be resolved yet stays unknown.
      if (type !== undefined)
        appResourceId = (await ids.resolve(appSource, { type, sourceId: d.appResourceId })) ?? null;
    }
    const trashed = owned && d.trashed;
    return {
      ...item,
      id,
      row: {
        kind: 'document',
        document: {
          id,
          owner_id: ctx.user.id,
          folder_id: folderId,
          name: importedName(d.name),
          size: d.size,
          sha256: d.sha256,
          created_at: Date.parse(d.createdAt),
          modified_at: Date.parse(d.modifiedAt),
          trashed_at: trashed ? ctx.launchedAt : null,
          trashed_by: trashed ? ctx.user.id : null,
          // Trashed alone, it remembers its folder; carried along by its folder, it does not.
          former_folder_id: trashed && !inTrashedFolder ? folderId : null,
          app_source: appSource,
          app_resource_id: appResourceId,
        },
        path: d.path,
      },
      unresolved,
    };
  }

  async function writeDocument(
    item: PreparedItem<WorkspaceImportRow>,
    row: Extract<WorkspaceImportRow, { kind: 'document' }>,
    src: AppArchiveReader,
    ctx: ImportContext,
  ): Promise<void> {
    const doc = row.document;
    // Only the app's own folder holds its documents' bytes.
    if (row.path === null || !row.path.startsWith(`${src.folder}/`)) {
      if ((await repo.documentRow(item.id)) !== undefined) return;
      throw new ImportItemError('document_missing', `${doc.name}: not in the archive`);
    }
    if (!(await room.reserve(ctx, doc.size))) {
      // Written by an earlier attempt (its quota charged then): done.
      if ((await repo.documentRow(item.id)) !== undefined) return;
      throw new ImportItemError('quota_exceeded', `Not enough space: ${doc.size} bytes needed`);
    }
    let charged = false;
    try {
      let entry: { size: number; stream: Readable };
      try {
        entry = await src.open(row.path);
      } catch (error) {
        ctx.signal.throwIfAborted();
        throw new ImportItemError('document_missing', `${doc.name}: not in the archive`, {
          cause: error,
        });
      }
      if (entry.size !== doc.size) {
        entry.stream.destroy();
        throw new ImportItemError('document_corrupt', `${doc.name}: its size is not the record's`);
      }
      const key = documentBlobKey(ctx.user.id, item.id);
      const bytes = checkedBytes(entry.stream, doc.size, doc.name);
      // No read of the row first: on a first run it is never there, and a resumed import
      // writes again the same bytes under the same key, then its row is found (not charged
      // twice). The bytes are checked twice as they pass, against the signed manifest by the
      // reader, and here against the record by the store's own hash.
      try {
        const stored = await blobs.put(key, bytes.chunks, { signal: ctx.signal });
        if (stored.size !== doc.size || stored.sha256 !== doc.sha256)
          throw new ImportItemError(
            'document_corrupt',
            `${doc.name}: its bytes are not the record's`,
          );
        charged = await recordStoredDocument(repo, quota, {
          ...doc,
          // Typed from its bytes, as an upload is: what the archive claims is not trusted.
          content_type: await detectContentType(bytes.head(), doc.name),
          blob_key: key,
        });
      } catch (error) {
        entry.stream.destroy();
        // Its row may have been written by an earlier attempt: then the bytes are its own.
        if ((await repo.documentRow(item.id)) === undefined) await blobs.delete(key);
        if (error instanceof AppError && error.code === 'quota_exceeded')
          throw new ImportItemError('quota_exceeded', error.message, { cause: error });
        throw error;
      }
    } finally {
      room.release(ctx, doc.size, charged);
    }
  }

  return {
    async analyze(src) {
      const counts = { folder: 0, document: 0 };
      let bytes = 0;
      const problems: AnalysisProblem[] = [];
      const folders = `${src.folder}/${WORKSPACE_FILES.folders.name}`;
      const documents = `${src.folder}/${WORKSPACE_FILES.documents.name}`;
      try {
        counts.folder = (await readFolders(src)).length;
      } catch (error) {
        problems.push(recordProblem(error, folders));
      }
      try {
        if (src.has(WORKSPACE_FILES.documents)) {
          for await (const { record } of src.ndjson(WORKSPACE_FILES.documents)) {
            counts.document += 1;
            if (record.path !== null) bytes += record.size;
          }
        }
      } catch (error) {
        problems.push(recordProblem(error, documents));
      }
      return { counts, bytes, problems };
    },

    async *items(src, ctx) {
      const folders = await readFolders(src);
      if (await intoImportFolder(ctx))
        yield {
          ...ROOT,
          name: importFolderName(ctx.launchedAt),
          bytes: 0,
          record: { kind: 'root' },
          synthetic: true,
        };
      if (await holdsShared(src, ctx, folders))
        yield {
          ...SHARED,
          name: SECTIONS.shared,
          bytes: 0,
          record: { kind: 'shared' },
          synthetic: true,
        };
      const trashedFolders = new Set<string>();
      for (const placed of orderFolders(folders)) {
        if (placed.folder.trashed) trashedFolders.add(placed.folder.id);
        yield {
          type: 'folder',
          sourceId: placed.folder.id,
          name: placed.folder.name,
          bytes: 0,
          record: { kind: 'folder', ...placed },
        };
      }
      if (!src.has(WORKSPACE_FILES.documents)) return;
      for await (const { record } of src.ndjson(WORKSPACE_FILES.documents)) {
        yield {
          type: 'document',
          sourceId: record.id,
          name: record.name,
          // Only bytes the archive holds are stored (and charged).
          bytes: record.path === null ? 0 : record.size,
          record: {
            kind: 'document',
            document: record,
            folderTrashed: record.folderId !== null && trashedFolders.has(record.folderId),
          },
        };
      }
    },

    async prepare(item, ids, ctx) {
      const id = await allocatedId(APP, item, ids);
      const record = item.record;
      switch (record.kind) {
        case 'root':
          return {
            ...item,
            id,
            row: {
              kind: 'folder',
              folder: folderRow(id, ctx, {
                name: importFolderName(ctx.launchedAt),
                parentId: null,
                createdAt: ctx.launchedAt,
                modifiedAt: ctx.launchedAt,
              }),
            },
            unresolved: [],
          };
        case 'shared':
          return {
            ...item,
            id,
            row: {
              kind: 'folder',
              folder: folderRow(id, ctx, {
                name: SECTIONS.shared,
                parentId: await topFolder(ids, ctx),
                createdAt: ctx.launchedAt,
                modifiedAt: ctx.launchedAt,
              }),
            },
            unresolved: [],
          };
        case 'folder':
          return prepareFolder(item, record, id, ids, ctx);
        case 'document':
          return prepareDocument(item, record, id, ids, ctx);
      }
    },

    async findDuplicate(item, ctx, earlier) {
      const userId = ctx.user.id;
      const others = earlier.filter((id) => id !== item.id);
      const row = item.row;
      switch (row.kind) {
        case 'folder': {
          const folder = row.folder;
          const live = folder.trashed_at === undefined || folder.trashed_at === null;
          // The "Import du …" and "Partagés avec moi" folders of an earlier import are not
          // this import's: only a folder of the same name in the same place is reused.
          const existing = await (async () => {
            if (item.type === 'folder') {
              for (const id of others) {
                const found = await repo.folderRow(id);
                if (found?.owner_id === userId && (!live || found.trashed_at === null)) return id;
              }
            }
            if (!live) return undefined;
            const parentId = folder.parent_id ?? null;
            return (await repo.liveFolderNamed(userId, parentId, folder.name, item.id))?.id;
          })();
          if (existing !== undefined) mergeTargets.set(item, existing);
          return existing;
        }
        case 'document': {
          const doc = row.document;
          const live = doc.trashed_at === undefined || doc.trashed_at === null;
          for (const id of others) {
            const found = await repo.documentRow(id);
            // A live item is not the copy an earlier import made that the user since trashed.
            if (found?.owner_id === userId && (!live || found.trashed_at === null)) return id;
          }
          if (!live) return undefined;
          const folderId = doc.folder_id ?? null;
          return (await repo.liveDocumentLike(userId, folderId, doc, item.id))?.id;
        }
      }
    },

    copy(item) {
      const row = item.row;
      switch (row.kind) {
        // A folder is not copied: it merges into the one found (see `folderTarget`).
        case 'folder': {
          const target = mergeTargets.get(item);
          return target === undefined ? item : { ...item, row: { ...row, mergeInto: target } };
        }
        case 'document':
          return {
            ...item,
            name: copyName(item.name),
            row: { ...row, document: { ...row.document, name: copyName(row.document.name) } },
          };
      }
    },

    async write(item, src, ctx) {
      const row = item.row;
      switch (row.kind) {
        case 'folder':
          if (row.mergeInto !== undefined) {
            const into = row.mergeInto;
            await ctx.memo(mergedKey(item.id), () => Promise.resolve(into));
            return;
          }
          await repo.insertFolderIfAbsent(row.folder);
          if (item.type === 'root' || item.type === 'shared')
            await ctx.memo(`workspace.${item.type}Id`, () => Promise.resolve(item.id));
          return;
        case 'document':
          return writeDocument(item, row, src, ctx);
      }
    },

    async remove(item, ctx) {
      if (item.type === 'document') {
        const row = await repo.documentRow(item.id);
        if (row === undefined || row.owner_id !== ctx.user.id) {
          // Bytes a write stored before it was stopped short of its row.
          await blobs.delete(documentBlobKey(ctx.user.id, item.id));
          return 'missing';
        }
        await deleteStoredDocument({ repo, quota, sharing, blobs }, row);
        return 'removed';
      }
      const folder = await repo.folderRow(item.id);
      if (folder === undefined || folder.owner_id !== ctx.user.id) return 'missing';
      // The engine removed what the import put in it first: what is left the user added.
      if (await repo.folderHoldsAnything(item.id)) return 'kept';
      await sharing.unshareAll({ app: APP, type: 'folder', id: item.id });
      await repo.deleteFolders([item.id]);
      return 'removed';
    },

    // Documents are written several at a time (their bytes wait on the disk); two of the same
    // name in the same folder one after the other, so the second sees the first.
    parallelKey: (item) =>
      item.record.kind === 'document'
        ? `${item.record.document.section}\u0000${item.record.document.folderId ?? ''}\u0000${item.record.document.name}`
        : undefined,

    async finish(ctx) {
      room.forget(ctx);
      // The "Partagés avec moi" and "Import du …" folders this import made and left empty
      // (everything was a duplicate, or failed) are not left behind.
      for (const type of ['shared', 'root'] as const) {
        const id = await ctx.memo(`workspace.${type}Id`, () => Promise.resolve(null));
        if (id === null) continue;
        const folder = await repo.folderRow(String(id));
        if (folder === undefined || folder.owner_id !== ctx.user.id) continue;
        if (await repo.folderHoldsAnything(folder.id)) continue;
        await repo.deleteFolders([folder.id]);
      }
    },
  };
}
