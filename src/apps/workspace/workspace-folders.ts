import { newId, type Clock } from '../../clock.ts';
import { AppError } from '../../errors.ts';
import type { User } from '../../platform/accounts.service.ts';
import type { Platform } from '../../platform/platform.ts';
import { cleanName } from './names.ts';
import type { WorkspaceAccess } from './workspace-access.ts';
import type { DocumentFilter } from './workspace-documents.ts';
import type { WorkspaceRepository, WsFolder } from './workspace.repository.ts';

/** Folders: creating, listing, renaming and moving them (within their owner's tree). */
export class WorkspaceFolders {
  private readonly repo: WorkspaceRepository;
  private readonly access: WorkspaceAccess;
  private readonly clock: Clock;
  private readonly platform: Platform;

  constructor(deps: {
    repo: WorkspaceRepository;
    access: WorkspaceAccess;
    clock: Clock;
    platform: Platform;
  }) {
    this.repo = deps.repo;
    this.access = deps.access;
    this.clock = deps.clock;
    this.platform = deps.platform;
  }

  async createFolder(
    user: User,
    input: { name: string; parentId?: string | null },
  ): Promise<WsFolder> {
    await this.platform.accounts.requireRight(user, 'workspace.create');
    const parent = await this.access.targetFolder(user, input.parentId);
    const now = this.clock.now();
    const id = newId();
    await this.repo.insertFolder({
      id,
      owner_id: parent?.ownerId ?? user.id,
      parent_id: parent?.id ?? null,
      name: cleanName(input.name),
      created_at: now,
      modified_at: now,
    });
    return this.access.requireFolder(user, id);
  }

  async listFolders(
    user: User,
    options: { parentId?: string | null; filter?: DocumentFilter },
  ): Promise<WsFolder[]> {
    if (options.parentId !== undefined && options.parentId !== null) {
      const parent = await this.access.requireFolder(user, options.parentId);
      return this.repo.foldersIn(parent.id);
    }
    const filter = options.filter ?? 'mine';
    switch (filter) {
      case 'mine':
        return this.repo.rootFolders(user.id);
      case 'shared':
        return this.repo.foldersSharedWith(user.id);
      case 'trash':
        return this.repo.trashedFolders(user.id);
      case 'apps':
        return [];
    }
  }

  async updateFolder(
    user: User,
    id: string,
    input: { name?: string; parentId?: string | null },
  ): Promise<WsFolder> {
    const folder = await this.access.requireFolder(
      user,
      id,
      input.parentId === undefined ? 'contrib' : 'owner',
    );
    const set: { name?: string; parent_id?: string | null; modified_at: number } = {
      modified_at: this.clock.now(),
    };
    if (input.name !== undefined) set.name = cleanName(input.name);
    if (input.parentId !== undefined) {
      const parent = await this.access.targetFolder(user, input.parentId);
      if (parent !== null) {
        if (parent.ownerId !== folder.ownerId) {
          throw new AppError(
            'invalid_request',
            "A folder can only move within its owner's folders",
          );
        }
        // No cycles: the new parent may not be the folder itself or one of its descendants.
        if ((await this.repo.ancestorIds(parent.id)).includes(folder.id))
          throw new AppError('invalid_request', 'A folder cannot go inside itself');
      }
      set.parent_id = parent?.id ?? null;
    }
    await this.repo.updateFolder(id, set);
    return this.access.requireFolder(user, id);
  }
}
