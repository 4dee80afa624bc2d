import type { Readable } from 'node:stream';
import type { Selectable } from 'kysely';
import type {
  ArchiveAdapter,
  ExportContext,
  ExportOptions,
  AppExportWriter,
} from '../../../archive/adapter.ts';
import type { Db } from '../../../db/database.ts';
import type { WsDocumentsTable } from '../../../db/schema.ts';
import type { User } from '../../../platform/accounts.service.ts';
import type { Platform } from '../../../platform/platform.ts';
import type { BlobStore } from '../../../storage/blob-store.ts';
import { WORKSPACE } from '../workspace.service.ts';

/** Documents opened ahead of the one being written. */
const PREFETCH = 8;

/** The four sections of an exported Espace documentaire, as users know them. */
export const SECTIONS = {
  mine: 'Mes documents',
  shared: 'Partagés avec moi',
  apps: 'Ajoutés dans les applis',
  trash: 'Corbeille',
} as const;
export type Section = keyof typeof SECTIONS;

interface FolderNode {
  id: string;
  name: string;
  parentId: string | null;
  ownerId: string;
  trashed: boolean;
  createdAt: number;
  modifiedAt: number;
}

/**
 * Exports the Espace documentaire: every document in its original bytes and name under the
 * four sections and its folder tree, and `folders.json` + `documents.ndjson` mapping each
 * id to its real name and its path in the archive (which other apps' references go through).
 */
