import type { AppId } from '../contracts/archive.ts';
import { AppError } from '../errors.ts';

/** What the order needs of an app. */
export interface Dependent {
  readonly app: AppId;
  readonly dependsOn: readonly AppId[];
}

/**
 * Checks the apps of this instance once, when the process starts: a cycle, a dependency on an
 * app that is not registered, or an app registered twice is a programming error.
 */
export function checkDependencies(apps: readonly Dependent[]): void {
  const ids = new Set<AppId>();
  for (const a of apps) {
    if (ids.has(a.app)) throw new AppError('internal', `App ${a.app} is registered twice`);
    ids.add(a.app);
  }
  for (const a of apps) {
    for (const d of a.dependsOn) {
      if (!ids.has(d))
        throw new AppError('internal', `App ${a.app} depends on ${d}, which is not registered`);
    }
  }
  dependencyOrder(apps);
}

/**
 * The apps in dependency order: an app after every app of the list it depends on (the import
 * order: a post's image needs the workspace document first). Dependencies outside the list
 * (an export of the blog alone) do not constrain it. Ties keep the given order; a cycle is
 * refused.
 */
export function dependencyOrder<T extends Dependent>(apps: readonly T[]): T[] {
  const listed = new Set(apps.map((a) => a.app));
  const remaining = [...apps];
  const ordered: T[] = [];
  const placed = new Set<AppId>();
  while (remaining.length > 0) {
    const index = remaining.findIndex((a) =>
      a.dependsOn.every((d) => placed.has(d) || !listed.has(d)),
    );
    const next = remaining[index];
    if (next === undefined) {
      const cycle = remaining.map((a) => a.app).join(', ');
      throw new AppError('internal', `Apps depend on each other in a cycle: ${cycle}`);
    }
    remaining.splice(index, 1);
    ordered.push(next);
    placed.add(next.app);
  }
  return ordered;
}

/**
 * The export order: an app before every app of the list it depends on, so the workspace comes
 * last and takes in the documents the others referenced. Ties keep the given order.
 */
export function exportOrder<T extends Dependent>(apps: readonly T[]): T[] {
  dependencyOrder(apps);
  const remaining = [...apps];
  const ordered: T[] = [];
  while (remaining.length > 0) {
    const index = remaining.findIndex(
      (a) => !remaining.some((other) => other.dependsOn.includes(a.app)),
    );
    const [next] = remaining.splice(index, 1);
    if (next !== undefined) ordered.push(next);
  }
  return ordered;
}
