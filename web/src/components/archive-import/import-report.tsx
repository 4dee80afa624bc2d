import { useEffect, useId, useRef, useState, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppImportReport, FailedItem } from '../../../../src/contracts/archive.ts';
import { importReportUrl, type ArchiveImport } from '../../api/imports.ts';
import { formatDateTime } from '../../format.ts';
import { UndoDialog } from './report-undo.tsx';
import {
  appTotals,
  canUndo,
  fileDate,
  importApps,
  totals,
  useAppStatusText,
  useFormatNumber,
  useItemErrorText,
  wroteSomething,
  type ReportTotals,
} from './report-text.ts';

/** Items listed by name under an app; the rest are counted (all are in the downloaded report). */
const SHOWN_ITEMS = 50;

/** The sentence that says how it went: all imported, partly, nothing, failed, undone. */
function useSummary(): (imported: ArchiveImport) => string[] {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  return (imported) => {
    const { report, status } = imported;
    if (status === 'undone')
      return [
        imported.finishedAt === null
          ? t('importer.report.summary.undoneNoDate')
          : t('importer.report.summary.undone', {
              date: formatDateTime(imported.finishedAt, language),
            }),
      ];
    if (status === 'failed') {
      const kept = wroteSomething(imported) ? [t('importer.report.summary.failedKept')] : [];
      return [t('importer.report.summary.failed'), ...kept];
    }
    if (report === null) return [];
    const sum = totals(report);
    if (report.dryRun)
      return [
        t('importer.report.summary.dryRun', { count: sum.imported }),
        ...(sum.failed > 0
          ? [t('importer.report.summary.dryRunErrors', { count: sum.failed })]
          : []),
      ];
    if (sum.failed === 0)
      return [
        sum.imported > 0
          ? t('importer.report.summary.all', { count: sum.imported })
          : t('importer.report.summary.nothingNew'),
      ];
    return [
      sum.imported > 0
        ? t('importer.report.summary.partial', { count: sum.failed })
        : t('importer.report.summary.none'),
    ];
  };
}

type Column = keyof Omit<ReportTotals, 'warnings'>;
const COLUMNS: readonly Column[] = ['imported', 'duplicates', 'skipped', 'failed'];

