import type { AppDeps, EntApp } from './app-module.ts';
import { createBlogApp } from './blog/blog.app.ts';
import { createCalendarApp } from './calendar/calendar.app.ts';
import { createNewsApp } from './news/news.app.ts';
import { createWikiApp } from './wiki/wiki.app.ts';
import { createWorkspaceApp } from './workspace/workspace.app.ts';
import type { BlogService } from './blog/blog.service.ts';
import type { CalendarService } from './calendar/calendar.service.ts';
import type { NewsService } from './news/news.service.ts';
import type { WikiService } from './wiki/wiki.service.ts';
import type { WorkspaceService } from './workspace/workspace.service.ts';

export interface Apps {
  /** Every app, in the order the portal shows them (and archives import them). */
  readonly list: readonly EntApp[];
  /** Services other apps, the demo and Mes Données call. */
  readonly workspace: WorkspaceService;
  readonly blog: BlogService;
  readonly news: NewsService;
  readonly calendar: CalendarService;
  readonly wiki: WikiService;
}

/**
 * The explicit list of ENT apps (no filesystem globbing). Adding an app is one folder and one
 * line here; apps that others depend on (the workspace holds every file) come first.
 */
export function createApps(deps: AppDeps): Apps {
  const workspace = createWorkspaceApp(deps);
  const withFiles = { ...deps, workspace: workspace.service };
  const blog = createBlogApp(withFiles);
  const news = createNewsApp(withFiles);
  const calendar = createCalendarApp(withFiles);
  const wiki = createWikiApp(withFiles);
  return {
    list: [workspace, blog, news, calendar, wiki],
    workspace: workspace.service,
    blog: blog.service,
    news: news.service,
    calendar: calendar.service,
    wiki: wiki.service,
  };
}
