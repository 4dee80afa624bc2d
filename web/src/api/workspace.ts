/**
 * Espace documentaire endpoints (`/api/workspace/...`), with hand-written parsers like
 * `platform.ts`: malformed list items are skipped, a malformed answer is `invalid_response`.
 * Uploads go through `XMLHttpRequest` (see `uploadFile`) because `fetch` reports no upload
 * progress; everything else goes through `apiRequest`.
 */
import {
  ApiError,
  INVALID_RESPONSE,
  NETWORK_ERROR,
  apiRequest,
  errorFromResponse,
  expectShape,
  isRecord,
} from './client.ts';

export const SECTIONS = ['mine', 'shared', 'apps', 'trash'] as const;
/** The side list of the page; also the `filter` of the list endpoints. */
export type Section = (typeof SECTIONS)[number];

export function isSection(value: unknown): value is Section {
  return typeof value === 'string' && (SECTIONS as readonly string[]).includes(value);
}

export const SHARE_RIGHTS = ['read', 'contrib', 'manage'] as const;
export type ShareRight = (typeof SHARE_RIGHTS)[number];

export function isShareRight(value: unknown): value is ShareRight {
  return typeof value === 'string' && (SHARE_RIGHTS as readonly string[]).includes(value);
}

export type GranteeKind = 'user' | 'group';

export interface WsFolder {
  id: string;
  name: string;
  parentId: string | null;
  ownerId: string;
  createdAt: Date;
  modifiedAt: Date;
  trashed: boolean;
}

export interface WsDocument {
  id: string;
  name: string;
  /** Bytes. */
  size: number;
  contentType: string;
  folderId: string | null;
  ownerId: string;
  createdAt: Date;
  modifiedAt: Date;
  trashed: boolean;
  /** The app the document was added from (a blog image...), or null. */
  appSource: string | null;
}

export interface UploadedDocument {
  id: string;
  name: string;
  size: number;
  contentType: string;
  folderId: string | null;
}

export interface Share {
  grantee: { kind: GranteeKind; id: string; name: string };
  right: ShareRight;
}

/** Who to share with: a user by login, or a group by name (or id). */
export type ShareTarget = { login: string } | { group: string };

const MAX_TEXT = 500;
/** Folder ids are used in URLs and in `?folderId=`; the server's ids are at most 64 chars. */
const MAX_ID = 64;

function isId(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && value.length <= MAX_ID;
}

function isAmount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function toDate(value: unknown): Date | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function parseFolder(value: unknown): WsFolder | undefined {
  if (!isRecord(value)) return undefined;
  const { id, name, parentId, ownerId, createdAt, modifiedAt, trashed } = value;
  if (!isId(id) || typeof name !== 'string' || typeof ownerId !== 'string') return undefined;
  if (parentId !== null && !isId(parentId)) return undefined;
  const created = toDate(createdAt);
  const modified = toDate(modifiedAt) ?? created;
  if (created === undefined || modified === undefined) return undefined;
  return {
    id,
    name: name.slice(0, MAX_TEXT),
    parentId,
    ownerId,
    createdAt: created,
    modifiedAt: modified,
    trashed: trashed === true,
  };
}

function parseDocument(value: unknown): WsDocument | undefined {
  if (!isRecord(value)) return undefined;
  const { id, name, size, contentType, folderId, ownerId, createdAt, modifiedAt } = value;
  if (!isId(id) || typeof name !== 'string' || typeof ownerId !== 'string') return undefined;
  if (!isAmount(size) || (folderId !== null && !isId(folderId))) return undefined;
  const created = toDate(createdAt);
  const modified = toDate(modifiedAt) ?? created;
  if (created === undefined || modified === undefined) return undefined;
  return {
    id,
    name: name.slice(0, MAX_TEXT),
    size,
    contentType: typeof contentType === 'string' ? contentType.slice(0, MAX_TEXT) : '',
    folderId,
    ownerId,
    createdAt: created,
    modifiedAt: modified,
    trashed: value.trashed === true,
    appSource: typeof value.appSource === 'string' ? value.appSource.slice(0, MAX_TEXT) : null,
  };
}

function parseUploaded(value: unknown): UploadedDocument | undefined {
  if (!isRecord(value)) return undefined;
  const { id, name, size, contentType, folderId } = value;
  if (!isId(id) || typeof name !== 'string' || !isAmount(size)) return undefined;
  return {
    id,
    name: name.slice(0, MAX_TEXT),
    size,
    contentType: typeof contentType === 'string' ? contentType.slice(0, MAX_TEXT) : '',
    folderId: isId(folderId) ? folderId : null,
  };
}

function parseShare(value: unknown): Share | undefined {
  if (!isRecord(value) || !isRecord(value.grantee) || !isShareRight(value.right)) return undefined;
  const { kind, id, name } = value.grantee;
  if ((kind !== 'user' && kind !== 'group') || !isId(id)) return undefined;
  return {
    grantee: { kind, id, name: typeof name === 'string' ? name.slice(0, MAX_TEXT) : id },
    right: value.right,
  };
}

