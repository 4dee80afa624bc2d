import type { AppDeps, EntApp } from '../app-module.ts';
import type { WorkspaceService } from '../workspace/workspace.service.ts';

export function createNewsApp(deps: AppDeps & { workspace: WorkspaceService }): EntApp {
  void deps;
  return {
    id: 'news',
    label: 'Actualités',
    path: '/news',
    anyOf: ['news.create'],
    routes: async () => undefined,
  };
}
