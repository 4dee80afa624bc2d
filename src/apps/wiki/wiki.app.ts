import { portalEntry, type AppDefinition, type AppDeps, type EntApp } from '../app-module.ts';
import type { WorkspaceService } from '../workspace/workspace.service.ts';
import { wikiArchiveAdapter } from './archive/wiki.export.ts';
import { wikiRoutes } from './wiki.routes.ts';
import { WikiService } from './wiki.service.ts';
import * as m0007 from './migrations/0007-wiki.ts';
import { seedWikiDemo } from './wiki.demo.ts';

export type WikiApp = EntApp & { service: WikiService };

/** Cours et Wiki. Files in pages are workspace documents, linked from the HTML. */
export function createWikiApp(deps: AppDeps & { workspace: WorkspaceService }): WikiApp {
  const service = new WikiService(deps);
  return {
    ...portalEntry(wikiApp),
    routes: wikiRoutes({ wiki: service, platform: deps.platform }),
    archive: wikiArchiveAdapter({ ...deps, service }),
    service,
  };
}

/** Cours et Wiki: what the platform knows of the app before it is built (see app-module.ts). */
export const wikiApp: AppDefinition<'wiki'> = {
  id: 'wiki',
  label: 'Cours et Wiki',
  path: '/wiki',
  anyOf: ['wiki.create'],
  rights: [{ action: 'wiki.create', profiles: ['Student', 'Teacher', 'Personnel'] }],
  migrations: { '0007-wiki': m0007 },
  mailTexts: {
    'wiki.page.created': (p) =>
      `${String(p.author ?? '')} a créé la page « ${String(p.title ?? '')} » dans ${String(p.wiki ?? '')}.`,
  },
  seedDemo: seedWikiDemo,
};
