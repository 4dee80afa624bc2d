import { useId, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import { formatPercent } from '../format.ts';
import { useFileDrop } from '../hooks/use-file-drop.ts';
import type { UploadItem } from '../hooks/use-uploads.ts';
import { ErrorAlert } from './feedback.tsx';
import { useWorkspaceErrorText } from './workspace-dialogs.tsx';

/**
 * Where files are added: a drop zone for the mouse, with the "Upload a file" button (a labelled
 * file input) inside it for everyone else.
 */
export function UploadZone({
  onFiles,
  inputRef,
}: {
  onFiles: (files: File[]) => void;
  /** The file input, for moving the focus to it. */
  inputRef?: RefObject<HTMLInputElement | null>;
}) {
  const { t } = useTranslation();
  const titleId = useId();
  const inputId = useId();
  const drop = useFileDrop((files) => {
    if (files.length > 0) onFiles(files);
  });

  return (
    <div
      role="region"
      aria-labelledby={titleId}
      // The page's guard against stray drops (which would open the file) lets these through.
      data-drop-zone
      className={drop.over ? 'drop-zone drop-zone--over' : 'drop-zone'}
      {...drop.handlers}
    >
      <p id={titleId} className="drop-zone__title">
        <span aria-hidden="true">⇪ </span>
        {t('workspace.upload.dropZone')}
      </p>
      <p className="drop-zone__or">{t('workspace.upload.or')}</p>
      <input
        ref={inputRef}
        id={inputId}
        type="file"
        multiple
        className="file-input visually-hidden"
        onChange={(event) => {
          const files = [...(event.target.files ?? [])];
          // Cleared so that choosing the same file again is a new change.
          event.target.value = '';
          if (files.length > 0) onFiles(files);
        }}
      />
      <label htmlFor={inputId} className="button file-input__label">
        {t('workspace.upload.button')}
      </label>
    </div>
  );
}

function UploadRow({ item }: { item: UploadItem }) {
  const { t, i18n } = useTranslation();
  const errorText = useWorkspaceErrorText();
  const language = i18n.resolvedLanguage ?? 'fr';
  const ratio = item.total > 0 ? Math.min(item.loaded / item.total, 1) : 0;
  const percent = formatPercent(item.status === 'done' ? 1 : ratio, language);
  const status = {
    waiting: t('workspace.upload.waiting'),
    uploading: t('workspace.upload.progress', { percent }),
    done: t('workspace.upload.done'),
    failed: t('workspace.upload.failedShort'),
  }[item.status];

  return (
    <li className={`upload upload--${item.status}`}>
      <span className="upload__name">{item.name}</span>
      <progress
        className="upload__bar"
        max={item.total}
        value={item.status === 'done' ? item.total : item.loaded}
        aria-label={t('workspace.upload.progressLabel', { name: item.name })}
      >
        {percent}
      </progress>
      <span className="upload__status">
        {item.status === 'done' && <span aria-hidden="true">✓ </span>}
        {item.status === 'failed' && <span aria-hidden="true">✕ </span>}
        {status}
      </span>
      {item.status === 'failed' && item.error && (
        <div className="upload__error">
          <ErrorAlert>
            {`${t('workspace.upload.failed', { name: item.name })} ${errorText(item.error)}`}
          </ErrorAlert>
        </div>
      )}
    </li>
  );
}

/** The uploads of this visit, with their progress. */
export function UploadList({ items, onClear }: { items: UploadItem[]; onClear: () => void }) {
  const { t } = useTranslation();
  const titleId = useId();
  if (items.length === 0) return null;
  const finished = items.some((item) => item.status === 'done' || item.status === 'failed');
  return (
    <section className="uploads" aria-labelledby={titleId}>
      <h3 id={titleId} className="uploads__title">
        {t('workspace.upload.listTitle')}
      </h3>
      <ul className="uploads__list">
        {items.map((item) => (
          <UploadRow key={item.key} item={item} />
        ))}
      </ul>
      {finished && (
        <button type="button" className="button button--secondary button--small" onClick={onClear}>
          {t('workspace.upload.clear')}
        </button>
      )}
    </section>
  );
}
