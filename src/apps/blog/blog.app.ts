import type { AppDeps, EntApp } from '../app-module.ts';
import type { WorkspaceService } from '../workspace/workspace.service.ts';
import { blogArchiveAdapter } from './archive/blog.export.ts';
import { blogRoutes } from './blog.routes.ts';
import { BLOG, BlogService } from './blog.service.ts';

export type BlogApp = EntApp & { service: BlogService };

export function createBlogApp(deps: AppDeps & { workspace: WorkspaceService }): BlogApp {
  const service = new BlogService(deps);
  return {
    id: BLOG,
    label: 'Blog',
    path: '/blog',
    anyOf: ['blog.create'],
    routes: blogRoutes({ blog: service, platform: deps.platform, blobs: deps.blobs }),
    archive: blogArchiveAdapter(deps),
    service,
  };
}
