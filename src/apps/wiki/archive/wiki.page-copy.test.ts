import { describe, expect, it } from 'vitest';
import { expectInert, XSS_PAYLOADS } from '../../../../test/support/xss-payloads.ts';
import { NO_DOCUMENT_PATHS } from '../../../archive/adapter.ts';
import { pageDocuments } from '../../workspace/archive/page-documents.ts';
import { offlinePageHtml, pageDocument, type PageFile } from './wiki.page-copy.ts';

const files = new Map<string, PageFile>([
  [
    'p1',
    { wikiId: 'w1', dir: 'Cours', file: 'Chapitre 1.html', title: 'Chapitre 1', parentId: null },
  ],
  ['p2', { wikiId: 'w2', dir: 'Notes', file: 'Fiche.html', title: 'Fiche', parentId: null }],
]);

const readable = new Map([['d1', { name: 'Schéma.png', section: 'shared' as const }]]);

const from = { dir: 'Cours', archiveDir: 'Cours et Wiki/Cours' };
const offline = (html: string, includeDocuments = true) =>
  offlinePageHtml(html, from, files, pageDocuments(readable, includeDocuments, NO_DOCUMENT_PATHS));
/** As once the workspace is written: d1 is in the archive. */
const archived = (html: string) =>
  offlinePageHtml(
    html,
    from,
    files,
    pageDocuments(readable, true, {
      pathOf: (id) =>
        id === 'd1' ? 'Espace documentaire/Partagés avec moi/Schéma #1.png' : undefined,
    }),
  );

describe('the offline copy of a wiki page', () => {
  it('links to pages of the archive by relative paths, keeping the fragment', () => {
    expect(offline('<a href="/wiki/w1/pages/p1#fin">a</a>')).toBe(
      '<a href="Chapitre%201.html#fin">a</a>',
    );
    expect(offline('<a href="/wiki/w2/pages/p2">b</a>')).toBe(
      '<a href="../Notes/Fiche.html">b</a>',
    );
    // Not in the archive, or named under another wiki: a page of the ENT, text offline.
    expect(offline('<a href="/wiki/w1/pages/p9">c</a>')).toBe('<span>c</span>');
    expect(offline('<a href="/wiki/w2/pages/p1">d</a>')).toBe('<span>d</span>');
    expect(offline('<a href="/blog/b1">e</a>')).toBe('<span>e</span>');
    // The web and mail stay links.
    expect(offline('<a href="https://fr.wikipedia.org/wiki/Volcan">f</a>')).toBe(
      '<a href="https://fr.wikipedia.org/wiki/Volcan">f</a>',
    );
    expect(offline('<a href="mailto:prof@ecole.fr">g</a>')).toBe(
      '<a href="mailto:prof@ecole.fr">g</a>',
    );
  });

  it('shows and links the documents the archive holds by relative path, encoded', () => {
    const src = '../../Espace%20documentaire/Partag%C3%A9s%20avec%20moi/Sch%C3%A9ma%20%231.png';
    expect(archived('<img src="/api/workspace/documents/d1/content" alt="vue">')).toBe(
      `<img src="${src}" alt="vue" data-document-id="d1" />`,
    );
    expect(archived('<a href="/api/workspace/documents/d1/content">x</a>')).toBe(
      `<a href="${src}" data-document-id="d1">x</a>`,
    );
  });

  it('names the documents the reader may read, and only those', () => {
    const img = (id: string) => `<img src="/api/workspace/documents/${id}/content" alt="vue">`;
    expect(offline(img('d1'))).toBe(
      '<span class="document" title="Espace documentaire › Partagés avec moi" data-document-id="d1">[Image : Schéma.png – vue]</span>',
    );
    expect(offline(img('d1'), false)).toContain(
      'title="Espace documentaire (non inclus dans cette archive)"',
    );
    expect(offline(img('d2'))).toBe('<span class="document missing">[Image non disponible]</span>');
    expect(offline('<a href="/api/workspace/documents/d2/content">x</a>')).toBe(
      '<span class="document missing" title="Document non disponible">x</span>',
    );
    expect(offline('<a href="/api/workspace/documents/d1/content">x</a>')).toBe(
      '<span class="document" title="Schéma.png – Espace documentaire › Partagés avec moi" data-document-id="d1">x</span>',
    );
  });

  it('keeps nothing live of what the stored HTML or the titles may hold', () => {
    for (const payload of XSS_PAYLOADS) {
      expectInert(offline(`<p>${payload}</p>`));
      const html = pageDocument({
        wiki: { title: payload },
        dir: 'Cours et Wiki/Cours',
        page: { title: payload, authorName: payload, modifiedAt: 0 },
        body: '',
        ancestors: [{ href: 'Chapitre%201.html', title: payload }],
        children: [{ href: 'Fiche.html', title: payload }],
      });
      // Titles are text: every one escaped.
      expect(html, payload).not.toContain(payload);
    }
  });
});

describe('the page of a wiki page', () => {
  it("links back to the archive's index.html", () => {
    const html = pageDocument({
      wiki: { title: 'Sciences' },
      dir: 'Cours et Wiki/Sciences',
      page: {
        title: 'Volcans',
        authorName: 'M. Durand',
        modifiedAt: Date.UTC(2026, 2, 1, 9, 30, 15),
      },
      body: '',
      ancestors: [],
      children: [],
    });
    expect(html).toContain('<a href="../../index.html">');
    // A date without seconds.
    expect(html).toContain('1 mars 2026 à 10:30');
  });
});
