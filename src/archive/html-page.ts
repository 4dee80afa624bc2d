import sanitizeHtml from 'sanitize-html';
import { HTML_ALLOWLIST } from '../html/sanitize.ts';

/**
 * Standalone HTML copies of app content (a post, a news item) for the offline archive: a complete
 * page that opens from the unzipped folder in any browser, with nothing that runs and nothing
 * fetched from outside the archive, and a link back to the archive's `index.html`.
 *
 * Documents: content points at workspace documents by URL. Pages are written once every app is
 * (`ExportContext.afterApps`), when the workspace's paths are known: an image the archive holds
 * is shown from its file, a link to a document leads to its file, both by relative path. A
 * document the archive does not hold is named as text (its real name, and where it would be);
 * one the user may not read is "non disponible". Links to other pages of the ENT lead nowhere
 * offline: they are plain text. The app's JSON keeps the HTML as stored.
 *
 * This layer knows nothing of the workspace: which URLs name documents, which the user may
 * read and how to say where they are come from the caller (`PageDocuments`, which the
 * workspace builds with `pageDocuments` in `src/apps/workspace/archive/page-documents.ts`).
 */

/** A document a page may name: the user may read it, and the archive holds it. */
export interface NamedDocument {
  readonly name: string;
  /** Where the archive keeps it, or that it does not ("Espace documentaire › Mes documents"). */
  readonly location: string;
  /** Its full path in the archive, when the archive holds its file. */
  readonly path?: string;
}

/** What a page may say of the documents its content points at. */
export interface PageDocuments {
  /** The id of the document a URL of the content points at; undefined: not a document URL. */
  idOf(url: string): string | undefined;
  /** The documents the user may read, by id; others are named "non disponible". */
  readonly readable: ReadonlyMap<string, NamedDocument>;
  /** One sentence above the page's list of its documents: where the archive keeps them. */
  readonly note: string;
}

export interface PageInput {
  /** The page's title (plain text). */
  title: string;
  /** Where the content comes from, above the title ("Blog : Le blog de la 6e A"). */
  context: string;
  /** Author, dates, state: one plain-text line each. */
  meta: readonly string[];
  /** The content as stored (sanitised on write), sanitised again here. */
  html: string;
  /** The page's folder in the archive ("Blog/Le blog de la 6e A"): links are relative to it. */
  dir: string;
  documents: PageDocuments;
}

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/**
 * A relative link from a page in the folder `fromDir` to the archive path `to` (both full
 * paths in the archive), each segment URL-encoded: it works from the unzipped folder.
 */
export function relativeHref(fromDir: string, to: string): string {
  const up = fromDir === '' ? 0 : fromDir.split('/').length;
  return `${'../'.repeat(up)}${to.split('/').map(encodeURIComponent).join('/')}`;
}

/** The link back to the archive's `index.html` that every page starts with. */
export function homeLink(fromDir: string): string {
  return `<p class="home"><a href="${escapeHtml(relativeHref(fromDir, 'index.html'))}">← Retour au sommaire de l'archive</a></p>`;
}

/** Whether a link leads somewhere offline: the web, mail, or a place in the page itself. */
export function leadsOutside(href: string): boolean {
  return /^(https?:|mailto:)/i.test(href.trim()) || href.trim().startsWith('#');
}

/** A date as French readers expect it (the ENT's time zone). */
export function frenchDate(ms: number): string {
  return new Date(ms).toLocaleString('fr-FR', {
    timeZone: 'Europe/Paris',
    dateStyle: 'long',
    timeStyle: 'short',
  });
}

