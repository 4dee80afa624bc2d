import { isFailureCode, type FailureCode } from '../contracts/archive.ts';
import type { Manifest, ManifestApp } from './format.ts';

/**
 * The archive's `index.html`: the first page a pupil opens, offline, in any browser. It says
 * in the app's words and formats what the archive holds, app by app: the pages to read and
 * the files, each a link by relative path. No script, no request outside the archive.
 *
 * French typography: a non-breaking space (NBSP) before « : ; ! ? » and inside « »,
 * written in the strings below; numbers, sizes and dates come from Intl (fr-FR).
 */

const NBSP = '\u00a0';

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** A relative link that works from the archive's root on any system (each segment encoded). */
const href = (path: string) => path.split('/').map(encodeURIComponent).join('/');

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** "14,1 ko", "1,2 Mo", as the app shows sizes (binary multiples, Intl units). */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return byteFormat(unit).format(value);
}

/** One formatter per unit: making an Intl.NumberFormat costs more than formatting a size. */
const byteFormats = new Map<number, Intl.NumberFormat>();
function byteFormat(unit: number): Intl.NumberFormat {
  let format = byteFormats.get(unit);
  if (format === undefined) {
    format = new Intl.NumberFormat('fr-FR', {
      style: 'unit',
      unit: BYTE_UNITS[unit] ?? 'byte',
      unitDisplay: 'short',
      maximumFractionDigits: unit === 0 ? 0 : 1,
    });
    byteFormats.set(unit, format);
  }
  return format;
}

/** "5 décembre 2026 à 09:05", as the app shows dates (no seconds), in the ENT's time zone. */
export function formatDate(iso: string): string {
  return new Date(iso).toLocaleString('fr-FR', {
    timeZone: 'Europe/Paris',
    dateStyle: 'long',
    timeStyle: 'short',
  });
}

/** "1 élément", "3 éléments": the app's words, with real plural forms. */
function count(n: number, one: string, other: string): string {
  return `${n.toLocaleString('fr-FR')}${NBSP}${n >= 2 ? other : one}`;
}

/** The failure codes in the archive's words (`FAILURE_CODES`); the manifest keeps the code. */
const FAILURE_TEXTS: Readonly<Record<FailureCode, string>> = {
  document_unreadable: 'fichier introuvable ou illisible sur le serveur',
  app_failed: "l'application n'a pas pu être exportée",
  storage_unavailable: "l'archive n'a pas pu être enregistrée",
  export_failed: "l'archive n'a pas pu être préparée",
};

const failureText = (code: string | undefined) =>
  isFailureCode(code) ? FAILURE_TEXTS[code] : 'raison inconnue';

/** "Ces éléments n'ont pas pu être copiés" and each one's name and why. */
function failedList(app: ManifestApp): string {
  const failed = app.failed ?? [];
  if (failed.length === 0) return '';
  const title =
    failed.length === 1
      ? `Cet élément n'a pas pu être copié${NBSP}:`
      : `Ces ${failed.length.toLocaleString('fr-FR')} éléments n'ont pas pu être copiés${NBSP}:`;
  return `<div class="failed"><p><strong>${title}</strong></p><ul>${failed
    .map((f) => `<li>${esc(f.name)} <small>(${esc(failureText(f.code))})</small></li>`)
    .join('')}</ul></div>`;
}

function statusLine(app: ManifestApp): string {
  const what =
    app.items === 0
      ? 'Rien à exporter.'
      : app.bytes === 0
        ? `${count(app.items, 'élément', 'éléments')}.`
        : `${count(app.items, 'élément', 'éléments')}, ${formatBytes(app.bytes)}.`;
  switch (app.status) {
    case 'complete':
      return `<p>${what}</p>`;
    case 'partial':
      return `<p>${what}</p>${failedList(app)}`;
    case 'failed':
      return `<p><strong class="failed">Échec de l'export${NBSP}: ${esc(failureText(app.error))}.</strong></p>${failedList(app)}`;
  }
}

interface Listed {
  path: string;
  size: number;
}

