import type { Readable } from 'node:stream';
import type { Selectable } from 'kysely';
import { newId, type Clock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/database.ts';
import type { ShareRight, WsDocumentsTable, WsFoldersTable } from '../../db/schema.ts';
import { AppError } from '../../errors.ts';
import type { User } from '../../platform/accounts.service.ts';
import type { Platform } from '../../platform/platform.ts';
import { rightCovers } from '../../platform/sharing.service.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import { detectContentType, SNIFF_BYTES } from './content-type.ts';
import { cleanName } from './names.ts';

export const WORKSPACE = 'workspace';

export interface WsDocument {
  id: string;
  name: string;
  size: number;
  contentType: string;
  sha256: string;
  folderId: string | null;
  ownerId: string;
  createdAt: number;
  modifiedAt: number;
  trashed: boolean;
  appSource: string | null;
}

export interface WsFolder {
  id: string;
  name: string;
  parentId: string | null;
  ownerId: string;
  createdAt: number;
  modifiedAt: number;
  trashed: boolean;
}

export type DocumentFilter = 'mine' | 'shared' | 'apps' | 'trash';

/** Who may do what on a document or folder: its owner, or a share on it or an ancestor. */
export type Access = 'owner' | ShareRight;

function toDocument(r: Selectable<WsDocumentsTable>): WsDocument {
  return {
    id: r.id,
    name: r.name,
    size: r.size,
    contentType: r.content_type,
    sha256: r.sha256,
    folderId: r.folder_id,
    ownerId: r.owner_id,
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
    trashed: r.trashed_at !== null,
    appSource: r.app_source,
  };
}

function toFolder(r: Selectable<WsFoldersTable>): WsFolder {
  return {
    id: r.id,
    name: r.name,
    parentId: r.parent_id,
    ownerId: r.owner_id,
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
    trashed: r.trashed_at !== null,
  };
}

/** Folder trees are shallow in practice; this bounds a walk up a corrupted (cyclic) chain. */
const MAX_DEPTH = 64;

/**
 * Reads `body` through an iterator that stops with `tooBig()` past `limit` bytes and keeps the
 * first bytes for content sniffing. `drain()` reads whatever is left without keeping it, so
 * the HTTP exchange ends with our answer rather than a reset connection.
 */
function limitAndSniff(
  body: Readable,
  limit: number,
  tooBig: () => Error,
): { chunks: AsyncIterable<Uint8Array>; head: () => Uint8Array; drain: () => Promise<void> } {
  // Not for-await: leaving such a loop destroys the source, and the client is still sending.
  const source: AsyncIterator<Uint8Array> = body[Symbol.asyncIterator]();
  const headChunks: Uint8Array[] = [];
  let headBytes = 0;
  let seen = 0;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const next = await source.next();
      if (next.done === true) return;
      const chunk = next.value;
      seen += chunk.length;
      if (seen > limit) throw tooBig();
      if (headBytes < SNIFF_BYTES) {
        headChunks.push(chunk.subarray(0, SNIFF_BYTES - headBytes));
        headBytes += Math.min(chunk.length, SNIFF_BYTES - headBytes);
      }
      yield chunk;
    }
  }
  return {
    chunks: chunks(),
    head: () => Buffer.concat(headChunks),
    async drain() {
      try {
        for (;;) if ((await source.next()).done === true) return;
      } catch {
        // The client went away: nothing left to drain.
      }
    },
  };
}

/** The Espace documentaire: folders and documents, their bytes in the blob store. */
export class WorkspaceService {
  private readonly db: Db;
  private readonly blobs: BlobStore;
  private readonly clock: Clock;
  private readonly platform: Platform;
  private readonly maxUploadBytes: number;

  constructor(deps: {
    db: Db;
    blobs: BlobStore;
    clock: Clock;
    platform: Platform;
    config: Pick<Config, 'limits'>;
  }) {
    this.db = deps.db;
    this.blobs = deps.blobs;
    this.clock = deps.clock;
    this.platform = deps.platform;
    this.maxUploadBytes = deps.config.limits.maxUploadBytes;
  }

  /** The URL other apps put in their HTML to point at a document. */
  static contentUrl(documentId: string): string {
    return `/api/workspace/documents/${documentId}/content`;
  }

  // ---- access -----------------------------------------------------------------------------

  private async folderRow(id: string): Promise<Selectable<WsFoldersTable> | undefined> {
    return this.db.kysely
      .selectFrom('ws_folders')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
  }

