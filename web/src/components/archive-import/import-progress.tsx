import { useId, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppProgress } from '../../../../src/contracts/archive.ts';
import type { ArchiveImport } from '../../api/imports.ts';
import { formatPercent } from '../../format.ts';
import { APP_STATUS_ICONS, barOf } from '../archive-export/app-progress-row.tsx';
import { importApps, useAppStatusText, useFormatNumber } from './report-text.ts';

const PENDING: AppProgress = {
  status: 'pending',
  items: 0,
  itemsTotal: 0,
  bytes: 0,
  bytesTotal: 0,
};

/** One app: "Blog : 3 sur 5", its bar (with an accessible name) and its state in words. */
function ImportAppRow({ name, progress }: { name: string; progress: AppProgress }) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const formatNumber = useFormatNumber();
  const statusText = useAppStatusText();
  const textId = useId();
  const { status, items, itemsTotal } = progress;
  const { max, value } = barOf(progress);

  return (
    <li className={`export-app export-app--${status} import-app`}>
      <span id={textId} className="export-app__text">
        {itemsTotal > 0
          ? t('importer.progress.count', {
              app: name,
              done: formatNumber(Math.min(items, itemsTotal)),
              total: formatNumber(itemsTotal),
            })
          : name}
      </span>
      <progress
        className="export-app__bar"
        max={max}
        value={value}
        aria-label={t('importer.progress.barLabel', { app: name })}
        aria-describedby={textId}
      >
        {value === undefined ? statusText('running') : formatPercent(value / max, language)}
      </progress>
      <span className="export-app__status">
        <span aria-hidden="true">{APP_STATUS_ICONS[status]} </span>
        {statusText(status)}
      </span>
    </li>
  );
}

/**
 * An import being run (`queued`, `running`): per app, items done out of the total, and a button
 * to cancel it (what was already written is removed). Owned by the "result" part of the tab.
 */
export function ImportProgress({
  imported,
  appName,
  headingRef,
  cancelling,
  onCancel,
}: {
  imported: ArchiveImport;
  /** An app's name in the interface language (the archive's label for an unknown app). */
  appName: (id: string) => string;
  /** The heading, to move the focus to when the import starts. */
  headingRef?: RefObject<HTMLHeadingElement | null>;
  cancelling: boolean;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const titleId = useId();
  const hintId = useId();
  const dryRun = imported.options?.dryRun === true;
  const apps = importApps(imported);

  return (
    <section className="import-progress" aria-labelledby={titleId}>
      <h3 id={titleId} ref={headingRef} tabIndex={-1} className="import-result__title">
        {t(dryRun ? 'importer.progress.titleDryRun' : 'importer.progress.title')}
      </h3>
      {imported.fileName !== null && (
        <p className="import-result__meta">
          {t('importer.progress.file', { name: imported.fileName })}
        </p>
      )}
      {dryRun && <p className="notice import-progress__dry-run">{t('importer.progress.dryRun')}</p>}
      <p>
        {t(imported.status === 'queued' ? 'importer.progress.queued' : 'importer.progress.running')}
      </p>

      {apps.length > 0 && (
        <ul className="export-apps import-progress__apps">
          {apps.map((app) => (
            <ImportAppRow
              key={app}
              name={appName(app)}
              progress={imported.progress[app] ?? PENDING}
            />
          ))}
        </ul>
      )}

      <div className="import-progress__cancel">
        {/* aria-disabled rather than disabled: a disabled button would drop the keyboard focus. */}
        <button
          type="button"
          className="button button--danger-secondary"
          aria-disabled={cancelling}
          aria-describedby={dryRun ? undefined : hintId}
          onClick={() => {
            if (!cancelling) onCancel();
          }}
        >
          {cancelling
            ? t('importer.progress.cancelling')
            : t(dryRun ? 'importer.progress.cancelDryRun' : 'importer.progress.cancel')}
        </button>
        {!dryRun && (
          <p id={hintId} className="muted">
            {t('importer.progress.cancelHint')}
          </p>
        )}
      </div>
    </section>
  );
}
