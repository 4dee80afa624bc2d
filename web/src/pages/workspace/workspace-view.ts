/** Where the workspace page is (a section, or a folder in it), as a URL, and what it lists. */
import {
  fetchDocuments,
  fetchFolderTrail,
  fetchFolders,
  isSection,
  type Section,
  type WsDocument,
  type WsFolder,
} from '../../api/workspace.ts';

const PATH = '/workspace';
const MAX_ID = 64;

/** What the URL shows: a section (`?filter=`), or a folder in it (`?folderId=`). */
export interface View {
  section: Section;
  folderId: string | undefined;
}

export function parseView(search: string): View {
  const params = new URLSearchParams(search);
  const filter = params.get('filter');
  const section = isSection(filter) ? filter : 'mine';
  const folderId = params.get('folderId');
  // Trashed folders and app documents are not browsed folder by folder.
  const browsable = section === 'mine' || section === 'shared';
  return {
    section,
    folderId:
      browsable && folderId !== null && folderId !== '' && folderId.length <= MAX_ID
        ? folderId
        : undefined,
  };
}

export function viewPath(view: { section: Section; folderId?: string | undefined }): string {
  const params = new URLSearchParams();
  if (view.section !== 'mine') params.set('filter', view.section);
  if (view.folderId !== undefined) params.set('folderId', view.folderId);
  const query = params.toString();
  return query === '' ? PATH : `${PATH}?${query}`;
}

export interface Listing {
  /** The current folder and the folders above it (root first); empty for a section. */
  trail: WsFolder[];
  folders: WsFolder[];
  documents: WsDocument[];
}

export async function loadListing(view: View, signal?: AbortSignal): Promise<Listing> {
  if (view.folderId !== undefined) {
    const [trail, folders, documents] = await Promise.all([
      fetchFolderTrail(view.folderId, signal),
      fetchFolders({ parentId: view.folderId }, signal),
      fetchDocuments({ folderId: view.folderId }, signal),
    ]);
    return { trail, folders, documents };
  }
  const [folders, documents] = await Promise.all([
    // Nothing but documents comes from the apps.
    view.section === 'apps' ? [] : fetchFolders({ filter: view.section }, signal),
    fetchDocuments({ filter: view.section }, signal),
  ]);
  return { trail: [], folders, documents };
}
