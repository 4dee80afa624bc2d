import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { PageHeading } from '../components/page-heading.tsx';
import { useDocumentTitle } from '../hooks/use-document-title.ts';

const FEATURES = ['export', 'download', 'import'] as const;

/** "Mes Données": placeholder until the Export / Import tabs exist. */
export function ArchivePage() {
  const { t } = useTranslation();
  const featuresTitleId = useId();
  useDocumentTitle(t('archive.title'));

  return (
    <>
      <PageHeading>{t('archive.title')}</PageHeading>
      <p className="lead">{t('archive.intro')}</p>
      <p className="notice">{t('archive.notice')}</p>

      <section aria-labelledby={featuresTitleId}>
        <h2 id={featuresTitleId}>{t('archive.featuresTitle')}</h2>
        <ul className="features">
          {FEATURES.map((feature) => (
            <li key={feature} className="feature">
              <h3>{t(`archive.features.${feature}.title`)}</h3>
              <p>{t(`archive.features.${feature}.description`)}</p>
              <p className="tag">{t('archive.comingSoon')}</p>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
