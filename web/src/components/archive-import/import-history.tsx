import type { RefObject } from 'react';
import type { ArchiveImport } from '../../api/imports.ts';
import type { ResourceState } from '../../hooks/use-resource.ts';

/** "Vos imports": past imports with their state, each one's report one click away. */
export function ImportHistory(_props: {
  state: ResourceState<ArchiveImport[]>;
  reload: () => void;
  appName: (id: string) => string;
  headingRef?: RefObject<HTMLHeadingElement | null>;
  /** Shows this import above (its analysis, progress or report). */
  onShow: (imported: ArchiveImport) => void;
  /** The import shown above, if any. */
  shownId: string | undefined;
}) {
  return null;
}