/** Application / Contenus importés / Déjà existants / Ignorés / Erreurs; cards on a phone. */
function ReportTable({
  rows,
  dryRun,
  appName,
}: {
  rows: { app: string; report: AppImportReport }[];
  dryRun: boolean;
  appName: (id: string) => string;
}) {
  const { t } = useTranslation();
  const formatNumber = useFormatNumber();
  const statusText = useAppStatusText();
  const heading = (column: Column) =>
    column === 'imported' && dryRun
      ? t('importer.report.columns.importedDryRun')
      : t(`importer.report.columns.${column}`);
  const sum: ReportTotals = { imported: 0, duplicates: 0, skipped: 0, failed: 0, warnings: 0 };
  for (const { report } of rows) {
    const one = appTotals(report);
    for (const column of COLUMNS) sum[column] += one[column];
  }

  return (
    <table className="ws-table import-table">
      <caption>
        {dryRun ? t('importer.report.captionDryRun') : t('importer.report.caption')}
      </caption>
      <thead>
        <tr>
          <th scope="col">{t('importer.report.columns.app')}</th>
          {COLUMNS.map((column) => (
            <th key={column} scope="col" className="import-table__number">
              {heading(column)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map(({ app, report }) => {
          const counts = appTotals(report);
          const noted = report.status === 'failed' || report.status === 'cancelled';
          return (
            <tr key={app} data-app={app}>
              <th scope="row" className="import-table__app">
                {appName(app)}
                {noted && (
                  <span className="import-table__note"> ({statusText(report.status)})</span>
                )}
                {report.upgradedFrom !== undefined && (
                  <span className="import-table__note muted">
                    {' '}
                    ({t('importer.report.upgraded')})
                  </span>
                )}
              </th>
              {COLUMNS.map((column) => (
                <td
                  key={column}
                  className={`import-table__number import-table__${column}`}
                  data-label={heading(column)}
                  data-count={counts[column]}
                >
                  {formatNumber(counts[column])}
                </td>
              ))}
            </tr>
          );
        })}
      </tbody>
      {rows.length > 1 && (
        <tfoot>
          <tr>
            <th scope="row" className="import-table__app">
              {t('importer.report.total')}
            </th>
            {COLUMNS.map((column) => (
              <td
                key={column}
                className={`import-table__number import-table__${column}`}
                data-label={heading(column)}
              >
                {formatNumber(sum[column])}
              </td>
            ))}
          </tr>
        </tfoot>
      )}
    </table>
  );
}

/** Items named with their reason, at most SHOWN_ITEMS, then how many more. */
function ItemList({ items }: { items: FailedItem[] }) {
  const { t } = useTranslation();
  const reason = useItemErrorText();
  const more = items.length - SHOWN_ITEMS;
  return (
    <ul className="import-details__items">
      {items.slice(0, SHOWN_ITEMS).map((item, index) => (
        <li key={`${index}-${item.name}`}>
          {t('importer.report.item', { name: item.name, reason: reason(item.code) })}
        </li>
      ))}
      {more > 0 && <li className="muted">{t('importer.report.moreItems', { count: more })}</li>}
    </ul>
  );
}

/** Per app, the failed and warned items in an expandable <details>. */
function ReportDetails({
  rows,
  appName,
}: {
  rows: { app: string; report: AppImportReport }[];
  appName: (id: string) => string;
}) {
  const { t, i18n } = useTranslation();
  const titleId = useId();
  const list = new Intl.ListFormat(i18n.resolvedLanguage ?? 'fr', {
    style: 'long',
    type: 'unit',
  });
  const withItems = rows.filter(
    ({ report }) => report.failed.length > 0 || report.warnings.length > 0,
  );
  if (withItems.length === 0) return null;
  return (
    <section className="import-details" aria-labelledby={titleId}>
      <h4 id={titleId}>{t('importer.report.detailsTitle')}</h4>
      {withItems.map(({ app, report }) => {
        const what = [
          ...(report.failed.length > 0
            ? [t('importer.report.errors', { count: report.failed.length })]
            : []),
          ...(report.warnings.length > 0
            ? [t('importer.report.warnings', { count: report.warnings.length })]
            : []),
        ];
        return (
          <details key={app} className="import-details__app" data-app={app}>
            <summary>
              {t('importer.report.detailsSummary', { app: appName(app), what: list.format(what) })}
            </summary>
            {report.failed.length > 0 && (
              <>
                <p className="import-details__label">{t('importer.report.failedList')}</p>
                <ItemList items={report.failed} />
              </>
            )}
            {report.warnings.length > 0 && (
              <>
                <p className="import-details__label">{t('importer.report.warningsList')}</p>
                <ItemList items={report.warnings} />
              </>
            )}
          </details>
        );
      })}
    </section>
  );
}

/** "Télécharger le rapport": the CSV (for a spreadsheet) and the JSON. */
function ReportDownload({ imported }: { imported: ArchiveImport }) {
  const { t } = useTranslation();
  const titleId = useId();
  const name = t('importer.report.download.fileName', {
    date: fileDate(imported.finishedAt ?? imported.createdAt),
  });
  return (
    <section className="import-download" aria-labelledby={titleId}>
      <h4 id={titleId}>{t('importer.report.download.title')}</h4>
      <ul className="row-actions">
        <li>
          <a
            className="button button--secondary"
            href={importReportUrl(imported.id, 'csv')}
            download={`${name}.csv`}
          >
            {t('importer.report.download.csv')}
          </a>
        </li>
        <li>
          <a
            className="button button--secondary"
            href={importReportUrl(imported.id, 'json')}
            download={`${name}.json`}
          >
            {t('importer.report.download.json')}
          </a>
        </li>
      </ul>
    </section>
  );
}

/**
 * A finished import (or a dry run, `analyzed` with a report): the table per app, the failed items
 * named, the report to download, and "Annuler cet import" with its confirmation.
 */
export function ImportReportView({
  imported,
  appName,
  headingRef,
  onUndo,
}: {
  imported: ArchiveImport;
  appName: (id: string) => string;
  headingRef?: RefObject<HTMLHeadingElement | null>;
  /** Undoes the import (the caller refreshes the import and the history); rejects on failure. */
  onUndo: () => Promise<void>;
}) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const titleId = useId();
  const hintId = useId();
  const ownHeading = useRef<HTMLHeadingElement>(null);
  const heading = headingRef ?? ownHeading;
  const summary = useSummary();
  const [undoing, setUndoing] = useState(false);
  const [undone, setUndone] = useState(false);
  const { report } = imported;
  const dryRun = report?.dryRun === true || imported.options?.dryRun === true;
  const rows = importApps(imported).flatMap((app) => {
    const one = report?.apps[app];
    return one === undefined ? [] : [{ app, report: one }];
  });
  const outcome =
    imported.status === 'undone'
      ? 'undone'
      : imported.status === 'failed'
        ? 'failed'
        : report !== null && totals(report).failed > 0
          ? 'partial'
          : 'ok';

  useEffect(() => {
    // The undo button is gone with the dialog: the focus goes to the report's heading.
    if (undone) heading.current?.focus();
  }, [undone, heading]);

  return (
    <section className="import-report" aria-labelledby={titleId}>
      <h3 id={titleId} ref={heading} tabIndex={-1} className="import-result__title">
        {dryRun ? t('importer.report.titleDryRun') : t('importer.report.title')}
      </h3>
      <p className="import-result__meta">
        {imported.fileName !== null && (
          <span className="import-result__file">
            {t('importer.report.file', { name: imported.fileName })}
          </span>
        )}
        {imported.finishedAt !== null && imported.status !== 'undone' && (
          <span className="import-result__date">
            {t('importer.report.finishedAt', {
              date: formatDateTime(imported.finishedAt, language),
            })}
          </span>
        )}
      </p>
      <div className={`import-summary import-summary--${outcome}`}>
        {summary(imported).map((sentence) => (
          <p key={sentence}>{sentence}</p>
        ))}
      </div>

      {report !== null &&
        (rows.length === 0 ? (
          <p>{t('importer.report.noApps')}</p>
        ) : (
          <ReportTable rows={rows} dryRun={dryRun} appName={appName} />
        ))}
      {report !== null && <ReportDetails rows={rows} appName={appName} />}
      {report !== null && <ReportDownload imported={imported} />}

      {canUndo(imported) && (
        <div className="import-undo">
          <button
            type="button"
            className="button button--danger-secondary"
            aria-describedby={hintId}
            onClick={() => {
              setUndoing(true);
            }}
          >
            {t('importer.report.undo.button')}
          </button>
          <p id={hintId} className="muted">
            {t('importer.report.undo.hint')}
          </p>
        </div>
      )}
      {undoing && (
        <UndoDialog
          imported={imported}
          appName={appName}
          onConfirm={async () => {
            await onUndo();
            setUndoing(false);
            setUndone(true);
          }}
          onClose={() => {
            setUndoing(false);
          }}
        />
      )}
    </section>
  );
}
