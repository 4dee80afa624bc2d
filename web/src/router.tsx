/**
 * A tiny History API router: `navigate()`, `useLocation()`, `<Link>`. After every client-side
 * navigation (including back/forward), the next page heading that mounts takes the focus, so
 * screen reader and keyboard users land on the new page's `<h1>` (see `PageHeading`).
 */
import { useMemo, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';
import { isSameSitePath } from './api/platform.ts';

const NAVIGATE_EVENT = 'mes-donnees:navigate';

export interface Location {
  pathname: string;
  search: string;
}

/** Flash messages carried in `history.state` (they survive a reload, not a new navigation). */
export type Flash = 'loggedOut' | 'sessionExpired';

let focusRequested = false;
let lastHref = currentHref();

function currentHref(): string {
  return window.location.pathname + window.location.search;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATE_EVENT, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATE_EVENT, onChange);
  };
}

// Back/forward between pages also moves the focus; a fragment-only change (skip link) does not.
window.addEventListener('popstate', () => {
  const href = currentHref();
  if (href !== lastHref) {
    lastHref = href;
    focusRequested = true;
  }
});

/** `/timeline/` and `/timeline` are the same page. */
export function normalizePathname(pathname: string): string {
  return pathname.length > 1 && pathname.endsWith('/') ? pathname.replace(/\/+$/, '') : pathname;
}

export function useLocation(): Location {
  const href = useSyncExternalStore(subscribe, currentHref);
  return useMemo(() => {
    const url = new URL(href, window.location.origin);
    return { pathname: normalizePathname(url.pathname), search: url.search };
  }, [href]);
}

export interface NavigateOptions {
  /** Replace the current history entry (redirects). */
  replace?: boolean;
  /** Message for the next page, kept in `history.state`. */
  flash?: Flash;
  /** Move the focus to the new page's heading (default true). */
  focus?: boolean;
}

export function navigate(to: string, options: NavigateOptions = {}): void {
  const state = options.flash ? { flash: options.flash } : null;
  if (to === currentHref() && !options.replace) return;
  if (options.replace) window.history.replaceState(state, '', to);
  else window.history.pushState(state, '', to);
  lastHref = currentHref();
  focusRequested = options.focus ?? true;
  window.scrollTo(0, 0);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

/** True once after each navigation: the first page heading to mount takes the focus. */
export function consumeFocusRequest(): boolean {
  const requested = focusRequested;
  focusRequested = false;
  return requested;
}

export function readFlash(): Flash | undefined {
  const state: unknown = window.history.state;
  if (typeof state !== 'object' || state === null || !('flash' in state)) return undefined;
  const { flash } = state;
  return flash === 'loggedOut' || flash === 'sessionExpired' ? flash : undefined;
}

/** Paths handled by this single-page app; `/api/...` links (downloads) are real navigations. */
export function isAppPath(path: string): boolean {
  return isSameSitePath(path) && path !== '/api' && !path.startsWith('/api/');
}

/**
 * Where to go after logging in: a same-site app path from `?next=`, never back to /login, and
 * never another origin (open redirect).
 */
export function safeNextPath(search: string): string {
  const next = new URLSearchParams(search).get('next');
  if (next === null || !isAppPath(next)) return '/';
  const pathname = normalizePathname(new URL(next, window.location.origin).pathname);
  return pathname === '/login' ? '/' : next;
}

export function loginPathFor(location: Location): string {
  const here = location.pathname + location.search;
  return here === '/' || location.pathname === '/login'
    ? '/login'
    : `/login?${new URLSearchParams({ next: here }).toString()}`;
}

function isPlainLeftClick(event: MouseEvent<HTMLAnchorElement>): boolean {
  return event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string };

/** An `<a href>` that navigates without reloading for app paths (normal link otherwise). */
export function Link({ to, onClick, target, ...rest }: LinkProps) {
  return (
    <a
      {...rest}
      href={to}
      target={target}
      onClick={(event) => {
        onClick?.(event);
        if (event.defaultPrevented || !isPlainLeftClick(event)) return;
        if ((target !== undefined && target !== '_self') || !isAppPath(to)) return;
        event.preventDefault();
        navigate(to);
      }}
    />
  );
}

/** A navigation link that says which page is the current one (`aria-current="page"`). */
export function NavLink(props: LinkProps) {
  const { pathname } = useLocation();
  const current = normalizePathname(props.to) === pathname;
  return <Link {...props} aria-current={current ? 'page' : undefined} />;
}
