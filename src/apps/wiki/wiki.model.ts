import type { AppId } from '../../contracts/archive.ts';
import type { ResourceKind } from '../../platform/access.ts';

/** The app's id: its key in archives, shares and the timeline. */
export const WIKI = 'wiki' satisfies AppId;

/** Wikis as shares name them. */
export const WIKI_KIND: ResourceKind = { app: WIKI, type: 'wiki' };
