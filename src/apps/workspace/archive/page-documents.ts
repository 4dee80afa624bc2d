/**
 * How archive pages of other apps name workspace documents: the workspace's folder and section
 * names in archives, and the `PageDocuments` an app's export hands to `renderPage` (the
 * archive layer knows nothing of the workspace; the workspace tells it what to say).
 */
import type { DocumentPaths } from '../../../archive/adapter.ts';
import type { PageDocuments } from '../../../archive/html-page.ts';
import { documentIdOf } from '../document-links.ts';

/** The workspace's label, also its folder in archives. */
export const WORKSPACE_LABEL = 'Espace documentaire';

/** The four sections of an exported Espace documentaire, as users know them. */
export const SECTIONS = {
  mine: 'Mes documents',
  shared: 'Partagés avec moi',
  apps: 'Ajoutés dans les applis',
  trash: 'Corbeille',
} as const;
export type Section = keyof typeof SECTIONS;

/** Where the archive keeps a document of `section` ("Espace documentaire › Mes documents"). */
export function documentLocation(section: Section, includeDocuments: boolean): string {
  return includeDocuments
    ? `${WORKSPACE_LABEL} › ${SECTIONS[section]}`
    : `${WORKSPACE_LABEL} (non inclus dans cette archive)`;
}

/** A document a page may name: its real name, and the section the archive files it in. */
export interface DocumentMention {
  name: string;
  section: Section;
}

/**
 * What a page may say of the documents its content points at: `readable` are the documents
 * the user may read through it (see `ReadableDocuments.resolve`), named with where the
 * archive keeps them and, when it holds their file, its path (`paths`, known once the
 * workspace is written); any other document is "non disponible".
 */
export function pageDocuments(
  readable: ReadonlyMap<string, DocumentMention>,
  includeDocuments: boolean,
  paths: DocumentPaths,
): PageDocuments {
  return {
    idOf: documentIdOf,
    readable: new Map(
      [...readable].map(([id, d]) => {
        const path = includeDocuments ? paths.pathOf(id) : undefined;
        const location = documentLocation(d.section, includeDocuments);
        return [
          id,
          path === undefined ? { name: d.name, location } : { name: d.name, location, path },
        ];
      }),
    ),
    note: includeDocuments
      ? `Les images et fichiers de cette page sont aussi dans le dossier «\u00a0${WORKSPACE_LABEL}\u00a0» de l'archive.`
      : `Les fichiers n'ont pas été inclus dans cette archive.`,
  };
}
