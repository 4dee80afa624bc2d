import { describe, expect, it } from 'vitest';
import {
  documentIdOf,
  documentIdsIn,
  documentUrl,
  rewriteDocumentLinks,
} from './document-links.ts';

describe('document links', () => {
  const html =
    '<p><img src="/api/workspace/documents/a1/content"> <a href="/api/workspace/documents/b-2/content?download">x</a>' +
    ' <img src="/api/workspace/documents/a1/content"> /api/workspace/documents/c3/contentX</p>';

  it('finds each referenced document once, in order, and not a longer path', () => {
    expect(documentIdsIn(html)).toEqual(['a1', 'b-2']);
    expect(documentIdsIn(html, 1)).toEqual(['a1']);
    expect(documentIdsIn('no links')).toEqual([]);
  });

  it('rewrites ids through a map, leaving unknown ones as they are', () => {
    const map = new Map([['a1', 'z9']]);
    const out = rewriteDocumentLinks(html, (id) => map.get(id));
    expect(documentIdsIn(out)).toEqual(['z9', 'b-2']);
    expect(out).not.toContain('documents/a1/');
  });

  it('rewrites to a relative path when asked', () => {
    const out = rewriteDocumentLinks(html, (id) => (id === 'b-2' ? '../Docs/b.pdf' : undefined));
    expect(out).toContain('href="../Docs/b.pdf?download"');
  });

  it('recognises an exact document URL only', () => {
    expect(documentIdOf(documentUrl('abc'))).toBe('abc');
    expect(documentIdOf(`${documentUrl('abc')}x`)).toBeUndefined();
    expect(documentIdOf('/api/workspace/documents/../content')).toBeUndefined();
  });
});
