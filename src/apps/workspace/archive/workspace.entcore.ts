/**
 * The Espace documentaire of an Open ENT NG archive as the records of our own format
 * (`workspace.records.ts`), so that the workspace's importer imports it: folders rebuilt from
 * `eParent`, each document mapped to its bytes by the platform's naming rules (sections,
 * forbidden characters, `_N` before the first dot for same-name files) and its size, never by
 * `localArchivePath` alone; each file of the zip given to one document at most.
 */
import mime from 'mime-types';
import { z } from 'zod';
import { javaCompare } from '../../../archive/entcore/entcore-format.ts';
import type {
  EntcoreFile,
  EntcoreSource,
  EntcoreTranslator,
} from '../../../archive/entcore/entcore-source.ts';
import { WORKSPACE_FILES, type DocumentRecord, type FolderRecord } from './workspace.records.ts';

/** A raw record of `Espace documentaire/Espace documentaire` (unknown fields ignored). */
export const rawDocument = z.object({
  _id: z.string().min(1).max(200),
  name: z.string().max(1000).optional(),
  eType: z.enum(['file', 'folder']),
  eParent: z.string().max(200).nullish(),
  eParentOld: z.string().max(200).nullish(),
  owner: z.string().max(200).nullish(),
  ownerName: z.string().max(500).nullish(),
  isShared: z.boolean().nullish(),
  protected: z.boolean().nullish(),
  deleted: z.boolean().nullish(),
  application: z.string().max(100).nullish(),
  created: z.string().max(100).nullish(),
  modified: z.string().max(100).nullish(),
  metadata: z
    .object({
      name: z.string().max(1000).nullish(),
      filename: z.string().max(1000).nullish(),
      'content-type': z.string().max(200).nullish(),
      size: z.number().int().nonnegative().nullish(),
    })
    .nullish(),
  localArchivePath: z.string().max(4000).nullish(),
});
export type RawDocument = z.infer<typeof rawDocument>;

/** The four section folders, as the platform names them (accents stripped). */
export const SECTION_FOLDERS = {
  mine: 'Documents personnels',
  shared: 'Documents partages',
  apps: 'Documents ajoutes dans les applis',
  trash: 'Corbeille',
} as const;
type Section = keyof typeof SECTION_FOLDERS;

type ZipFile = EntcoreFile;

