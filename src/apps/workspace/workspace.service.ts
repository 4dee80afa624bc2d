import type { Readable } from 'node:stream';
import type { Clock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/database.ts';
import type { User } from '../../platform/accounts.service.ts';
import { AccessReader, type Access } from '../../platform/access.ts';
import type { Platform } from '../../platform/platform.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import { WorkspaceAccess } from './workspace-access.ts';
import {
  WorkspaceDocuments,
  type DocumentFilter,
  type UploadInput,
} from './workspace-documents.ts';
import { WorkspaceFolders } from './workspace-folders.ts';
import { WorkspaceTrash } from './workspace-trash.ts';
import { WorkspaceRepository, type WsDocument, type WsFolder } from './workspace.repository.ts';

export type { DocumentFilter } from './workspace-documents.ts';
export type { WsDocument, WsFolder } from './workspace.repository.ts';

export const WORKSPACE = 'workspace';

/**
 * The Espace documentaire: folders and documents, their bytes in the blob store. The one
 * entry point routes, other apps and Mes Données call; the work is done by its parts
 * (access, documents, folders, trash) over one repository.
 */
export class WorkspaceService {
  private readonly access: WorkspaceAccess;
  private readonly documents: WorkspaceDocuments;
  private readonly folders: WorkspaceFolders;
  private readonly trash: WorkspaceTrash;

  constructor(deps: {
    db: Db;
    blobs: BlobStore;
    clock: Clock;
    platform: Platform;
    config: Pick<Config, 'limits'>;
  }) {
    const repo = new WorkspaceRepository(deps.db.kysely);
    const parts = { ...deps, repo };
    this.access = new WorkspaceAccess({ repo, access: new AccessReader(deps) });
    const withAccess = { ...parts, access: this.access };
    this.documents = new WorkspaceDocuments({
      ...withAccess,
      maxUploadBytes: deps.config.limits.maxUploadBytes,
    });
    this.folders = new WorkspaceFolders(withAccess);
    this.trash = new WorkspaceTrash(withAccess);
  }

  // ---- access -----------------------------------------------------------------------------

  /** The document if the user may act on it with `need`; else 404, so ids cannot be probed. */
  requireDocument(user: User, id: string, need: Access = 'read'): Promise<WsDocument> {
    return this.access.requireDocument(user, id, need);
  }

  requireFolder(user: User, id: string, need: Access = 'read'): Promise<WsFolder> {
    return this.access.requireFolder(user, id, need);
  }

  // ---- documents --------------------------------------------------------------------------

  /** Stores an upload (streamed, size- and quota-limited, typed from its bytes). */
  upload(user: User, input: UploadInput): Promise<WsDocument> {
    return this.documents.upload(user, input);
  }

  /** Internal API for apps: keeps a file added from inside an app (a blog image...). */
  attachAppDocument(
    user: User,
    input: { app: string; resourceId?: string; name: string; body: Readable },
  ): Promise<WsDocument> {
    return this.documents.upload(user, {
      name: input.name,
      body: input.body,
      app: { source: input.app, resourceId: input.resourceId },
    });
  }

  listDocuments(
    user: User,
    options: { folderId?: string | null; filter?: DocumentFilter },
  ): Promise<WsDocument[]> {
    return this.documents.listDocuments(user, options);
  }

  renameDocument(user: User, id: string, name: string): Promise<WsDocument> {
    return this.documents.renameDocument(user, id, name);
  }

  moveDocument(user: User, id: string, folderId: string | null): Promise<WsDocument> {
    return this.documents.moveDocument(user, id, folderId);
  }

  /** A copy of the bytes, owned by the user, in one of their folders (counts on their quota). */
  copyDocument(user: User, id: string, folderId: string | null): Promise<WsDocument> {
    return this.documents.copyDocument(user, id, folderId);
  }

  /** The document and where its bytes are, if the user may read it. */
  contentOf(user: User, id: string): Promise<{ document: WsDocument; blobKey: string }> {
    return this.documents.contentOf(user, id);
  }

  // ---- folders ----------------------------------------------------------------------------

  createFolder(user: User, input: { name: string; parentId?: string | null }): Promise<WsFolder> {
    return this.folders.createFolder(user, input);
  }

  listFolders(
    user: User,
    options: { parentId?: string | null; filter?: DocumentFilter },
  ): Promise<WsFolder[]> {
    return this.folders.listFolders(user, options);
  }

  updateFolder(
    user: User,
    id: string,
    input: { name?: string; parentId?: string | null },
  ): Promise<WsFolder> {
    return this.folders.updateFolder(user, id, input);
  }

  // ---- trash ------------------------------------------------------------------------------

  trashDocument(user: User, id: string): Promise<void> {
    return this.trash.trashDocument(user, id);
  }

  restoreDocument(user: User, id: string): Promise<WsDocument> {
    return this.trash.restoreDocument(user, id);
  }

  /** Deletes for good: the row, its shares, its bytes; the owner's quota is freed. */
  purgeDocument(user: User, id: string): Promise<void> {
    return this.trash.purgeDocument(user, id);
  }

  trashFolder(user: User, id: string): Promise<void> {
    return this.trash.trashFolder(user, id);
  }

  restoreFolder(user: User, id: string): Promise<WsFolder> {
    return this.trash.restoreFolder(user, id);
  }

  purgeFolder(user: User, id: string): Promise<void> {
    return this.trash.purgeFolder(user, id);
  }
}
