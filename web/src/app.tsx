import type { ReactNode } from 'react';
import { appsRoute } from './apps/routes.tsx';
import { AuthenticatedLayout } from './components/authenticated-layout.tsx';
import { PublicLayout } from './components/public-layout.tsx';
import { ArchivePage } from './pages/archive-page.tsx';
import { LoginPage } from './pages/login-page.tsx';
import { NotFoundPage } from './pages/not-found-page.tsx';
import { PortalPage } from './pages/portal-page.tsx';
import { StatusPage } from './pages/status-page.tsx';
import { TimelinePage } from './pages/timeline-page.tsx';
import { WorkspacePage } from './pages/workspace/workspace-page.tsx';
import { useLocation } from './router.tsx';

/** Pages that need a session; they render inside `AuthenticatedLayout`. */
const PRIVATE_ROUTES: Readonly<Record<string, () => ReactNode>> = {
  '/': () => <PortalPage />,
  '/timeline': () => <TimelinePage />,
  '/archive': () => <ArchivePage />,
  '/workspace': () => <WorkspacePage />,
};

const PUBLIC_ROUTES: Readonly<Record<string, () => ReactNode>> = {
  '/login': () => <LoginPage />,
  '/status': () => <StatusPage />,
};

export function App() {
  const { pathname } = useLocation();

  const privatePage = Object.hasOwn(PRIVATE_ROUTES, pathname)
    ? PRIVATE_ROUTES[pathname]
    : appsRoute(pathname);
  if (privatePage) {
    // Same element type at the same place for every private page: the layout (and the loaded
    // user) survives navigation between them; the page component below it is swapped.
    return <AuthenticatedLayout key="private">{privatePage()}</AuthenticatedLayout>;
  }
  const publicPage = Object.hasOwn(PUBLIC_ROUTES, pathname) ? PUBLIC_ROUTES[pathname] : undefined;
  return <PublicLayout>{publicPage ? publicPage() : <NotFoundPage />}</PublicLayout>;
}
