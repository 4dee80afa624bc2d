import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';

/** Sets `document.title` to "<page> – Mes Données", following language changes. */
export function useDocumentTitle(pageTitle: string): void {
  const { t } = useTranslation();
  const title = t('app.pageTitle', { page: pageTitle });
  useEffect(() => {
    document.title = title;
  }, [title]);
}
