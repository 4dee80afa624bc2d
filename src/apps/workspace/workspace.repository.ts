import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { sharedIds } from '../../platform/access.ts';
import type { WsDocumentsTable, WsFoldersTable } from './workspace.schema.ts';

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

export type DocumentRow = Selectable<WsDocumentsTable>;
export type FolderRow = Selectable<WsFoldersTable>;

export function toDocument(r: DocumentRow): WsDocument {
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

export function toFolder(r: FolderRow): WsFolder {
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

/** The workspace's resource kinds as shares name them. */
export const DOCUMENT_KIND = { app: 'workspace', type: 'document' } as const;
export const FOLDER_KIND = { app: 'workspace', type: 'folder' } as const;

/**
 * The Espace documentaire's rows: plain reads and writes, no access rules (those are
 * `workspace-access.ts`'s). Folder trees are read with recursive queries (`UNION` drops rows
 * already seen, so a corrupted, cyclic chain still ends).
 */
export class WorkspaceRepository {
  private readonly db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  /** Runs `fn` in one transaction, with a repository bound to it (and the transaction). */
  async transaction<T>(
    fn: (repo: WorkspaceRepository, trx: Kysely<Database>) => Promise<T>,
  ): Promise<T> {
    return this.db.transaction().execute(async (trx) => fn(new WorkspaceRepository(trx), trx));
  }

  // ---- documents ----------------------------------------------------------------------------

  private documents() {
    return this.db.selectFrom('ws_documents').selectAll().orderBy('name').orderBy('id');
  }

  async documentRow(id: string): Promise<DocumentRow | undefined> {
    return this.db.selectFrom('ws_documents').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Rows of these documents (in one read per chunk of ids), in no particular order. */
  async documentRows(ids: readonly string[]): Promise<DocumentRow[]> {
    const rows: DocumentRow[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      rows.push(
        ...(await this.db
          .selectFrom('ws_documents')
          .selectAll()
          .where('id', 'in', ids.slice(i, i + CHUNK))
          .execute()),
      );
    }
    return rows;
  }

  /** The documents of a folder, live or (`trashed`) in the trash. */
  async documentsIn(folderId: string, trashed: boolean): Promise<WsDocument[]> {
    const rows = await this.documents()
      .where('folder_id', '=', folderId)
      .where('trashed_at', trashed ? 'is not' : 'is', null)
      .execute();
    return rows.map(toDocument);
  }

  /** The user's own live documents at the root (`apps`: those added from inside apps, anywhere). */
  async ownDocuments(ownerId: string, section: 'mine' | 'apps'): Promise<WsDocument[]> {
    let query = this.documents().where('owner_id', '=', ownerId).where('trashed_at', 'is', null);
    query =
      section === 'apps'
        ? query.where('app_source', 'is not', null)
        : query.where('folder_id', 'is', null).where('app_source', 'is', null);
    return (await query.execute()).map(toDocument);
  }

  /** What the user put in the trash themselves (not what a trashed folder carried along). */
  async trashedDocuments(ownerId: string): Promise<WsDocument[]> {
    const rows = await this.documents()
      .where('owner_id', '=', ownerId)
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
              .where('owner_id', '=', ownerId)
              .where('trashed_at', 'is not', null),
          ),
        ]),
      )
      .execute();
    return rows.map(toDocument);
  }

  /** Live documents of others shared with the user themselves (directly or through a group). */
  async documentsSharedWith(userId: string): Promise<WsDocument[]> {
    const rows = await this.documents()
      .where('id', 'in', sharedIds(this.db, userId, DOCUMENT_KIND))
      .where('owner_id', '!=', userId)
      .where('trashed_at', 'is', null)
      .execute();
    return rows.map(toDocument);
  }

  /** Ids of every document in these folders (trashed or not). */
  async documentIdsIn(folderIds: readonly string[]): Promise<string[]> {
    if (folderIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('ws_documents')
      .select('id')
      .where('folder_id', 'in', [...folderIds])
      .execute();
    return rows.map((r) => r.id);
  }

  async insertDocument(row: Insertable<WsDocumentsTable>): Promise<void> {
    await this.db.insertInto('ws_documents').values(row).execute();
  }

  /** Inserts the row unless one with its id exists; true when it was inserted. */
  async insertDocumentIfAbsent(row: Insertable<WsDocumentsTable>): Promise<boolean> {
    const res = await this.db
      .insertInto('ws_documents')
      .values(row)
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /**
   * A live document of the owner with this name and SHA-256 in this folder (null: the root),
   * other than `exceptId`: the same content in the same place.
   */
  async liveDocumentLike(
    ownerId: string,
    folderId: string | null,
    doc: { name: string; sha256: string },
    exceptId: string,
  ): Promise<DocumentRow | undefined> {
    return this.db
      .selectFrom('ws_documents')
      .selectAll()
      .where('owner_id', '=', ownerId)
      .where('folder_id', folderId === null ? 'is' : '=', folderId)
      .where('name', '=', doc.name)
      .where('sha256', '=', doc.sha256)
      .where('trashed_at', 'is', null)
      .where('id', '!=', exceptId)
      .orderBy('id')
      .executeTakeFirst();
  }

  /** Whether the owner has any live document or folder of their own. */
  async hasLiveContent(ownerId: string): Promise<boolean> {
    const live = async (table: 'ws_documents' | 'ws_folders') =>
      (await this.db
        .selectFrom(table)
        .select('id')
        .where('owner_id', '=', ownerId)
        .where('trashed_at', 'is', null)
        .limit(1)
        .executeTakeFirst()) !== undefined;
    return (await live('ws_folders')) || (await live('ws_documents'));
  }

  async updateDocument(id: string, set: Updateable<WsDocumentsTable>): Promise<void> {
    await this.db.updateTable('ws_documents').set(set).where('id', '=', id).execute();
  }

  async deleteDocument(id: string): Promise<void> {
    await this.db.deleteFrom('ws_documents').where('id', '=', id).execute();
  }

  /** Trashes the live documents of these folders (with their folder, not one by one). */
  async trashDocumentsIn(folderIds: readonly string[], at: number, by: string): Promise<void> {
    await this.db
      .updateTable('ws_documents')
      .set({ trashed_at: at, trashed_by: by })
      .where('folder_id', 'in', [...folderIds])
      .where('trashed_at', 'is', null)
      .execute();
  }

  /** Restores the documents these folders carried into the trash (not those trashed alone). */
  async restoreDocumentsIn(folderIds: readonly string[]): Promise<void> {
    await this.db
      .updateTable('ws_documents')
      .set({ trashed_at: null, trashed_by: null })
      .where('folder_id', 'in', [...folderIds])
      .where('former_folder_id', 'is', null)
      .execute();
  }

  // ---- folders ------------------------------------------------------------------------------

  private folders() {
    return this.db.selectFrom('ws_folders').selectAll().orderBy('name').orderBy('id');
  }

  async folderRow(id: string): Promise<FolderRow | undefined> {
    return this.db.selectFrom('ws_folders').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The live subfolders of a folder. */
  async foldersIn(parentId: string): Promise<WsFolder[]> {
    const rows = await this.folders()
      .where('parent_id', '=', parentId)
      .where('trashed_at', 'is', null)
      .execute();
    return rows.map(toFolder);
  }

  /** The user's own live folders at the root. */
  async rootFolders(ownerId: string): Promise<WsFolder[]> {
    const rows = await this.folders()
      .where('owner_id', '=', ownerId)
      .where('parent_id', 'is', null)
      .where('trashed_at', 'is', null)
      .execute();
    return rows.map(toFolder);
  }

  /** The folders the user trashed themselves: those whose parent is not in the trash too. */
  async trashedFolders(ownerId: string): Promise<WsFolder[]> {
    const rows = await this.folders()
      .where('owner_id', '=', ownerId)
      .where('trashed_at', 'is not', null)
      .where((eb) =>
        eb.or([
          eb('parent_id', 'is', null),
          eb(
            'parent_id',
            'not in',
            eb
              .selectFrom('ws_folders as p')
              .select('p.id')
              .where('p.owner_id', '=', ownerId)
              .where('p.trashed_at', 'is not', null),
          ),
        ]),
      )
      .execute();
    return rows.map(toFolder);
  }

  /** Live folders of others shared with the user themselves (directly or through a group). */
  async foldersSharedWith(userId: string): Promise<WsFolder[]> {
    const rows = await this.folders()
      .where('id', 'in', sharedIds(this.db, userId, FOLDER_KIND))
      .where('owner_id', '!=', userId)
      .where('trashed_at', 'is', null)
      .execute();
    return rows.map(toFolder);
  }

  /** The folder and every folder above it, in one read. */
  async ancestorIds(folderId: string): Promise<string[]> {
    const rows = await this.db
      .withRecursive('chain(id, parent_id)', (db) =>
        db
          .selectFrom('ws_folders')
          .select(['id', 'parent_id'])
          .where('id', '=', folderId)
          .union(
            db
              .selectFrom('ws_folders')
              .innerJoin('chain', 'chain.parent_id', 'ws_folders.id')
              .select(['ws_folders.id', 'ws_folders.parent_id']),
          ),
      )
      .selectFrom('chain')
      .select('id')
      .execute();
    return [...new Set(rows.map((r) => r.id))];
  }

  /** The folder and every folder under it (trashed or not), in one read. */
  async subtreeIds(rootId: string): Promise<string[]> {
    const rows = await this.db
      .withRecursive('tree(id)', (db) =>
        db
          .selectFrom('ws_folders')
          .select('id')
          .where('id', '=', rootId)
          .union(
            db
              .selectFrom('ws_folders')
              .innerJoin('tree', 'tree.id', 'ws_folders.parent_id')
              .select('ws_folders.id'),
          ),
      )
      .selectFrom('tree')
      .select('id')
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * The live folders shared with the user (directly or through a group) and the live folders
   * under them, as a subquery of ids: a share on a folder covers its tree.
   */
  private sharedFolderTree(userId: string) {
    return this.db
      .withRecursive('tree(id)', (db) =>
        db
          .selectFrom('ws_folders')
          .select('id')
          .where('id', 'in', sharedIds(this.db, userId, FOLDER_KIND))
          .where('trashed_at', 'is', null)
          .union(
            db
              .selectFrom('ws_folders')
              .innerJoin('tree', 'tree.id', 'ws_folders.parent_id')
              .select('ws_folders.id')
              .where('ws_folders.trashed_at', 'is', null),
          ),
      )
      .selectFrom('tree')
      .select('id');
  }

  async insertFolder(row: Insertable<WsFoldersTable>): Promise<void> {
    await this.db.insertInto('ws_folders').values(row).execute();
  }

  /** Inserts the row unless one with its id exists; true when it was inserted. */
  async insertFolderIfAbsent(row: Insertable<WsFoldersTable>): Promise<boolean> {
    const res = await this.db
      .insertInto('ws_folders')
      .values(row)
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /** A live folder of the owner with this exact name in this parent (null: the root). */
  async liveFolderNamed(
    ownerId: string,
    parentId: string | null,
    name: string,
    exceptId: string,
  ): Promise<FolderRow | undefined> {
    return this.db
      .selectFrom('ws_folders')
      .selectAll()
      .where('owner_id', '=', ownerId)
      .where('parent_id', parentId === null ? 'is' : '=', parentId)
      .where('name', '=', name)
      .where('trashed_at', 'is', null)
      .where('id', '!=', exceptId)
      .orderBy('created_at')
      .orderBy('id')
      .executeTakeFirst();
  }

  /** Whether anything (a folder or a document, trashed or not) is in this folder. */
  async folderHoldsAnything(folderId: string): Promise<boolean> {
    const inside = async (table: 'ws_documents' | 'ws_folders') =>
      (await this.db
        .selectFrom(table)
        .select('id')
        .where(table === 'ws_documents' ? 'folder_id' : 'parent_id', '=', folderId)
        .limit(1)
        .executeTakeFirst()) !== undefined;
    return (await inside('ws_folders')) || (await inside('ws_documents'));
  }

  async updateFolder(id: string, set: Updateable<WsFoldersTable>): Promise<void> {
    await this.db.updateTable('ws_folders').set(set).where('id', '=', id).execute();
  }

  /** Trashes the live folders among these. */
  async trashFolders(ids: readonly string[], at: number, by: string): Promise<void> {
    await this.db
      .updateTable('ws_folders')
      .set({ trashed_at: at, trashed_by: by })
      .where('id', 'in', [...ids])
      .where('trashed_at', 'is', null)
      .execute();
  }

  async restoreFolders(ids: readonly string[]): Promise<void> {
    await this.db
      .updateTable('ws_folders')
      .set({ trashed_at: null, trashed_by: null })
      .where('id', 'in', [...ids])
      .execute();
  }

  async deleteFolders(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .deleteFrom('ws_folders')
      .where('id', 'in', [...ids])
      .execute();
  }

  // ---- export -------------------------------------------------------------------------------

  /**
   * The documents an export takes: the user's own (trashed included), and with `shared` the
   * live documents shared with them, directly or through a folder above.
   */
  private exported(userId: string, shared: boolean) {
    return this.db.selectFrom('ws_documents').where((eb) => {
      const mine = eb('owner_id', '=', userId);
      if (!shared) return mine;
      return eb.or([
        mine,
        eb.and([
          eb('trashed_at', 'is', null),
          eb.or([
            eb('id', 'in', sharedIds(this.db, userId, DOCUMENT_KIND)),
            eb('folder_id', 'in', this.sharedFolderTree(userId)),
          ]),
        ]),
      ]);
    });
  }

  async countExported(userId: string, shared: boolean): Promise<{ items: number; bytes: number }> {
    const row = await this.exported(userId, shared)
      .select((eb) => [eb.fn.countAll<number>().as('items'), eb.fn.sum<number>('size').as('bytes')])
      .executeTakeFirst();
    return { items: Number(row?.items ?? 0), bytes: Number(row?.bytes ?? 0) };
  }

  /**
   * Of `ids` (documents other apps reference), those the export takes beyond its own
   * (`exported`): their number and bytes, read in chunks.
   */
  async countBeyondExported(
    userId: string,
    shared: boolean,
    ids: readonly string[],
  ): Promise<{ items: number; bytes: number }> {
    let items = 0;
    let bytes = 0;
    for (let i = 0; i < ids.length; i += CHUNK) {
      const row = await this.db
        .selectFrom('ws_documents')
        .where('id', 'in', ids.slice(i, i + CHUNK))
        .where('id', 'not in', this.exported(userId, shared).select('id'))
        .select((eb) => [
          eb.fn.countAll<number>().as('items'),
          eb.fn.sum<number>('size').as('bytes'),
        ])
        .executeTakeFirst();
      items += Number(row?.items ?? 0);
      bytes += Number(row?.bytes ?? 0);
    }
    return { items, bytes };
  }

  /** The exported documents, streamed folder by folder. */
  streamExported(userId: string, shared: boolean): AsyncIterable<DocumentRow> {
    return this.exported(userId, shared)
      .selectAll()
      .orderBy('folder_id')
      .orderBy('name')
      .orderBy('id')
      .stream(200);
  }

  /** The user's own folders and (with `shared`) the live trees shared with them. */
  async exportedFolders(userId: string, shared: boolean): Promise<FolderRow[]> {
    return this.db
      .selectFrom('ws_folders')
      .selectAll()
      .where((eb) =>
        shared
          ? eb.or([eb('owner_id', '=', userId), eb('id', 'in', this.sharedFolderTree(userId))])
          : eb('owner_id', '=', userId),
      )
      .execute();
  }
}

/** Ids a bulk read sends at once (well under SQLite's and PostgreSQL's parameter limits). */
const CHUNK = 500;
