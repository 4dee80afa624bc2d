import { describe, expect, it } from 'vitest';
import { memoryIdMap } from '../../../test/support/import-fixtures.ts';
import type { SourceRef } from '../../archive/adapter.ts';
import { documentUrl as url } from './document-links.ts';
import { importedHtml, relinkedHtml } from './imported-html.ts';

/** An id map holding `known` documents (source id → new id), nothing else. */
const documentIds = (known: Record<string, string>) =>
  memoryIdMap(
    Object.fromEntries(
      Object.entries(known).map(([from, to]) => [`workspace/document/${from}`, to]),
    ),
  );

describe('imported HTML', () => {
  it('points at the imported documents, removes images of missing ones and unlinks links to them', async () => {
    const unresolved: SourceRef[] = [];
    const html =
      `<p>Voir <a href="${url('old1')}">la <b>fiche</b></a> et <img src="${url('old2')}" alt="photo"></p>` +
      `<p><img src="${url('gone')}" alt="${url('gone')}"> puis <a href="${url('gone')}?dl=1" title="${url('gone')}">le <em>plan</em></a></p>`;
    const out = await importedHtml(html, documentIds({ old1: 'new1', old2: 'new2' }), unresolved);
    expect(out).toBe(
      `<p>Voir <a href="${url('new1')}">la <b>fiche</b></a> et <img src="${url('new2')}" alt="photo" /></p>` +
        '<p> puis le <em>plan</em></p>',
    );
    expect(unresolved).toEqual([{ type: 'document', sourceId: 'gone' }]);
    expect(out).not.toMatch(/old1|old2|gone/);
  });

  it('leaves no URL of a missing document in text or another attribute', async () => {
    const out = await importedHtml(
      `<p>Lien : ${url('gone')}</p><a href="https://ent.test/" title="${url('gone')}">ENT</a>`,
      documentIds({}),
      [],
    );
    expect(out).toBe('<p>Lien : </p><a href="https://ent.test/">ENT</a>');
  });

  it('sanitises again', async () => {
    const out = await importedHtml(
      '<p onclick="x()">Salut</p><script>alert(1)</script><img src="https://evil.test/x.png"><a href="javascript:alert(1)" target="_blank">lien</a>',
      documentIds({}),
      [],
    );
    expect(out).toBe('<p>Salut</p><a target="_blank" rel="noopener noreferrer">lien</a>');
  });

  it('applies the same rule when what became of each document is known (relinkedHtml)', () => {
    const moved = new Map([['old1', 'N1']]);
    const out = relinkedHtml(
      `<p><a href="${url('old1')}">fiche</a> <img src="${url('gone')}"> <a href="${url('gone')}">plan</a></p>`,
      (id) => moved.get(id),
    );
    expect(out).toBe(`<p><a href="${url('N1')}">fiche</a>  plan</p>`);
  });
});
