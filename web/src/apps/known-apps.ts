/**
 * The apps the interface has a name for (`apps.<id>` in the locales): the ENT apps of the
 * archive contract, and Mes Données itself (`archive`, a portal app that takes no part in
 * archives). Any other id the server sends is shown with the server's own label.
 */
import { useTranslation } from 'react-i18next';
import { APP_IDS } from '../../../src/contracts/archive.ts';

export const KNOWN_APPS = [...APP_IDS, 'archive'] as const;
export type KnownApp = (typeof KNOWN_APPS)[number];

export function isKnownApp(id: string): id is KnownApp {
  return (KNOWN_APPS as readonly string[]).includes(id);
}

/**
 * An app's name in the interface language; for an app the interface does not know,
 * `fallback` (the server's label), else the id.
 */
export function useAppLabel(): (id: string, fallback?: string) => string {
  const { t } = useTranslation();
  return (id, fallback) => (isKnownApp(id) ? t(`apps.${id}`) : (fallback ?? id));
}

/** An app's name, taking the fallback label from the server's list of apps. */
export function useAppName(
  apps: readonly { id: string; label: string }[] | undefined,
): (id: string) => string {
  const label = useAppLabel();
  return (id) => label(id, apps?.find((a) => a.id === id)?.label);
}
