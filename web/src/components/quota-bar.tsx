import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { Quota } from '../api/platform.ts';
import { formatBytes, formatPercent } from '../format.ts';

const ALMOST_FULL = 0.9;

/** Storage use as a native `<progress>` (no inline style: the CSP forbids it) plus text. */
export function QuotaBar({ quota, labelledBy }: { quota: Quota; labelledBy: string }) {
  const { t, i18n } = useTranslation();
  const textId = useId();
  const language = i18n.resolvedLanguage ?? 'fr';

  if (quota.total <= 0) {
    return <p>{t('portal.quota.used', { used: formatBytes(quota.used, language) })}</p>;
  }

  const ratio = quota.used / quota.total;
  const percent = formatPercent(Math.min(ratio, 1), language);
  return (
    <div className="quota">
      <progress
        className={ratio >= ALMOST_FULL ? 'quota__bar quota__bar--full' : 'quota__bar'}
        max={quota.total}
        value={Math.min(quota.used, quota.total)}
        aria-labelledby={labelledBy}
        aria-describedby={textId}
      >
        {percent}
      </progress>
      <p id={textId} className="quota__text">
        {t('portal.quota.usage', {
          used: formatBytes(quota.used, language),
          total: formatBytes(quota.total, language),
        })}{' '}
        <span className="muted">({percent})</span>
      </p>
      {ratio >= ALMOST_FULL && (
        <p className="quota__warning">
          <span aria-hidden="true">⚠ </span>
          {ratio >= 1 ? t('portal.quota.full') : t('portal.quota.almostFull')}
        </p>
      )}
    </div>
  );
}
