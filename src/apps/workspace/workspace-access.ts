import { AppError } from '../../errors.ts';
import type { User } from '../../platform/accounts.service.ts';
import { allows, type Access, type AccessReader } from '../../platform/access.ts';
import type { ShareRight } from '../../db/schema.ts';
import {
  DOCUMENT_KIND,
  FOLDER_KIND,
  toDocument,
  toFolder,
  type DocumentRow,
  type FolderRow,
  type WorkspaceRepository,
  type WsDocument,
  type WsFolder,
} from './workspace.repository.ts';

function best(rights: Iterable<ShareRight | undefined>): ShareRight | undefined {
  let held: ShareRight | undefined;
  for (const right of rights) if (right !== undefined && !allows(held, right)) held = right;
  return held;
}

/**
 * Who may do what in the workspace: the platform's access model (owner, else the best share
 * right held) plus the workspace's own rule that a share on a folder covers its whole tree.
 * Shared content stops being reachable once its owner trashes it. Unknown and unreachable
 * items are both not_found, so ids cannot be probed.
 */
export class WorkspaceAccess {
  private readonly repo: WorkspaceRepository;
  private readonly reader: AccessReader;

  constructor(deps: { repo: WorkspaceRepository; access: AccessReader }) {
    this.repo = deps.repo;
    this.reader = deps.access;
  }

  /** The best right the user holds through shares on this folder or any folder above it. */
  private async inheritedRight(
    userId: string,
    folderId: string | null,
  ): Promise<ShareRight | undefined> {
    if (folderId === null) return undefined;
    const chain = await this.repo.ancestorIds(folderId);
    return best((await this.reader.sharedRights(userId, FOLDER_KIND, chain)).values());
  }

  async documentAccess(user: User, row: DocumentRow): Promise<Access | undefined> {
    if (row.owner_id === user.id) return 'owner';
    if (row.trashed_at !== null) return undefined;
    const direct = (await this.reader.sharedRights(user.id, DOCUMENT_KIND, [row.id])).get(row.id);
    return best([direct, await this.inheritedRight(user.id, row.folder_id)]);
  }

  async folderAccess(user: User, row: FolderRow): Promise<Access | undefined> {
    if (row.owner_id === user.id) return 'owner';
    if (row.trashed_at !== null) return undefined;
    return this.inheritedRight(user.id, row.id);
  }

  /** The document's row if the user may act on it with `need`; else not_found or forbidden. */
  async documentRow(user: User, id: string, need: Access = 'read'): Promise<DocumentRow> {
    const row = await this.repo.documentRow(id);
    const access = row === undefined ? undefined : await this.documentAccess(user, row);
    if (row === undefined || access === undefined)
      throw new AppError('not_found', 'Document not found');
    if (!allows(access, need)) throw new AppError('forbidden', 'You may not change this document');
    return row;
  }

  async requireDocument(user: User, id: string, need: Access = 'read'): Promise<WsDocument> {
    return toDocument(await this.documentRow(user, id, need));
  }

  async requireFolder(user: User, id: string, need: Access = 'read'): Promise<WsFolder> {
    const row = await this.repo.folderRow(id);
    const access = row === undefined ? undefined : await this.folderAccess(user, row);
    if (row === undefined || access === undefined)
      throw new AppError('not_found', 'Folder not found');
    if (!allows(access, need)) throw new AppError('forbidden', 'You may not change this folder');
    return toFolder(row);
  }

  /** Where new content may go: a folder the user owns or may contribute to, not in the trash. */
  async targetFolder(user: User, folderId: string | null | undefined): Promise<WsFolder | null> {
    if (folderId === null || folderId === undefined) return null;
    const folder = await this.requireFolder(user, folderId, 'contrib');
    if (folder.trashed) throw new AppError('conflict', 'This folder is in the trash');
    return folder;
  }
}
