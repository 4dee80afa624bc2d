import { useEffect, useRef, useState } from 'react';
import { toApiError, type ApiError } from '../api/client.ts';
import { useSession } from '../session.tsx';

/**
 * Runs a request started by the user (a form, a dialog): a busy flag, 401 handled by the
 * session (back to the login page), any other error kept as a sentence, from `describe` when
 * it has one for that error, else from `errorText`. Nothing is set after unmount.
 */
export function useAction(errorText: (error: ApiError) => string): {
  busy: boolean;
  error: string | undefined;
  setError: (message: string | undefined) => void;
  run: (action: () => Promise<void>, describe?: (error: ApiError) => string | undefined) => void;
} {
  const { handleUnauthenticated } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const run = (action: () => Promise<void>, describe?: (error: ApiError) => string | undefined) => {
    if (busy) return;
    setBusy(true);
    setError(undefined);
    action().then(
      () => {
        if (mounted.current) setBusy(false);
      },
      (failure: unknown) => {
        if (!mounted.current || handleUnauthenticated(failure)) return;
        setBusy(false);
        const apiError = toApiError(failure);
        setError(describe?.(apiError) ?? errorText(apiError));
      },
    );
  };
  return { busy, error, setError, run };
}
