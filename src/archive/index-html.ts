import { isFailureCode, type FailureCode } from '../contracts/archive.ts';
import type { Manifest, ManifestApp } from './format.ts';

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** A relative link that works from the archive's root on any system (each segment encoded). */
const href = (path: string) => path.split('/').map(encodeURIComponent).join('/');

function formatBytes(n: number): string {
  const units = ['o', 'Ko', 'Mo', 'Go', 'To'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toLocaleString('fr-FR', { maximumFractionDigits: unit === 0 ? 0 : 1 })} ${units[unit]}`;
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
      ? "Cet élément n'a pas pu être copié :"
      : "Ces éléments n'ont pas pu être copiés :";
  return `<div class="failed"><p><strong>${title}</strong></p><ul>${failed
    .map((f) => `<li>${esc(f.name)} <small>(${esc(failureText(f.code))})</small></li>`)
    .join('')}</ul></div>`;
}

function statusLine(app: ManifestApp): string {
  const done = `${app.items} élément(s), ${formatBytes(app.bytes)}`;
  switch (app.status) {
    case 'complete':
      return `<p>${done}</p>`;
    case 'partial':
      return `<p>${done}</p>${failedList(app)}`;
    case 'failed':
      return `<p><strong class="failed">Échec de l'export : ${esc(failureText(app.error))}</strong></p>${failedList(app)}`;
  }
}

/**
 * The archive's `index.html`: opens offline in any browser and lists the apps, their counts
 * and every file with a link. No script, no request outside the archive.
 */
export function renderIndexHtml(
  manifest: Omit<Manifest, 'files'>,
  files: readonly { path: string; size: number }[],
): string {
  const sections = Object.entries(manifest.apps).map(([id, app]) => {
    const prefix = `${app.folder}/`;
    const own = files.filter((f) => f.path.startsWith(prefix));
    const pages = own.filter((f) => f.path.endsWith('.html') || f.path.endsWith('.ics'));
    const others = own.filter((f) => !pages.includes(f) && !/\.(json|ndjson)$/.test(f.path));
    const list = (xs: readonly { path: string; size: number }[]) =>
      xs.length === 0
        ? ''
        : `<ul>${xs
            .map(
              (f) =>
                `<li><a href="${href(f.path)}">${esc(f.path.slice(prefix.length))}</a> <small>${formatBytes(f.size)}</small></li>`,
            )
            .join('')}</ul>`;
    const status = statusLine(app);
    return `<section id="${esc(id)}"><h2>${esc(app.label)}</h2>${status}${
      pages.length > 0 ? `<h3>Pages</h3>${list(pages)}` : ''
    }${others.length > 0 ? `<h3>Fichiers</h3>${list(others)}` : ''}</section>`;
  });
  const date = new Date(manifest.export.createdAt).toLocaleString('fr-FR', {
    timeZone: 'Europe/Paris',
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
a{color:#1a4c8b}a:focus{outline:3px solid #f90}small{color:#555}.failed{color:#a00}
nav ul{display:flex;flex-wrap:wrap;gap:1rem;list-style:none;padding:0}
</style>
</head>
<body>
<header><h1>Mes Données de ${esc(manifest.user.displayName)}</h1>
<p>Archive exportée le ${esc(date)} depuis ${esc(manifest.instance.name)} (identifiant ${esc(manifest.user.login)}).
Chaque application a son dossier ; les documents gardent leur format d'origine et les données
des applications sont aussi en JSON.</p></header>
<nav aria-label="Applications"><ul>${Object.entries(manifest.apps)
    .map(([id, app]) => `<li><a href="#${esc(id)}">${esc(app.label)}</a></li>`)
    .join('')}</ul></nav>
<main>${sections.join('\n')}</main>
</body>
</html>
`;
}
