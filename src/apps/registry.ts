import type { Migration } from 'kysely/migration';
import type { AppId } from '../contracts/archive.ts';
import { checkDependencies } from '../archive/app-order.ts';
import { platformMigrations } from '../db/migrations/index.ts';
import type { AppDefinition, AppDeps, EntApp } from './app-module.ts';
import { blogApp, createBlogApp } from './blog/blog.app.ts';
import { calendarApp, createCalendarApp } from './calendar/calendar.app.ts';
import { createNewsApp, newsApp } from './news/news.app.ts';
import { createWikiApp, wikiApp } from './wiki/wiki.app.ts';
import { createWorkspaceApp, workspaceApp } from './workspace/workspace.app.ts';
import type { BlogService } from './blog/blog.service.ts';
import type { CalendarService } from './calendar/calendar.service.ts';
import type { NewsService } from './news/news.service.ts';
import type { WikiService } from './wiki/wiki.service.ts';
import type { WorkspaceService } from './workspace/workspace.service.ts';

/**
 * The explicit list of ENT apps (no filesystem globbing), in the order the portal shows them.
 * Each entry is an app folder's definition: its rights, tables, notification texts and demo
 * content reach the platform from here. The type makes the list hold every app id of
 * `src/contracts/archive.ts`, once.
 */
export const APP_DEFINITIONS = [
  workspaceApp,
  blogApp,
  newsApp,
  calendarApp,
  wikiApp,
] as const satisfies readonly AppDefinition[];

type Listed = (typeof APP_DEFINITIONS)[number]['id'];
/** Compile-time check: an id of the contract without a definition fails here. */
const everyAppListed: Exclude<AppId, Listed> extends never ? true : never = true;
void everyAppListed;

/** Every migration: the platform's and each app's, applied in name order. */
export function allMigrations(): Readonly<Record<string, Migration>> {
  const all: Record<string, Migration> = { ...platformMigrations };
  for (const d of APP_DEFINITIONS) {
    for (const [name, migration] of Object.entries(d.migrations)) {
      if (name in all) throw new Error(`Migration ${name} is declared twice`);
      all[name] = migration;
    }
  }
  return all;
}

export interface Apps {
  /** Every app, in the order of `APP_DEFINITIONS`. */
  readonly list: readonly EntApp[];
  /** Services other apps, the demo and Mes Données call. */
  readonly workspace: WorkspaceService;
  readonly blog: BlogService;
  readonly news: NewsService;
  readonly calendar: CalendarService;
  readonly wiki: WikiService;
}

/**
 * Builds the apps. The workspace comes first: it holds every file, and the other apps store
 * theirs through its service.
 */
export function createApps(deps: AppDeps): Apps {
  const workspace = createWorkspaceApp(deps);
  const withFiles = { ...deps, workspace: workspace.service };
  const built = {
    workspace,
    blog: createBlogApp(withFiles),
    news: createNewsApp(withFiles),
    calendar: createCalendarApp(withFiles),
    wiki: createWikiApp(withFiles),
  } satisfies Record<AppId, EntApp>;
  const list = APP_DEFINITIONS.map((d) => built[d.id]);
  checkDependencies(list.flatMap((a) => (a.archive === undefined ? [] : [a.archive])));
  return {
    list,
    workspace: workspace.service,
    blog: built.blog.service,
    news: built.news.service,
    calendar: built.calendar.service,
    wiki: built.wiki.service,
  };
}
