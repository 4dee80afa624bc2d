import type { AppDeps, EntApp } from '../app-module.ts';
import type { WorkspaceService } from '../workspace/workspace.service.ts';
import { wikiArchiveAdapter } from './archive/wiki.export.ts';
import { wikiRoutes } from './wiki.routes.ts';
import { WIKI, WikiService } from './wiki.service.ts';

export type WikiApp = EntApp & { service: WikiService };

/** Cours et Wiki. Files in pages are workspace documents, linked from the HTML. */
export function createWikiApp(deps: AppDeps & { workspace: WorkspaceService }): WikiApp {
  const service = new WikiService(deps);
  return {
    id: WIKI,
    label: 'Cours et Wiki',
    path: '/wiki',
    anyOf: ['wiki.create'],
    routes: wikiRoutes({ wiki: service, platform: deps.platform }),
    archive: wikiArchiveAdapter({ ...deps, service }),
    service,
  };
}
