import type { RefObject } from 'react';
import type { ArchiveImport } from '../../api/imports.ts';

/**
 * A finished import (or a dry run, `analyzed` with a report): the table per app, the failed items
 * named, the report to download, and "Annuler cet import" with its confirmation.
 */
export function ImportReportView(_props: {
  imported: ArchiveImport;
  appName: (id: string) => string;
  headingRef?: RefObject<HTMLHeadingElement | null>;
  /** Undoes the import (the caller refreshes the import and the history); rejects on failure. */
  onUndo: () => Promise<void>;
}) {
  return null;
}
