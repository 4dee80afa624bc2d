import { useEffect, useRef, useState, type RefObject } from 'react';

/**
 * Moves the focus to an element once it is on screen: `request()` after a change that
 * (re)renders it (a new section, a removed row), and the focus goes there after that render.
 */
export function useFocusRequest<T extends HTMLElement = HTMLHeadingElement>(): {
  ref: RefObject<T | null>;
  request: () => void;
} {
  const ref = useRef<T>(null);
  const [requests, setRequests] = useState(0);
  useEffect(() => {
    if (requests > 0) ref.current?.focus();
  }, [requests]);
  return {
    ref,
    request: () => {
      setRequests((n) => n + 1);
    },
  };
}
