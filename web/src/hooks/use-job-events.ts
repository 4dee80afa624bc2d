import { useEffect, useRef, useState } from 'react';
import { isAbortError, toApiError, type ApiError } from '../api/client.ts';

/** How often the job is asked for when Server-Sent Events are not available. */
export const POLL_INTERVAL_MS = 2000;

/**
 * How the job is being followed: `idle` (nothing to follow), `connecting` (about to open the
 * stream), `events` (the event stream is open), `polling` (the stream failed or is not
 * available), `closed` (final state reached, or following stopped on an error).
 */
export type JobConnection = 'idle' | 'connecting' | 'events' | 'polling' | 'closed';

/** A job to follow: where its events are, how to ask for it, and when it is over. */
export interface JobSource<T> {
  /** The job's Server-Sent Events URL; following restarts when it changes. */
  url: string;
  /** The job's state by a plain request: the fallback when the stream fails. */
  fetch: (signal: AbortSignal) => Promise<T>;
  /** An event's JSON data as a state; undefined for data that is not one (the event is skipped). */
  parse: (data: unknown) => T | undefined;
  /** A state after which nothing changes any more: following stops. */
  isFinal: (state: T) => boolean;
  /** The name of the events that carry a state (`progress` by default). */
  eventName?: string;
}

export interface JobEventsHandlers<T> {
  /** Every new state (the last one is final). */
  onUpdate?: (state: T) => void;
  /**
   * A request failed. `final`: following stops (the job is gone, or not ours); otherwise the
   * next poll tries again.
   */
  onError?: (error: ApiError, final: boolean) => void;
  /** Returns true when it handled the error itself (401: back to the login page); stops. */
  onUnauthenticated?: (error: unknown) => boolean;
}

export interface JobEvents<T> {
  /** The latest state received for the current URL. */
  state: T | undefined;
  connection: JobConnection;
  /** The last failed request (cleared by the next state). */
  error: ApiError | undefined;
}

interface Snapshot<T> {
  url: string | undefined;
  state: T | undefined;
  connection: JobConnection;
  error: ApiError | undefined;
}

/**
 * Follows a job (an export, an import) while it runs: Server-Sent Events from `job.url`, and
 * if the stream fails (a proxy that buffers, a lost connection, an old browser), `job.fetch`
 * every two seconds. Stops at a final state, when the URL changes, when `job` is undefined, or
 * on unmount. `job` and the handlers may be new objects at every render; only the URL restarts
 * the following.
 */
export function useJobEvents<T>(
  job: JobSource<T> | undefined,
  handlers: JobEventsHandlers<T> = {},
): JobEvents<T> {
  const url = job?.url;
  // The latest job and handlers, without making them effect dependencies.
  const latest = useRef({ job, handlers });
  useEffect(() => {
    latest.current = { job, handlers };
  });
  // Tagged with its URL: a snapshot of the previous job is never shown for the next one.
  const [snapshot, setSnapshot] = useState<Snapshot<T>>({
    url: undefined,
    state: undefined,
    connection: 'idle',
    error: undefined,
  });

  useEffect(() => {
    if (url === undefined) return;
    // The job of the render that gave this URL: its functions go with the URL.
    const followed = latest.current.job;
    if (followed === undefined) return;
    const controller = new AbortController();
    let stopped = false;
    let stream: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const update = (change: Partial<Snapshot<T>>) => {
      setSnapshot((previous) => ({
        ...(previous.url === url
          ? previous
          : { state: undefined, connection: 'idle', error: undefined }),
        ...change,
        url,
      }));
    };

    const stop = () => {
      stopped = true;
      stream?.close();
      stream = undefined;
      if (timer !== undefined) clearTimeout(timer);
      controller.abort();
    };

    const deliver = (state: T) => {
      if (stopped) return;
      const final = followed.isFinal(state);
      if (final) stop();
      update({ state, error: undefined, ...(final ? { connection: 'closed' } : {}) });
      latest.current.handlers.onUpdate?.(state);
    };

    const poll = async () => {
      timer = undefined;
      try {
        deliver(await followed.fetch(controller.signal));
      } catch (failure) {
        if (stopped || isAbortError(failure)) return;
        if (latest.current.handlers.onUnauthenticated?.(failure) === true) {
          stop();
          update({ connection: 'closed' });
          return;
        }
        const error = toApiError(failure);
        const final = error.status === 404 || error.status === 403;
        if (final) stop();
        update({ error, ...(final ? { connection: 'closed' } : {}) });
        latest.current.handlers.onError?.(error, final);
      }
      if (!stopped) timer = setTimeout(() => void poll(), POLL_INTERVAL_MS);
    };

    const startPolling = () => {
      update({ connection: 'polling' });
      void poll();
    };

    if (typeof EventSource === 'function') {
      const events = new EventSource(url);
      stream = events;
      update({ connection: 'events' });
      events.addEventListener(followed.eventName ?? 'progress', (event) => {
        if (!(event instanceof MessageEvent) || typeof event.data !== 'string') return;
        let parsed: T | undefined;
        try {
          parsed = followed.parse(JSON.parse(event.data));
        } catch {
          parsed = undefined;
        }
        if (parsed !== undefined) deliver(parsed);
      });
      events.addEventListener('error', () => {
        // The browser would reconnect on its own; polling is simpler to reason about (and
        // also reports a 401 or a 404, which an event stream cannot).
        if (stopped || stream !== events) return;
        events.close();
        stream = undefined;
        startPolling();
      });
    } else {
      startPolling();
    }

    return stop;
  }, [url]);

  if (url === undefined || snapshot.url !== url) {
    return {
      state: undefined,
      connection: url === undefined ? 'idle' : 'connecting',
      error: undefined,
    };
  }
  return { state: snapshot.state, connection: snapshot.connection, error: snapshot.error };
}