/**
 * Files grouped by their folder under the app's folder ("Mes documents › Mes devoirs"), each
 * a link named as users know it: a page by its title (no ".html"), a file by its name.
 */
function groupedList(
  prefix: string,
  files: readonly Listed[],
  titles?: ReadonlyMap<string, string | undefined>,
): string {
  const groups = new Map<string, Listed[]>();
  for (const f of files) {
    const parts = f.path.slice(prefix.length).split('/');
    const folder = parts.slice(0, -1).join(' › ');
    // Pushed in place: copying the group per file is quadratic in a folder of 20,000 files.
    const group = groups.get(folder);
    if (group === undefined) groups.set(folder, [f]);
    else group.push(f);
  }
  const item = (f: Listed) => {
    const name = f.path.slice(f.path.lastIndexOf('/') + 1);
    const label =
      titles === undefined ? name : (titles.get(f.path) ?? name.replace(/\.html$/i, ''));
    const size =
      titles !== undefined || f.size === 0 ? '' : ` <small>${formatBytes(f.size)}</small>`;
    return `<li><a href="${href(f.path)}">${esc(label)}</a>${size}</li>`;
  };
  return [...groups]
    .map(
      ([folder, xs]) =>
        `${folder === '' ? '' : `<h4>${esc(folder)}</h4>`}<ul>${xs.map(item).join('')}</ul>`,
    )
    .join('');
}

/**
 * The archive's `index.html`. `pages` are the pages the apps wrote to be read offline (a
 * post, a wiki page), by path, with their title; any other file, an uploaded `.html` or `.svg` included, is
 * a file. The apps' data files (JSON) are not listed: they are for programs.
 */
export function renderIndexHtml(
  manifest: Omit<Manifest, 'files'>,
  files: readonly Listed[],
  pages: ReadonlyMap<string, string | undefined> = new Map(),
): string {
  const sections = Object.entries(manifest.apps).map(([id, app]) => {
    const prefix = `${app.folder}/`;
    const own = files.filter((f) => f.path.startsWith(prefix));
    const toRead = own.filter((f) => pages.has(f.path));
    const others = own.filter(
      (f) =>
        !pages.has(f.path) &&
        !(/\.(json|ndjson)$/i.test(f.path) && !f.path.slice(prefix.length).includes('/')),
    );
    return `<section id="${esc(id)}"><h2>${esc(app.label)}</h2>${statusLine(app)}${
      toRead.length > 0
        ? `<h3>${toRead.length === 1 ? 'Page à lire' : 'Pages à lire'}</h3>${groupedList(prefix, toRead, pages)}`
        : ''
    }${
      others.length > 0
        ? `<h3>${others.length === 1 ? 'Fichier' : 'Fichiers'}</h3>${groupedList(prefix, others)}`
        : ''
    }</section>`;
  });
  return `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src 'self'">
<title>Mes Données – ${esc(manifest.user.displayName)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
h1{font-size:1.6rem}h2{border-bottom:2px solid #246;padding-bottom:.2rem;margin-top:2rem}
h4{margin:.8rem 0 .2rem;color:#333}
a{color:#1a4c8b}a:focus{outline:3px solid #f90}small{color:#555}.failed{color:#a00}
nav ul{display:flex;flex-wrap:wrap;gap:1rem;list-style:none;padding:0}
</style>
</head>
<body>
<header><h1>Mes Données de ${esc(manifest.user.displayName)}</h1>
<p>Cette archive a été créée le ${esc(formatDate(manifest.export.createdAt))} sur ${esc(manifest.instance.name)}, pour le compte ${esc(manifest.user.login)}.</p>
<p>Elle contient un dossier par application. Cliquez sur un nom pour l'ouvrir${NBSP}: les pages s'ouvrent dans le navigateur, les documents gardent leur format d'origine.</p></header>
<nav aria-label="Applications"><ul>${Object.entries(manifest.apps)
    .map(([id, app]) => `<li><a href="#${esc(id)}">${esc(app.label)}</a></li>`)
    .join('')}</ul></nav>
<main>${sections.join('\n')}</main>
</body>
</html>
`;
}
