import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { isAppId, type AppJobStatus, type AppProgress } from '../../../../src/contracts/archive.ts';
import { formatBytes, formatPercent } from '../../format.ts';
import { useFailureText } from './failure-text.ts';

/** An app's state at a glance (beside its words). */
export const APP_STATUS_ICONS: Record<AppJobStatus, string> = {
  pending: '…',
  running: '⟳',
  complete: '✓',
  partial: '⚠',
  failed: '✕',
  cancelled: '–',
};

/** Done, with or without every item: the bar is full. */
export function isDone(status: AppJobStatus): boolean {
  return status === 'complete' || status === 'partial';
}

/** An app's bar: full once done (even with nothing in it), indeterminate with no total yet. */
export function barOf({ status, items, itemsTotal }: AppProgress): {
  max: number;
  value: number | undefined;
} {
  const max = Math.max(itemsTotal, 1);
  const value = isDone(status)
    ? max
    : status === 'pending'
      ? 0
      : itemsTotal > 0
        ? Math.min(items, itemsTotal)
        : undefined;
  return { max, value };
}

/** "3 documents", "1 billet"...: what an app's items are called. */
function useUnit(): (app: string, count: number) => string {
  const { t } = useTranslation();
  return (app, count) =>
    isAppId(app) ? t(`archive.units.${app}`, { count }) : t('archive.units.other', { count });
}

/** The items an app could not take, named ("2 items not exported: a.pdf, b.odt"). */
export function useFailedItemsText(): (progress: AppProgress) => string | undefined {
  const { t, i18n } = useTranslation();
  const list = new Intl.ListFormat(i18n.resolvedLanguage ?? 'fr', { type: 'conjunction' });
  return (progress) => {
    const failed = progress.failed ?? [];
    if (failed.length === 0) return undefined;
    return t('archive.progress.failedItems', {
      count: failed.length,
      names: list.format(failed.map((item) => item.name)),
    });
  };
}

/** One app of a job: "Blog : 3 / 5 billets", its bar, its status and bytes. */
export function AppProgressRow({
  app,
  name,
  progress,
}: {
  app: string;
  name: string;
  progress: AppProgress;
}) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const unit = useUnit();
  const failedItemsText = useFailedItemsText();
  const failureText = useFailureText();
  const textId = useId();
  const { status, items, itemsTotal, bytes, bytesTotal } = progress;
  const known = itemsTotal > 0 || isDone(status);
  const { max, value } = barOf(progress);
  const failedItems = failedItemsText(progress);

  return (
    <li className={`export-app export-app--${status}`}>
      <span id={textId} className="export-app__text">
        {known
          ? t('archive.progress.count', {
              app: name,
              done: Math.min(items, itemsTotal || items),
              total: itemsTotal,
              unit: unit(app, itemsTotal),
            })
          : name}
      </span>
      <progress
        className="export-app__bar"
        max={max}
        value={value}
        aria-label={t('archive.progress.barLabel', { app: name })}
        aria-describedby={textId}
      >
        {value === undefined
          ? t('archive.appStatus.running')
          : formatPercent(value / max, language)}
      </progress>
      <span className="export-app__status">
        <span aria-hidden="true">{APP_STATUS_ICONS[status]} </span>
        {t(`archive.appStatus.${status}`)}
        {bytesTotal > 0 && (
          <span className="muted">
            {' '}
            (
            {t('archive.progress.bytes', {
              done: formatBytes(Math.min(bytes, bytesTotal), language),
              total: formatBytes(bytesTotal, language),
            })}
            )
          </span>
        )}
      </span>
      {status === 'failed' && <p className="export-app__error">{failureText(progress.error)}</p>}
      {failedItems !== undefined && <p className="export-app__error">{failedItems}</p>}
    </li>
  );
}
