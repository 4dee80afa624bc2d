import sanitizeHtml from 'sanitize-html';
import { HTML_ALLOWLIST } from '../html/sanitize.ts';

/**
 * Standalone HTML copies of app content (a post, a news item) for the offline archive: a complete
 * page that opens from the unzipped folder in any browser, with nothing that runs and nothing
 * fetched from outside the archive.
 *
 * Documents: content points at workspace documents by URL. The workspace is exported after the
 * apps that reference it and its paths are only known then (names are made safe and numbered on
 * collision), so a page cannot link to the file. Each such image or link becomes a visible
 * mention of the document (its real name, and where the archive keeps it), keeping its id in
 * `data-document-id`; the page ends with the list of its documents. The app's JSON keeps the
 * HTML as stored, and the workspace's `documents.ndjson` maps each id to its exact path.
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
  documents: PageDocuments;
}

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
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
    // documents this page makes; images are all rewritten below, so no source filter.
    ...HTML_ALLOWLIST,
    allowedTags: [...HTML_ALLOWLIST.allowedTags, 'span'],
    allowedAttributes: {
      ...HTML_ALLOWLIST.allowedAttributes,
      a: [...HTML_ALLOWLIST.allowedAttributes.a, 'data-document-id'],
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
        return {
          tagName: 'span',
          attribs: {
            class: 'document',
            title: doc.location,
            'data-document-id': id,
          },
          text: `[Image : ${doc.name}${alt !== '' && alt !== doc.name ? ` – ${alt}` : ''}]`,
        };
      },
      a: (tagName, attribs): sanitizeHtml.Tag => {
        const href = attribs.href ?? '';
        // Same-site paths lead nowhere offline; documents are named instead.
        if (!href.startsWith('/') || href.startsWith('//')) {
          return {
            tagName,
            attribs:
              attribs.target === '_blank' ? { ...attribs, rel: 'noopener noreferrer' } : attribs,
          };
        }
        const { id, doc } = documentOf(href);
        const { title } = attribs;
        if (id === undefined || doc === undefined)
          return { tagName, attribs: title === undefined ? {} : { title } };
        return {
          tagName,
          attribs: {
            title: `${doc.name} : ${doc.location}`,
            'data-document-id': id,
          },
        };
      },
    },
  });
  return { html, named: [...named].map(([id, doc]) => ({ id, doc })) };
}

/** A complete, inert HTML page for one piece of content. */
export function renderPage(input: PageInput): string {
  const pageDocuments = input.documents;
  const { html, named } = offlineContent(input.html, pageDocuments);
  const documents =
    named.length === 0
      ? ''
      : `<section class="documents" aria-labelledby="documents">
<h2 id="documents">Documents</h2>
<p>${escapeHtml(pageDocuments.note)}</p>
<ul>${named
          .map(
            ({ id, doc }) =>
              `<li data-document-id="${escapeHtml(id)}">${escapeHtml(doc.name)} <small>(${escapeHtml(doc.location)})</small></li>`,
          )
          .join('')}</ul>
</section>`;
  return `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'">
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
<article>
<header>
<p class="context">${escapeHtml(input.context)}</p>
<h1>${escapeHtml(input.title)}</h1>
${input.meta.map((line) => `<p class="meta">${escapeHtml(line)}</p>`).join('\n')}
</header>
<div class="content">
${html}
</div>
${documents}
</article>
</body>
</html>
`;
}
