/**
 * Espace documentaire (`/workspace`): a section ("Mes documents", "Partagés avec moi", "Ajoutés
 * dans les applications", "Corbeille") or a folder in it, its folders and documents with their
 * actions, uploads (drop zone), and the dialogs to name, move, share or purge.
 */
import { useId, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Section } from '../../api/workspace.ts';
import { ErrorAlert, Loading } from '../../components/feedback.tsx';
import { PageHeading } from '../../components/page-heading.tsx';
import { UploadList, UploadZone } from '../../components/upload-zone.tsx';
import {
  ConfirmDialog,
  MoveDialog,
  NameDialog,
  ShareDialog,
  useWorkspaceErrorText,
} from '../../components/workspace-dialogs.tsx';
import { useDocumentTitle } from '../../hooks/use-document-title.ts';
import { useFocusRequest } from '../../hooks/use-focus-request.ts';
import { useResource } from '../../hooks/use-resource.ts';
import type { UploadTarget } from '../../hooks/use-uploads.ts';
import { useLocation } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { useWorkspaceActions } from './use-workspace-actions.ts';
import { useWorkspaceUploads } from './use-workspace-uploads.ts';
import { FolderTrail, WorkspaceSide } from './workspace-nav.tsx';
import { DocumentTable, FolderTable, type RowContext } from './workspace-tables.tsx';
import { loadListing, parseView, viewPath } from './workspace-view.ts';

