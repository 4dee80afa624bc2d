import { useEffect, useRef, useState } from 'react';
import { DetailedError, Upload } from 'tus-js-client';
import { UPLOADS_ENDPOINT } from '../../api/imports.ts';
import { errorFromResponse, isRecord, type ApiError } from '../../api/client.ts';

/**
 * Resumable upload of one archive to the tus endpoint (`/api/archive/uploads`): progress,
 * pause and resume (from the offset the server has), cancel (the upload is deleted).
 */

/** Bytes per PATCH: small enough that a pause or a lost connection costs little. */
export const CHUNK_SIZE = 4 * 1024 * 1024;

export type UploadFailure =
  /** 413: larger than the server takes (`maxBytes` when it said). */
  | { kind: 'too_large'; maxBytes: number | undefined }
  /** 409 on creation: the user holds too many unfinished uploads. */
  | { kind: 'too_many' }
  | { kind: 'forbidden' }
  /** The server forgot the upload (404 on resume, 410). */
  | { kind: 'gone' }
  /** No answer: the connection was lost; resuming continues from the server's offset. */
  | { kind: 'network' }
  | { kind: 'other'; status: number };

export type UploadPhase = 'uploading' | 'paused' | 'failed' | 'sent';

export interface UploadState {
  phase: UploadPhase;
  fileName: string;
  sent: number;
  total: number;
  failure?: UploadFailure | undefined;
}

function maxBytesOf(body: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (!isRecord(parsed) || !isRecord(parsed.error) || !isRecord(parsed.error.details)) return;
    const max = parsed.error.details.maxBytes;
    return typeof max === 'number' && Number.isFinite(max) ? max : undefined;
  } catch {
    return undefined;
  }
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** What went wrong, from tus-js-client's error (the server's status and body when it answered). */
export function classifyFailure(error: Error): { failure: UploadFailure; api?: ApiError } {
  const response = error instanceof DetailedError ? error.originalResponse : null;
  const status = response?.getStatus() ?? 0;
  if (response === null || status === 0) return { failure: { kind: 'network' } };
  const body = response.getBody();
  const api = errorFromResponse(status, '', parseBody(body));
  switch (status) {
    case 413:
      return { failure: { kind: 'too_large', maxBytes: maxBytesOf(body) }, api };
    case 409:
      return { failure: { kind: 'too_many' }, api };
    case 403:
      return { failure: { kind: 'forbidden' }, api };
    case 404:
    case 410:
      return { failure: { kind: 'gone' }, api };
    default:
      return { failure: { kind: 'other', status }, api };
  }
}

/** The upload id the server gave: the last segment of the upload's URL. */
export function uploadIdOf(url: string): string {
  const { pathname } = new URL(url, window.location.href);
  return decodeURIComponent(pathname.split('/').filter(Boolean).pop() ?? '');
}

/**
 * One upload at a time. `onSent` receives the upload id once every byte is on the server;
 * `onUnauthenticated` takes a 401 (the session ended) and says whether it handled it.
 */
export function useTusUpload(handlers: {
  onSent: (uploadId: string) => void;
  onUnauthenticated: (error: unknown) => boolean;
}) {
  const [state, setState] = useState<UploadState>();
  const uploadRef = useRef<Upload>(undefined);
  const latest = useRef(handlers);
  useEffect(() => {
    latest.current = handlers;
  });

  // Leaving the page stops sending (the server deletes what was never finished).
  useEffect(
    () => () => {
      void uploadRef.current?.abort(false);
    },
    [],
  );

  // Leaving the site mid-upload loses it: the browser asks first.
  const sending = state?.phase === 'uploading' || state?.phase === 'paused';
  useEffect(() => {
    if (!sending) return;
    const ask = (event: BeforeUnloadEvent) => {
      event.preventDefault();
    };
    window.addEventListener('beforeunload', ask);
    return () => {
      window.removeEventListener('beforeunload', ask);
    };
  }, [sending]);

  const start = (file: File) => {
    void uploadRef.current?.abort(true);
    const upload: Upload = new Upload(file, {
      endpoint: UPLOADS_ENDPOINT,
      chunkSize: CHUNK_SIZE,
      // A few quick retries on a hiccup; after that the user sees "Reprendre".
      retryDelays: [0, 1000, 3000],
      metadata: { filename: file.name, filetype: file.type },
      // Resuming is within this page (pause, lost connection): no URL kept in localStorage,
      // where another account on the same browser would find it.
      storeFingerprintForResuming: false,
      onProgress: (sent, total) => {
        if (uploadRef.current !== upload) return;
        setState((s) => (s && s.phase === 'uploading' ? { ...s, sent, total } : s));
      },
      onSuccess: () => {
        if (uploadRef.current !== upload) return;
        uploadRef.current = undefined;
        setState((s) => s && { ...s, phase: 'sent', sent: s.total });
        latest.current.onSent(uploadIdOf(upload.url ?? ''));
      },
      onError: (error) => {
        if (uploadRef.current !== upload) return;
        const { failure, api } = classifyFailure(error);
        if (api !== undefined && latest.current.onUnauthenticated(api)) return;
        setState((s) => s && { ...s, phase: 'failed', failure });
      },
    });
    uploadRef.current = upload;
    setState({ phase: 'uploading', fileName: file.name, sent: 0, total: file.size });
    upload.start();
  };

  const pause = () => {
    const upload = uploadRef.current;
    if (upload === undefined) return;
    void upload.abort(false);
    setState((s) => s && { ...s, phase: 'paused' });
  };

  /** Continues from what the server has (tus asks it with HEAD first). */
  const resume = () => {
    const upload = uploadRef.current;
    if (upload === undefined) return;
    setState((s) => s && { ...s, phase: 'uploading', failure: undefined });
    upload.start();
  };

  /** Stops and deletes the upload on the server. */
  const cancel = async () => {
    const upload = uploadRef.current;
    uploadRef.current = undefined;
    setState(undefined);
    try {
      await upload?.abort(true);
    } catch {
      // Deleting failed (connection lost): the server removes unfinished uploads by itself.
    }
  };

  /** Forgets a finished or failed upload (the import takes over). */
  const clear = () => {
    if (uploadRef.current === undefined) setState(undefined);
  };

  return { state, start, pause, resume, cancel, clear };
}
