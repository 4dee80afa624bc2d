import type { AppDeps, EntApp } from '../app-module.ts';
import type { WorkspaceService } from '../workspace/workspace.service.ts';
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
    service,
  };
}

/** The Cours et Wiki service among the registered apps (for the demo seed and Mes Données). */
export function wikiServiceOf(apps: { readonly list: readonly EntApp[] }): WikiService {
  for (const app of apps.list) {
    if (app.id === WIKI && 'service' in app && app.service instanceof WikiService)
      return app.service;
  }
  throw new Error('The Cours et Wiki app is not registered');
}
