import type { AppDeps, EntApp } from '../app-module.ts';
import type { WorkspaceService } from '../workspace/workspace.service.ts';

export function createWikiApp(deps: AppDeps & { workspace: WorkspaceService }): EntApp {
  void deps;
  return {
    id: 'wiki',
    label: 'Cours et Wiki',
    path: '/wiki',
    anyOf: ['wiki.create'],
    routes: async () => undefined,
  };
}
