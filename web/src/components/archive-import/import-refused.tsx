import { useId, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import type { ArchiveImport } from '../../api/imports.ts';
import { useRefusalText } from './import-text.ts';

/** A refused archive: why, in words a pupil understands, what to do, and another file. */
export function ImportRefused({
  imported,
  headingRef,
  onAnother,
}: {
  imported: ArchiveImport;
  headingRef: RefObject<HTMLHeadingElement | null>;
  onAnother: () => void;
}) {
  const { t } = useTranslation();
  const refusalText = useRefusalText();
  const titleId = useId();
  const { why, what } = refusalText(imported.error);

  return (
    <section className="import-refused" aria-labelledby={titleId}>
      <h3 id={titleId} ref={headingRef} tabIndex={-1}>
        <span aria-hidden="true">✕ </span>
        {t('importer.refusal.title')}
      </h3>
      {imported.fileName !== null && <p className="import-refused__file">{imported.fileName}</p>}
      <p className="import-refused__why">{why}</p>
      <p>{what}</p>
      <button type="button" className="button" onClick={onAnother}>
        {t('importer.panel.another')}
      </button>
    </section>
  );
}
