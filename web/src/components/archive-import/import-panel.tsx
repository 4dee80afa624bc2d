import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { ArchiveApps } from '../../api/archive.ts';
import type { ResourceState } from '../../hooks/use-resource.ts';
import { useAppName } from '../../apps/known-apps.ts';
import { ErrorAlert, Loading } from '../feedback.tsx';

/**
 * "Importer": not available yet. Says what it will do (from the ENT user guide) and which apps
 * the account could import into, without pretending to take a file.
 */
export function ImportPanel({
  apps,
  reloadApps,
}: {
  apps: ResourceState<ArchiveApps>;
  reloadApps: () => void;
}) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const ids = { title: useId(), steps: useId(), conditions: useId() };
  const loaded = apps.status === 'success' ? apps.data : undefined;
  const appName = useAppName(loaded?.items);
  const importable = loaded?.items.filter((app) => app.importable).map((app) => appName(app.id));
  const list = new Intl.ListFormat(language, { style: 'long', type: 'conjunction' });

  return (
    <div className="archive-import">
      <h2 id={ids.title} className="archive-import__title">
        {t('archive.import.title')}
      </h2>
      <p>{t('archive.import.intro')}</p>

      {/* Not a drop zone: nothing here takes a file, and nothing pretends to. */}
      <div className="import-placeholder" role="note">
        <p className="import-placeholder__title">
          <span className="tag">{t('archive.import.soon')}</span>
        </p>
        <p>{t('archive.import.notice')}</p>
        <p className="import-placeholder__format">{t('archive.import.zipOnly')}</p>
      </div>

      {apps.status === 'loading' && <Loading />}
      {apps.status === 'error' && <ErrorAlert error={apps.error} onRetry={reloadApps} />}
      {loaded && !loaded.rights.import && <p className="notice">{t('archive.import.noRight')}</p>}
      {loaded && loaded.rights.import && importable !== undefined && importable.length > 0 && (
        <p>{t('archive.import.apps', { apps: list.format(importable) })}</p>
      )}

      <section aria-labelledby={ids.steps}>
        <h3 id={ids.steps}>{t('archive.import.stepsTitle')}</h3>
        <ol className="import-steps">
          <li>{t('archive.import.steps.upload')}</li>
          <li>{t('archive.import.steps.choose')}</li>
          <li>{t('archive.import.steps.report')}</li>
        </ol>
      </section>
      <section aria-labelledby={ids.conditions}>
        <h3 id={ids.conditions}>{t('archive.import.conditionsTitle')}</h3>
        <ul className="import-steps">
          <li>{t('archive.import.conditions.rights')}</li>
          <li>{t('archive.import.conditions.version')}</li>
        </ul>
      </section>
    </div>
  );
}
