/**
 * Round trips of the apps' archive data: seed representative content of one app for a user
 * (with the factories), export it through the export service, and read back the records of
 * the app's data files (and of the Espace documentaire, which holds the files the content
 * points at). `compareRecords` tells whether two such exports hold the same content once ids
 * are put aside: the import's round-trip tests (seed → export → import as another user →
 * export → compare) are built on it.
 */
import { isDeepStrictEqual } from 'node:util';
import type { RecordFile } from '../../src/archive/adapter.ts';
import type { AppId } from '../../src/contracts/archive.ts';
import { makePng } from '../../src/demo/demo-files.ts';
import { documentUrl } from '../../src/apps/workspace/document-links.ts';
import type { User } from '../../src/platform/accounts.service.ts';
import type { Runtime } from '../../src/runtime.ts';
import { exportThroughService, type ExportedArchive } from './export-archive.ts';
import {
  buildBlog,
  buildBlogImage,
  buildCalendar,
  buildComment,
  buildDocument,
  buildEvent,
  buildFolder,
  buildNewsComment,
  buildNewsItem,
  buildPage,
  buildPost,
  buildThread,
  buildWiki,
} from './factories.ts';

/** What a round trip needs of a runtime (a whole `Runtime` fits). */
export type RoundTripRuntime = Pick<Runtime, 'apps' | 'platform' | 'exports' | 'blobs'>;

/**
 * The records of an export's data files, by path in the archive
 * (`"Blog/posts.ndjson"`): the lines of an NDJSON file, the items of a JSON array, or a JSON
 * object alone.
 */
export type ExportRecords = Record<string, unknown[]>;

export interface AppExport {
  readonly archive: ExportedArchive;
  readonly records: ExportRecords;
}

/** What `seed` made that a test may want to look for. */
export interface Seeded {
  /** Ids of the main items made (a blog, its posts...). */
  readonly ids: readonly string[];
}

const day = (iso: string) => Date.parse(iso);
const PNG = { a: makePng(24, 16, 3), b: makePng(16, 16, 5), c: makePng(20, 12, 7) };

