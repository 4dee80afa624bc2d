import type { Readable } from 'node:stream';
import type { Insertable } from 'kysely';
import { newId, type Clock } from '../../clock.ts';
import { AppError } from '../../errors.ts';
import type { User } from '../../platform/accounts.service.ts';
import type { Platform } from '../../platform/platform.ts';
import type { QuotaService } from '../../platform/quota.service.ts';
import type { SharingService } from '../../platform/sharing.service.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import { detectContentType } from './content-type.ts';
import { cleanName } from './names.ts';
import { limitAndSniff } from './upload-stream.ts';
import type { WorkspaceAccess } from './workspace-access.ts';
import {
  DOCUMENT_KIND,
  toDocument,
  type DocumentRow,
  type WorkspaceRepository,
  type WsDocument,
} from './workspace.repository.ts';
import type { WsDocumentsTable } from './workspace.schema.ts';

/** Where a document's bytes are kept: derived from its id, so a retried write replaces them. */
export function documentBlobKey(ownerId: string, id: string): string {
  return `workspace/${ownerId}/${id}`;
}

/**
 * Records a document whose bytes are already stored, and charges its owner's quota in the same
 * transaction: both happen or neither (a refused charge, `quota_exceeded`, rolls the row
 * back). A row with this id already there is left as it is and nothing is charged: false.
 */
export async function recordStoredDocument(
  repo: WorkspaceRepository,
  quota: Pick<QuotaService, 'charge'>,
  row: Insertable<WsDocumentsTable>,
): Promise<boolean> {
  return repo.transaction(async (txRepo, tx) => {
    if (!(await txRepo.insertDocumentIfAbsent(row))) return false;
    await quota.charge(tx, row.owner_id, row.size);
    return true;
  });
}

/**
 * Deletes a document for good: its row and the quota it used in one transaction, its shares,
 * then its bytes (after the commit: a crash in between leaves an orphan blob, harmless and
 * sweepable, never a row without its bytes).
 */
export async function deleteStoredDocument(
  deps: {
    repo: WorkspaceRepository;
    quota: Pick<QuotaService, 'release'>;
    sharing: Pick<SharingService, 'unshareAll'>;
    blobs: Pick<BlobStore, 'delete'>;
  },
  row: Pick<DocumentRow, 'id' | 'owner_id' | 'size' | 'blob_key'>,
): Promise<void> {
  await deps.repo.transaction(async (txRepo, tx) => {
    await txRepo.deleteDocument(row.id);
    await deps.quota.release(tx, row.owner_id, row.size);
  });
  await deps.sharing.unshareAll({ ...DOCUMENT_KIND, id: row.id });
  await deps.blobs.delete(row.blob_key);
}

export type DocumentFilter = 'mine' | 'shared' | 'apps' | 'trash';

export interface UploadInput {
  name: string;
  body: Readable;
  folderId?: string | null;
  app?: { source: string; resourceId?: string };
  /** True when the transport cut the body at its own size limit (multipart). */
  truncated?: () => boolean;
}

/** Documents: upload (streamed, typed, on quota), listing, renaming, moving, copying, bytes. */
export class WorkspaceDocuments {
  private readonly repo: WorkspaceRepository;
  private readonly access: WorkspaceAccess;
  private readonly blobs: BlobStore;
  private readonly clock: Clock;
  private readonly platform: Platform;
  private readonly maxUploadBytes: number;

  constructor(deps: {
    repo: WorkspaceRepository;
    access: WorkspaceAccess;
    blobs: BlobStore;
    clock: Clock;
    platform: Platform;
    maxUploadBytes: number;
  }) {
    this.repo = deps.repo;
    this.access = deps.access;
    this.blobs = deps.blobs;
    this.clock = deps.clock;
    this.platform = deps.platform;
    this.maxUploadBytes = deps.maxUploadBytes;
  }

  /**
   * Stores an upload: streamed to the blob store with its size and SHA-256 computed on the way,
   * stopped as soon as it passes the size limit or the owner's remaining quota, typed from its
   * bytes, then recorded with the quota in one transaction. Nothing is left behind on failure.
   */
  async upload(user: User, input: UploadInput): Promise<WsDocument> {
    await this.platform.accounts.requireRight(user, 'workspace.create');
    const name = cleanName(input.name);
    const folder = await this.access.targetFolder(user, input.folderId);
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
    const key = documentBlobKey(ownerId, id);
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
      await recordStoredDocument(this.repo, this.platform.quota, {
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
      });
    } catch (error) {
      await this.blobs.delete(key);
      throw error;
    }
    return this.access.requireDocument(user, id);
  }

  async listDocuments(
    user: User,
    options: { folderId?: string | null; filter?: DocumentFilter },
  ): Promise<WsDocument[]> {
    const filter = options.filter ?? 'mine';
    if (options.folderId !== undefined && options.folderId !== null) {
      // Inside a folder: whoever may read the folder sees its live documents.
      const folder = await this.access.requireFolder(user, options.folderId);
      const trashed = filter === 'trash';
      if (trashed && folder.ownerId !== user.id) return [];
      return this.repo.documentsIn(folder.id, trashed);
    }
    switch (filter) {
      case 'mine':
      case 'apps':
        return this.repo.ownDocuments(user.id, filter);
      case 'trash':
        return this.repo.trashedDocuments(user.id);
      case 'shared':
        return this.repo.documentsSharedWith(user.id);
    }
  }

  async renameDocument(user: User, id: string, name: string): Promise<WsDocument> {
    await this.access.requireDocument(user, id, 'contrib');
    await this.repo.updateDocument(id, { name: cleanName(name), modified_at: this.clock.now() });
    return this.access.requireDocument(user, id);
  }

  async moveDocument(user: User, id: string, folderId: string | null): Promise<WsDocument> {
    const doc = await this.access.requireDocument(user, id, 'owner');
    const folder = await this.access.targetFolder(user, folderId);
    if (folder !== null && folder.ownerId !== doc.ownerId) {
      throw new AppError('invalid_request', "A document can only move within its owner's folders");
    }
    await this.repo.updateDocument(id, {
      folder_id: folder?.id ?? null,
      app_source: null,
      modified_at: this.clock.now(),
    });
    return this.access.requireDocument(user, id);
  }

  /** A copy of the bytes, owned by the user, in one of their folders (counts on their quota). */
  async copyDocument(user: User, id: string, folderId: string | null): Promise<WsDocument> {
    const row = await this.access.documentRow(user, id);
    return this.upload(user, {
      name: row.name,
      body: await this.blobs.get(row.blob_key),
      folderId,
    });
  }

  async contentOf(user: User, id: string): Promise<{ document: WsDocument; blobKey: string }> {
    const row = await this.access.documentRow(user, id);
    return { document: toDocument(row), blobKey: row.blob_key };
  }
}
