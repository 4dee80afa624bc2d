import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { toApiError } from '../../api/client.ts';
import {
  copyDocument,
  createFolder,
  deleteDocument,
  deleteFolder,
  restoreDocument,
  restoreFolder,
  updateDocument,
  updateFolder,
  type WsFolder,
} from '../../api/workspace.ts';
import { useWorkspaceErrorText, type WsItem } from '../../components/workspace-dialogs.tsx';
import type { Resource } from '../../hooks/use-resource.ts';
import { useSession } from '../../session.tsx';
import type { RowAction } from './workspace-tables.tsx';
import type { Listing, View } from './workspace-view.ts';

export type DialogState =
  { kind: 'newFolder' } | { kind: 'rename' | 'move' | 'share' | 'purge'; target: WsItem };

/**
 * What the user does on the listing: row actions (run at once, their error shown above the
 * listing) and dialogs (which show their own errors). Each change updates the listing in
 * place and is announced; `focusPlace` brings the focus back once a removed row is gone.
 */
export function useWorkspaceActions({
  view,
  viewKey,
  currentFolder,
  listing,
  refreshQuota,
  announce,
  focusPlace,
}: {
  view: View;
  viewKey: string;
  currentFolder: WsFolder | undefined;
  listing: Resource<Listing>;
  refreshQuota: () => void;
  announce: (text: string) => void;
  focusPlace: () => void;
}) {
  const { t } = useTranslation();
  const { handleUnauthenticated } = useSession();
  const errorText = useWorkspaceErrorText();
  const { setData } = listing;
  const [dialog, setDialog] = useState<DialogState>();
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string>();

  // Another folder or section: what was open or shown about the last one goes.
  useEffect(() => {
    setDialog(undefined);
    setActionError(undefined);
  }, [viewKey]);

  const removeItem = (type: WsItem['type'], id: string) => {
    setData((data) =>
      type === 'folder'
        ? { ...data, folders: data.folders.filter((f) => f.id !== id) }
        : { ...data, documents: data.documents.filter((d) => d.id !== id) },
    );
  };

  const replaceItem = (updated: WsItem) => {
    setData((data) =>
      updated.type === 'folder'
        ? {
            ...data,
            folders: data.folders.map((f) => (f.id === updated.item.id ? updated.item : f)),
          }
        : {
            ...data,
            documents: data.documents.map((d) => (d.id === updated.item.id ? updated.item : d)),
          },
    );
  };

  /** A row action without a dialog; its error is shown above the listing. */
  const act = (action: () => Promise<void>) => {
    if (busy) return;
    setBusy(true);
    setActionError(undefined);
    announce('');
    action()
      .catch((failure: unknown) => {
        if (!handleUnauthenticated(failure)) setActionError(errorText(toApiError(failure)));
      })
      .finally(() => {
        setBusy(false);
      });
  };

  const trash = (target: WsItem) => {
    act(async () => {
      if (target.type === 'folder') await deleteFolder(target.item.id);
      else await deleteDocument(target.item.id);
      removeItem(target.type, target.item.id);
      announce(t('workspace.announce.trashed', { name: target.item.name }));
      focusPlace();
    });
  };

  const restore = (target: WsItem) => {
    act(async () => {
      if (target.type === 'folder') await restoreFolder(target.item.id);
      else await restoreDocument(target.item.id);
      removeItem(target.type, target.item.id);
      announce(t('workspace.announce.restored', { name: target.item.name }));
      focusPlace();
    });
  };

  const copy = (target: WsItem) => {
    act(async () => {
      await copyDocument(target.item.id, null);
      refreshQuota();
      announce(t('workspace.announce.copied', { name: target.item.name }));
    });
  };

  const onRowAction = (action: RowAction, target: WsItem) => {
    switch (action) {
      case 'restore':
        restore(target);
        return;
      case 'trash':
        trash(target);
        return;
      case 'copy':
        copy(target);
        return;
      case 'purge':
      case 'rename':
      case 'move':
      case 'share':
        setDialog({ kind: action, target });
        return;
    }
  };

  const createIn = async (name: string) => {
    const folder = await createFolder({ name, parentId: currentFolder?.id ?? null });
    setData((data) => ({ ...data, folders: [...data.folders, folder] }));
    setDialog(undefined);
    announce(t('workspace.announce.created', { name: folder.name }));
  };

  const rename = async (target: WsItem, name: string) => {
    const updated: WsItem =
      target.type === 'folder'
        ? { type: 'folder', item: await updateFolder(target.item.id, { name }) }
        : { type: 'document', item: await updateDocument(target.item.id, { name }) };
    replaceItem(updated);
    setDialog(undefined);
    announce(t('workspace.announce.renamed', { name: target.item.name, newName: name }));
  };

  const move = async (target: WsItem, folderId: string | null, destination: string) => {
    if (target.type === 'folder') await updateFolder(target.item.id, { parentId: folderId });
    else await updateDocument(target.item.id, { folderId });
    // Moved out of the listed folder (or out of "added in the apps", whatever the folder).
    if (folderId !== (currentFolder?.id ?? null) || view.section === 'apps') {
      removeItem(target.type, target.item.id);
      focusPlace();
    }
    setDialog(undefined);
    announce(t('workspace.announce.moved', { name: target.item.name, destination }));
  };

  const purge = async (target: WsItem) => {
    if (target.type === 'folder') await deleteFolder(target.item.id, { purge: true });
    else await deleteDocument(target.item.id, { purge: true });
    removeItem(target.type, target.item.id);
    setDialog(undefined);
    refreshQuota();
    announce(t('workspace.announce.purged', { name: target.item.name }));
    focusPlace();
  };

  return {
    dialog,
    openNewFolder: () => {
      setDialog({ kind: 'newFolder' });
    },
    closeDialog: () => {
      setDialog(undefined);
    },
    busy,
    actionError,
    onRowAction,
    createIn,
    rename,
    move,
    purge,
  };
}
