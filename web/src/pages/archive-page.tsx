import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { HealthPanel } from '../components/health-panel.tsx';
import { useDocumentTitle } from '../hooks/use-document-title.ts';

const FEATURES = ['export', 'download', 'import'] as const;

export function HomePage() {
  const { t } = useTranslation();
  const featuresTitleId = useId();
  useDocumentTitle(t('home.title'));

  return (
    <>
      <h1>{t('home.title')}</h1>
      <p className="lead">{t('home.intro')}</p>
      <p className="notice">{t('home.notice')}</p>

      <section aria-labelledby={featuresTitleId}>
        <h2 id={featuresTitleId}>{t('home.featuresTitle')}</h2>
        <ul className="features">
          {FEATURES.map((feature) => (
            <li key={feature} className="feature">
              <h3>{t(`home.features.${feature}.title`)}</h3>
              <p>{t(`home.features.${feature}.description`)}</p>
              <p className="tag">{t('home.comingSoon')}</p>
            </li>
          ))}
        </ul>
      </section>

      <HealthPanel />
    </>
  );
}
