import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/client.ts';
import { fetchMe, type Quota } from '../../api/platform.ts';
import { fetchDocuments, type UploadedDocument } from '../../api/workspace.ts';
import { useUploads } from '../../hooks/use-uploads.ts';
import { useSession } from '../../session.tsx';
import { parseView, viewPath, type Listing, type View } from './workspace-view.ts';

/**
 * Uploads from the workspace page: checked against the quota first, announced, and the
 * listing refreshed when it still shows the folder the file went to. Also keeps the quota
 * shown up to date, and stops a file dropped next to the drop zone from replacing the page.
 */
export function useWorkspaceUploads({
  viewKey,
  setData,
  announce,
}: {
  viewKey: string;
  setData: (update: (data: Listing) => Listing) => void;
  announce: (text: string) => void;
}) {
  const { t } = useTranslation();
  const { me, handleUnauthenticated } = useSession();
  const [quota, setQuota] = useState<Quota | undefined>(me.quota);
  const quotaRef = useRef(quota);
  const viewKeyRef = useRef(viewKey);
  useEffect(() => {
    quotaRef.current = quota;
    viewKeyRef.current = viewKey;
  });

  const refreshQuota = useCallback(() => {
    fetchMe().then(
      (fresh) => {
        if (fresh.quota) setQuota(fresh.quota);
      },
      () => {
        // The bar stays as it was; the next page load shows the right figure.
      },
    );
  }, []);

  /** Lists the documents again, without the loading state, if the view is still the same. */
  const refreshDocuments = (forView: View) => {
    const key = viewPath(forView);
    const request =
      forView.folderId !== undefined
        ? fetchDocuments({ folderId: forView.folderId })
        : fetchDocuments({ filter: forView.section });
    request.then(
      (documents) => {
        if (viewKeyRef.current === key) setData((data) => ({ ...data, documents }));
      },
      (failure: unknown) => {
        handleUnauthenticated(failure);
      },
    );
  };

  const uploads = useUploads({
    precheck: (file, target) => {
      const current = quotaRef.current;
      if (!target.ownedByMe || current === undefined || current.total <= 0) return undefined;
      if (file.size <= current.total - current.used) return undefined;
      return new ApiError(413, 'quota_exceeded', 'Not enough space left for this file');
    },
    onStarted: (name) => {
      announce(t('workspace.upload.started', { name }));
    },
    onUploaded: (document: UploadedDocument, target) => {
      announce(t('workspace.upload.succeeded', { name: document.name }));
      if (target.ownedByMe) {
        setQuota((current) => current && { ...current, used: current.used + document.size });
      }
      refreshQuota();
      // The page may show another folder by now: only refresh the one the file went to.
      const shown = parseView(window.location.search);
      const showsTarget =
        shown.folderId !== undefined
          ? shown.folderId === target.folderId
          : shown.section === 'mine' && target.folderId === null;
      if (showsTarget) refreshDocuments(shown);
    },
    onError: (failure) => {
      if (handleUnauthenticated(failure)) return true;
      // Refused for lack of space: the figure shown may be out of date (another tab...).
      refreshQuota();
      return false;
    },
  });

  // A file dropped next to the drop zone must not replace the page.
  useEffect(() => {
    const guard = (event: DragEvent) => {
      if (event.defaultPrevented || !event.dataTransfer?.types.includes('Files')) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = 'none';
    };
    window.addEventListener('dragover', guard);
    window.addEventListener('drop', guard);
    return () => {
      window.removeEventListener('dragover', guard);
      window.removeEventListener('drop', guard);
    };
  }, []);

  return { quota, refreshQuota, uploads };
}
