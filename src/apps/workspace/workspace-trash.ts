import type { Clock } from '../../clock.ts';
import type { User } from '../../platform/accounts.service.ts';
import type { Platform } from '../../platform/platform.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import type { WorkspaceAccess } from './workspace-access.ts';
import { deleteStoredDocument } from './workspace-documents.ts';
import {
  FOLDER_KIND,
  type WorkspaceRepository,
  type WsDocument,
  type WsFolder,
} from './workspace.repository.ts';

/**
 * The trash: only owners trash, restore and purge. A trashed folder carries its tree along
 * (restored with it); a document trashed on its own remembers its folder. Purging deletes for
 * good: rows, shares, bytes, and frees the owner's quota.
 */
export class WorkspaceTrash {
  private readonly repo: WorkspaceRepository;
  private readonly access: WorkspaceAccess;
  private readonly blobs: BlobStore;
  private readonly clock: Clock;
  private readonly platform: Platform;

  constructor(deps: {
    repo: WorkspaceRepository;
    access: WorkspaceAccess;
    blobs: BlobStore;
    clock: Clock;
    platform: Platform;
  }) {
    this.repo = deps.repo;
    this.access = deps.access;
    this.blobs = deps.blobs;
    this.clock = deps.clock;
    this.platform = deps.platform;
  }

  async trashDocument(user: User, id: string): Promise<void> {
    const doc = await this.access.requireDocument(user, id, 'owner');
    if (doc.trashed) return;
    await this.repo.updateDocument(id, {
      trashed_at: this.clock.now(),
      trashed_by: user.id,
      former_folder_id: doc.folderId,
    });
  }

  async restoreDocument(user: User, id: string): Promise<WsDocument> {
    const row = await this.access.documentRow(user, id, 'owner');
    let folderId = row.former_folder_id ?? row.folder_id;
    if (folderId !== null) {
      const folder = await this.repo.folderRow(folderId);
      // Its folder was deleted or is itself in the trash: back to the root.
      if (folder === undefined || folder.trashed_at !== null) folderId = null;
    }
    await this.repo.updateDocument(id, {
      trashed_at: null,
      trashed_by: null,
      former_folder_id: null,
      folder_id: folderId,
    });
    return this.access.requireDocument(user, id);
  }

  /** Deletes for good: the row, its shares, its bytes; the owner's quota is freed. */
  async purgeDocument(user: User, id: string): Promise<void> {
    await this.access.requireDocument(user, id, 'owner');
    await this.purgeDocuments([id]);
  }

  private async purgeDocuments(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const row = await this.repo.documentRow(id);
      if (row === undefined) continue;
      // The bytes go after the row's commit: a crash between leaves an orphan blob (harmless,
      // sweepable), never a row without its bytes.
      await deleteStoredDocument(
        {
          repo: this.repo,
          quota: this.platform.quota,
          sharing: this.platform.sharing,
          blobs: this.blobs,
        },
        row,
      );
    }
  }

  async trashFolder(user: User, id: string): Promise<void> {
    const folder = await this.access.requireFolder(user, id, 'owner');
    if (folder.trashed) return;
    const ids = await this.repo.subtreeIds(id);
    const now = this.clock.now();
    await this.repo.transaction(async (repo) => {
      await repo.trashFolders(ids, now, user.id);
      await repo.updateFolder(id, { former_parent_id: folder.parentId ?? id });
      await repo.trashDocumentsIn(ids, now, user.id);
    });
  }

  async restoreFolder(user: User, id: string): Promise<WsFolder> {
    const folder = await this.access.requireFolder(user, id, 'owner');
    const ids = await this.repo.subtreeIds(id);
    let parentId = folder.parentId;
    if (parentId !== null) {
      const parent = await this.repo.folderRow(parentId);
      if (parent === undefined || parent.trashed_at !== null) parentId = null;
    }
    await this.repo.transaction(async (repo) => {
      await repo.restoreFolders(ids);
      await repo.updateFolder(id, { parent_id: parentId, former_parent_id: null });
      await repo.restoreDocumentsIn(ids);
    });
    return this.access.requireFolder(user, id);
  }

  async purgeFolder(user: User, id: string): Promise<void> {
    await this.access.requireFolder(user, id, 'owner');
    const ids = await this.repo.subtreeIds(id);
    await this.purgeDocuments(await this.repo.documentIdsIn(ids));
    for (const folderId of ids)
      await this.platform.sharing.unshareAll({ ...FOLDER_KIND, id: folderId });
    await this.repo.deleteFolders(ids);
  }
}
