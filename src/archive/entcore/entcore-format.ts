/**
 * What this instance knows of Open ENT NG "Mes Données" archives (see ENTCORE_FORMAT.md): the
 * root folder `<millis>_<userId>/`, `Manifest.json` (one `org.entcore.*` key per module, with
 * its version and folder), `archive.signature`, and which modules it imports.
 */

export const ENTCORE_MANIFEST = 'Manifest.json';
export const ENTCORE_SIGNATURE = 'archive.signature';

/** One exported module of the manifest. */
export interface EntcoreModule {
  /** `org.entcore.workspace`. */
  key: string;
  version: string;
  /** The module's folder (its label in the exporting user's language, accents stripped). */
  folder: string;
}

/**
 * The folder of a module when an old manifest does not name it: the French label the platform
 * used then (accents stripped).
 */
export const ENTCORE_FOLDERS: Readonly<Record<string, string>> = {
  'org.entcore.workspace': 'Espace documentaire',
  'org.entcore.blog': 'Blog',
  'org.entcore.conversation': 'Messagerie',
  'org.entcore.calendar': 'Agenda',
  'org.entcore.actualites': 'Actualites',
  'org.entcore.wiki': 'Wiki',
  'org.entcore.rbs': 'Reservation de ressources',
  'org.entcore.forum': 'Forum',
  'org.entcore.scrapbook': 'Cahier multimedia',
  'org.entcore.collaborativewall': 'Mur collaboratif',
  'org.entcore.mindmap': 'Carte mentale',
  'org.entcore.timelinegenerator': 'Frise chronologique',
  'org.entcore.exercizer': 'Exercizer',
};

const MAX_MODULES = 100;
const MAX_TEXT = 200;

/** The manifest's modules, or why it is not an Open ENT NG manifest. */
export function parseEntcoreManifest(value: unknown): EntcoreModule[] | { problem: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { problem: 'not a JSON object' };
  const entries = Object.entries(value);
  if (entries.length > MAX_MODULES) return { problem: `more than ${MAX_MODULES} modules` };
  const modules: EntcoreModule[] = [];
  for (const [key, raw] of entries) {
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(key)) return { problem: `module key ${key.slice(0, 40)}` };
    const known = ENTCORE_FOLDERS[key];
    const artifact = key.split('.').at(-1) ?? key;
    if (typeof raw === 'string') {
      // Older archives: a bare version, no folder.
      modules.push({ key, version: raw.slice(0, MAX_TEXT), folder: known ?? artifact });
      continue;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      return { problem: `module ${key}: not an object` };
    const { version, folder } = raw as Record<string, unknown>;
    if (folder !== undefined && (typeof folder !== 'string' || !isFolderName(folder)))
      return { problem: `module ${key}: bad folder` };
    modules.push({
      key,
      version: typeof version === 'string' ? version.slice(0, MAX_TEXT) : '',
      folder: folder ?? known ?? artifact,
    });
  }
  if (!modules.some((m) => m.key.startsWith('org.entcore.')))
    return { problem: 'no org.entcore module' };
  return modules;
}

/** A single path segment: a module's folder is a direct child of the root. */
function isFolderName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= MAX_TEXT &&
    !name.includes('/') &&
    !name.includes('\\') &&
    name !== '.' &&
    name !== '..'
  );
}

/** The exporting user's id and the export's time, from the root folder `<millis>_<userId>`. */
export function rootInfo(root: string): { userId: string | undefined; exportedAt?: string } {
  const m = /^(\d{10,15})_(.{1,100})$/.exec(root);
  if (m === null) return { userId: undefined };
  const at = new Date(Number(m[1]));
  return {
    userId: m[2],
    ...(Number.isNaN(at.getTime()) ? {} : { exportedAt: at.toISOString() }),
  };
}

/** Java's `String.compareTo`: UTF-16 code units, as JavaScript compares strings. */
export function javaCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
