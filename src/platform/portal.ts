import type { Action } from './rights.ts';

export interface PortalApp {
  id: string;
  label: string;
  path: string;
}

export interface PortalEntry extends PortalApp {
  /** Shown when the user holds any of these rights (empty: everyone). */
  anyOf: readonly Action[];
}

/**
 * What the portal lists. The ENT apps add their entries through the app registry as they
 * arrive; Mes Données is always there for users who may export or import.
 */
const ENTRIES: readonly PortalEntry[] = [
  {
    id: 'archive',
    label: 'Mes Données',
    path: '/archive',
    anyOf: ['archive.export', 'archive.import'],
  },
];

export function portalApps(
  rights: readonly Action[],
  extra: readonly PortalEntry[] = [],
): PortalApp[] {
  return [...extra, ...ENTRIES]
    .filter((e) => e.anyOf.length === 0 || e.anyOf.some((a) => rights.includes(a)))
    .map(({ id, label, path }) => ({ id, label, path }));
}
