import type { RefObject } from 'react';
import type { ArchiveImport } from '../../api/imports.ts';

/**
 * An import being run (`queued`, `running`): per app, items done out of the total, and a button
 * to cancel it (what was already written is removed). Owned by the "result" part of the tab.
 */
export function ImportProgress(_props: {
  imported: ArchiveImport;
  /** An app's name in the interface language (the archive's label for an unknown app). */
  appName: (id: string) => string;
  /** The heading, to move the focus to when the import starts. */
  headingRef?: RefObject<HTMLHeadingElement | null>;
  cancelling: boolean;
  onCancel: () => void;
}) {
  return null;
}
