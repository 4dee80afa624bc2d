/**
 * The standalone `.html` copy of a wiki page in an archive: a complete document that opens
 * offline, with nothing that runs and nothing fetched from outside the archive, its links to
 * the other pages of the archive made relative.
 */
import sanitizeHtml from 'sanitize-html';
import {
  escapeHtml,
  homeLink,
  leadsOutside,
  PAGE_CSP,
  relativeHref as archiveHref,
  type PageDocuments,
} from '../../../archive/html-page.ts';
import { sanitize } from '../../../html/sanitize.ts';
import { parsePagePath } from '../wiki-links.ts';

/** Where each exported page's `.html` copy is: its wiki's folder and its file name there. */
export interface PageFile {
  wikiId: string;
  /** The wiki's folder name (one component, under the app's folder). */
  dir: string;
  file: string;
  title: string;
  parentId: string | null;
}

/** A relative link from a page of `fromDir` to another page's `.html` file. */
export function relativeHref(fromDir: string, to: PageFile): string {
  const file = encodeURIComponent(to.file);
  return to.dir === fromDir ? file : `../${encodeURIComponent(to.dir)}/${file}`;
}

const DATA_IMAGE = /^data:image\/(png|jpeg|gif|webp);/i;

/**
 * Page HTML for the archive copy, from the HTML as stored (sanitised again first, with the
 * one allowlist of every app; the pass below only rewrites what that allowlist let through):
 * - links to pages that are in the archive become relative links to their `.html` file
 *   (the fragment kept); links to the web and mail are left as they are; other links (pages
 *   of the ENT) lead nowhere offline and become plain text;
 * - images and links of workspace documents the archive holds point at their file by relative
 *   path (`archiveDir`: the page's folder in the archive); others become a mention of the
 *   document (its name and where it would be, its id in `data-document-id`). Documents the
 *   user may not read through the page are "non disponible".
 */
export function offlinePageHtml(
  html: string,
  from: { dir: string; archiveDir: string },
  files: ReadonlyMap<string, PageFile>,
  documents: PageDocuments,
): string {
  const documentOf = (url: string | undefined) => {
    const id = documents.idOf(url?.trim() ?? '');
    return { id, doc: id === undefined ? undefined : documents.readable.get(id) };
  };
  // The allowlist applied first; this pass only rewrites (no tag is added back).
  return sanitizeHtml(sanitize(html), {
    allowedTags: false,
    allowedAttributes: false,
    allowVulnerableTags: true,
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['data'] },
    allowProtocolRelative: false,
    transformTags: {
      img: (tagName, attribs): sanitizeHtml.Tag => {
        if (DATA_IMAGE.test(attribs.src ?? '')) return { tagName, attribs };
        const { id, doc } = documentOf(attribs.src);
        if (id === undefined || doc === undefined)
          return {
            tagName: 'span',
            attribs: { class: 'document missing' },
            text: '[Image non disponible]',
          };
        const alt = attribs.alt?.trim() ?? '';
        if (doc.path !== undefined)
          return {
            tagName,
            attribs: {
              ...attribs,
              src: archiveHref(from.archiveDir, doc.path),
              alt: alt === '' ? doc.name : alt,
              'data-document-id': id,
            },
          };
        return {
          tagName: 'span',
          attribs: { class: 'document', title: doc.location, 'data-document-id': id },
          text: `[Image : ${doc.name}${alt !== '' && alt !== doc.name ? ` – ${alt}` : ''}]`,
        };
      },
      a: (tagName, attribs): sanitizeHtml.Tag => {
        const link = parsePagePath(attribs.href ?? '');
        const target = link === undefined ? undefined : files.get(link.pageId);
        if (link !== undefined && target !== undefined && target.wikiId === link.wikiId) {
          const href = `${relativeHref(from.dir, target)}${link.hash}`;
          return { tagName, attribs: { ...attribs, href } };
        }
        if (leadsOutside(attribs.href ?? '')) return { tagName, attribs };
        const { id, doc } = documentOf(attribs.href);
        if (id !== undefined && doc?.path !== undefined)
          return {
            tagName,
            attribs: {
              href: archiveHref(from.archiveDir, doc.path),
              'data-document-id': id,
            },
          };
        // A page of the ENT (or of a wiki not in the archive): text, it leads nowhere offline.
        if (id === undefined) return { tagName: 'span', attribs: {} };
        const title = doc === undefined ? undefined : `${doc.name} – ${doc.location}`;
        return {
          tagName: 'span',
          attribs:
            title === undefined
              ? { class: 'document missing', title: 'Document non disponible' }
              : { class: 'document', title, 'data-document-id': id },
        };
      },
    },
  });
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
a{color:#1a4c8b}a:focus{outline:3px solid #f90}img{max-width:100%;height:auto}
nav,footer{font-size:.9rem;color:#555}.document{background:#eef3fa;border-radius:.2rem;padding:0 .2rem}.missing{color:#777}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2rem .4rem}`;

interface NavLink {
  href: string;
  title: string;
}

const anchor = (l: NavLink) => `<a href="${escapeHtml(l.href)}">${escapeHtml(l.title)}</a>`;

/** A page as a complete HTML document that opens offline: no script, nothing fetched outside. */
export function pageDocument(input: {
  wiki: { title: string };
  /** The page's folder in the archive ("Cours et Wiki/Sciences"), for the link back home. */
  dir: string;
  page: { title: string; authorName: string | null; modifiedAt: number };
  /** The page's HTML, made offline by `offlinePageHtml`. */
  body: string;
  /** Links (relative hrefs) to the pages above this one, the root first, and below it. */
  ancestors: readonly NavLink[];
  children: readonly NavLink[];
}): string {
  const { wiki, page } = input;
  const date = new Date(page.modifiedAt).toLocaleString('fr-FR', {
    timeZone: 'Europe/Paris',
    dateStyle: 'long',
    timeStyle: 'short',
  });
  const crumbs = [escapeHtml(wiki.title), ...input.ancestors.map(anchor)].join(' › ');
  const children =
    input.children.length === 0
      ? ''
      : `<nav aria-label="Sous-pages"><h2>Sous-pages</h2><ul>${input.children
          .map((c) => `<li>${anchor(c)}</li>`)
          .join('')}</ul></nav>\n`;
  const by = page.authorName === null ? '' : ` par ${escapeHtml(page.authorName)}`;
  return `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${PAGE_CSP}">
<title>${escapeHtml(page.title)} – ${escapeHtml(wiki.title)}</title>
<style>
${STYLE}
</style>
</head>
<body>
${homeLink(input.dir)}
<nav aria-label="Fil d'Ariane">${crumbs}</nav>
<main>
<h1>${escapeHtml(page.title)}</h1>
<article>
${input.body}
</article>
</main>
${children}<footer><p>Modifiée le ${escapeHtml(date)}${by}.</p></footer>
</body>
</html>
`;
}
