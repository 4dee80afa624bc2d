import type { AppDeps, EntApp } from '../app-module.ts';
import type { WorkspaceService } from '../workspace/workspace.service.ts';

export function createBlogApp(deps: AppDeps & { workspace: WorkspaceService }): EntApp {
  void deps;
  return {
    id: 'blog',
    label: 'Blog',
    path: '/blog',
    anyOf: ['blog.create'],
    routes: async () => undefined,
  };
}
