import type { AppDeps, EntApp } from '../app-module.ts';
import type { WorkspaceService } from '../workspace/workspace.service.ts';
import { newsArchiveAdapter } from './archive/news.export.ts';
import { newsRoutes } from './news.routes.ts';
import { NewsService } from './news.service.ts';

export function createNewsApp(
  deps: AppDeps & { workspace: WorkspaceService },
): EntApp & { service: NewsService } {
  const service = new NewsService(deps);
  return {
    id: 'news',
    label: 'Actualités',
    path: '/news',
    // Everyone: pupils and parents read the threads shared with them; writing needs news.create.
    anyOf: [],
    routes: newsRoutes({ news: service, platform: deps.platform }),
    archive: newsArchiveAdapter(deps),
    service,
  };
}
