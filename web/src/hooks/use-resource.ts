import { useCallback, useEffect, useRef, useState } from 'react';
import { isAbortError, toApiError, type ApiError } from '../api/client.ts';

export type ResourceState<T> =
  { status: 'loading' } | { status: 'success'; data: T } | { status: 'error'; error: ApiError };

export interface Resource<T> {
  state: ResourceState<T>;
  /** Loads again (shows the loading state). */
  reload: () => void;
  /** Replaces the loaded data (after a mutation). */
  setData: (update: (data: T) => T) => void;
}

/**
 * Loads data when mounted and whenever `key` changes; aborts the request on unmount.
 * `onError` may handle an error itself (e.g. redirect on 401) by returning true.
 */
export function useResource<T>(
  load: (signal: AbortSignal) => Promise<T>,
  key: string,
  onError?: (error: unknown) => boolean,
): Resource<T> {
  const [state, setState] = useState<ResourceState<T>>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  // The latest callbacks, without making them effect dependencies (they change every render).
  const loadRef = useRef(load);
  const onErrorRef = useRef(onError);
  useEffect(() => {
    loadRef.current = load;
    onErrorRef.current = onError;
  });

  useEffect(() => {
    const controller = new AbortController();
    setState({ status: 'loading' });
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ status: 'success', data });
      },
      (error: unknown) => {
        if (controller.signal.aborted || isAbortError(error)) return;
        if (onErrorRef.current?.(error)) return;
        setState({ status: 'error', error: toApiError(error) });
      },
    );
    return () => {
      controller.abort();
    };
  }, [key, attempt]);

  const reload = useCallback(() => {
    setAttempt((n) => n + 1);
  }, []);
  const setData = useCallback((update: (data: T) => T) => {
    setState((current) =>
      current.status === 'success' ? { status: 'success', data: update(current.data) } : current,
    );
  }, []);

  return { state, reload, setData };
}
