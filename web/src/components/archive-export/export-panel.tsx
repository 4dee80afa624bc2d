import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ArchiveApps, ArchiveExport } from '../../api/archive.ts';
import { useAppName } from '../../apps/known-apps.ts';
import { formatShortDateTime } from '../../format.ts';
import type { ResourceState } from '../../hooks/use-resource.ts';
import { useLocation } from '../../router.tsx';
import { ErrorAlert, Loading } from '../feedback.tsx';
import { ConfirmDialog } from '../workspace-dialogs.tsx';
import { ExportForm } from './export-form.tsx';
import { ExportHistory } from './export-history.tsx';
import { ExportProgress } from './export-progress.tsx';
import { useExportTracker } from './use-export-tracker.ts';

/**
 * "Exporter": choose the apps and options, ask for the archive, follow its preparation, download
 * it; below, the exports asked for before.
 */
export function ExportPanel({
  apps,
  reloadApps,
}: {
  apps: ResourceState<ArchiveApps>;
  reloadApps: () => void;
}) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const titleId = useId();
  const loaded = apps.status === 'success' ? apps.data : undefined;
  const appName = useAppName(loaded?.items);
  const exportable = loaded?.items.filter((app) => app.exportable) ?? [];
  // `?export=<id>`: the timeline's link to one export; its details are shown and focused.
  const wanted = new URLSearchParams(useLocation().search).get('export') ?? undefined;
  const tracker = useExportTracker(appName, wanted);
  const [deleting, setDeleting] = useState<ArchiveExport>();

  return (
    <div className="archive-export">
      {/* Progress and results, announced without moving the focus. */}
      <p role="status" className="visually-hidden">
        {tracker.announcement}
      </p>
      <h2 id={titleId} className="archive-export__title">
        {t('archive.export.title')}
      </h2>
      <p>{t('archive.export.intro')}</p>

      {apps.status === 'loading' && <Loading />}
      {apps.status === 'error' && <ErrorAlert error={apps.error} onRetry={reloadApps} />}
      {loaded && !loaded.rights.export && <p className="notice">{t('archive.export.noRight')}</p>}
      {loaded && loaded.rights.export && exportable.length === 0 && (
        <p className="notice">{t('archive.export.noApps')}</p>
      )}
      {loaded && loaded.rights.export && exportable.length > 0 && (
        <ExportForm
          exportable={exportable}
          appName={appName}
          labelledBy={titleId}
          busy={tracker.busy}
          onStart={tracker.start}
        />
      )}

      {tracker.followError !== undefined && <ErrorAlert>{tracker.followError}</ErrorAlert>}
      {tracker.current && (
        <ExportProgress
          exported={tracker.current}
          appName={appName}
          headingRef={tracker.progressRef}
          cancelling={tracker.cancelling}
          onCancel={() => {
            void tracker.cancel();
          }}
        />
      )}

      <ExportHistory
        state={tracker.history.state}
        reload={tracker.history.reload}
        appName={appName}
        headingRef={tracker.historyRef}
        onDelete={setDeleting}
        onShow={tracker.open}
        shownId={tracker.current?.id}
      />

      {deleting && (
        <ConfirmDialog
          title={t('archive.history.deleteDialog.title', {
            date: formatShortDateTime(deleting.createdAt, language),
          })}
          confirmLabel={t('archive.history.deleteDialog.submit')}
          onConfirm={async () => {
            await tracker.remove(deleting);
            setDeleting(undefined);
          }}
          onClose={() => {
            setDeleting(undefined);
          }}
        >
          <p>
            {deleting.status === 'ready'
              ? t('archive.history.deleteDialog.ready')
              : t('archive.history.deleteDialog.other')}
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