/** `{items:[...]}` with each item parsed; unparsable items are left out. */
function itemsOf<T>(parse: (value: unknown) => T | undefined): (body: unknown) => T[] | undefined {
  return (body) => {
    if (!isRecord(body) || !Array.isArray(body.items)) return undefined;
    const items: T[] = [];
    for (const raw of body.items) {
      const item = parse(raw);
      if (item !== undefined) items.push(item);
    }
    return items;
  };
}

const parseFolders = itemsOf(parseFolder);
const parseDocuments = itemsOf(parseDocument);
const parseShares = itemsOf(parseShare);

// --- URLs ---------------------------------------------------------------------------------

const DOCUMENTS = '/api/workspace/documents';
const FOLDERS = '/api/workspace/folders';

function documentPath(id: string): string {
  return `${DOCUMENTS}/${encodeURIComponent(id)}`;
}

function folderPath(id: string): string {
  return `${FOLDERS}/${encodeURIComponent(id)}`;
}

/** Where the bytes are: shown by the browser when safe (PDF, images), else downloaded. */
export function contentUrl(id: string, options: { download?: boolean } = {}): string {
  return `${documentPath(id)}/content${options.download === true ? '?download' : ''}`;
}

function query(params: Record<string, string | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, value);
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

// --- Folders ------------------------------------------------------------------------------

/** Children of a folder, or (no `parentId`) the top folders of a section. */
export async function fetchFolders(
  options: { parentId?: string | null; filter?: Section },
  signal?: AbortSignal,
): Promise<WsFolder[]> {
  const path = FOLDERS + query({ parentId: options.parentId, filter: options.filter });
  return expectShape(await apiRequest(path, { signal }), parseFolders, 'folders');
}

export async function fetchFolder(id: string, signal?: AbortSignal): Promise<WsFolder> {
  return expectShape(await apiRequest(folderPath(id), { signal }), parseFolder, 'folder');
}

export async function createFolder(input: {
  name: string;
  parentId: string | null;
}): Promise<WsFolder> {
  const body = await apiRequest(FOLDERS, { method: 'POST', body: input });
  return expectShape(body, parseFolder, 'folder');
}

/** Rename (`name`) and/or move (`parentId`, null for the root) a folder. */
export async function updateFolder(
  id: string,
  changes: { name?: string; parentId?: string | null },
): Promise<WsFolder> {
  const body = await apiRequest(folderPath(id), { method: 'PATCH', body: changes });
  return expectShape(body, parseFolder, 'folder');
}

/** To the trash, or (`purge`) deleted for good with everything inside. */
export async function deleteFolder(id: string, options: { purge?: boolean } = {}): Promise<void> {
  await apiRequest(folderPath(id) + (options.purge === true ? '?purge=true' : ''), {
    method: 'DELETE',
  });
}

export async function restoreFolder(id: string): Promise<WsFolder> {
  const body = await apiRequest(`${folderPath(id)}/restore`, { method: 'POST' });
  return expectShape(body, parseFolder, 'folder');
}

/**
 * The folder and the folders above it that the user may read, root first. The walk stops at
 * the first one that is not readable (above a folder shared with the user).
 */
export async function fetchFolderTrail(id: string, signal?: AbortSignal): Promise<WsFolder[]> {
  const folder = await fetchFolder(id, signal);
  const trail = [folder];
  const seen = new Set([id]);
  let parentId = folder.parentId;
  while (parentId !== null && !seen.has(parentId)) {
    seen.add(parentId);
    let parent: WsFolder;
    try {
      parent = await fetchFolder(parentId, signal);
    } catch (error) {
      if (error instanceof ApiError && (error.status === 403 || error.status === 404)) break;
      throw error;
    }
    trail.unshift(parent);
    parentId = parent.parentId;
  }
  return trail;
}

/** The most folders `fetchAllMyFolders` lists (one request per folder). */
const MAX_TREE = 500;

export interface FolderInTree {
  folder: WsFolder;
  /** From the top folder down to this one (included). */
  trail: WsFolder[];
}

/**
 * Every folder of the user's own tree (not in the trash), in tree order, each with the folders
 * above it: what a "move to" list offers.
 */
export async function fetchAllMyFolders(signal?: AbortSignal): Promise<FolderInTree[]> {
  const result: FolderInTree[] = [];
  const walk = async (parent: FolderInTree | undefined) => {
    const children =
      parent === undefined
        ? await fetchFolders({ filter: 'mine' }, signal)
        : await fetchFolders({ parentId: parent.folder.id }, signal);
    for (const folder of children) {
      if (result.length >= MAX_TREE) return;
      const entry = { folder, trail: [...(parent?.trail ?? []), folder] };
      result.push(entry);
      await walk(entry);
    }
  };
  await walk(undefined);
  return result;
}

// --- Documents ----------------------------------------------------------------------------

