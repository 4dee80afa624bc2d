/**
 * The Importer tab's codes in words: why an archive was refused and what to do, why an app
 * cannot be imported, what an app holds. Never the code itself: an unknown one gets a generic
 * sentence.
 */
import { useTranslation } from 'react-i18next';
import {
  IMPORT_APP_REASONS,
  IMPORT_REFUSALS,
  type ImportAppReason,
  type ImportRefusal,
} from '../../api/imports.ts';

/** Refusals the page explains: the archive's, and an upload deleted before its import. */
type Refusal = ImportRefusal | 'upload_expired';

function isRefusal(code: string | null): code is Refusal {
  return (
    code === 'upload_expired' ||
    (code !== null && (IMPORT_REFUSALS as readonly string[]).includes(code))
  );
}

function isReason(code: string | undefined): code is ImportAppReason {
  return code !== undefined && (IMPORT_APP_REASONS as readonly string[]).includes(code);
}

/** An import the archive's check refused, or whose upload was deleted before it was launched. */
export function isRefusedImport(imported: { status: string; error: string | null }): boolean {
  return (
    imported.status === 'rejected' ||
    (imported.status === 'cancelled' && imported.error === 'upload_expired')
  );
}

/** Why the archive was refused, and what to do about it. */
export function useRefusalText(): (code: string | null) => { why: string; what: string } {
  const { t } = useTranslation();
  return (code) => {
    const key = isRefusal(code) ? code : 'unknown';
    return { why: t(`importer.refusal.${key}.why`), what: t(`importer.refusal.${key}.what`) };
  };
}

/** Why an app of the archive cannot be imported into this account. */
export function useReasonText(): (reason: string | undefined, app: string) => string {
  const { t } = useTranslation();
  return (reason, app) =>
    isReason(reason) ? t(`importer.reason.${reason}`, { app }) : t('importer.reason.unknown');
}

const COUNTED = [
  'document',
  'folder',
  'blog',
  'post',
  'comment',
  'thread',
  'item',
  'calendar',
  'event',
  'wiki',
  'page',
  'revision',
] as const;
type Counted = (typeof COUNTED)[number];

function isCounted(type: string): type is Counted {
  return (COUNTED as readonly string[]).includes(type);
}

/** What an app holds, in words: "12 documents et 3 dossiers"; types the page does not know are summed up. */
export function useCountsText(): (counts: Readonly<Record<string, number>>) => string {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  return (counts) => {
    const parts: string[] = [];
    let others = 0;
    for (const [type, count] of Object.entries(counts)) {
      if (count <= 0) continue;
      if (isCounted(type)) parts.push(t(`importer.analysis.counts.${type}`, { count }));
      else others += count;
    }
    if (others > 0) parts.push(t('importer.analysis.counts.other', { count: others }));
    if (parts.length === 0) return t('importer.analysis.empty');
    return new Intl.ListFormat(language, { style: 'long', type: 'conjunction' }).format(parts);
  };
}
