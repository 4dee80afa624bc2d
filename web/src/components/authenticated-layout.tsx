import { useCallback, useEffect, useId, useMemo, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { isAbortError, isUnauthenticated, toApiError, type ApiError } from '../api/client.ts';
import { fetchMe, fetchTimeline, isProfile, logout, type Me } from '../api/platform.ts';
import { loginPathFor, navigate, NavLink, useLocation } from '../router.tsx';
import { SessionContext, type Session } from '../session.tsx';
import { ErrorAlert, Loading } from './feedback.tsx';
import { LanguageSwitch } from './language-switch.tsx';
import { PageHeading } from './page-heading.tsx';
import { Brand, Shell } from './shell.tsx';

export function ProfileName({ profile }: { profile: string }) {
  const { t } = useTranslation();
  return <>{isProfile(profile) ? t(`profiles.${profile}`) : profile}</>;
}

function UnreadBadge({ count }: { count: number }) {
  const { t } = useTranslation();
  return (
    <span className="count-badge">
      <span aria-hidden="true">{count}</span>
      <span className="visually-hidden">{t('nav.unread', { count })}</span>
    </span>
  );
}

function UserHeader({ me, unreadCount }: { me: Me; unreadCount: number | undefined }) {
  const { t } = useTranslation();
  const [loggingOut, setLoggingOut] = useState(false);
  const [logoutFailed, setLogoutFailed] = useState(false);
  const panelId = useId();
  const menuButtonRef = useRef<HTMLButtonElement>(null);
  // The menu is open on the page where it was opened: any navigation closes it.
  const location = useLocation();
  const here = location.pathname + location.search;
  const [menuOpenAt, setMenuOpenAt] = useState<string>();
  const menuOpen = menuOpenAt === here;
  const mayUseArchive = me.rights.some((r) => r === 'archive.export' || r === 'archive.import');

  const onLogout = async () => {
    if (loggingOut) return;
    setLoggingOut(true);
    setLogoutFailed(false);
    try {
      await logout();
    } catch (error) {
      // Already logged out (401) is as good as a successful logout.
      if (!isUnauthenticated(error)) {
        setLoggingOut(false);
        setLogoutFailed(true);
        return;
      }
    }
    navigate('/login', { flash: 'loggedOut' });
  };

  return (
    <header
      className="site-header"
      onKeyDown={(event) => {
        // Escape closes the open menu (from its button or from inside it).
        if (event.key !== 'Escape' || !menuOpen) return;
        setMenuOpenAt(undefined);
        menuButtonRef.current?.focus();
      }}
    >
      <div className="container site-header__inner">
        <Brand />
        {/* On a phone the header folds: the account and the navigation open from "Menu". */}
        <button
          type="button"
          className="button button--secondary site-header__menu-button"
          aria-expanded={menuOpen}
          aria-controls={panelId}
          ref={menuButtonRef}
          onClick={() => {
            setMenuOpenAt(menuOpen ? undefined : here);
          }}
        >
          <span className="site-header__menu-icon" aria-hidden="true" />
          {t('nav.menu')}
        </button>
        <div
          id={panelId}
          className={
            menuOpen ? 'site-header__panel site-header__panel--open' : 'site-header__panel'
          }
        >
          <div className="user-bar">
            <p className="user-bar__identity">
              <span className="visually-hidden">{t('user.connectedAs')} </span>
              <span className="user-bar__name">{me.user.displayName}</span>{' '}
              <span className="user-bar__profile">
                <span className="visually-hidden">(</span>
                <ProfileName profile={me.user.profile} />
                <span className="visually-hidden">)</span>
              </span>
            </p>
            <LanguageSwitch />
            <button
              type="button"
              className="button button--secondary"
              aria-disabled={loggingOut}
              onClick={() => {
                void onLogout();
              }}
            >
              {t('user.logout')}
            </button>
          </div>
          <nav className="main-nav" aria-label={t('nav.main')}>
            <ul className="inline-list">
              <li>
                <NavLink to="/">{t('nav.home')}</NavLink>
              </li>
              <li>
                <NavLink to="/timeline">
                  {t('nav.timeline')}
                  {unreadCount !== undefined && unreadCount > 0 && (
                    <>
                      {' '}
                      <UnreadBadge count={unreadCount} />
                    </>
                  )}
                </NavLink>
              </li>
              {mayUseArchive && (
                <li>
                  <NavLink to="/archive">{t('nav.archive')}</NavLink>
                </li>
              )}
            </ul>
          </nav>
        </div>
      </div>
      {logoutFailed && (
        <div className="container site-header__alert">
          <ErrorAlert>{t('user.logoutFailed')}</ErrorAlert>
        </div>
      )}
    </header>
  );
}

function AnonymousHeader() {
  return (
    <header className="site-header">
      <div className="container site-header__inner">
        <Brand />
        <LanguageSwitch />
      </div>
    </header>
  );
}

/**
 * Layout of the pages that need a session. Loads `/api/me` (and the unread count) on every page
 * change; a 401 sends the user to `/login?next=<this page>`. Children only render once the
 * user is known, and read it with `useSession()`.
 */
export function AuthenticatedLayout({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const location = useLocation();
  const [me, setMe] = useState<Me>();
  const [error, setError] = useState<ApiError>();
  const [unreadCount, setUnread] = useState<number>();
  const [attempt, setAttempt] = useState(0);
  const hadSession = useRef(false);
  // Bumped by pages that know a fresher count, so a slower header request cannot overwrite it.
  const unreadVersion = useRef(0);
  const locationRef = useRef(location);
  useEffect(() => {
    locationRef.current = location;
  });

  const handleUnauthenticated = useCallback((failure: unknown): boolean => {
    if (!isUnauthenticated(failure)) return false;
    // Session expired while in use: say so, and move the focus like any navigation. Not logged
    // in when opening the page: just show the login form.
    const expired = hadSession.current;
    navigate(loginPathFor(locationRef.current), {
      replace: true,
      focus: expired,
      ...(expired ? { flash: 'sessionExpired' as const } : {}),
    });
    return true;
  }, []);

  const setUnreadCount = useCallback((count: number) => {
    unreadVersion.current += 1;
    setUnread(count);
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    const version = unreadVersion.current;
    fetchMe(signal).then(
      (loaded) => {
        if (signal.aborted) return;
        hadSession.current = true;
        setMe(loaded);
        setError(undefined);
        // Only once logged in (no pointless second 401); the badge is optional, errors ignored.
        fetchTimeline({ limit: 1 }, signal).then(
          (page) => {
            if (!signal.aborted && unreadVersion.current === version) setUnread(page.unreadCount);
          },
          () => undefined,
        );
      },
      (failure: unknown) => {
        if (signal.aborted || isAbortError(failure) || handleUnauthenticated(failure)) return;
        setError(toApiError(failure));
      },
    );
    return () => {
      controller.abort();
    };
  }, [location.pathname, attempt, handleUnauthenticated]);

  const session = useMemo<Session | undefined>(
    () => (me ? { me, unreadCount, setUnreadCount, handleUnauthenticated } : undefined),
    [me, unreadCount, setUnreadCount, handleUnauthenticated],
  );

  // One tree for every state, so that `<main>` is never re-created (it may hold the focus).
  return (
    <SessionContext value={session}>
      <Shell
        header={
          session ? (
            <UserHeader me={session.me} unreadCount={session.unreadCount} />
          ) : (
            <AnonymousHeader />
          )
        }
      >
        {session ? (
          children
        ) : error ? (
          <>
            <PageHeading>{t('errors.title')}</PageHeading>
            <ErrorAlert
              error={error}
              onRetry={() => {
                setError(undefined);
                setAttempt((n) => n + 1);
              }}
            />
          </>
        ) : (
          <Loading />
        )}
      </Shell>
    </SessionContext>
  );
}