/** Documents of a folder, or (no `folderId`) of a section. */
export async function fetchDocuments(
  options: { folderId?: string | null; filter?: Section },
  signal?: AbortSignal,
): Promise<WsDocument[]> {
  const path = DOCUMENTS + query({ folderId: options.folderId, filter: options.filter });
  return expectShape(await apiRequest(path, { signal }), parseDocuments, 'documents');
}

/** Rename (`name`) and/or move (`folderId`, null for the root) a document. */
export async function updateDocument(
  id: string,
  changes: { name?: string; folderId?: string | null },
): Promise<WsDocument> {
  const body = await apiRequest(documentPath(id), { method: 'PATCH', body: changes });
  return expectShape(body, parseDocument, 'document');
}

/** A copy owned by the user, in one of their folders (null: the root). */
export async function copyDocument(id: string, folderId: string | null): Promise<WsDocument> {
  const body = await apiRequest(`${documentPath(id)}/copy`, {
    method: 'POST',
    body: { folderId },
  });
  return expectShape(body, parseDocument, 'document');
}

/** To the trash, or (`purge`) deleted for good, which frees the space. */
export async function deleteDocument(id: string, options: { purge?: boolean } = {}): Promise<void> {
  await apiRequest(documentPath(id) + (options.purge === true ? '?purge=true' : ''), {
    method: 'DELETE',
  });
}

export async function restoreDocument(id: string): Promise<WsDocument> {
  const body = await apiRequest(`${documentPath(id)}/restore`, { method: 'POST' });
  return expectShape(body, parseDocument, 'document');
}

export interface UploadOptions {
  /** The destination folder; absent or null: the root of "Mes documents". */
  folderId?: string | null;
  /** Bytes sent so far, and the total (the request body, a little more than the file). */
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * Uploads one file (multipart field `file`) with `XMLHttpRequest`, whose upload events give the
 * progress that `fetch` cannot. Same-origin, so the session cookie and the `Origin` header the
 * server's CSRF check needs are sent as for `apiRequest`. Errors are the same `ApiError`s
 * (`quota_exceeded`, `payload_too_large`...); an abort rejects with an `AbortError`.
 */
export function uploadFile(file: File, options: UploadOptions = {}): Promise<UploadedDocument> {
  const { folderId, onProgress, signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DOMException('The upload was aborted', 'AbortError'));
      return;
    }
    const xhr = new XMLHttpRequest();
    const onAbortSignal = () => {
      xhr.abort();
    };
    const done = () => {
      signal?.removeEventListener('abort', onAbortSignal);
    };

    xhr.open('POST', DOCUMENTS + query({ folderId }));
    xhr.setRequestHeader('accept', 'application/json');
    xhr.responseType = 'text';
    if (onProgress) {
      xhr.upload.addEventListener('progress', (event) => {
        onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
      });
    }
    xhr.addEventListener('load', () => {
      done();
      let json: unknown;
      try {
        json = xhr.responseText === '' ? undefined : JSON.parse(xhr.responseText);
      } catch {
        json = undefined;
      }
      if (xhr.status < 200 || xhr.status >= 300) {
        reject(errorFromResponse(xhr.status, xhr.statusText, json));
        return;
      }
      const uploaded = parseUploaded(json);
      if (uploaded === undefined) {
        reject(new ApiError(xhr.status, INVALID_RESPONSE, 'unexpected upload response'));
        return;
      }
      resolve(uploaded);
    });
    xhr.addEventListener('error', () => {
      done();
      reject(new ApiError(0, NETWORK_ERROR, 'upload failed'));
    });
    xhr.addEventListener('abort', () => {
      done();
      reject(new DOMException('The upload was aborted', 'AbortError'));
    });
    signal?.addEventListener('abort', onAbortSignal, { once: true });

    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

// --- Shares -------------------------------------------------------------------------------

export type ShareableKind = 'document' | 'folder';

function sharesPath(kind: ShareableKind, id: string): string {
  return `${kind === 'document' ? documentPath(id) : folderPath(id)}/shares`;
}

export async function fetchShares(
  kind: ShareableKind,
  id: string,
  signal?: AbortSignal,
): Promise<Share[]> {
  const body = await apiRequest(sharesPath(kind, id), { signal });
  return expectShape(body, parseShares, 'shares');
}

/** Shares with a user or a group (again: changes the right); returns every share. */
export async function addShare(
  kind: ShareableKind,
  id: string,
  target: ShareTarget,
  right: ShareRight,
): Promise<Share[]> {
  const body = await apiRequest(sharesPath(kind, id), {
    method: 'POST',
    body: { ...target, right },
  });
  return expectShape(body, parseShares, 'shares');
}

export async function removeShare(
  kind: ShareableKind,
  id: string,
  grantee: { kind: GranteeKind; id: string },
): Promise<void> {
  await apiRequest(`${sharesPath(kind, id)}/${grantee.kind}/${encodeURIComponent(grantee.id)}`, {
    method: 'DELETE',
  });
}
