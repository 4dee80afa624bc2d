import { useCallback, useEffect, useRef, useState } from 'react';
import { isAbortError, toApiError, type ApiError } from '../api/client.ts';
import { uploadFile, type UploadedDocument } from '../api/workspace.ts';

export type UploadStatus = 'waiting' | 'uploading' | 'done' | 'failed';

export interface UploadItem {
  key: number;
  name: string;
  /** Bytes sent so far and in all (the request body: a little more than the file). */
  loaded: number;
  total: number;
  status: UploadStatus;
  error: ApiError | undefined;
}

/** Where files go: a folder (null: the root of "Mes documents"). */
export interface UploadTarget {
  folderId: string | null;
  /** The files will count against the user's own quota (not a folder shared by someone else). */
  ownedByMe: boolean;
}

export interface UploadHandlers {
  /** A reason to refuse the file without sending it (not enough space left), if any. */
  precheck?: (file: File, target: UploadTarget) => ApiError | undefined;
  onStarted?: (name: string) => void;
  onUploaded?: (document: UploadedDocument, target: UploadTarget) => void;
  /** Returns true when it handled the error itself (401: back to the login page). */
  onError?: (error: unknown) => boolean;
}

interface Queued {
  key: number;
  file: File;
  target: UploadTarget;
}

/**
 * A queue of uploads, sent one at a time, each with its progress. The queue survives folder
 * changes (the page stays mounted); leaving the page aborts what is left.
 */
export function useUploads(handlers: UploadHandlers): {
  items: UploadItem[];
  add: (files: readonly File[], target: UploadTarget) => void;
  clearFinished: () => void;
} {
  const [items, setItems] = useState<UploadItem[]>([]);
  const queue = useRef<Queued[]>([]);
  const running = useRef(false);
  const nextKey = useRef(1);
  const controller = useRef<AbortController>(undefined);
  const disposed = useRef(false);
  const handlersRef = useRef(handlers);
  useEffect(() => {
    handlersRef.current = handlers;
  });

  useEffect(() => {
    disposed.current = false;
    return () => {
      disposed.current = true;
      queue.current = [];
      controller.current?.abort();
    };
  }, []);

  const update = useCallback((key: number, change: Partial<UploadItem>) => {
    setItems((list) => list.map((item) => (item.key === key ? { ...item, ...change } : item)));
  }, []);

  const pump = useCallback(async () => {
    if (running.current) return;
    running.current = true;
    try {
      for (let next = queue.current.shift(); next; next = queue.current.shift()) {
        if (disposed.current) return;
        const { key, file, target } = next;
        const refused = handlersRef.current.precheck?.(file, target);
        if (refused) {
          update(key, { status: 'failed', error: refused });
          continue;
        }
        update(key, { status: 'uploading' });
        handlersRef.current.onStarted?.(file.name);
        const abort = new AbortController();
        controller.current = abort;
        try {
          const document = await uploadFile(file, {
            folderId: target.folderId,
            signal: abort.signal,
            onProgress: (loaded, total) => {
              update(key, { loaded: Math.min(loaded, total), total });
            },
          });
          if (disposed.current) return;
          setItems((list) =>
            list.map((item) =>
              item.key === key ? { ...item, status: 'done', loaded: item.total } : item,
            ),
          );
          handlersRef.current.onUploaded?.(document, target);
        } catch (failure) {
          if (disposed.current || isAbortError(failure)) return;
          if (handlersRef.current.onError?.(failure)) return;
          update(key, { status: 'failed', error: toApiError(failure) });
        }
      }
    } finally {
      running.current = false;
      controller.current = undefined;
    }
  }, [update]);

  const add = useCallback(
    (files: readonly File[], target: UploadTarget) => {
      const added = files.map((file) => ({ key: nextKey.current++, file, target }));
      if (added.length === 0) return;
      queue.current.push(...added);
      setItems((list) => [
        ...list,
        ...added.map(({ key, file }): UploadItem => ({
          key,
          name: file.name,
          loaded: 0,
          total: Math.max(file.size, 1),
          status: 'waiting',
          error: undefined,
        })),
      ]);
      void pump();
    },
    [pump],
  );

  const clearFinished = useCallback(() => {
    setItems((list) =>
      list.filter((item) => item.status === 'waiting' || item.status === 'uploading'),
    );
  }, []);

  return { items, add, clearFinished };
}
