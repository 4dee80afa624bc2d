import type { Profile } from '../db/schema.ts';

/** Workflow actions: what a user may do, checked server-side by every route that does it. */
export const ACTIONS = [
  'workspace.create',
  'blog.create',
  'news.create',
  'calendar.create',
  'wiki.create',
  'archive.export',
  'archive.import',
] as const;

export type Action = (typeof ACTIONS)[number];

export const PROFILES: readonly Profile[] = ['Student', 'Teacher', 'Relative', 'Personnel'];

export function isAction(value: string): value is Action {
  return (ACTIONS as readonly string[]).includes(value);
}

export function isProfile(value: string): value is Profile {
  return (PROFILES as readonly string[]).includes(value);
}

/**
 * Defaults by profile (the README's rights matrix). Everyone may export and import their own
 * data; news is written by teachers and staff; parents only keep documents.
 */
export const DEFAULT_RIGHTS: Readonly<Record<Profile, readonly Action[]>> = {
  Student: [
    'workspace.create',
    'blog.create',
    'calendar.create',
    'wiki.create',
    'archive.export',
    'archive.import',
  ],
  Teacher: [...ACTIONS],
  Personnel: [...ACTIONS],
  Relative: ['workspace.create', 'archive.export', 'archive.import'],
};

/**
 * Effective rights: the profile's defaults, plus what any of the user's groups grants, minus
 * what any of them revokes (a revoke wins, so an operator can always take a right away).
 */
export function effectiveRights(
  profile: Profile,
  overrides: readonly { action: string; effect: 'grant' | 'revoke' }[],
): Action[] {
  const rights = new Set<Action>(DEFAULT_RIGHTS[profile]);
  for (const o of overrides) if (o.effect === 'grant' && isAction(o.action)) rights.add(o.action);
  for (const o of overrides)
    if (o.effect === 'revoke' && isAction(o.action)) rights.delete(o.action);
  return ACTIONS.filter((a) => rights.has(a));
}
