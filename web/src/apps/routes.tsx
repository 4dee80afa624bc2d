/**
 * The pages of the Blog, Actualités, Agenda and Cours et Wiki apps. `app.tsx` keeps its routes
 * as `Record<path, () => ReactNode>` looked up by the exact pathname; these pages also have
 * `:id` segments, so they are found with `appsRoute(pathname)`, which gives a page in that same
 * `() => ReactNode` shape (or undefined). Every page needs a session: they go with the private
 * routes, inside `AuthenticatedLayout`.
 *
 * Each page is keyed by its ids: moving from one blog to another mounts a new page (whose
 * heading then takes the focus), while reading the pages of one wiki keeps its tree mounted.
 */
import type { ReactNode } from 'react';
import { BlogPage, BlogsPage } from './blog/blog-pages.tsx';
import { PostPage } from './blog/post-page.tsx';
import { CalendarPage, CalendarsPage } from './calendar/calendar-pages.tsx';
import { NewsPage, ThreadPage } from './news/news-pages.tsx';
import { routeId } from './ui/hooks.ts';
import { WikiPages, WikisPage } from './wiki/wiki-pages.tsx';
import './apps.css';

type Params = Readonly<Record<string, string>>;

export interface AppsRouteDefinition {
  /** `/blog/:blogId`: literal segments and `:name` parameters (ids, at most 64 characters). */
  path: string;
  page: (params: Params) => ReactNode;
}

export const APPS_ROUTES: readonly AppsRouteDefinition[] = [
  { path: '/blog', page: () => <BlogsPage /> },
  { path: '/blog/:blogId', page: (p) => <BlogPage key={p.blogId} blogId={p.blogId ?? ''} /> },
  {
    path: '/blog/:blogId/posts/:postId',
    page: (p) => (
      <PostPage key={`${p.blogId}/${p.postId}`} blogId={p.blogId ?? ''} postId={p.postId ?? ''} />
    ),
  },
  { path: '/news', page: () => <NewsPage /> },
  {
    path: '/news/:threadId',
    page: (p) => <ThreadPage key={p.threadId} threadId={p.threadId ?? ''} />,
  },
  { path: '/calendar', page: () => <CalendarsPage /> },
  {
    path: '/calendar/:calendarId',
    page: (p) => <CalendarPage key={p.calendarId} calendarId={p.calendarId ?? ''} />,
  },
  { path: '/wiki', page: () => <WikisPage /> },
  // Same key for a wiki and its pages: the tree stays loaded while reading.
  { path: '/wiki/:wikiId', page: (p) => <WikiPages key={p.wikiId} wikiId={p.wikiId ?? ''} /> },
  {
    path: '/wiki/:wikiId/pages/:pageId',
    page: (p) => <WikiPages key={p.wikiId} wikiId={p.wikiId ?? ''} pageId={p.pageId} />,
  },
];

function match(pattern: string, pathname: string): Params | undefined {
  const want = pattern.split('/');
  const got = pathname.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of want.entries()) {
    const actual = got[index];
    if (part.startsWith(':')) {
      const id = routeId(actual);
      if (id === undefined) return undefined;
      params[part.slice(1)] = id;
    } else if (part !== actual) {
      return undefined;
    }
  }
  return params;
}

/**
 * The page of these apps at `pathname` (normalised, as `useLocation()` gives it), in the shape
 * of `app.tsx`'s routes; undefined when it is none of theirs.
 */
export function appsRoute(pathname: string): (() => ReactNode) | undefined {
  for (const route of APPS_ROUTES) {
    const params = match(route.path, pathname);
    if (params !== undefined) return () => route.page(params);
  }
  return undefined;
}
