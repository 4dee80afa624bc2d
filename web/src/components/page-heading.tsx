import { useEffect, useRef, type ReactNode } from 'react';
import { consumeFocusRequest } from '../router.tsx';

/**
 * The page's `<h1>`. After a client-side navigation it takes the focus (once), so assistive
 * technologies announce the new page; on the first load the focus is left alone.
 */
export function PageHeading({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (consumeFocusRequest()) ref.current?.focus();
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1} className="page-heading">
      {children}
    </h1>
  );
}
