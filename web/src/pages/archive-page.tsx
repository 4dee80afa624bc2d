import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { fetchArchiveApps } from '../api/archive.ts';
import { ExportPanel } from '../components/archive-export/export-panel.tsx';
import { ImportPanel } from '../components/archive-import/import-panel.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { TabList, TabPanel } from '../components/tabs.tsx';
import { useDocumentTitle } from '../hooks/use-document-title.ts';
import { useResource } from '../hooks/use-resource.ts';
import { navigate, useLocation } from '../router.tsx';
import { useSession } from '../session.tsx';

const PATH = '/archive';
const TABS = ['export', 'import'] as const;
type Tab = (typeof TABS)[number];

function isTab(value: unknown): value is Tab {
  return typeof value === 'string' && (TABS as readonly string[]).includes(value);
}

/** `?tab=import`; anything else is the "Exporter" tab. */
function tabOf(search: string): Tab {
  const tab = new URLSearchParams(search).get('tab');
  return isTab(tab) ? tab : 'export';
}

function tabPath(tab: Tab): string {
  return tab === 'export' ? PATH : `${PATH}?${new URLSearchParams({ tab }).toString()}`;
}

/** "Mes Données": the "Exporter" and "Importer" tabs, as in the ENT user guide. */
export function ArchivePage() {
  const { t } = useTranslation();
  const { handleUnauthenticated } = useSession();
  const { search } = useLocation();
  const tab = tabOf(search);
  const idPrefix = useId();
  useDocumentTitle(t(`archive.pageTitles.${tab}`));

  // Both tabs need it (what can be exported, where the account may import).
  const apps = useResource(fetchArchiveApps, 'archive-apps', handleUnauthenticated);

  const select = (next: Tab) => {
    // The tab is in the URL (a link can open "Importer"), but switching tabs is not a new
    // page: it replaces the history entry, keeps the focus on the tab and the scroll position.
    const { scrollX, scrollY } = window;
    navigate(tabPath(next), { replace: true, focus: false });
    window.scrollTo(scrollX, scrollY);
  };

  return (
    <div className="archive">
      <PageHeading>{t('archive.title')}</PageHeading>
      <p className="lead">{t('archive.intro')}</p>
      <TabList
        label={t('archive.tabs.label')}
        idPrefix={idPrefix}
        tabs={TABS.map((id) => ({ id, label: t(`archive.tabs.${id}`) }))}
        selected={tab}
        onSelect={select}
      />
      <TabPanel idPrefix={idPrefix} id="export" selected={tab === 'export'}>
        <ExportPanel apps={apps.state} reloadApps={apps.reload} />
      </TabPanel>
      <TabPanel idPrefix={idPrefix} id="import" selected={tab === 'import'}>
        <ImportPanel apps={apps.state} reloadApps={apps.reload} />
      </TabPanel>
    </div>
  );
}
