import { Readable } from 'node:stream';
import { workspaceEntcore } from './workspace.entcore.ts';
import type { ArchiveAdapter, ExportContext, AppExportWriter } from '../../../archive/adapter.ts';
import { WHOLE_ENTRY_BYTES } from '../../../archive/zip-writer.ts';
import type { Platform } from '../../../platform/platform.ts';
import type { Db } from '../../../db/database.ts';
import type { User } from '../../../platform/accounts.service.ts';
import type { BlobStore } from '../../../storage/blob-store.ts';
import { WorkspaceRepository, type DocumentRow } from '../workspace.repository.ts';
import { SECTIONS, WORKSPACE_LABEL, type Section } from './page-documents.ts';
import { workspaceImporter } from './workspace.import.ts';
import { WORKSPACE_FILES, workspaceRecords, type DocumentRecord } from './workspace.records.ts';

/**
 * The look-ahead: documents opened, and small ones read whole, while an earlier one is
 * written. An export of many small files is bound by the latency of each open and read (one
 * at a time, the disk or S3 idles between them); up to AHEAD_FILES in flight, holding at most
 * AHEAD_BYTES of small documents, keeps it busy with memory bounded.
 */
const AHEAD_FILES = 16;
const AHEAD_BYTES = 16 * 1024 * 1024;

interface FolderNode {
  id: string;
  name: string;
  parentId: string | null;
  ownerId: string;
  trashed: boolean;
  createdAt: number;
  modifiedAt: number;
}

function readsWhole(doc: DocumentRow): boolean {
  return doc.size <= WHOLE_ENTRY_BYTES;
}

/** A stored document read whole, as the one chunk of a stream. */
async function readWhole(source: Readable): Promise<Readable> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) {
    if (chunk instanceof Uint8Array)
      chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  }
  // The local store gives a small file as one chunk already: no copy then.
  return Readable.from([
    chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks),
  ]);
}

function sectionOf(user: User, doc: DocumentRow): Section {
  if (doc.owner_id !== user.id) return 'shared';
  if (doc.trashed_at !== null) return 'trash';
  if (doc.app_source !== null) return 'apps';
  return 'mine';
}

/**
 * Exports the Espace documentaire: every document in its original bytes and name under the
 * four sections and its folder tree, and `folders.json` + `documents.ndjson` mapping each
 * id to its real name and its path in the archive (which other apps' references go through).
 */
export function workspaceArchiveAdapter(deps: {
  db: Db;
  blobs: BlobStore;
  platform: Pick<Platform, 'quota' | 'sharing'>;
}): ArchiveAdapter {
  const { blobs } = deps;
  const repo = new WorkspaceRepository(deps.db.kysely);

  return {
    app: 'workspace',
    label: WORKSPACE_LABEL,
    appVersion: '1.0.0',
    dataVersion: 1,
    dependsOn: [],
    records: workspaceRecords,
    import: { ...workspaceImporter(deps), entcore: workspaceEntcore },

    async count(user, options, refs) {
      // Its own documents, and those the other apps reference that it would not take anyway
      // (the export adds them after its own): each counted once.
      const own = await repo.countExported(user.id, options.includeShared);
      const referenced = refs === undefined ? [] : [...(await refs.referencedDocuments())];
      if (referenced.length === 0) return own;
      const extra = await repo.countBeyondExported(user.id, options.includeShared, referenced);
      return { items: own.items + extra.items, bytes: own.bytes + extra.bytes };
    },

    async export(ctx: ExportContext, out: AppExportWriter) {
      const { user, options } = ctx;
      const shared = options.includeShared;

      // Folders: the user's own and those shared with them. Names only, never bytes: small.
      const folderRows = await repo.exportedFolders(user.id, shared);
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
      const open = (doc: DocumentRow): Promise<Readable> | undefined => {
        if (!options.includeDocuments) return undefined;
        const opening = blobs.get(doc.blob_key);
        // Small enough to be one zip entry written whole (WHOLE_ENTRY_BYTES): read now, so a
        // read that fails costs this document only, and it is ready when its turn comes.
        const ready = readsWhole(doc) ? opening.then(readWhole) : opening;
        ready.catch(() => undefined); // awaited in exportOne; not an unhandled rejection meanwhile
        return ready;
      };
      const exportOne = async (
        doc: DocumentRow,
        section: Section,
        opening: Promise<Readable> | undefined = open(doc),
      ) => {
        ctx.signal.throwIfAborted();
        exported.add(doc.id);
        if (opening !== undefined) {
          let source: Readable;
          try {
            source = await opening;
          } catch (error) {
            // Its stored file is gone or unreadable: only this document is lost, listed by
            // name; the entry was never started, so the archive stays whole.
            ctx.signal.throwIfAborted();
            out.failed({ name: doc.name, code: 'document_unreadable' }, error);
            out.progress({ items: 1, bytes: doc.size });
            return;
          }
          const path = await out.file(dirOf(section, doc.folder_id), doc.name, source, {
            size: doc.size,
            contentType: doc.content_type,
            documentId: doc.id,
          });
          paths.set(doc.id, path);
        }
        items += 1;
        bytes += doc.size;
        out.progress({ items: 1, bytes: doc.size });
      };

      const ahead: { doc: DocumentRow; opening: Promise<Readable> | undefined }[] = [];
      let aheadBytes = 0;
      const weight = (doc: DocumentRow) => (readsWhole(doc) ? doc.size : 0);
      const writeNext = async () => {
        const next = ahead.shift();
        if (next === undefined) return;
        aheadBytes -= weight(next.doc);
        await exportOne(next.doc, sectionOf(user, next.doc), next.opening);
      };
      try {
        for await (const doc of repo.streamExported(user.id, shared)) {
          ahead.push({ doc, opening: open(doc) });
          aheadBytes += weight(doc);
          while (ahead.length >= AHEAD_FILES || aheadBytes > AHEAD_BYTES) await writeNext();
        }
        while (ahead.length > 0) await writeNext();
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
      const extraDocs = await repo.documentRows(extra);
      for (const doc of extraDocs) {
        if (doc.owner_id === user.id) await exportOne(doc, sectionOf(user, doc));
        else await exportOne({ ...doc, folder_id: null }, 'shared');
      }

      await out.json(
        WORKSPACE_FILES.folders,
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
      async function* records(): AsyncGenerator<DocumentRecord> {
        const all = [repo.streamExported(user.id, shared), extraDocs];
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
      await out.ndjson(WORKSPACE_FILES.documents, records());
      return { items, bytes };
    },
  };
}