export function workspaceArchiveAdapter(deps: {
  db: Db;
  blobs: BlobStore;
  platform: Platform;
}): ArchiveAdapter {
  const { db, blobs, platform } = deps;

  /** Ids of folders shared with the user, and everything under them. */
  async function sharedFolderIds(user: User): Promise<Set<string>> {
    const roots = (await platform.sharing.sharedWith(user.id, WORKSPACE, 'folder')).map(
      (s) => s.resourceId,
    );
    const ids = new Set<string>();
    let frontier = roots;
    while (frontier.length > 0) {
      const rows = await db.kysely
        .selectFrom('ws_folders')
        .select('id')
        .where('trashed_at', 'is', null)
        .where((eb) => eb.or([eb('id', 'in', frontier), eb('parent_id', 'in', frontier)]))
        .execute();
      frontier = rows.map((r) => r.id).filter((id) => !ids.has(id));
      for (const id of frontier) ids.add(id);
    }
    return ids;
  }

  function documentsQuery(
    user: User,
    options: ExportOptions,
    shared: { folders: string[]; docs: string[] },
  ) {
    return db.kysely
      .selectFrom('ws_documents')
      .selectAll()
      .where((eb) => {
        const mine = eb('owner_id', '=', user.id);
        if (!options.includeShared) return mine;
        const parts = [mine];
        if (shared.folders.length > 0) {
          parts.push(eb.and([eb('folder_id', 'in', shared.folders), eb('trashed_at', 'is', null)]));
        }
        if (shared.docs.length > 0)
          parts.push(eb.and([eb('id', 'in', shared.docs), eb('trashed_at', 'is', null)]));
        return eb.or(parts);
      })
      .orderBy('folder_id')
      .orderBy('name')
      .orderBy('id');
  }

  async function sharedSets(user: User, options: ExportOptions) {
    if (!options.includeShared) return { folders: [], docs: [] };
    const folders = [...(await sharedFolderIds(user))];
    const docs = (await platform.sharing.sharedWith(user.id, WORKSPACE, 'document')).map(
      (s) => s.resourceId,
    );
    return { folders, docs };
  }

  function sectionOf(user: User, doc: Selectable<WsDocumentsTable>): Section {
    if (doc.owner_id !== user.id) return 'shared';
    if (doc.trashed_at !== null) return 'trash';
    if (doc.app_source !== null) return 'apps';
    return 'mine';
  }

  return {
    app: WORKSPACE,
    label: 'Espace documentaire',
    appVersion: '1.0.0',
    dataVersion: 1,

    async count(user, options) {
      const shared = await sharedSets(user, options);
      const row = await documentsQuery(user, options, shared)
        .clearSelect()
        .clearOrderBy()
        .select((eb) => [
          eb.fn.countAll<number>().as('items'),
          eb.fn.sum<number>('size').as('bytes'),
        ])
        .executeTakeFirst();
      return { items: Number(row?.items ?? 0), bytes: Number(row?.bytes ?? 0) };
    },

    async export(ctx: ExportContext, out: AppExportWriter) {
      const { user, options } = ctx;
      const shared = await sharedSets(user, options);

      // Folders: the user's own and those shared with them. Names only, never bytes: small.
      const folderRows = await db.kysely
        .selectFrom('ws_folders')
        .selectAll()
        .where((eb) =>
          shared.folders.length > 0
            ? eb.or([eb('owner_id', '=', user.id), eb('id', 'in', shared.folders)])
            : eb('owner_id', '=', user.id),
        )
        .execute();
      const folders = new Map<string, FolderNode>(
        folderRows.map((f) => [
          f.id,
          {
            id: f.id,
            name: f.name,
            parentId: f.parent_id,
            ownerId: f.owner_id,
            trashed: f.trashed_at !== null,
            createdAt: f.created_at,
            modifiedAt: f.modified_at,
          },
        ]),
      );
      const folderPath = (id: string | null): string[] => {
        const names: string[] = [];
        const seen = new Set<string>();
        let current = id === null ? undefined : folders.get(id);
        while (current !== undefined && !seen.has(current.id)) {
          seen.add(current.id);
          names.unshift(current.name);
          current = current.parentId === null ? undefined : folders.get(current.parentId);
        }
        return names;
      };
      const dirOf = (section: Section, folderId: string | null) =>
        [out.folder, SECTIONS[section], ...folderPath(folderId).map((n) => n)].join('/');

      let items = 0;
      let bytes = 0;
      const paths = new Map<string, string>();
      const exported = new Set<string>();
      const open = (doc: Selectable<WsDocumentsTable>): Promise<Readable> | undefined => {
        if (!options.includeDocuments) return undefined;
        const opening = blobs.get(doc.blob_key);
        opening.catch(() => undefined); // awaited in exportOne; not an unhandled rejection meanwhile
        return opening;
      };
      const exportOne = async (
        doc: Selectable<WsDocumentsTable>,
        section: Section,
        opening: Promise<Readable> | undefined = open(doc),
      ) => {
        ctx.signal.throwIfAborted();
        exported.add(doc.id);
        if (opening !== undefined) {
          const source = await opening;
          const path = await out.file(dirOf(section, doc.folder_id), doc.name, source, {
            size: doc.size,
            contentType: doc.content_type,
          });
          paths.set(doc.id, path);
        }
        items += 1;
        bytes += doc.size;
        out.progress({ items: 1, bytes: doc.size });
      };

      // Many small files are bound by per-file latency (open, stat): open a few ahead while the
      // current one is written. Opening does not read, so memory stays flat.
      const ahead: { doc: Selectable<WsDocumentsTable>; opening: Promise<Readable> | undefined }[] =
        [];
      try {
        for await (const doc of documentsQuery(user, options, shared).stream(200)) {
          ahead.push({ doc, opening: open(doc) });
          const next = ahead.length >= PREFETCH ? ahead.shift() : undefined;
          if (next !== undefined)
            await exportOne(next.doc, sectionOf(user, next.doc), next.opening);
        }
        while (ahead.length > 0) {
          const next = ahead.shift();
          if (next !== undefined)
            await exportOne(next.doc, sectionOf(user, next.doc), next.opening);
        }
      } finally {
        // On failure, close what was opened ahead and never written.
        for (const left of ahead)
          void left.opening?.then(
            (stream) => stream.destroy(),
            () => undefined,
          );
      }
      // Documents attached to content the user can read in other apps (a shared blog's images).
      const extra = [...ctx.referencedDocuments()].filter((id) => !exported.has(id));
      const extraDocs =
        extra.length === 0
          ? []
          : await db.kysely
              .selectFrom('ws_documents')
              .selectAll()
              .where('id', 'in', extra)
              .execute();
      for (const doc of extraDocs) {
        if (doc.owner_id === user.id) await exportOne(doc, sectionOf(user, doc));
        else await exportOne({ ...doc, folder_id: null }, 'shared');
      }

      await out.json(
        'folders.json',
        [...folders.values()].map((f) => ({
          id: f.id,
          name: f.name,
          parentId: f.parentId,
          owned: f.ownerId === user.id,
          trashed: f.trashed,
          createdAt: new Date(f.createdAt).toISOString(),
          modifiedAt: new Date(f.modifiedAt).toISOString(),
        })),
      );
      const extraIds = new Set(extraDocs.map((d) => d.id));
      async function* records(): AsyncGenerator<unknown> {
        const all = [documentsQuery(user, options, shared).stream(200), extraDocs];
        for (const source of all) {
          for await (const doc of source) {
            const section =
              extraIds.has(doc.id) && doc.owner_id !== user.id ? 'shared' : sectionOf(user, doc);
            yield {
              id: doc.id,
              name: doc.name,
              contentType: doc.content_type,
              size: doc.size,
              sha256: doc.sha256,
              folderId:
                section === 'shared' && !folders.has(doc.folder_id ?? '') ? null : doc.folder_id,
              section,
              owned: doc.owner_id === user.id,
              path: paths.get(doc.id) ?? null,
              appSource: doc.app_source,
              appResourceId: doc.app_resource_id,
              trashed: doc.trashed_at !== null,
              createdAt: new Date(doc.created_at).toISOString(),
              modifiedAt: new Date(doc.modified_at).toISOString(),
            };
          }
        }
      }
      await out.ndjson('documents.ndjson', records());
      return { items, bytes };
    },
  };
}
