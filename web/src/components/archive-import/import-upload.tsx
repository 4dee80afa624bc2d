import { useId, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import { useFileDrop } from '../../hooks/use-file-drop.ts';
import { formatBytes, formatPercent } from '../../format.ts';
import { FormAlert } from '../feedback.tsx';
import type { UploadFailure, UploadState } from './use-tus-upload.ts';

/** Types browsers give a .zip (an empty type: the system did not say). */
const ZIP_TYPES = new Set([
  '',
  'application/zip',
  'application/x-zip',
  'application/x-zip-compressed',
  'application/zip-compressed',
  'multipart/x-zip',
]);

/** Why these files cannot be taken (one `.zip`, by name and type), or undefined for the file. */
export function checkZip(
  files: readonly File[],
): { file: File } | { error: 'several' | 'notZip' | 'empty'; name: string } {
  const [file] = files;
  if (file === undefined || files.length > 1) return { error: 'several', name: '' };
  if (!file.name.toLowerCase().endsWith('.zip') || !ZIP_TYPES.has(file.type))
    return { error: 'notZip', name: file.name };
  if (file.size === 0) return { error: 'empty', name: file.name };
  return { file };
}

/**
 * "Glissez votre fichier .zip ici ou Parcourir": a drop zone for the mouse around a labelled
 * file input (styled as a button) for everyone else. Only one `.zip` is taken.
 */
export function ImportDropZone({
  onFile,
  headingRef,
  error,
  onError,
}: {
  onFile: (file: File) => void;
  headingRef: RefObject<HTMLHeadingElement | null>;
  /** The message to show under the zone (a refused file, a failed upload). */
  error: string | undefined;
  onError: (message: string | undefined) => void;
}) {
  const { t } = useTranslation();
  const ids = { title: useId(), input: useId(), format: useId() };

  const take = (files: readonly File[]) => {
    const checked = checkZip(files);
    if ('file' in checked) {
      onError(undefined);
      onFile(checked.file);
      return;
    }
    onError(t(`importer.upload.errors.${checked.error}`, { name: checked.name }));
  };
  const drop = useFileDrop(take);

  return (
    <section className="import-upload" aria-labelledby={ids.title}>
      <h3 id={ids.title} ref={headingRef} tabIndex={-1}>
        {t('importer.upload.title')}
      </h3>
      <div
        data-drop-zone=""
        className={drop.over ? 'import-drop import-drop--over' : 'import-drop'}
        {...drop.handlers}
      >
        <p className="import-drop__title">
          <span aria-hidden="true">⇪ </span>
          {t('importer.upload.drop')}
        </p>
        <p className="import-drop__or">{t('importer.upload.or')}</p>
        <input
          id={ids.input}
          type="file"
          accept=".zip,application/zip"
          className="import-drop__input visually-hidden"
          aria-describedby={ids.format}
          onChange={(event) => {
            const files = [...(event.target.files ?? [])];
            // Cleared so that choosing the same file again is a new change.
            event.target.value = '';
            if (files.length > 0) take(files);
          }}
        />
        <label htmlFor={ids.input} className="button import-drop__browse">
          {t('importer.upload.browse')}
          <span className="visually-hidden"> {t('importer.upload.browseHint')}</span>
        </label>
        <p id={ids.format} className="import-drop__format muted">
          {t('importer.upload.format')}
        </p>
      </div>
      <FormAlert message={error} />
    </section>
  );
}

/** A failed upload in words. */
export function useUploadFailureText(): (failure: UploadFailure) => string {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  return (failure) => {
    switch (failure.kind) {
      case 'too_large':
        return failure.maxBytes === undefined
          ? t('importer.upload.errors.tooLargeUnknown')
          : t('importer.upload.errors.tooLarge', { max: formatBytes(failure.maxBytes, language) });
      case 'too_many':
        return t('importer.upload.errors.tooMany');
      case 'forbidden':
        return t('importer.upload.errors.forbidden');
      case 'gone':
        return t('importer.upload.errors.gone');
      case 'network':
        return t('importer.upload.errors.network');
      case 'other':
        return t('importer.upload.errors.other', { status: failure.status });
    }
  };
}

/** The file being sent: a progress bar, pause or resume, cancel. */
export function ImportUploadProgress({
  upload,
  headingRef,
  onPause,
  onResume,
  onCancel,
}: {
  upload: UploadState;
  headingRef: RefObject<HTMLHeadingElement | null>;
  onPause: () => void;
  onResume: () => void;
  onCancel: () => void;
}) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const failureText = useUploadFailureText();
  const titleId = useId();
  const ratio = upload.total > 0 ? Math.min(upload.sent / upload.total, 1) : 0;
  const percent = formatPercent(ratio, language);
  // A failure nothing can resume (too large, forbidden...) leaves only "cancel".
  const resumable =
    upload.phase === 'paused' ||
    (upload.phase === 'failed' &&
      (upload.failure?.kind === 'network' || upload.failure?.kind === 'other'));
  const status = {
    uploading: t('importer.upload.progress', {
      percent,
      sent: formatBytes(upload.sent, language),
      total: formatBytes(upload.total, language),
    }),
    paused: t('importer.upload.paused', { percent }),
    failed: t('importer.upload.paused', { percent }),
    sent: t('importer.upload.finishing'),
  }[upload.phase];

  return (
    <section className="import-sending" aria-labelledby={titleId}>
      <h3 id={titleId} ref={headingRef} tabIndex={-1}>
        {t('importer.upload.progressTitle')}
      </h3>
      <p className="import-sending__name">{upload.fileName}</p>
      <progress
        className="import-sending__bar"
        max={upload.total}
        value={upload.sent}
        aria-label={t('importer.upload.progressLabel', { name: upload.fileName })}
      >
        {percent}
      </progress>
      <p className="import-sending__status">{status}</p>
      {upload.phase === 'failed' && upload.failure !== undefined && (
        <div className="alert alert--error">
          <p role="alert" className="alert__text">
            {failureText(upload.failure)}
          </p>
        </div>
      )}
      {upload.phase !== 'sent' && (
        <div className="import-actions">
          {/* One button that changes its words: the focus stays on it. */}
          {(upload.phase === 'uploading' || resumable) && (
            <button
              type="button"
              className={upload.phase === 'uploading' ? 'button button--secondary' : 'button'}
              onClick={upload.phase === 'uploading' ? onPause : onResume}
            >
              {upload.phase === 'uploading'
                ? t('importer.upload.pause')
                : t('importer.upload.resume')}
            </button>
          )}
          <button type="button" className="button button--secondary" onClick={onCancel}>
            {t('importer.upload.cancel')}
          </button>
        </div>
      )}
    </section>
  );
}