/** `\ / * " < > : ? |` become `_` in names on disk. */
export function diskName(name: string): string {
  return name.replace(/[\\/*"<>:?|]/g, '_');
}

/**
 * A name this workspace can hold: the platform allows `/` and `\` in names, which here
 * separate folders; they become `_`, as in the archive's own file names.
 */
export function workspaceName(name: string): string {
  return name.replace(/[\\/]/g, '_');
}

/** The Nth (N ≥ 1) file of a name in one folder: `_N` before the first dot. */
export function numbered(name: string, n: number): string {
  if (n === 0) return name;
  const dot = name.indexOf('.');
  return dot < 0 ? `${name}_${n}` : `${name.slice(0, dot)}_${n}${name.slice(dot)}`;
}

/** `yyyy-MM-dd HH:mm.ss.SSS` (or ISO) as ISO 8601; `fallback` when it is not a date. */
export function entcoreDate(value: string | null | undefined, fallback: string): string {
  if (typeof value !== 'string') return fallback;
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})[.:](\d{2})(?:\.(\d{1,3}))?/.exec(value);
  if (m !== null) {
    const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${(m[7] ?? '0').padEnd(3, '0')}Z`;
    if (!Number.isNaN(Date.parse(iso))) return iso;
  }
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? fallback : new Date(parsed).toISOString();
}

function sectionOf(r: RawDocument, exporter: string | undefined): Section {
  if (r.deleted === true) return 'trash';
  if (r.protected === true) return 'apps';
  if (exporter !== undefined && r.owner != null && r.owner !== exporter) return 'shared';
  return 'mine';
}

export interface TranslatedDocument {
  record: Omit<DocumentRecord, 'sha256'>;
  /** The zip file holding its bytes (under the module's folder), if one was found. */
  file: ZipFile | undefined;
}

export interface TranslatedWorkspace {
  folders: FolderRecord[];
  documents: TranslatedDocument[];
  /** Records left out: the trash, unless asked for (its files' bytes too). */
  trashed: number;
  trashedBytes: number;
}

const APP_SOURCE = /^[a-z][a-z0-9_-]{0,63}$/;

/**
 * Translates the records. `files` are the zip's files under the module's folder; each is given
 * to one document at most: the one at the path the naming rules predict when its size is the
 * record's, else the first unclaimed file of a matching name (any `_N`) and size in the same
 * folder, then anywhere in the section, then anywhere.
 */
export function translateWorkspace(
  raw: readonly RawDocument[],
  files: readonly ZipFile[],
  exporter: string | undefined,
  exportedAt: string,
  includeTrash = false,
): TranslatedWorkspace {
  const byId = new Map<string, RawDocument>();
  for (const r of raw) if (!byId.has(r._id)) byId.set(r._id, r);
  const isFolder = (id: string | null | undefined) =>
    id != null && byId.get(id)?.eType === 'folder';
  const owned = (r: RawDocument) =>
    exporter === undefined || r.owner == null || r.owner === exporter;
  /** A parent folder that is imported. */
  const parentOf = (r: RawDocument) =>
    isFolder(r.eParent) && (includeTrash || byId.get(r.eParent as string)?.deleted !== true)
      ? (r.eParent as string)
      : null;

  const folders: FolderRecord[] = [];
  const documents: TranslatedDocument[] = [];
  let trashed = 0;
  let trashedBytes = 0;
  for (const r of byId.values()) {
    if (r.eType !== 'folder') continue;
    if (r.deleted === true && !includeTrash) {
      trashed += 1;
      continue;
    }
    folders.push({
      id: r._id,
      name: workspaceName(r.name ?? r._id),
      parentId: parentOf(r),
      owned: owned(r),
      trashed: r.deleted === true,
      createdAt: entcoreDate(r.created, exportedAt),
      modifiedAt: entcoreDate(r.modified ?? r.created, exportedAt),
    });
  }

  // The zip's files by folder, for the naming rules; claimed ones are taken.
  const byDir = new Map<string, Map<string, ZipFile>>();
  for (const f of files) {
    const slash = f.path.lastIndexOf('/');
    const dir = slash < 0 ? '' : f.path.slice(0, slash);
    let names = byDir.get(dir);
    if (names === undefined) {
      names = new Map<string, ZipFile>();
      byDir.set(dir, names);
    }
    names.set(f.path.slice(slash + 1), f);
  }
  const claimed = new Set<ZipFile>();
  /** Same-name files seen per folder: the next one's N. */
  const seen = new Map<string, number>();

  const folderPath = (r: RawDocument): string[] => {
    const names: string[] = [];
    const visited = new Set<string>();
    let parent = r.eParent;
    while (isFolder(parent) && !visited.has(parent as string) && names.length < 100) {
      visited.add(parent as string);
      const f = byId.get(parent as string) as RawDocument;
      names.unshift(diskName(f.name ?? f._id));
      parent = f.eParent;
    }
    return names;
  };
  const matches = (fileName: string, name: string) => {
    if (fileName === name) return true;
    const dot = name.indexOf('.');
    const stem = dot < 0 ? name : name.slice(0, dot);
    const ext = dot < 0 ? '' : name.slice(dot);
    if (!fileName.startsWith(`${stem}_`) || !fileName.endsWith(ext)) return false;
    return /^\d+$/.test(fileName.slice(stem.length + 1, fileName.length - ext.length));
  };
  const find = (dirs: Iterable<string>, name: string, size: number | undefined) => {
    for (const dir of dirs) {
      const names = byDir.get(dir);
      if (names === undefined) continue;
      for (const [fileName, f] of [...names].sort((a, b) => javaCompare(a[0], b[0]))) {
        if (claimed.has(f) || !matches(fileName, name)) continue;
        if (size === undefined || f.size === size) return f;
      }
    }
    return undefined;
  };

  for (const r of byId.values()) {
    if (r.eType !== 'file') continue;
    const section = sectionOf(r, exporter);
    const size = r.metadata?.size ?? undefined;
    if (section === 'trash' && !includeTrash) {
      trashed += 1;
      trashedBytes += size ?? 0;
      continue;
    }
    const name = r.name ?? r.metadata?.filename ?? r._id;
    const dir = [SECTION_FOLDERS[section], ...folderPath(r)].join('/');
    const onDisk = diskName(name);
    const key = `${dir}\u0000${onDisk}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    const predicted = byDir.get(dir)?.get(numbered(onDisk, n));
    let file =
      predicted !== undefined &&
      !claimed.has(predicted) &&
      (size === undefined || predicted.size === size)
        ? predicted
        : (find([dir], onDisk, size) ??
          find(
            [...byDir.keys()].filter(
              (d) => d.startsWith(`${SECTION_FOLDERS[section]}/`) || d === SECTION_FOLDERS[section],
            ),
            onDisk,
            size,
          ) ??
          find(byDir.keys(), onDisk, size));
    // Found only with another size: still its file, and the import reports it damaged.
    if (file === undefined && predicted !== undefined && !claimed.has(predicted)) file = predicted;
    if (file !== undefined) claimed.add(file);
    const application = r.application ?? null;
    documents.push({
      record: {
        id: r._id,
        name: workspaceName(name),
        contentType: r.metadata?.['content-type'] ?? 'application/octet-stream',
        size: size ?? file?.size ?? 0,
        folderId: parentOf(r),
        section,
        owned: owned(r),
        path: null,
        appSource:
          section === 'apps'
            ? application !== null && APP_SOURCE.test(application)
              ? application
              : 'open-ent-ng'
            : null,
        appResourceId: null,
        trashed: section === 'trash',
        createdAt: entcoreDate(r.created, exportedAt),
        modifiedAt: entcoreDate(r.modified ?? r.created, exportedAt),
      },
      file,
    });
  }
  return { folders, documents, trashed, trashedBytes };
}

const WORKSPACE = 'org.entcore.workspace';
const BLOG = 'org.entcore.blog';
const DEFAULT_FOLDER = 'Espace documentaire';
/** Where the Blog's module keeps the documents its blogs and posts show. */
const BLOG_DOCUMENTS = 'Documents/';

/**
 * A file of the Blog's `Documents/`: `<name>_<id>.<ext>` (the id before the last dot) → the
 * document's id and name.
 */
export function blogDocumentOf(fileName: string): { id: string; name: string } | undefined {
  const m = /^(.*)_([0-9A-Za-z-]{8,64})(\.[^.]*)?$/.exec(fileName);
  if (m === null) return undefined;
  return { id: m[2] ?? '', name: `${m[1] ?? ''}${m[3] ?? ''}` };
}

/**
 * The Espace documentaire of an Open ENT NG archive (`org.entcore.workspace`), and the
 * documents its blogs show (`org.entcore.blog`'s `Documents/`): each document once, the
 * workspace's record first, the Blog's copy for a document the workspace lacks (an app
 * document of the Blog).
 */
export const workspaceEntcore: EntcoreTranslator = {
  module: WORKSPACE,
  alsoFrom: [BLOG],
  async translate(src: EntcoreSource) {
    const folder = src.folderOf(WORKSPACE) ?? DEFAULT_FOLDER;
    const own = src.files(WORKSPACE);
    const recordsFile = own.find((f) => f.path === folder);
    const raw: RawDocument[] = [];
    let invalid = 0;
    if (recordsFile !== undefined) {
      const value = await src.json(WORKSPACE, recordsFile);
      for (const r of Array.isArray(value) ? value : []) {
        const parsed = rawDocument.safeParse(r);
        if (parsed.success) raw.push(parsed.data);
        else invalid += 1;
      }
      if (!Array.isArray(value)) invalid += 1;
    }
    const translated = translateWorkspace(
      raw,
      own.filter((f) => f !== recordsFile),
      src.exporter,
      src.exportedAt,
      src.includeTrash,
    );
    const files = new Map<string, { module: string; file: EntcoreFile }>();
    const documents: DocumentRecord[] = [];
    for (const { record, file } of translated.documents) {
      const path = file === undefined ? null : `${folder}/${file.path}`;
      if (path !== null && file !== undefined) files.set(path, { module: WORKSPACE, file });
      documents.push({
        ...record,
        path,
        sha256: file === undefined ? NO_HASH : await src.sha256(WORKSPACE, file),
      });
    }

    const byId = new Map(documents.map((d) => [d.id, d]));
    for (const file of src.files(BLOG)) {
      if (!file.path.startsWith(BLOG_DOCUMENTS)) continue;
      const fileName = file.path.slice(BLOG_DOCUMENTS.length);
      const found = fileName.includes('/') ? undefined : blogDocumentOf(fileName);
      if (found === undefined) continue;
      // ":" never names a file of the platform: these paths are the Blog's, not the workspace's.
      const path = `${folder}/:blog/${fileName}`;
      const known = byId.get(found.id);
      if (known !== undefined) {
        if (known.path === null && known.size === file.size) {
          known.path = path;
          known.sha256 = await src.sha256(BLOG, file);
          files.set(path, { module: BLOG, file });
        }
        continue;
      }
      files.set(path, { module: BLOG, file });
      const doc: DocumentRecord = {
        id: found.id,
        name: found.name,
        contentType: mime.lookup(found.name) || 'application/octet-stream',
        size: file.size,
        sha256: await src.sha256(BLOG, file),
        folderId: null,
        section: 'apps',
        owned: true,
        path,
        appSource: 'blog',
        appResourceId: null,
        trashed: false,
        createdAt: src.exportedAt,
        modifiedAt: src.exportedAt,
      };
      documents.push(doc);
      byId.set(doc.id, doc);
    }
    return {
      folder,
      records: {
        [WORKSPACE_FILES.folders.name]: translated.folders,
        [WORKSPACE_FILES.documents.name]: documents,
      },
      files,
      leftOut: { trashed: translated.trashed, trashedBytes: translated.trashedBytes, invalid },
    };
  },
};

const NO_HASH = '0'.repeat(64);