/** Representative content of each app for `user` (a Teacher: every app is theirs to use). */
export const seeds: Record<AppId, (rt: RoundTripRuntime, user: User) => Promise<Seeded>> = {
  async workspace(rt, user) {
    const course = await buildFolder(rt, user, { name: 'Cours d’été — 2026' });
    const chapter = await buildFolder(rt, user, {
      name: 'Chapitre 1 : Énergie',
      parentId: course.id,
    });
    const exercises = await buildFolder(rt, user, { name: 'Exercices ✓', parentId: chapter.id });
    const summary = await buildDocument(rt, user, {
      name: 'Résumé du cours.txt',
      bytes: 'L’énergie se conserve.\n',
      folderId: chapter.id,
    });
    const diagram = await buildDocument(rt, user, {
      name: 'Schéma électrique.png',
      bytes: PNG.a,
      folderId: exercises.id,
    });
    const notes = await buildDocument(rt, user, { name: 'notes.txt', bytes: 'à relire\n' });
    const draft = await buildDocument(rt, user, { name: 'Brouillon à jeter.txt', bytes: 'x' });
    await rt.apps.workspace.trashDocument(user, draft.id);
    return { ids: [course.id, chapter.id, exercises.id, summary.id, diagram.id, notes.id] };
  },

  async blog(rt, user) {
    const poster = await buildDocument(rt, user, { name: 'Affiche de la fête.png', bytes: PNG.a });
    const blog = await buildBlog(rt, user, {
      title: 'Le blog de la 6e A — sorties',
      description: 'Sorties & projets de l’année',
      thumbnailId: poster.id,
      commentPolicy: 'IMMEDIATE',
      publicationPolicy: 'IMMEDIATE',
    });
    const photo = await buildBlogImage(rt, user, blog, {
      name: 'Photo de classe.png',
      bytes: PNG.b,
    });
    const museum = await buildPost(rt, user, blog, {
      title: 'Sortie au musée d’Orsay',
      content:
        '<p>Nous avons vu des <strong>œuvres</strong> &amp; des sculptures.</p>' +
        `<p><img src="${documentUrl(poster.id)}" alt="L’affiche"></p>` +
        `<p><img src="${photo.url}" alt="La classe"></p>`,
    });
    const draft = await buildPost(rt, user, blog, {
      title: 'Brouillon : fête de l’école',
      content: '<p>À compléter…</p>',
      state: 'DRAFT',
    });
    const first = await buildComment(rt, user, museum, 'Très belle sortie ! 👏');
    const second = await buildComment(rt, user, museum, 'Merci aux accompagnateurs.');
    return { ids: [blog.id, museum.id, draft.id, first.id, second.id] };
  },

  async news(rt, user) {
    const icon = await buildDocument(rt, user, { name: 'Icône du fil.png', bytes: PNG.c });
    const hours = await buildDocument(rt, user, {
      name: 'Horaires de rentrée.txt',
      bytes: 'Lundi 8 h 00 – 6e ; 10 h 00 – 5e\n',
    });
    const thread = await buildThread(rt, user, {
      title: 'Vie du collège — informations',
      iconDocumentId: icon.id,
    });
    const back = await buildNewsItem(rt, user, thread, {
      title: 'Rentrée des classes',
      content:
        '<p>Bienvenue à <strong>tous</strong> &amp; bonne année !</p>' +
        `<p>Voir <a href="${documentUrl(hours.id)}">les horaires</a>.</p>`,
      publishAt: day('2025-09-01T06:00:00Z'),
    });
    const menu = await buildNewsItem(rt, user, thread, {
      title: 'Menu de la cantine',
      content: '<ul><li>Lundi : pâtes</li><li>Mardi : crêpes</li></ul>',
      headline: true,
      publishAt: day('2025-09-02T06:00:00Z'),
    });
    const council = await buildNewsItem(rt, user, thread, {
      title: 'Conseil de classe',
      content: '<p>Ordre du jour à venir</p>',
      state: 'DRAFT',
      publishAt: day('2025-09-03T06:00:00Z'),
    });
    const theatre = await buildNewsItem(rt, user, thread, {
      title: 'Sortie au théâtre',
      content: '<p>Le mois prochain</p>',
      publishAt: day('2031-01-15T08:00:00Z'),
    });
    const old = await buildNewsItem(rt, user, thread, {
      title: 'Ancienne information',
      content: '<p>Passée</p>',
      publishAt: day('2024-01-01T08:00:00Z'),
      expiresAt: day('2024-06-01T08:00:00Z'),
    });
    const thanks = await buildNewsComment(rt, user, back, 'Merci, à lundi !');
    return { ids: [thread.id, back.id, menu.id, council.id, theatre.id, old.id, thanks.id] };
  },

  async calendar(rt, user) {
    const permission = await buildDocument(rt, user, {
      name: 'Autorisation de sortie.txt',
      bytes: 'Signature des parents\n',
    });
    const calendar = await buildCalendar(rt, user, {
      title: 'Classe de 6e B — agenda',
      color: '#e76f51',
    });
    const maths = await buildEvent(rt, user, calendar, {
      title: 'Mathématiques',
      start: '2025-09-01T08:30:00+02:00',
      end: '2025-09-01T09:25:00+02:00',
      timeZone: 'Europe/Paris',
      rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=30',
      description: `<p>Chapitre 3 &amp; exercices : <a href="${documentUrl(permission.id)}">la fiche</a></p>`,
      location: 'Salle 12',
    });
    const trip = await buildEvent(rt, user, calendar, {
      title: 'Sortie au musée',
      allDay: true,
      start: '2025-10-06',
      end: '2025-10-07',
      attachments: [permission.id],
    });
    const council = await buildEvent(rt, user, calendar, {
      uid: 'conseil-2025@college.test',
      title: 'Conseil de classe',
      start: '2025-12-04T17:30:00Z',
      end: '2025-12-04T19:00:00Z',
    });
    return { ids: [calendar.id, maths.id, trip.id, council.id] };
  },

  async wiki(rt, user) {
    const cell = await buildDocument(rt, user, {
      name: 'Schéma de la cellule.png',
      bytes: PNG.b,
    });
    const wiki = await buildWiki(rt, user, {
      title: 'Cours de sciences — SVT',
      description: 'Le cours de 5e, chapitre par chapitre',
    });
    const intro = await buildPage(rt, user, wiki, {
      title: 'Introduction',
      content: '<p>Bienvenue dans le cours !</p>',
    });
    const chapter = await buildPage(rt, user, wiki, {
      title: 'Chapitre 1 : la cellule',
      content:
        `<p>Relire l’<a href="/wiki/${wiki.id}/pages/${intro.id}">introduction</a>.</p>` +
        `<p><img src="${documentUrl(cell.id)}" alt="Schéma"></p>`,
    });
    const exercises = await buildPage(rt, user, wiki, {
      title: 'Exercices corrigés',
      content: '<p>Trois exercices.</p>',
      parentId: chapter.id,
    });
    const first = await buildPage(rt, user, wiki, {
      title: 'Énoncé n° 1',
      content: '<p>Observer une cellule d’oignon.</p>',
      parentId: exercises.id,
    });
    // A second version: the first one goes to the page's history.
    await rt.apps.wiki.updatePage(user, wiki.id, intro.id, {
      content: '<p>Bienvenue dans le cours de <em>SVT</em> !</p>',
    });
    return { ids: [wiki.id, intro.id, chapter.id, exercises.id, first.id] };
  },
};

