/** What ordering a page tree needs of a page. */
export interface TreeNode {
  id: string;
  parentId: string | null;
  order: number;
  title: string;
}

const titles = new Intl.Collator('fr', { sensitivity: 'base', numeric: true });

function bySiblingOrder(a: TreeNode, b: TreeNode): number {
  return a.order - b.order || titles.compare(a.title, b.title) || (a.id < b.id ? -1 : 1);
}

/**
 * Pages in tree order: depth first, each parent before its children, siblings by `order`, then
 * title ("Chapitre 2" before "Chapitre 10"), then id so equal siblings keep a stable order.
 * A page whose parent is missing is shown as a root, and pages caught in a cycle (which the
 * service refuses to make) come last: nothing is ever dropped from the list.
 */
export function treeOrder<T extends TreeNode>(pages: readonly T[]): T[] {
  const ids = new Set(pages.map((p) => p.id));
  const children = new Map<string | null, T[]>();
  for (const page of pages) {
    const parent = page.parentId !== null && ids.has(page.parentId) ? page.parentId : null;
    const siblings = children.get(parent);
    if (siblings === undefined) children.set(parent, [page]);
    else siblings.push(page);
  }
  for (const siblings of children.values()) siblings.sort(bySiblingOrder);

  const out: T[] = [];
  const seen = new Set<string>();
  // An explicit stack: a deep tree must not exhaust the call stack.
  const stack = [...(children.get(null) ?? [])].reverse();
  for (let page = stack.pop(); page !== undefined; page = stack.pop()) {
    if (seen.has(page.id)) continue;
    seen.add(page.id);
    out.push(page);
    stack.push(...[...(children.get(page.id) ?? [])].reverse());
  }
  for (const page of [...pages].sort(bySiblingOrder)) if (!seen.has(page.id)) out.push(page);
  return out;
}

/** The ids of `rootId` and every page below it, parents first. */
export function subtreeIds(
  pages: readonly { id: string; parentId: string | null }[],
  rootId: string,
): string[] {
  const children = new Map<string, string[]>();
  for (const page of pages) {
    if (page.parentId === null) continue;
    const siblings = children.get(page.parentId);
    if (siblings === undefined) children.set(page.parentId, [page.id]);
    else siblings.push(page.id);
  }
  const ids = [rootId];
  const seen = new Set(ids);
  for (let i = 0; i < ids.length; i++) {
    for (const child of children.get(ids[i] ?? '') ?? []) {
      if (seen.has(child)) continue;
      seen.add(child);
      ids.push(child);
    }
  }
  return ids;
}

/** True when `pageId` would become its own ancestor under `newParentId`. */
export function wouldCycle(
  pages: readonly { id: string; parentId: string | null }[],
  pageId: string,
  newParentId: string,
): boolean {
  const parentOf = new Map(pages.map((p) => [p.id, p.parentId]));
  const seen = new Set<string>();
  for (let current: string | null = newParentId; current !== null;) {
    if (current === pageId) return true;
    // A cycle that does not go through the page is already a fault: refuse to build on it.
    if (seen.has(current)) return true;
    seen.add(current);
    current = parentOf.get(current) ?? null;
  }
  return false;
}
