import { portalEntry, type AppDefinition, type AppDeps, type EntApp } from '../app-module.ts';
import { workspaceArchiveAdapter } from './archive/workspace.export.ts';
import { workspaceRoutes } from './workspace.routes.ts';
import { WorkspaceService } from './workspace.service.ts';
import * as m0003 from './migrations/0003-workspace.ts';
import { seedWorkspaceDemo } from './workspace.demo.ts';
import { PROFILES } from '../../platform/rights.ts';

export function createWorkspaceApp(deps: AppDeps): EntApp & { service: WorkspaceService } {
  const service = new WorkspaceService(deps);
  return {
    ...portalEntry(workspaceApp),
    routes: workspaceRoutes({ workspace: service, platform: deps.platform, blobs: deps.blobs }),
    archive: workspaceArchiveAdapter(deps),
    service,
  };
}

/** Espace documentaire: what the platform knows of the app before it is built (see app-module.ts). */
export const workspaceApp: AppDefinition<'workspace'> = {
  id: 'workspace',
  label: 'Espace documentaire',
  path: '/workspace',
  anyOf: ['workspace.create', 'archive.export'],
  rights: [{ action: 'workspace.create', profiles: PROFILES }],
  migrations: { '0003-workspace': m0003 },
  mailTexts: {},
  seedAccountDemo: seedWorkspaceDemo,
};
