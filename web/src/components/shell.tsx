import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, NavLink } from '../router.tsx';

export const MAIN_CONTENT_ID = 'main-content';

function focusMain(): void {
  const main = document.getElementById(MAIN_CONTENT_ID);
  if (!main) return;
  main.focus();
  main.scrollIntoView();
}

/** Page frame: skip link, the given header, the `<main>` landmark and the footer. */
export function Shell({ header, children }: { header: ReactNode; children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <>
      <a
        className="skip-link"
        href={`#${MAIN_CONTENT_ID}`}
        onClick={(event) => {
          // Keep the URL clean (no #fragment in the app's history); the effect is the same.
          event.preventDefault();
          focusMain();
        }}
      >
        {t('app.skipLink')}
      </a>
      {header}
      <main id={MAIN_CONTENT_ID} className="container site-main" tabIndex={-1}>
        {children}
      </main>
      <footer className="site-footer">
        <nav className="container site-footer__inner" aria-label={t('nav.footer')}>
          <ul className="inline-list">
            <li>
              <NavLink to="/status">{t('nav.status')}</NavLink>
            </li>
          </ul>
        </nav>
      </footer>
    </>
  );
}

/**
 * The site's name, which leads home (the portal), and says so to screen readers; the export
 * and import pages are the "Mes Données" entry of the main navigation.
 */
export function Brand() {
  const { t } = useTranslation();
  return (
    <div className="brand">
      <Link to="/" className="brand__name">
        {t('app.name')}
        <span className="visually-hidden">{t('app.homeHint')}</span>
      </Link>
      <p className="brand__tagline">{t('app.tagline')}</p>
    </div>
  );
}