  private async documentRow(id: string): Promise<Selectable<WsDocumentsTable> | undefined> {
    return this.db.kysely
      .selectFrom('ws_documents')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** The best right the user holds through shares on this folder or any folder above it. */
  private async inheritedRight(
    userId: string,
    folderId: string | null,
  ): Promise<ShareRight | undefined> {
    let best: ShareRight | undefined;
    let current = folderId;
    for (let depth = 0; current !== null && depth < MAX_DEPTH; depth++) {
      const right = await this.platform.sharing.rightOn(userId, {
        app: WORKSPACE,
        type: 'folder',
        id: current,
      });
      if (right !== undefined && !rightCovers(best, right)) best = right;
      const row = await this.folderRow(current);
      current = row?.parent_id ?? null;
    }
    return best;
  }

  async documentAccess(user: User, row: Selectable<WsDocumentsTable>): Promise<Access | undefined> {
    if (row.owner_id === user.id) return 'owner';
    // Shared content stops being reachable once its owner trashes it.
    if (row.trashed_at !== null) return undefined;
    const direct = await this.platform.sharing.rightOn(user.id, {
      app: WORKSPACE,
      type: 'document',
      id: row.id,
    });
    const inherited = await this.inheritedRight(user.id, row.folder_id);
    if (direct === undefined) return inherited;
    return rightCovers(inherited, direct) ? inherited : direct;
  }

  async folderAccess(user: User, row: Selectable<WsFoldersTable>): Promise<Access | undefined> {
    if (row.owner_id === user.id) return 'owner';
    if (row.trashed_at !== null) return undefined;
    return this.inheritedRight(user.id, row.id);
  }

  /** The document if the user may act on it with `need`; else 404, so ids cannot be probed. */
  async requireDocument(user: User, id: string, need: Access = 'read'): Promise<WsDocument> {
    const row = await this.documentRow(id);
    const access = row === undefined ? undefined : await this.documentAccess(user, row);
    if (row === undefined || access === undefined)
      throw new AppError('not_found', 'Document not found');
    if (!allows(access, need)) throw new AppError('forbidden', 'You may not change this document');
    return toDocument(row);
  }

  async requireFolder(user: User, id: string, need: Access = 'read'): Promise<WsFolder> {
    const row = await this.folderRow(id);
    const access = row === undefined ? undefined : await this.folderAccess(user, row);
    if (row === undefined || access === undefined)
      throw new AppError('not_found', 'Folder not found');
    if (!allows(access, need)) throw new AppError('forbidden', 'You may not change this folder');
    return toFolder(row);
  }

  /** Where new content may go: a folder the user owns or may contribute to, not in the trash. */
  private async targetFolder(
    user: User,
    folderId: string | null | undefined,
  ): Promise<WsFolder | null> {
    if (folderId === null || folderId === undefined) return null;
    const folder = await this.requireFolder(user, folderId, 'contrib');
    if (folder.trashed) throw new AppError('conflict', 'This folder is in the trash');
    return folder;
  }

  // ---- documents --------------------------------------------------------------------------

  /**
   * Stores an upload: streamed to the blob store with its size and SHA-256 computed on the way,
   * stopped as soon as it passes the size limit or the owner's remaining quota, typed from its
   * bytes, then recorded with the quota in one transaction. Nothing is left behind on failure.
   */
  async upload(
    user: User,
    input: {
      name: string;
      body: Readable;
      folderId?: string | null;
      app?: { source: string; resourceId?: string };
      /** True when the transport cut the body at its own size limit (multipart). */
      truncated?: () => boolean;
    },
  ): Promise<WsDocument> {
    await this.platform.accounts.requireRight(user, 'workspace.create');
    const name = cleanName(input.name);
    const folder = await this.targetFolder(user, input.folderId);
    // Content put in someone else's shared folder is theirs: it counts against their quota.
    const ownerId = folder?.ownerId ?? user.id;
    const remaining = await this.platform.quota.remaining(ownerId);
    const limit = Math.min(this.maxUploadBytes, remaining);
    const { chunks, head, drain } = limitAndSniff(input.body, limit, () =>
      remaining < this.maxUploadBytes
        ? new AppError('quota_exceeded', 'Not enough space left for this file')
        : new AppError('payload_too_large', `A file is at most ${this.maxUploadBytes} bytes`),
    );
    const id = newId();
    const key = `workspace/${ownerId}/${id}`;
    const stored = await this.blobs.put(key, chunks).catch(async (error: unknown) => {
      await drain();
      throw error;
    });
    try {
      if (input.truncated?.() === true) {
        throw new AppError('payload_too_large', `A file is at most ${this.maxUploadBytes} bytes`);
      }
      const contentType = await detectContentType(head(), name);
      const now = this.clock.now();
      await this.db.kysely.transaction().execute(async (trx) => {
        await this.platform.quota.charge(trx, ownerId, stored.size);
        await trx
          .insertInto('ws_documents')
          .values({
            id,
            owner_id: ownerId,
            folder_id: folder?.id ?? null,
            name,
            content_type: contentType,
            size: stored.size,
            sha256: stored.sha256,
            blob_key: key,
            created_at: now,
            modified_at: now,
            app_source: input.app?.source ?? null,
            app_resource_id: input.app?.resourceId ?? null,
          })
          .execute();
      });
    } catch (error) {
      await this.blobs.delete(key);
      throw error;
    }
    return this.requireDocument(user, id);
  }

  /** Internal API for apps: keeps a file added from inside an app (a blog image...). */
  async attachAppDocument(
    user: User,
    input: { app: string; resourceId?: string; name: string; body: Readable },
  ): Promise<WsDocument> {
    return this.upload(user, {
      name: input.name,
      body: input.body,
      app: { source: input.app, resourceId: input.resourceId },
    });
  }

  async listDocuments(
    user: User,
    options: { folderId?: string | null; filter?: DocumentFilter },
  ): Promise<WsDocument[]> {
    const filter = options.filter ?? 'mine';
    const base = this.db.kysely
      .selectFrom('ws_documents')
      .selectAll()
      .orderBy('name')
      .orderBy('id');
    if (options.folderId !== undefined && options.folderId !== null) {
      // Inside a folder: whoever may read the folder sees its live documents.
      const folder = await this.requireFolder(user, options.folderId);
      const trashed = filter === 'trash';
      if (trashed && folder.ownerId !== user.id) return [];
      const rows = await base
        .where('folder_id', '=', folder.id)
        .where('trashed_at', trashed ? 'is not' : 'is', null)
        .execute();
      return rows.map(toDocument);
    }
    switch (filter) {
      case 'mine': {
        const rows = await base
          .where('owner_id', '=', user.id)
          .where('folder_id', 'is', null)
          .where('app_source', 'is', null)
          .where('trashed_at', 'is', null)
          .execute();
        return rows.map(toDocument);
      }
      case 'apps': {
        const rows = await base
          .where('owner_id', '=', user.id)
          .where('app_source', 'is not', null)
          .where('trashed_at', 'is', null)
          .execute();
        return rows.map(toDocument);
      }
      case 'trash': {
        // What the user put in the trash themselves (not what a trashed folder carried along).
        const rows = await base
          .where('owner_id', '=', user.id)
          .where('trashed_at', 'is not', null)
          .where((eb) =>
            eb.or([
              eb('folder_id', 'is', null),
              eb(
                'folder_id',
                'not in',
                eb
                  .selectFrom('ws_folders')
                  .select('id')
                  .where('owner_id', '=', user.id)
                  .where('trashed_at', 'is not', null),
              ),
            ]),
          )
          .execute();
        return rows.map(toDocument);
      }
      case 'shared': {
        const shared = await this.platform.sharing.sharedWith(user.id, WORKSPACE, 'document');
        if (shared.length === 0) return [];
        const rows = await base
          .where(
            'id',
            'in',
            shared.map((s) => s.resourceId),
          )
          .where('trashed_at', 'is', null)
          .execute();
        return rows.map(toDocument);
      }
    }
  }

  async renameDocument(user: User, id: string, name: string): Promise<WsDocument> {
    await this.requireDocument(user, id, 'contrib');
    await this.db.kysely
      .updateTable('ws_documents')
      .set({ name: cleanName(name), modified_at: this.clock.now() })
      .where('id', '=', id)
      .execute();
    return this.requireDocument(user, id);
  }

  async moveDocument(user: User, id: string, folderId: string | null): Promise<WsDocument> {
    const doc = await this.requireDocument(user, id, 'owner');
    const folder = await this.targetFolder(user, folderId);
    if (folder !== null && folder.ownerId !== doc.ownerId) {
      throw new AppError('invalid_request', "A document can only move within its owner's folders");
    }
    await this.db.kysely
      .updateTable('ws_documents')
      .set({ folder_id: folder?.id ?? null, app_source: null, modified_at: this.clock.now() })
      .where('id', '=', id)
      .execute();
    return this.requireDocument(user, id);
  }

  /** A copy of the bytes, owned by the user, in one of their folders (counts on their quota). */
  async copyDocument(user: User, id: string, folderId: string | null): Promise<WsDocument> {
    const doc = await this.requireDocument(user, id);
    const row = await this.documentRow(id);
    if (row === undefined) throw new AppError('not_found', 'Document not found');
    return this.upload(user, {
      name: doc.name,
      body: await this.blobs.get(row.blob_key),
      folderId,
    });
  }

  async trashDocument(user: User, id: string): Promise<void> {
    const doc = await this.requireDocument(user, id, 'owner');
    if (doc.trashed) return;
    await this.db.kysely
      .updateTable('ws_documents')
      .set({ trashed_at: this.clock.now(), trashed_by: user.id, former_folder_id: doc.folderId })
      .where('id', '=', id)
      .execute();
  }

  async restoreDocument(user: User, id: string): Promise<WsDocument> {
    const doc = await this.requireDocument(user, id, 'owner');
    const row = await this.documentRow(id);
    let folderId = row?.former_folder_id ?? doc.folderId;
    if (folderId !== null) {
      const folder = await this.folderRow(folderId);
      // Its folder was deleted or is itself in the trash: back to the root.
      if (folder === undefined || folder.trashed_at !== null) folderId = null;
    }
    await this.db.kysely
      .updateTable('ws_documents')
      .set({ trashed_at: null, trashed_by: null, former_folder_id: null, folder_id: folderId })
      .where('id', '=', id)
      .execute();
    return this.requireDocument(user, id);
  }

  /** Deletes for good: the row, its shares, its bytes; the owner's quota is freed. */
  async purgeDocument(user: User, id: string): Promise<void> {
    await this.requireDocument(user, id, 'owner');
    await this.purgeDocuments([id]);
  }

  private async purgeDocuments(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const row = await this.documentRow(id);
      if (row === undefined) continue;
      await this.db.kysely.transaction().execute(async (trx) => {
        await trx.deleteFrom('ws_documents').where('id', '=', id).execute();
        await this.platform.quota.release(trx, row.owner_id, row.size);
      });
      await this.platform.sharing.unshareAll({ app: WORKSPACE, type: 'document', id });
      // After the commit: a crash here leaves an orphan blob (harmless, sweepable), never a row
      // without its bytes.
      await this.blobs.delete(row.blob_key);
    }
  }

