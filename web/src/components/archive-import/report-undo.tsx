import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiError } from '../../api/client.ts';
import type { ArchiveImport } from '../../api/imports.ts';
import { useAction } from '../../hooks/use-action.ts';
import { FormAlert, useErrorText } from '../feedback.tsx';
import { ModalDialog } from '../modal-dialog.tsx';
import { importApps } from './report-text.ts';

/** Why undo failed, in the words of the import (not the workspace's, as ConfirmDialog says). */
function useUndoErrorText(): (error: ApiError) => string {
  const { t } = useTranslation();
  const generic = useErrorText();
  return (error) => {
    if (error.code === 'conflict') return t('importer.report.undo.errors.conflict');
    if (error.code === 'not_found') return t('importer.report.undo.errors.notFound');
    if (error.code === 'forbidden') return t('importer.report.undo.errors.forbidden');
    return generic(error);
  };
}

/**
 * "Annuler cet import ?": what will be removed, app by app, and what the server keeps (what
 * the user added since into a folder, blog... of the import). Like ConfirmDialog, but its
 * buttons say "Oui, annuler l'import" / "Non, garder" (a "Annuler" button would be ambiguous
 * next to "annuler l'import") and its errors are the import's.
 */
export function UndoDialog({
  imported,
  appName,
  onConfirm,
  onClose,
}: {
  imported: ArchiveImport;
  appName: (id: string) => string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const { busy, error, run } = useAction(useUndoErrorText());
  const keepRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    // A destructive action: the focus starts on "Non, garder" (after showModal() focused the first).
    keepRef.current?.focus();
  }, []);
  const apps = importApps(imported)
    .map((app) => ({
      app,
      count: imported.report?.apps[app]?.imported ?? imported.progress[app]?.items ?? 0,
    }))
    .filter((entry) => entry.count > 0);

  return (
    <ModalDialog title={t('importer.report.undo.title')} onClose={onClose}>
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          run(onConfirm);
        }}
      >
        <FormAlert message={error} />
        <p>{t('importer.report.undo.intro')}</p>
        <ul className="import-undo__apps">
          {apps.map(({ app, count }) => (
            <li key={app}>{t('importer.report.undo.app', { app: appName(app), count })}</li>
          ))}
        </ul>
        <p>{t('importer.report.undo.changed')}</p>
        <p>{t('importer.report.undo.kept')}</p>
        <div className="dialog__buttons">
          <button type="submit" className="button button--danger" aria-disabled={busy}>
            {t('importer.report.undo.confirm')}
          </button>
          <button
            ref={keepRef}
            type="button"
            className="button button--secondary"
            onClick={onClose}
          >
            {t('importer.report.undo.keep')}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}
