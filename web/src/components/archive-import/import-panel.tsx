import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ArchiveApps } from '../../api/archive.ts';
import type { ImportAppAnalysis } from '../../api/imports.ts';
import { useAppLabel } from '../../apps/known-apps.ts';
import { useFocusRequest } from '../../hooks/use-focus-request.ts';
import type { ResourceState } from '../../hooks/use-resource.ts';
import { useLocation } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { ErrorAlert, Loading } from '../feedback.tsx';
import { ImportAnalysisView } from './import-analysis.tsx';
import { ImportHistory } from './import-history.tsx';
import { ImportProgress } from './import-progress.tsx';
import { ImportRefused } from './import-refused.tsx';
import { ImportReportView } from './import-report.tsx';
import { ImportDropZone, ImportUploadProgress } from './import-upload.tsx';
import { useImportTracker, viewOf } from './use-import-tracker.ts';
import { useTusUpload } from './use-tus-upload.ts';

/**
 * "Importer": choose a .zip (drop or browse), send it (resumable), read its analysis, choose
 * the apps and options, import or simulate; follow the import, read its report; below, the
 * imports made before.
 */
export function ImportPanel({
  apps,
  reloadApps,
}: {
  apps: ResourceState<ArchiveApps>;
  reloadApps: () => void;
}) {
  const { t } = useTranslation();
  const { handleUnauthenticated } = useSession();
  const ids = { title: useId(), checking: useId(), ended: useId(), conditions: useId() };
  const loaded = apps.status === 'success' ? apps.data : undefined;
  const label = useAppLabel();
  // The local name of a known app, else the archive's label (read when called, after the
  // tracker below gave the import shown).
  let analysed: readonly ImportAppAnalysis[] = [];
  const appName = (id: string) => label(id, analysed.find((a) => a.app === id)?.label);
  // `?import=<id>`: the timeline's link to one import; it is shown and focused.
  const wanted = new URLSearchParams(useLocation().search).get('import') ?? undefined;
  const tracker = useImportTracker(appName, wanted);
  analysed = tracker.current?.analysis?.apps ?? [];
  const [zoneError, setZoneError] = useState<string>();
  const sendingFocus = useFocusRequest();
  const upload = useTusUpload({
    onSent: (uploadId) => {
      void tracker.createFrom(uploadId).then((error) => {
        upload.clear();
        setZoneError(error);
        if (error !== undefined) tracker.focusUpload();
      });
    },
    onUnauthenticated: handleUnauthenticated,
  });

  const current = tracker.current;
  const view = current === undefined ? undefined : viewOf(current);
  const canImport = loaded?.rights.import === true;
  const showZone =
    canImport &&
    upload.state === undefined &&
    (view === undefined || view === 'refused' || view === 'report' || view === 'ended');

  return (
    <div className="archive-import">
      {/* Each step's news, announced without moving the focus. */}
      <p role="status" className="visually-hidden">
        {tracker.announcement}
      </p>
      <h2 id={ids.title} className="archive-import__title">
        {t('importer.panel.title')}
      </h2>
      <p>{t('importer.panel.intro')}</p>

      {apps.status === 'loading' && <Loading />}
      {apps.status === 'error' && <ErrorAlert error={apps.error} onRetry={reloadApps} />}
      {loaded && !loaded.rights.import && <p className="notice">{t('importer.panel.noRight')}</p>}

      {tracker.followError !== undefined && <ErrorAlert>{tracker.followError}</ErrorAlert>}

      {current !== undefined && view === 'checking' && (
        <section className="import-checking" aria-labelledby={ids.checking}>
          <h3 id={ids.checking} ref={tracker.stepRef} tabIndex={-1}>
            {t('importer.panel.checkingTitle')}
          </h3>
          <p className="import-checking__status">
            <span className="import-spinner" aria-hidden="true" />
            {t('importer.panel.checking')}
          </p>
        </section>
      )}

      {current !== undefined && view === 'analysis' && current.analysis !== null && (
        <ImportAnalysisView
          key={current.id}
          imported={current}
          analysis={current.analysis}
          appName={appName}
          headingRef={tracker.stepRef}
          onLaunch={tracker.launch}
          onAbandon={tracker.abandon}
          abandoning={tracker.abandoning}
        />
      )}

      {current !== undefined && view === 'refused' && (
        <ImportRefused
          imported={current}
          headingRef={tracker.stepRef}
          onAnother={tracker.another}
        />
      )}

      {current !== undefined && view === 'progress' && (
        <ImportProgress
          imported={current}
          appName={appName}
          headingRef={tracker.progressRef}
          cancelling={tracker.cancelling}
          onCancel={() => {
            void tracker.cancel();
          }}
        />
      )}

      {/* A finished import, or a dry run (its analysis stays above, to import for real). */}
      {current !== undefined &&
        current.report !== null &&
        (view === 'report' || view === 'analysis') && (
          <ImportReportView
            imported={current}
            appName={appName}
            headingRef={tracker.reportRef}
            onUndo={tracker.undo}
          />
        )}

      {current !== undefined && view === 'ended' && (
        <section className="import-ended" aria-labelledby={ids.ended}>
          <h3 id={ids.ended} ref={tracker.stepRef} tabIndex={-1}>
            {current.status === 'cancelled'
              ? t('importer.panel.cancelledTitle')
              : t('importer.panel.failedTitle')}
          </h3>
          <p>
            {current.status === 'cancelled'
              ? t('importer.panel.cancelled')
              : t('importer.panel.failed')}
          </p>
        </section>
      )}

      {upload.state !== undefined && (
        <ImportUploadProgress
          upload={upload.state}
          headingRef={sendingFocus.ref}
          onPause={upload.pause}
          onResume={upload.resume}
          onCancel={() => {
            void upload.cancel();
            tracker.announce(t('importer.upload.cancelled'));
            tracker.focusUpload();
          }}
        />
      )}

      {showZone && (
        <ImportDropZone
          headingRef={tracker.uploadRef}
          error={zoneError}
          onError={setZoneError}
          onFile={(file) => {
            if (current !== undefined) tracker.another();
            upload.start(file);
            sendingFocus.request();
          }}
        />
      )}

      <ImportHistory
        state={tracker.history.state}
        reload={tracker.history.reload}
        appName={appName}
        headingRef={tracker.historyRef}
        onShow={tracker.open}
        shownId={current?.id}
      />

      <section aria-labelledby={ids.conditions} className="import-conditions">
        <h3 id={ids.conditions}>{t('importer.panel.conditionsTitle')}</h3>
        <ul>
          <li>{t('importer.panel.conditions.zip')}</li>
          <li>{t('importer.panel.conditions.rights')}</li>
          <li>{t('importer.panel.conditions.version')}</li>
          <li>{t('importer.panel.conditions.report')}</li>
        </ul>
      </section>
    </div>
  );
}
