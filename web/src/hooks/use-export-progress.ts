import { useEffect, useRef } from 'react';
import { isAbortError, toApiError, type ApiError } from '../api/client.ts';
import {
  exportEventsUrl,
  fetchExport,
  isActive,
  parseExport,
  type ArchiveExport,
} from '../api/archive.ts';

/** How often the export is asked for when Server-Sent Events are not available. */
export const POLL_INTERVAL_MS = 2000;

export interface ExportProgressHandlers {
  /** Every new state of the export (the last one has a final status). */
  onUpdate: (exported: ArchiveExport) => void;
  /**
   * A request failed. `final`: following stops (the export is gone, or the session expired);
   * otherwise the next poll tries again.
   */
  onError: (error: ApiError, final: boolean) => void;
  /** Returns true when it handled the error itself (401: back to the login page). */
  onUnauthenticated: (error: unknown) => boolean;
}

/**
 * Follows an export while it is being prepared: Server-Sent Events from
 * `/api/archive/exports/:id/events` (`progress` events), and if the stream fails (a proxy that
 * buffers, a lost connection, an old browser), polling `GET /api/archive/exports/:id` every
 * two seconds. Stops when the export has a final status, when `id` changes, or on unmount.
 */
export function useExportProgress(id: string | undefined, handlers: ExportProgressHandlers) {
  // The latest callbacks, without making them effect dependencies (they change every render).
  const handlersRef = useRef(handlers);
  useEffect(() => {
    handlersRef.current = handlers;
  });

  useEffect(() => {
    if (id === undefined) return;
    const controller = new AbortController();
    let stopped = false;
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const stop = () => {
      stopped = true;
      source?.close();
      source = undefined;
      if (timer !== undefined) clearTimeout(timer);
      controller.abort();
    };

    const deliver = (exported: ArchiveExport) => {
      if (stopped || exported.id !== id) return;
      if (!isActive(exported.status)) stop();
      handlersRef.current.onUpdate(exported);
    };

    const poll = async () => {
      timer = undefined;
      try {
        deliver(await fetchExport(id, controller.signal));
      } catch (failure) {
        if (stopped || isAbortError(failure)) return;
        if (handlersRef.current.onUnauthenticated(failure)) {
          stop();
          return;
        }
        const error = toApiError(failure);
        const final = error.status === 404 || error.status === 403;
        if (final) stop();
        handlersRef.current.onError(error, final);
      }
      if (!stopped) timer = setTimeout(() => void poll(), POLL_INTERVAL_MS);
    };

    if (typeof EventSource === 'function') {
      const events = new EventSource(exportEventsUrl(id));
      source = events;
      events.addEventListener('progress', (event) => {
        if (!(event instanceof MessageEvent) || typeof event.data !== 'string') return;
        let parsed: ArchiveExport | undefined;
        try {
          parsed = parseExport(JSON.parse(event.data));
        } catch {
          parsed = undefined;
        }
        if (parsed) deliver(parsed);
      });
      events.addEventListener('error', () => {
        // The browser would reconnect on its own; polling is simpler to reason about (and
        // also reports a 401 or a 404, which an event stream cannot).
        if (stopped || source !== events) return;
        events.close();
        source = undefined;
        void poll();
      });
    } else {
      void poll();
    }

    return stop;
  }, [id]);
}
