import { useTranslation } from 'react-i18next';
import { LanguageSwitch } from './components/language-switch.tsx';
import { HomePage } from './pages/home-page.tsx';

export const MAIN_CONTENT_ID = 'main-content';

/** Page shell: skip link, header, main landmark. Pages render inside `<main>`. */
export function App() {
  const { t } = useTranslation();

  return (
    <>
      <a className="skip-link" href={`#${MAIN_CONTENT_ID}`}>
        {t('app.skipLink')}
      </a>
      <header className="site-header">
        <div className="container site-header__inner">
          <div className="brand">
            <p className="brand__name">{t('app.name')}</p>
            <p className="brand__tagline">{t('app.tagline')}</p>
          </div>
          <LanguageSwitch />
        </div>
      </header>
      <main id={MAIN_CONTENT_ID} className="container site-main" tabIndex={-1}>
        <HomePage />
      </main>
    </>
  );
}
