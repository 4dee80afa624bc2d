import type { AppDeps, EntApp } from './app-module.ts';
import { createBlogApp } from './blog/blog.app.ts';
import { createCalendarApp } from './calendar/calendar.app.ts';
import { createNewsApp } from './news/news.app.ts';
import { createWikiApp } from './wiki/wiki.app.ts';
import { createWorkspaceApp } from './workspace/workspace.app.ts';
import type { WorkspaceService } from './workspace/workspace.service.ts';

export interface Apps {
  /** Every app, in the order the portal shows them (and archives import them). */
  readonly list: readonly EntApp[];
  /** Services other apps and Mes Données call. */
  readonly workspace: WorkspaceService;
}

/**
 * The explicit list of ENT apps (no filesystem globbing). Adding an app is one folder and one
 * line here; apps that others depend on (the workspace holds every file) come first.
 */
export function createApps(deps: AppDeps): Apps {
  const workspace = createWorkspaceApp(deps);
  const withFiles = { ...deps, workspace: workspace.service };
  return {
    list: [
      workspace,
      createBlogApp(withFiles),
      createNewsApp(withFiles),
      createCalendarApp(withFiles),
      createWikiApp(withFiles),
    ],
    workspace: workspace.service,
  };
}
