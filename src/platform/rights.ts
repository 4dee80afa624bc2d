import type { Profile } from '../db/schema.ts';

/**
 * Workflow actions: what a user may do, checked server-side by every route that does it. The
 * platform holds Mes Données' own actions; each app declares its own (`blog.create`) with the
 * profiles that hold them by default, and the registry hands them to the catalog at start.
 */
export type Action = `${string}.${string}`;

/** One action and the profiles that hold it unless a group override says otherwise. */
export interface ActionDefault {
  readonly action: Action;
  readonly profiles: readonly Profile[];
}

export const PROFILES: readonly Profile[] = ['Student', 'Teacher', 'Relative', 'Personnel'];

/** Everyone may export and import their own data. */
export const PLATFORM_ACTIONS: readonly ActionDefault[] = [
  { action: 'archive.export', profiles: PROFILES },
  { action: 'archive.import', profiles: PROFILES },
];

export function isProfile(value: string): value is Profile {
  return (PROFILES as readonly string[]).includes(value);
}

/** The actions of this instance (the platform's and every app's) and their defaults. */
export class RightsCatalog {
  readonly actions: readonly Action[];
  private readonly defaults: ReadonlyMap<string, ReadonlySet<Profile>>;

  constructor(apps: readonly ActionDefault[]) {
    const defaults = new Map<string, Set<Profile>>();
    const actions: Action[] = [];
    // The apps' actions first, in registry order, then Mes Données': the order `me` lists.
    for (const d of [...apps, ...PLATFORM_ACTIONS]) {
      if (defaults.has(d.action)) throw new Error(`The action ${d.action} is declared twice`);
      defaults.set(d.action, new Set(d.profiles));
      actions.push(d.action);
    }
    this.defaults = defaults;
    this.actions = actions;
  }

  isAction(value: string): value is Action {
    return this.defaults.has(value);
  }

  /**
   * Effective rights: the profile's defaults, plus what any of the user's groups grants, minus
   * what any of them revokes (a revoke wins, so an operator can always take a right away).
   */
  effectiveRights(
    profile: Profile,
    overrides: readonly { action: string; effect: 'grant' | 'revoke' }[],
  ): Action[] {
    const rights = new Set<Action>(
      this.actions.filter((a) => this.defaults.get(a)?.has(profile) === true),
    );
    for (const o of overrides)
      if (o.effect === 'grant' && this.isAction(o.action)) rights.add(o.action);
    for (const o of overrides)
      if (o.effect === 'revoke' && this.isAction(o.action)) rights.delete(o.action);
    return this.actions.filter((a) => rights.has(a));
  }
}