/** The data files of an app's folder: those its adapter declares, else every JSON file there. */
function dataFiles(
  rt: RoundTripRuntime,
  app: AppId,
  archive: ExportedArchive,
): { path: string; file: Pick<RecordFile, 'kind'> & Partial<RecordFile> }[] {
  const folder = archive.manifest.apps[app]?.folder;
  if (folder === undefined) throw new Error(`${app} is not in the archive`);
  const declared = rt.apps.list.find((a) => a.id === app)?.archive?.records ?? [];
  if (declared.length > 0) {
    return declared
      .filter((f) => archive.names.includes(`${folder}/${f.name}`))
      .map((f) => ({ path: `${folder}/${f.name}`, file: f }));
  }
  return archive.names
    .filter((n) => n.startsWith(`${folder}/`) && !n.slice(folder.length + 1).includes('/'))
    .filter((n) => n.endsWith('.json') || n.endsWith('.ndjson'))
    .map((n) => ({ path: n, file: { kind: n.endsWith('.ndjson') ? 'ndjson' : 'json' } }));
}

/** The records of the data files of `apps` in an archive, each checked by its schema if any. */
export async function readRecords(
  rt: RoundTripRuntime,
  archive: ExportedArchive,
  apps: readonly AppId[],
): Promise<ExportRecords> {
  const records: ExportRecords = {};
  for (const app of apps) {
    for (const { path, file } of dataFiles(rt, app, archive)) {
      const text = await archive.text(path);
      const values: unknown[] =
        file.kind === 'ndjson'
          ? text
              .split('\n')
              .filter((l) => l !== '')
              .map((l) => JSON.parse(l) as unknown)
          : [JSON.parse(text) as unknown];
      const checked = values.map((v) => (file.schema === undefined ? v : file.schema.parse(v)));
      records[path] =
        file.kind === 'json' && Array.isArray(checked[0]) ? (checked[0] as unknown[]) : checked;
    }
  }
  return records;
}

/**
 * Exports `app` of `user` (with the Espace documentaire, which holds the files its content
 * points at) through the export service, and reads back the records of both. The runtime's
 * queue worker must be running.
 */
export async function exportApp(
  rt: RoundTripRuntime,
  user: User,
  app: AppId,
  dir: string,
): Promise<AppExport> {
  const apps: AppId[] = app === 'workspace' ? ['workspace'] : [app, 'workspace'];
  const archive = await exportThroughService(rt, user, { apps }, dir);
  return { archive, records: await readRecords(rt, archive, apps) };
}

/** Seeds `app` for `user` with `seeds[app]`, then exports it (see `exportApp`). */
export async function seedAndExport(
  rt: RoundTripRuntime,
  user: User,
  app: AppId,
  dir: string,
): Promise<AppExport & { seeded: Seeded }> {
  const seeded = await seeds[app](rt, user);
  return { seeded, ...(await exportApp(rt, user, app, dir)) };
}

/** One round-trip helper per app: seed its representative content, export, read back. */
export const roundTrip = {
  workspace: (rt: RoundTripRuntime, user: User, dir: string) =>
    seedAndExport(rt, user, 'workspace', dir),
  blog: (rt: RoundTripRuntime, user: User, dir: string) => seedAndExport(rt, user, 'blog', dir),
  news: (rt: RoundTripRuntime, user: User, dir: string) => seedAndExport(rt, user, 'news', dir),
  calendar: (rt: RoundTripRuntime, user: User, dir: string) =>
    seedAndExport(rt, user, 'calendar', dir),
  wiki: (rt: RoundTripRuntime, user: User, dir: string) => seedAndExport(rt, user, 'wiki', dir),
} satisfies Record<AppId, (rt: RoundTripRuntime, user: User, dir: string) => Promise<AppExport>>;

// ---- Comparing exports modulo ids ----------------------------------------------------------

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** A field naming an id: `id`, `…Id`, `…Ids` (their strings are ids even when not UUIDs). */
const isIdField = (key: string) => key === 'id' || /[a-z](Id|Ids)$/.test(key);

export interface CompareOptions {
  /** Fields left out of the comparison wherever they are (timestamps, names of people...). */
  ignore?: readonly string[];
}