  async contentOf(user: User, id: string): Promise<{ document: WsDocument; blobKey: string }> {
    const document = await this.requireDocument(user, id);
    const row = await this.documentRow(id);
    if (row === undefined) throw new AppError('not_found', 'Document not found');
    return { document, blobKey: row.blob_key };
  }

  // ---- folders ----------------------------------------------------------------------------

  async createFolder(
    user: User,
    input: { name: string; parentId?: string | null },
  ): Promise<WsFolder> {
    await this.platform.accounts.requireRight(user, 'workspace.create');
    const parent = await this.targetFolder(user, input.parentId);
    const now = this.clock.now();
    const id = newId();
    await this.db.kysely
      .insertInto('ws_folders')
      .values({
        id,
        owner_id: parent?.ownerId ?? user.id,
        parent_id: parent?.id ?? null,
        name: cleanName(input.name),
        created_at: now,
        modified_at: now,
      })
      .execute();
    return this.requireFolder(user, id);
  }

  async listFolders(
    user: User,
    options: { parentId?: string | null; filter?: DocumentFilter },
  ): Promise<WsFolder[]> {
    const base = this.db.kysely.selectFrom('ws_folders').selectAll().orderBy('name').orderBy('id');
    if (options.parentId !== undefined && options.parentId !== null) {
      const parent = await this.requireFolder(user, options.parentId);
      const rows = await base
        .where('parent_id', '=', parent.id)
        .where('trashed_at', 'is', null)
        .execute();
      return rows.map(toFolder);
    }
    const filter = options.filter ?? 'mine';
    if (filter === 'shared') {
      const shared = await this.platform.sharing.sharedWith(user.id, WORKSPACE, 'folder');
      if (shared.length === 0) return [];
      const rows = await base
        .where(
          'id',
          'in',
          shared.map((s) => s.resourceId),
        )
        .where('trashed_at', 'is', null)
        .execute();
      return rows.map(toFolder);
    }
    if (filter === 'trash') {
      const rows = await base
        .where('owner_id', '=', user.id)
        .where('trashed_at', 'is not', null)
        .where('former_parent_id', 'is not', null)
        .execute();
      const topLevel = await base
        .where('owner_id', '=', user.id)
        .where('trashed_at', 'is not', null)
        .execute();
      // The folders the user trashed themselves: those whose parent is not trashed too.
      const trashedIds = new Set(topLevel.map((r) => r.id));
      const tops = topLevel.filter((r) => r.parent_id === null || !trashedIds.has(r.parent_id));
      return [...new Map([...rows, ...tops].map((r) => [r.id, r])).values()]
        .filter((r) => r.parent_id === null || !trashedIds.has(r.parent_id))
        .map(toFolder);
    }
    if (filter === 'apps') return [];
    const rows = await base
      .where('owner_id', '=', user.id)
      .where('parent_id', 'is', null)
      .where('trashed_at', 'is', null)
      .execute();
    return rows.map(toFolder);
  }

