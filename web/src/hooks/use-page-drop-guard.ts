/** Elements that take dropped files: ours carry `data-drop-zone`, the workspace's `.drop-zone`. */
export const DROP_ZONE_SELECTOR = '[data-drop-zone], .drop-zone';

function insideDropZone(target: EventTarget | null): boolean {
  return target instanceof Element && target.closest(DROP_ZONE_SELECTOR) !== null;
}

function guard(event: DragEvent): void {
  // Text or links dragged into a field keep the browser's behaviour; only files are guarded.
  if (event.dataTransfer?.types.includes('Files') !== true) return;
  if (insideDropZone(event.target)) return;
  // Without this, a file dropped next to a drop zone makes the browser leave the page to open
  // or download it (and a pupil loses what they were doing).
  event.preventDefault();
  if (event.dataTransfer !== null) event.dataTransfer.dropEffect = 'none';
}

/**
 * Installs on `target` (the window) the guard that keeps the page when a file is dropped
 * outside a drop zone; returns what removes it.
 */
export function installPageDropGuard(target: Window): () => void {
  target.addEventListener('dragover', guard);
  target.addEventListener('drop', guard);
  return () => {
    target.removeEventListener('dragover', guard);
    target.removeEventListener('drop', guard);
  };
}
