/** A wiki's pages as a tree: built from the flat list, and drawn as nested links. */
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from '../../router.tsx';
import { pagePath, type Wiki, type WikiPage } from './wiki-api.ts';

export interface TreeNode {
  page: WikiPage;
  depth: number;
  children: TreeNode[];
}

/** The pages as a forest, in the server's order; a page whose parent is missing is a root. */
export function buildTree(pages: readonly WikiPage[]): TreeNode[] {
  const ids = new Set(pages.map((p) => p.id));
  const byParent = new Map<string | null, WikiPage[]>();
  for (const page of pages) {
    const parent = page.parentId !== null && ids.has(page.parentId) ? page.parentId : null;
    const list = byParent.get(parent) ?? [];
    list.push(page);
    byParent.set(parent, list);
  }
  const seen = new Set<string>();
  const grow = (parent: string | null, depth: number): TreeNode[] =>
    (byParent.get(parent) ?? []).flatMap((page) => {
      if (seen.has(page.id)) return [];
      seen.add(page.id);
      return [{ page, depth, children: grow(page.id, depth + 1) }];
    });
  return grow(null, 0);
}

export function flatten(nodes: readonly TreeNode[]): TreeNode[] {
  return nodes.flatMap((node) => [node, ...flatten(node.children)]);
}

function TreeList({ nodes, currentId }: { nodes: readonly TreeNode[]; currentId?: string }) {
  return (
    <ul>
      {nodes.map(({ page, children }) => (
        <li key={page.id}>
          <Link
            to={pagePath(page.wikiId, page.id)}
            aria-current={page.id === currentId ? 'page' : undefined}
          >
            {page.title}
          </Link>
          {children.length > 0 && <TreeList nodes={children} currentId={currentId} />}
        </li>
      ))}
    </ul>
  );
}

export function PageTree({
  wiki,
  tree,
  currentId,
}: {
  wiki: Wiki;
  tree: readonly TreeNode[];
  currentId?: string;
}) {
  const { t } = useTranslation();
  const headingId = useId();
  return (
    <nav className="wiki-tree" aria-labelledby={headingId}>
      <h2 id={headingId} className="wiki-tree__title">
        {t('apps_ui.wiki.pages')}
        <span className="visually-hidden"> {t('apps_ui.wiki.ofWiki', { title: wiki.title })}</span>
      </h2>
      {tree.length === 0 ? (
        <p className="muted">{t('apps_ui.wiki.noPages')}</p>
      ) : (
        <TreeList nodes={tree} currentId={currentId} />
      )}
    </nav>
  );
}
