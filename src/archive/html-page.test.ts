import { describe, expect, it } from 'vitest';
import { homeLink, relativeHref, renderPage, type PageDocuments } from './html-page.ts';

const DOC = /^\/api\/workspace\/documents\/([^/]+)\/content$/;

/** d1 is in the archive (its path given), d2 readable but not held, others not readable. */
const documents: PageDocuments = {
  idOf: (url) => DOC.exec(url)?.[1],
  readable: new Map([
    [
      'd1',
      {
        name: 'Volcan.png',
        location: 'Espace documentaire › Partagés avec moi',
        path: 'Espace documentaire/Partagés avec moi/Volcan #1.png',
      },
    ],
    ['d2', { name: 'Notes.pdf', location: 'Espace documentaire (non inclus dans cette archive)' }],
  ]),
  note: 'Les images et fichiers de cette page sont aussi dans le dossier « Espace documentaire » de l’archive.',
};

const page = (html: string) =>
  renderPage({
    title: 'Sortie',
    context: 'Blog : 6e A',
    meta: [],
    html,
    dir: 'Blog/Le blog de la 6e A',
    documents,
  });

const SRC = '../../Espace%20documentaire/Partag%C3%A9s%20avec%20moi/Volcan%20%231.png';

describe('an offline page', () => {
  it('makes relative links from its folder, each segment encoded', () => {
    expect(relativeHref('Blog/6e A', 'Espace documentaire/a b/é?.png')).toBe(
      '../../Espace%20documentaire/a%20b/%C3%A9%3F.png',
    );
    expect(relativeHref('', 'index.html')).toBe('index.html');
    expect(homeLink('Actualités/Fil')).toContain('href="../../index.html"');
  });

  it('shows the images the archive holds from their file and links attachments by path', () => {
    const html = page(
      '<p><img src="/api/workspace/documents/d1/content" alt="Le volcan"> <a href="/api/workspace/documents/d1/content">télécharger</a></p>',
    );
    expect(html).toContain(`<img src="${SRC}" alt="Le volcan" data-document-id="d1" />`);
    expect(html).toContain(`<a href="${SRC}" data-document-id="d1">télécharger</a>`);
    // The list at the end links it too, and sends nobody to documents.ndjson.
    expect(html).toContain(`<li data-document-id="d1"><a href="${SRC}">Volcan.png</a></li>`);
    expect(html).not.toContain('documents.ndjson');
    expect(html).not.toContain('[Image');
  });

  it('names what the archive does not hold, as text', () => {
    const html = page(
      '<img src="/api/workspace/documents/d2/content"><img src="/api/workspace/documents/d9/content"><a href="/api/workspace/documents/d2/content">notes</a>',
    );
    expect(html).toContain('[Image : Notes.pdf]');
    expect(html).toContain('[Image non disponible]');
    expect(html).toMatch(/<span class="document"[^>]*data-document-id="d2">notes<\/span>/);
    expect(html).not.toMatch(/<a [^>]*d2/);
  });

  it('links back to index.html and renders links to ENT pages as plain text', () => {
    const html = page(
      '<p><a href="/blog/b1/posts/p2">autre article</a> <a href="../secret">relatif</a> <a href="https://fr.wikipedia.org/wiki/Volcan">Wikipédia</a> <a href="#haut">haut</a></p>',
    );
    expect(html).toContain('<a href="../../index.html">');
    expect(html).toContain('<span>autre article</span>');
    expect(html).toContain('<span>relatif</span>');
    expect(html).toContain('<a href="https://fr.wikipedia.org/wiki/Volcan">Wikipédia</a>');
    expect(html).toContain('<a href="#haut">haut</a>');
    expect(html).not.toContain('/blog/b1');
  });
});
