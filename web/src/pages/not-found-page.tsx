import { useTranslation } from 'react-i18next';
import { PageHeading } from '../components/page-heading.tsx';
import { useDocumentTitle } from '../hooks/use-document-title.ts';
import { Link } from '../router.tsx';

export function NotFoundPage() {
  const { t } = useTranslation();
  useDocumentTitle(t('notFound.title'));
  return (
    <>
      <PageHeading>{t('notFound.title')}</PageHeading>
      <p>{t('notFound.text')}</p>
      <p>
        <Link to="/">{t('notFound.home')}</Link>
      </p>
    </>
  );
}