  async updateFolder(
    user: User,
    id: string,
    input: { name?: string; parentId?: string | null },
  ): Promise<WsFolder> {
    const folder = await this.requireFolder(
      user,
      id,
      input.parentId === undefined ? 'contrib' : 'owner',
    );
    const set: { name?: string; parent_id?: string | null; modified_at: number } = {
      modified_at: this.clock.now(),
    };
    if (input.name !== undefined) set.name = cleanName(input.name);
    if (input.parentId !== undefined) {
      const parent = await this.targetFolder(user, input.parentId);
      if (parent !== null) {
        if (parent.ownerId !== folder.ownerId) {
          throw new AppError(
            'invalid_request',
            "A folder can only move within its owner's folders",
          );
        }
        // No cycles: the new parent may not be the folder itself or one of its descendants.
        let current: string | null = parent.id;
        for (let depth = 0; current !== null && depth < MAX_DEPTH; depth++) {
          if (current === folder.id)
            throw new AppError('invalid_request', 'A folder cannot go inside itself');
          current = (await this.folderRow(current))?.parent_id ?? null;
        }
      }
      set.parent_id = parent?.id ?? null;
    }
    await this.db.kysely.updateTable('ws_folders').set(set).where('id', '=', id).execute();
    return this.requireFolder(user, id);
  }

