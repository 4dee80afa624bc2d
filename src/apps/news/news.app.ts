import { portalEntry, type AppDefinition, type AppDeps, type EntApp } from '../app-module.ts';
import type { WorkspaceService } from '../workspace/workspace.service.ts';
import { newsArchiveAdapter } from './archive/news.export.ts';
import { newsRoutes } from './news.routes.ts';
import { NewsService } from './news.service.ts';
import * as m0005 from './migrations/0005-news.ts';
import { seedNewsDemo } from './news.demo.ts';

export function createNewsApp(
  deps: AppDeps & { workspace: WorkspaceService },
): EntApp & { service: NewsService } {
  const service = new NewsService(deps);
  return {
    ...portalEntry(newsApp),
    routes: newsRoutes({ news: service, platform: deps.platform }),
    archive: newsArchiveAdapter({ ...deps, service }),
    service,
  };
}

/** Actualités: what the platform knows of the app before it is built (see app-module.ts). */
export const newsApp: AppDefinition<'news'> = {
  id: 'news',
  label: 'Actualités',
  path: '/news',
  // Everyone: pupils and parents read the threads shared with them; writing needs news.create.
  anyOf: [],
  rights: [{ action: 'news.create', profiles: ['Teacher', 'Personnel'] }],
  migrations: { '0005-news': m0005 },
  mailTexts: {
    'news.published': (p) =>
      `Nouvelle actualité dans ${String(p.thread ?? '')} : « ${String(p.title ?? '')} ».`,
  },
  seedDemo: seedNewsDemo,
};
