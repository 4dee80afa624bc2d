import { portalEntry, type AppDefinition, type AppDeps, type EntApp } from '../app-module.ts';
import type { WorkspaceService } from '../workspace/workspace.service.ts';
import { blogArchiveAdapter } from './archive/blog.export.ts';
import { blogRoutes } from './blog.routes.ts';
import { BlogService } from './blog.service.ts';
import * as m0004 from './migrations/0004-blog.ts';
import { seedBlogDemo } from './blog.demo.ts';

export type BlogApp = EntApp & { service: BlogService };

export function createBlogApp(deps: AppDeps & { workspace: WorkspaceService }): BlogApp {
  const service = new BlogService(deps);
  return {
    ...portalEntry(blogApp),
    routes: blogRoutes({ blog: service, platform: deps.platform, blobs: deps.blobs }),
    archive: blogArchiveAdapter(deps),
    service,
  };
}

/** Blog: what the platform knows of the app before it is built (see app-module.ts). */
export const blogApp: AppDefinition<'blog'> = {
  id: 'blog',
  label: 'Blog',
  path: '/blog',
  anyOf: ['blog.create'],
  rights: [{ action: 'blog.create', profiles: ['Student', 'Teacher', 'Personnel'] }],
  migrations: { '0004-blog': m0004 },
  mailTexts: {
    'blog.post.published': (p) =>
      `${String(p.author ?? '')} a publié « ${String(p.title ?? '')} » dans ${String(p.blog ?? '')}.`,
    'blog.post.submitted': (p) =>
      `${String(p.author ?? '')} propose « ${String(p.title ?? '')} » dans ${String(p.blog ?? '')}.`,
  },
  seedDemo: seedBlogDemo,
};
