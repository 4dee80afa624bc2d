import { describe, expect, it } from 'vitest';
import { linkedPageIds, pagePath } from './wiki-links.ts';
import { subtreeIds, treeOrder, wouldCycle } from './wiki-tree.ts';

const node = (id: string, parentId: string | null, order: number, title = id) => ({
  id,
  parentId,
  order,
  title,
});

describe('treeOrder', () => {
  it('puts parents first, siblings by order, then title (numbers read as numbers), then id', () => {
    const pages = [
      node('c', 'a', 0),
      node('a', null, 1, 'Chapitre 10'),
      node('b', null, 1, 'Chapitre 2'),
      node('d', null, 0, 'Zèbre'),
      node('e', 'b', 0, 'même'),
      node('f', 'b', 0, 'Même'),
    ];
    expect(treeOrder(pages).map((p) => p.id)).toEqual(['d', 'b', 'e', 'f', 'a', 'c']);
  });

  it('keeps pages whose parent is missing or which sit in a cycle', () => {
    const pages = [node('a', 'ghost', 0), node('b', 'c', 0), node('c', 'b', 1), node('d', null, 2)];
    expect(treeOrder(pages).map((p) => p.id)).toEqual(['a', 'd', 'b', 'c']);
  });
});

describe('subtreeIds and wouldCycle', () => {
  const pages = [
    { id: 'a', parentId: null },
    { id: 'b', parentId: 'a' },
    { id: 'c', parentId: 'b' },
    { id: 'd', parentId: null },
  ];
  it('finds a subtree, parents first', () => {
    expect(subtreeIds(pages, 'a')).toEqual(['a', 'b', 'c']);
    expect(subtreeIds(pages, 'd')).toEqual(['d']);
  });
  it('sees a page going under itself or its descendants', () => {
    expect(wouldCycle(pages, 'a', 'a')).toBe(true);
    expect(wouldCycle(pages, 'a', 'c')).toBe(true);
    expect(wouldCycle(pages, 'c', 'a')).toBe(false);
    expect(wouldCycle(pages, 'a', 'd')).toBe(false);
  });
});

describe('linkedPageIds', () => {
  it('reads the links to pages of one wiki, decoding entities, once each', () => {
    const html =
      `<a href="${pagePath('w', 'p1')}">1</a><a href="/wiki/w/pages/p1#x">again</a>` +
      `<a href="&#x2F;wiki&#x2F;w&#x2F;pages&#x2F;p2?v=1">2</a>` +
      `<a href="/wiki/other/pages/p3">other wiki</a><a href="https://x.org/wiki/w/pages/p4">abs</a>` +
      `<p>href="/wiki/w/pages/p5"</p><a href="/wiki/w/pages/p6/extra">deeper</a>`;
    expect(linkedPageIds(html, 'w')).toEqual(['p1', 'p2']);
  });
});
