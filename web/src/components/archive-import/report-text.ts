import { useTranslation } from 'react-i18next';
import {
  APP_JOB_STATUSES,
  IMPORT_STATUSES,
  type AppImportReport,
  type AppJobStatus,
  type ImportReport,
  type ImportStatus,
} from '../../../../src/contracts/archive.ts';
import type { ArchiveImport } from '../../api/imports.ts';

/**
 * The codes the importers give a failed or warned item (`ImportItemError` codes and the
 * engine's `itemErrorCode`). Any other code reads as "unknown reason", never as is.
 */
export const ITEM_ERROR_CODES = [
  'document_corrupt',
  'document_missing',
  'name_invalid',
  'parent_missing',
  'quota_exceeded',
  'record_invalid',
  'reference_missing',
  'import_failed',
] as const;
export type ItemErrorCode = (typeof ITEM_ERROR_CODES)[number];

export function isItemErrorCode(value: unknown): value is ItemErrorCode {
  return typeof value === 'string' && (ITEM_ERROR_CODES as readonly string[]).includes(value);
}

function isImportStatus(value: unknown): value is ImportStatus {
  return typeof value === 'string' && (IMPORT_STATUSES as readonly string[]).includes(value);
}

function isAppJobStatus(value: unknown): value is AppJobStatus {
  return typeof value === 'string' && (APP_JOB_STATUSES as readonly string[]).includes(value);
}

/** Why an item was not imported (or imported with something missing), in plain words. */
export function useItemErrorText(): (code: string) => string {
  const { t } = useTranslation();
  return (code) =>
    isItemErrorCode(code) ? t(`importer.itemError.${code}`) : t('importer.itemError.unknown');
}

/** An import's state in words ("Importé", "Fichier refusé"); a finished dry run says so. */
export function useImportStatusText(): (
  imported: Pick<ArchiveImport, 'status' | 'report'>,
) => string {
  const { t } = useTranslation();
  return ({ status, report }) => {
    if (!isImportStatus(status)) return t('importer.status.unknown');
    if (status === 'analyzed' && report?.dryRun === true)
      return t('importer.status.analyzedDryRun');
    if (status === 'done' && report !== null && totals(report).failed > 0)
      return t('importer.status.doneWithErrors');
    return t(`importer.status.${status}`);
  };
}

/** One app's state during or after an import ("en cours", "terminé, avec des erreurs"). */
export function useAppStatusText(): (status: string) => string {
  const { t } = useTranslation();
  return (status) =>
    isAppJobStatus(status)
      ? t(`importer.progress.appStatus.${status}`)
      : t('importer.progress.appStatus.unknown');
}

export interface ReportTotals {
  imported: number;
  duplicates: number;
  skipped: number;
  failed: number;
  warnings: number;
}

/** The counts of one app's report (failed and warned items counted). */
export function appTotals(app: AppImportReport): ReportTotals {
  return {
    imported: app.imported,
    duplicates: app.duplicates,
    skipped: app.skipped,
    failed: app.failed.length,
    warnings: app.warnings.length,
  };
}

/** The counts of a whole report, every app added up. */
export function totals(report: ImportReport): ReportTotals {
  const sum: ReportTotals = { imported: 0, duplicates: 0, skipped: 0, failed: 0, warnings: 0 };
  for (const app of Object.values(report.apps)) {
    const one = appTotals(app);
    sum.imported += one.imported;
    sum.duplicates += one.duplicates;
    sum.skipped += one.skipped;
    sum.failed += one.failed;
    sum.warnings += one.warnings;
  }
  return sum;
}

/**
 * The apps of an import in the order the user chose them (`options.apps`), then any other app
 * the report or the progress names.
 */
export function importApps(imported: ArchiveImport): string[] {
  const apps = [...(imported.options?.apps ?? [])];
  for (const app of [
    ...Object.keys(imported.report?.apps ?? {}),
    ...Object.keys(imported.progress),
  ])
    if (!apps.includes(app)) apps.push(app);
  return apps;
}

/** Whether undoing the import would remove anything: items it wrote, by its report or progress. */
export function wroteSomething(imported: ArchiveImport): boolean {
  if (imported.report !== null) return totals(imported.report).imported > 0;
  return Object.values(imported.progress).some((p) => p.items > 0);
}

/** "Annuler cet import" is offered for a real import that ended and wrote something. */
export function canUndo(imported: ArchiveImport): boolean {
  if (imported.status !== 'done' && imported.status !== 'failed') return false;
  if (imported.options?.dryRun === true || imported.report?.dryRun === true) return false;
  return wroteSomething(imported);
}

/** A number in the interface language ("1 234"). */
export function useFormatNumber(): (n: number) => string {
  const { i18n } = useTranslation();
  const format = new Intl.NumberFormat(i18n.resolvedLanguage ?? 'fr');
  return (n) => format.format(n);
}

/** "2026-12-05": a date for file names, in the user's time zone. */
export function fileDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}
