import { useEffect, useId, useLayoutEffect, useRef, type ReactNode } from 'react';

/**
 * A native modal `<dialog>`, open for as long as it is mounted: the browser traps the focus
 * inside, makes the page behind it inert and closes it with Escape (which calls `onClose`, so
 * the owner unmounts it). When it goes away, the focus goes back to the control that opened it
 * (if that control is still on the page; otherwise the owner decides where it goes).
 */
export function ModalDialog({
  title,
  onClose,
  children,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onCloseRef = useRef(onClose);
  useEffect(() => {
    onCloseRef.current = onClose;
  });
  // Set while we close it ourselves, so the resulting `close` event is not reported.
  const closing = useRef(false);

  // Layout effect: its clean-up runs before React removes the element, so it is closed (and
  // the focus restored) while still in the document.
  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    closing.current = false;
    dialog.showModal();
    return () => {
      closing.current = true;
      if (dialog.open) dialog.close();
      // After the rest of this commit: React may move the opener's row (a rename re-sorts the
      // list), and moving an element takes the focus away from it.
      queueMicrotask(() => {
        if (opener?.isConnected) opener.focus();
      });
    };
  }, []);

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        // Escape: let the owner unmount the dialog rather than the browser hide it.
        event.preventDefault();
        onCloseRef.current();
      }}
      onClose={() => {
        // The browser may close it anyway (Escape pressed twice).
        if (!closing.current) onCloseRef.current();
      }}
    >
      <h2 id={titleId} className="dialog__title">
        {title}
      </h2>
      {children}
    </dialog>
  );
}