/** Rewrites the content for offline reading; returns it with the documents it names. */
function offlineContent(
  content: string,
  dir: string,
  documents: PageDocuments,
): {
  html: string;
  named: { id: string; doc: NamedDocument }[];
} {
  const named = new Map<string, NamedDocument>();
  const documentOf = (url: string | undefined) => {
    const id = url === undefined ? undefined : documents.idOf(url);
    const doc = id === undefined ? undefined : documents.readable.get(id);
    if (id !== undefined && doc !== undefined) named.set(id, doc);
    return { id, doc };
  };
  const html = sanitizeHtml(content, {
    // The apps' allowlist (the content was sanitised with it on write), plus the mentions of
    // documents this page makes; images are all rewritten below.
    ...HTML_ALLOWLIST,
    allowedTags: [...HTML_ALLOWLIST.allowedTags, 'span'],
    allowedAttributes: {
      ...HTML_ALLOWLIST.allowedAttributes,
      a: [...HTML_ALLOWLIST.allowedAttributes.a, 'data-document-id'],
      img: [...HTML_ALLOWLIST.allowedAttributes.img, 'data-document-id'],
      span: ['class', 'title', 'data-document-id'],
    },
    exclusiveFilter: undefined,
    transformTags: {
      img: (tagName, attribs): sanitizeHtml.Tag => {
        const src = attribs.src ?? '';
        if (/^data:image\/(png|jpeg|gif|webp);/i.test(src)) return { tagName, attribs };
        const { id, doc } = documentOf(src);
        if (id === undefined || doc === undefined) {
          return {
            tagName: 'span',
            attribs: { class: 'document missing' },
            text: '[Image non disponible]',
          };
        }
        const alt = attribs.alt?.trim() ?? '';
        if (doc.path !== undefined) {
          return {
            tagName,
            attribs: {
              ...attribs,
              src: relativeHref(dir, doc.path),
              alt: alt === '' ? doc.name : alt,
              'data-document-id': id,
            },
          };
        }
        return {
          tagName: 'span',
          attribs: { class: 'document', title: doc.location, 'data-document-id': id },
          text: `[Image : ${doc.name}${alt !== '' && alt !== doc.name ? ` – ${alt}` : ''}]`,
        };
      },
      a: (tagName, attribs): sanitizeHtml.Tag => {
        const href = attribs.href ?? '';
        if (leadsOutside(href)) {
          return {
            tagName,
            attribs:
              attribs.target === '_blank' ? { ...attribs, rel: 'noopener noreferrer' } : attribs,
          };
        }
        const { id, doc } = documentOf(href);
        if (id !== undefined && doc?.path !== undefined)
          return {
            tagName,
            attribs: { href: relativeHref(dir, doc.path), 'data-document-id': id },
          };
        // A page of the ENT, or a document the archive does not hold: it leads nowhere
        // offline, so it is text, not a link.
        if (id === undefined || doc === undefined) return { tagName: 'span', attribs: {} };
        return {
          tagName: 'span',
          attribs: { class: 'document', title: doc.location, 'data-document-id': id },
        };
      },
    },
  });
  return { html, named: [...named].map(([id, doc]) => ({ id, doc })) };
}

/** The list of a page's documents, each linked to its file when the archive holds it. */
function documentList(
  dir: string,
  note: string,
  named: readonly { id: string; doc: NamedDocument }[],
): string {
  if (named.length === 0) return '';
  const item = ({ id, doc }: { id: string; doc: NamedDocument }) =>
    doc.path === undefined
      ? `<li data-document-id="${escapeHtml(id)}">${escapeHtml(doc.name)} <small>(${escapeHtml(doc.location)})</small></li>`
      : `<li data-document-id="${escapeHtml(id)}"><a href="${escapeHtml(relativeHref(dir, doc.path))}">${escapeHtml(doc.name)}</a></li>`;
  return `<section class="documents" aria-labelledby="documents">
<h2 id="documents">Documents</h2>
<p>${escapeHtml(note)}</p>
<ul>${named.map(item).join('')}</ul>
</section>`;
}

/** A complete, inert HTML page for one piece of content. */
export function renderPage(input: PageInput): string {
  const { html, named } = offlineContent(input.html, input.dir, input.documents);
  return `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${PAGE_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;line-height:1.6;color:#1a1a1a}
h1{font-size:1.7rem;margin:.3rem 0}.context,.meta{color:#555;margin:.2rem 0}
img{max-width:100%;height:auto}a{color:#1a4c8b}a:focus{outline:3px solid #f90}
.document{background:#eef3fa;border:1px solid #9bb3d4;border-radius:4px;padding:0 .3rem}
.missing{background:#f4f4f4;border-color:#bbb}.documents{border-top:1px solid #ccc;margin-top:2rem}
</style>
</head>
<body>
<nav aria-label="Sommaire">${homeLink(input.dir)}</nav>
<article>
<header>
<p class="context">${escapeHtml(input.context)}</p>
<h1>${escapeHtml(input.title)}</h1>
${input.meta.map((line) => `<p class="meta">${escapeHtml(line)}</p>`).join('\n')}
</header>
<div class="content">
${html}
</div>
${documentList(input.dir, input.documents.note, named)}
</article>
</body>
</html>
`;
}

/**
 * The pages' policy: nothing runs, nothing is fetched but images of the archive's own folder
 * (`file:` when opened from disk) and inline ones.
 */
export const PAGE_CSP = "default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'";