  /** Every folder under `rootId`, itself included. */
  private async subtree(rootId: string): Promise<string[]> {
    const ids = [rootId];
    for (let i = 0; i < ids.length; i++) {
      const children = await this.db.kysely
        .selectFrom('ws_folders')
        .select('id')
        .where('parent_id', '=', ids[i] ?? '')
        .execute();
      ids.push(...children.map((c) => c.id));
    }
    return ids;
  }

  async trashFolder(user: User, id: string): Promise<void> {
    const folder = await this.requireFolder(user, id, 'owner');
    if (folder.trashed) return;
    const ids = await this.subtree(id);
    const now = this.clock.now();
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx
        .updateTable('ws_folders')
        .set({ trashed_at: now, trashed_by: user.id })
        .where('id', 'in', ids)
        .where('trashed_at', 'is', null)
        .execute();
      await trx
        .updateTable('ws_folders')
        .set({ former_parent_id: folder.parentId ?? id })
        .where('id', '=', id)
        .execute();
      await trx
        .updateTable('ws_documents')
        .set({ trashed_at: now, trashed_by: user.id })
        .where('folder_id', 'in', ids)
        .where('trashed_at', 'is', null)
        .execute();
    });
  }

  async restoreFolder(user: User, id: string): Promise<WsFolder> {
    const folder = await this.requireFolder(user, id, 'owner');
    const ids = await this.subtree(id);
    let parentId = folder.parentId;
    if (parentId !== null) {
      const parent = await this.folderRow(parentId);
      if (parent === undefined || parent.trashed_at !== null) parentId = null;
    }
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx
        .updateTable('ws_folders')
        .set({ trashed_at: null, trashed_by: null })
        .where('id', 'in', ids)
        .execute();
      await trx
        .updateTable('ws_folders')
        .set({ parent_id: parentId, former_parent_id: null })
        .where('id', '=', id)
        .execute();
      await trx
        .updateTable('ws_documents')
        .set({ trashed_at: null, trashed_by: null })
        .where('folder_id', 'in', ids)
        .where('former_folder_id', 'is', null)
        .execute();
    });
    return this.requireFolder(user, id);
  }

  async purgeFolder(user: User, id: string): Promise<void> {
    await this.requireFolder(user, id, 'owner');
    const ids = await this.subtree(id);
    const docs = await this.db.kysely
      .selectFrom('ws_documents')
      .select('id')
      .where('folder_id', 'in', ids)
      .execute();
    await this.purgeDocuments(docs.map((d) => d.id));
    for (const folderId of ids)
      await this.platform.sharing.unshareAll({ app: WORKSPACE, type: 'folder', id: folderId });
    await this.db.kysely.deleteFrom('ws_folders').where('id', 'in', ids).execute();
  }
}

function allows(access: Access, need: Access): boolean {
  if (need === 'owner') return access === 'owner';
  return access === 'owner' || rightCovers(access, need);
}