export function WorkspacePage() {
  const { t } = useTranslation();
  const { me, handleUnauthenticated } = useSession();
  const { search } = useLocation();
  const view = useMemo(() => parseView(search), [search]);
  const viewKey = viewPath(view);
  const errorText = useWorkspaceErrorText();
  const namesId = useId();

  const listingResource = useResource(
    (signal) => loadListing(view, signal),
    viewKey,
    handleUnauthenticated,
  );
  const { state, reload } = listingResource;
  const listing = state.status === 'success' ? state.data : undefined;
  const currentFolder = view.folderId === undefined ? undefined : listing?.trail.at(-1);
  const myId = me.user.id;
  // A folder's section follows its owner (a link from a notification has no `filter`).
  const section: Section = currentFolder
    ? currentFolder.ownerId === myId
      ? 'mine'
      : 'shared'
    : view.section;
  const sectionLabel = t(`workspace.sections.${section}`);
  const place = currentFolder?.name ?? sectionLabel;
  useDocumentTitle(t('workspace.pageTitle', { place }));

  const canCreate = me.rights.includes('workspace.create');
  const canAdd =
    canCreate &&
    listing !== undefined &&
    (currentFolder ? !currentFolder.trashed : view.section === 'mine' && !view.folderId);
  const uploadTarget: UploadTarget = {
    folderId: currentFolder?.id ?? null,
    ownedByMe: currentFolder === undefined || currentFolder.ownerId === myId,
  };

  const [announcement, setAnnouncement] = useState('');
  // The listing's heading takes the focus once a removed row is gone (and after a dialog has
  // put the focus back where it was).
  const placeFocus = useFocusRequest();
  const fileInputRef = useRef<HTMLInputElement>(null);
  const { quota, refreshQuota, uploads } = useWorkspaceUploads({
    viewKey,
    setData: listingResource.setData,
    announce: setAnnouncement,
  });
  const actions = useWorkspaceActions({
    view,
    viewKey,
    currentFolder,
    listing: listingResource,
    refreshQuota,
    announce: setAnnouncement,
    focusPlace: placeFocus.request,
  });
  const { dialog, closeDialog } = actions;

  const rowContext: RowContext = {
    section: view.section,
    myId,
    canCreate,
    busy: actions.busy,
    nameId: (documentId) => `${namesId}-${documentId}`,
    onAction: actions.onRowAction,
  };
  const emptyText = currentFolder
    ? t('workspace.empty.folder')
    : t(`workspace.empty.${view.section}`);

  return (
    <div className="workspace">
      {/* Keyed by the URL: moving to another folder or section is a navigation too. */}
      <PageHeading key={search}>{t('workspace.title')}</PageHeading>
      <div className="workspace__layout">
        <WorkspaceSide view={view} section={section} quota={quota} />

        <div className="workspace__main">
          {/* In a folder only: at the top of a section, it would just repeat the heading. */}
          <FolderTrail section={section} sectionLabel={sectionLabel} trail={listing?.trail ?? []} />
          <h2 ref={placeFocus.ref} tabIndex={-1} className="ws-place">
            {place}
          </h2>
          {/* Results of the actions, announced without moving the focus. */}
          <p role="status" className="visually-hidden">
            {announcement}
          </p>

          {view.section === 'trash' && <p className="notice">{t('workspace.trashNote')}</p>}
          {!canCreate && view.section === 'mine' && (
            <p className="notice">{t('workspace.readOnly')}</p>
          )}

          {canAdd && (
            <>
              <div className="toolbar">
                <button type="button" className="button" onClick={actions.openNewFolder}>
                  {t('workspace.actions.newFolder')}
                </button>
              </div>
              <UploadZone
                inputRef={fileInputRef}
                onFiles={(files) => {
                  uploads.add(files, uploadTarget);
                }}
              />
            </>
          )}
          <UploadList
            items={uploads.items}
            onClear={() => {
              uploads.clearFinished();
              // The list (and its button) may be gone: go back to where files are added.
              (fileInputRef.current ?? placeFocus.ref.current)?.focus();
            }}
          />

          {actions.actionError !== undefined && <ErrorAlert>{actions.actionError}</ErrorAlert>}

          {state.status === 'loading' && <Loading />}
          {state.status === 'error' && (
            <ErrorAlert onRetry={reload}>{errorText(state.error)}</ErrorAlert>
          )}
          {listing &&
            (listing.folders.length === 0 && listing.documents.length === 0 ? (
              <p className="ws-empty">{emptyText}</p>
            ) : (
              <>
                {listing.folders.length > 0 && (
                  <FolderTable folders={listing.folders} context={rowContext} />
                )}
                {listing.documents.length > 0 && (
                  <DocumentTable documents={listing.documents} context={rowContext} />
                )}
              </>
            ))}
        </div>
      </div>

      {dialog?.kind === 'newFolder' && (
        <NameDialog
          title={t('workspace.dialogs.newFolder.title')}
          label={t('workspace.dialogs.newFolder.label')}
          submitLabel={t('workspace.dialogs.newFolder.submit')}
          onSubmit={actions.createIn}
          onClose={closeDialog}
        />
      )}
      {dialog?.kind === 'rename' && (
        <NameDialog
          title={t('workspace.dialogs.rename.title', { name: dialog.target.item.name })}
          label={t('workspace.dialogs.rename.label')}
          submitLabel={t('workspace.dialogs.rename.submit')}
          initial={dialog.target.item.name}
          selectBaseName={dialog.target.type === 'document'}
          onSubmit={(name) => actions.rename(dialog.target, name)}
          onClose={closeDialog}
        />
      )}
      {dialog?.kind === 'move' && (
        <MoveDialog
          target={dialog.target}
          onSubmit={(folderId, destination) => actions.move(dialog.target, folderId, destination)}
          onClose={closeDialog}
        />
      )}
      {dialog?.kind === 'share' && <ShareDialog target={dialog.target} onClose={closeDialog} />}
      {dialog?.kind === 'purge' && (
        <ConfirmDialog
          title={t('workspace.dialogs.purge.title', { name: dialog.target.item.name })}
          confirmLabel={t('workspace.dialogs.purge.submit')}
          onConfirm={() => actions.purge(dialog.target)}
          onClose={closeDialog}
        >
          <p>
            {dialog.target.type === 'folder'
              ? t('workspace.dialogs.purge.folder')
              : t('workspace.dialogs.purge.document')}
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
