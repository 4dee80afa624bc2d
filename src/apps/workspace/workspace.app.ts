import type { AppDeps, EntApp } from '../app-module.ts';
import { workspaceArchiveAdapter } from './archive/workspace.export.ts';
import { workspaceRoutes } from './workspace.routes.ts';
import { WorkspaceService } from './workspace.service.ts';

export function createWorkspaceApp(deps: AppDeps): EntApp & { service: WorkspaceService } {
  const service = new WorkspaceService(deps);
  return {
    id: 'workspace',
    label: 'Espace documentaire',
    path: '/workspace',
    anyOf: ['workspace.create', 'archive.export'],
    routes: workspaceRoutes({ workspace: service, platform: deps.platform, blobs: deps.blobs }),
    archive: workspaceArchiveAdapter(deps),
    service,
  };
}