export interface Comparison {
  /** One line per difference, with where it is (`Blog/posts.ndjson[1].title: ...`). */
  readonly differences: string[];
  /** How the ids of the first export correspond to those of the second. */
  readonly ids: ReadonlyMap<string, string>;
}

/** A record with ignored fields removed and ids blanked: what pairs records up. */
function shape(value: unknown, ignore: ReadonlySet<string>, idField = false): unknown {
  if (typeof value === 'string') return idField ? '<id>' : value.replace(UUID, '<id>');
  if (Array.isArray(value)) return value.map((v) => shape(v, ignore, idField));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value).sort(([x], [y]) => x.localeCompare(y))) {
      if (!ignore.has(k)) out[k] = shape(v, ignore, isIdField(k));
    }
    return out;
  }
  return value;
}

/**
 * Compares two exports' records modulo ids: each file must hold the same records (in any
 * order) once ignored fields are left out, and every id of `a` (a field named like an id, or
 * a UUID anywhere in a string: HTML links, ICS UIDs) must correspond to one id of `b`, the same
 * throughout both exports, and the other way round. Records are paired by their content with
 * ids blanked, so two records of one file differing only by ids may pair up either way: seed
 * distinct content.
 */
export function compareRecords(
  a: ExportRecords,
  b: ExportRecords,
  options: CompareOptions = {},
): Comparison {
  const ignore = new Set(options.ignore ?? []);
  const differences: string[] = [];
  const forward = new Map<string, string>();
  const backward = new Map<string, string>();

  const sameId = (x: string, y: string, where: string): boolean => {
    const fx = forward.get(x);
    const by = backward.get(y);
    if (fx === undefined && by === undefined) {
      forward.set(x, y);
      backward.set(y, x);
      return true;
    }
    if (fx === y && by === x) return true;
    differences.push(
      `${where}: id ${x} ↦ ${y}, but ${x} ↦ ${fx ?? '(nothing)'} and ${by ?? '(nothing)'} ↦ ${y} elsewhere`,
    );
    return false;
  };

  const sameString = (x: string, y: string, idField: boolean, where: string) => {
    if (idField) {
      sameId(x, y, where);
      return;
    }
    const xs = x.split(UUID);
    const ys = y.split(UUID);
    const xi = x.match(UUID) ?? [];
    const yi = y.match(UUID) ?? [];
    if (!isDeepStrictEqual(xs, ys) || xi.length !== yi.length) {
      differences.push(`${where}: ${JSON.stringify(x)} ≠ ${JSON.stringify(y)}`);
      return;
    }
    xi.forEach((id, i) => sameId(id.toLowerCase(), (yi[i] ?? '').toLowerCase(), where));
  };

  const compare = (x: unknown, y: unknown, where: string, idField: boolean): void => {
    if (typeof x === 'string' && typeof y === 'string') {
      sameString(x, y, idField, where);
      return;
    }
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length) {
        differences.push(`${where}: ${x.length} items ≠ ${y.length}`);
        return;
      }
      x.forEach((v, i) => compare(v, y[i], `${where}[${i}]`, idField));
      return;
    }
    if (isObject(x) && isObject(y)) {
      const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
      for (const k of [...keys].sort()) {
        if (ignore.has(k)) continue;
        if (!(k in x) || !(k in y)) {
          differences.push(`${where}.${k}: only in ${k in x ? 'the first' : 'the second'}`);
          continue;
        }
        compare(x[k], y[k], `${where}.${k}`, isIdField(k));
      }
      return;
    }
    if (!isDeepStrictEqual(x, y)) {
      differences.push(`${where}: ${JSON.stringify(x)} ≠ ${JSON.stringify(y)}`);
    }
  };

  const files = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const file of [...files].sort()) {
    const xs = a[file];
    const ys = b[file];
    if (xs === undefined || ys === undefined) {
      differences.push(`${file}: only in ${xs === undefined ? 'the second' : 'the first'} export`);
      continue;
    }
    if (xs.length !== ys.length) {
      differences.push(`${file}: ${xs.length} records ≠ ${ys.length}`);
      continue;
    }
    // Pair records by their content, ids blanked: exports may order by id.
    const key = (r: unknown) => JSON.stringify(shape(r, ignore));
    const sorted = (rs: unknown[]) =>
      rs
        .map((r, i) => ({ r, k: key(r), i }))
        .sort((p, q) => (p.k < q.k ? -1 : p.k > q.k ? 1 : p.i - q.i));
    const px = sorted(xs);
    const py = sorted(ys);
    px.forEach((p, n) => compare(p.r, py[n]?.r, `${file}[${p.i}]`, false));
  }
  return { differences, ids: forward };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
