import { useTranslation } from 'react-i18next';
import { HealthPanel } from '../components/health-panel.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { useDocumentTitle } from '../hooks/use-document-title.ts';

/** Public service status page (reachable without logging in, useful when login fails). */
export function StatusPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('health.title'));
  return (
    <>
      <PageHeading>{t('health.title')}</PageHeading>
      <HealthPanel standalone />
    </>
  );
}
