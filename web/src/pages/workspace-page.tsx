import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, toApiError } from '../api/client.ts';
import { fetchMe, type Quota } from '../api/platform.ts';
import {
  SECTIONS,
  contentUrl,
  copyDocument,
  createFolder,
  deleteDocument,
  deleteFolder,
  fetchDocuments,
  fetchFolderTrail,
  fetchFolders,
  isSection,
  restoreDocument,
  restoreFolder,
  updateDocument,
  updateFolder,
  type Section,
  type UploadedDocument,
  type WsDocument,
  type WsFolder,
} from '../api/workspace.ts';
import { ErrorAlert, Loading } from '../components/feedback.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { QuotaBar } from '../components/quota-bar.tsx';
import { UploadList, UploadZone } from '../components/upload-zone.tsx';
import {
  ActionLabel,
  ConfirmDialog,
  MoveDialog,
  NameDialog,
  ShareDialog,
  useWorkspaceErrorText,
  type WsItem,
} from '../components/workspace-dialogs.tsx';
import { formatBytes, formatShortDateTime } from '../format.ts';
import { useDocumentTitle } from '../hooks/use-document-title.ts';
import { useResource } from '../hooks/use-resource.ts';
import { useUploads, type UploadTarget } from '../hooks/use-uploads.ts';
import { Link, useLocation } from '../router.tsx';
import { useSession } from '../session.tsx';

const PATH = '/workspace';
const MAX_ID = 64;

/** What the URL shows: a section (`?filter=`), or a folder in it (`?folderId=`). */
interface View {
  section: Section;
  folderId: string | undefined;
}

function parseView(search: string): View {
  const params = new URLSearchParams(search);
  const filter = params.get('filter');
  const section = isSection(filter) ? filter : 'mine';
  const folderId = params.get('folderId');
  // Trashed folders and app documents are not browsed folder by folder.
  const browsable = section === 'mine' || section === 'shared';
  return {
    section,
    folderId:
      browsable && folderId !== null && folderId !== '' && folderId.length <= MAX_ID
        ? folderId
        : undefined,
  };
}

function viewPath(view: { section: Section; folderId?: string | undefined }): string {
  const params = new URLSearchParams();
  if (view.section !== 'mine') params.set('filter', view.section);
  if (view.folderId !== undefined) params.set('folderId', view.folderId);
  const query = params.toString();
  return query === '' ? PATH : `${PATH}?${query}`;
}

interface Listing {
  /** The current folder and the folders above it (root first); empty for a section. */
  trail: WsFolder[];
  folders: WsFolder[];
  documents: WsDocument[];
}

async function loadListing(view: View, signal?: AbortSignal): Promise<Listing> {
  if (view.folderId !== undefined) {
    const [trail, folders, documents] = await Promise.all([
      fetchFolderTrail(view.folderId, signal),
      fetchFolders({ parentId: view.folderId }, signal),
      fetchDocuments({ folderId: view.folderId }, signal),
    ]);
    return { trail, folders, documents };
  }
  const [folders, documents] = await Promise.all([
    // Nothing but documents comes from the apps.
    view.section === 'apps' ? [] : fetchFolders({ filter: view.section }, signal),
    fetchDocuments({ filter: view.section }, signal),
  ]);
  return { trail: [], folders, documents };
}

type TypeKey =
  | 'pdf'
  | 'image'
  | 'audio'
  | 'video'
  | 'text'
  | 'wordProcessing'
  | 'spreadsheet'
  | 'presentation'
  | 'archive'
  | 'other';

function typeKey(contentType: string): TypeKey {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/pdf') return 'pdf';
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('audio/')) return 'audio';
  if (type.startsWith('video/')) return 'video';
  if (type === 'text/csv' || /spreadsheet|ms-excel/.test(type)) return 'spreadsheet';
  if (/presentation|ms-powerpoint/.test(type)) return 'presentation';
  if (/wordprocessing|msword|opendocument\.text|rtf/.test(type)) return 'wordProcessing';
  if (type.startsWith('text/')) return 'text';
  if (/zip|x-7z|x-tar|gzip|x-rar|x-bzip/.test(type)) return 'archive';
  return 'other';
}

/** The file's extension in capitals ("SB3"), if it has a short one. */
function extensionOf(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const ext = name.slice(dot + 1);
  return /^[\p{L}\p{N}]{1,8}$/u.test(ext) ? ext.toLocaleUpperCase() : undefined;
}

const KNOWN_APPS = ['blog', 'news', 'calendar', 'wiki', 'archive'] as const;

function isKnownApp(id: string): id is (typeof KNOWN_APPS)[number] {
  return (KNOWN_APPS as readonly string[]).includes(id);
}

type DialogState =
  { kind: 'newFolder' } | { kind: 'rename' | 'move' | 'share' | 'purge'; target: WsItem };

export function WorkspacePage() {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const { me, handleUnauthenticated } = useSession();
  const { search } = useLocation();
  const view = useMemo(() => parseView(search), [search]);
  const viewKey = viewPath(view);
  const errorText = useWorkspaceErrorText();
  const ids = { quota: useId(), names: useId() };
  const nameId = (documentId: string) => `${ids.names}-${documentId}`;

  const { state, reload, setData } = useResource(
    (signal) => loadListing(view, signal),
    viewKey,
    handleUnauthenticated,
  );
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

  const [quota, setQuota] = useState<Quota | undefined>(me.quota);
  const quotaRef = useRef(quota);
  useEffect(() => {
    quotaRef.current = quota;
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

  const [dialog, setDialog] = useState<DialogState>();
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string>();
  const [announcement, setAnnouncement] = useState('');
  const placeRef = useRef<HTMLHeadingElement>(null);
  const fileInputRef = useRef<HTMLInputElement>(null);
  // Bumped to move the focus to the listing's heading once a removed row is gone (and after
  // a dialog has put the focus back where it was).
  const [focusPlace, setFocusPlace] = useState(0);
  useEffect(() => {
    if (focusPlace > 0) placeRef.current?.focus();
  }, [focusPlace]);

  const viewKeyRef = useRef(viewKey);
  useEffect(() => {
    viewKeyRef.current = viewKey;
    setDialog(undefined);
    setActionError(undefined);
  }, [viewKey]);

  const announce = (text: string) => {
    setAnnouncement(text);
  };

  // --- listing updates after a change --------------------------------------------------

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

  // --- uploads ---------------------------------------------------------------------------

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

  // --- actions -----------------------------------------------------------------------------

  /** A row action without a dialog; its error is shown above the listing. */
  const act = (action: () => Promise<void>) => {
    if (busy) return;
    setBusy(true);
    setActionError(undefined);
    setAnnouncement('');
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
      setFocusPlace((n) => n + 1);
    });
  };

  const restore = (target: WsItem) => {
    act(async () => {
      if (target.type === 'folder') await restoreFolder(target.item.id);
      else await restoreDocument(target.item.id);
      removeItem(target.type, target.item.id);
      announce(t('workspace.announce.restored', { name: target.item.name }));
      setFocusPlace((n) => n + 1);
    });
  };

  const copy = (document: WsDocument) => {
    act(async () => {
      await copyDocument(document.id, null);
      refreshQuota();
      announce(t('workspace.announce.copied', { name: document.name }));
    });
  };

  const closeDialog = () => {
    setDialog(undefined);
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
      setFocusPlace((n) => n + 1);
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
    setFocusPlace((n) => n + 1);
  };

  // --- rendering ---------------------------------------------------------------------------

  const collator = useMemo(
    () => new Intl.Collator(language, { numeric: true, sensitivity: 'base' }),
    [language],
  );
  const byName = (a: { name: string }, b: { name: string }) => collator.compare(a.name, b.name);
  const inTrash = view.section === 'trash';

  const actionButton = (label: string, name: string, onClick: () => void, danger = false) => (
    <li>
      <button
        type="button"
        className={`button button--small ${danger ? 'button--danger-secondary' : 'button--secondary'}`}
        aria-disabled={busy}
        onClick={() => {
          if (!busy) onClick();
        }}
      >
        <ActionLabel action={label} name={name} />
      </button>
    </li>
  );

  const itemActions = (target: WsItem) => {
    const { name } = target.item;
    const own = target.item.ownerId === myId;
    if (inTrash) {
      return (
        <>
          {actionButton(t('workspace.actions.restore'), name, () => {
            restore(target);
          })}
          {actionButton(
            t('workspace.actions.purge'),
            name,
            () => {
              setDialog({ kind: 'purge', target });
            },
            true,
          )}
        </>
      );
    }
    return (
      <>
        {target.type === 'document' && (
          <li>
            {/* Named "Download" and described by the file's name: the file's name itself
                stays the one link named after the file (the first cell). */}
            <a
              className="button button--small button--secondary"
              href={contentUrl(target.item.id, { download: true })}
              download={target.item.name}
              aria-describedby={nameId(target.item.id)}
            >
              {t('workspace.actions.download')}
            </a>
          </li>
        )}
        {own && (
          <>
            {actionButton(t('workspace.actions.rename'), name, () => {
              setDialog({ kind: 'rename', target });
            })}
            {actionButton(t('workspace.actions.move'), name, () => {
              setDialog({ kind: 'move', target });
            })}
            {actionButton(t('workspace.actions.share'), name, () => {
              setDialog({ kind: 'share', target });
            })}
            {actionButton(t('workspace.actions.trash'), name, () => {
              trash(target);
            })}
          </>
        )}
        {!own &&
          target.type === 'document' &&
          canCreate &&
          actionButton(t('workspace.actions.copy'), name, () => {
            copy(target.item);
          })}
      </>
    );
  };

  const folderTable = (folders: WsFolder[]) => (
    <div className="table-wrap">
      <table className="ws-table">
        <caption>{t('workspace.folders.caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('workspace.columns.name')}</th>
            <th scope="col">{t('workspace.columns.modified')}</th>
            <th scope="col">{t('workspace.columns.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {[...folders].sort(byName).map((folder) => (
            <tr key={folder.id}>
              <td className="ws-table__name">
                {inTrash ? (
                  <span className="ws-folder">{folder.name}</span>
                ) : (
                  <Link
                    className="ws-folder"
                    to={viewPath({
                      section: folder.ownerId === myId ? 'mine' : 'shared',
                      folderId: folder.id,
                    })}
                  >
                    {folder.name}
                  </Link>
                )}
              </td>
              <td>
                <time dateTime={folder.modifiedAt.toISOString()}>
                  {formatShortDateTime(folder.modifiedAt, language)}
                </time>
              </td>
              <td>
                <ul className="row-actions">{itemActions({ type: 'folder', item: folder })}</ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );

  const documentTable = (documents: WsDocument[]) => (
    <div className="table-wrap">
      <table className="ws-table">
        <caption>{t('workspace.documents.caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('workspace.columns.name')}</th>
            <th scope="col">{t('workspace.columns.type')}</th>
            <th scope="col">{t('workspace.columns.size')}</th>
            <th scope="col">{t('workspace.columns.modified')}</th>
            {view.section === 'apps' && <th scope="col">{t('workspace.columns.app')}</th>}
            <th scope="col">{t('workspace.columns.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {[...documents].sort(byName).map((document) => {
            const key = typeKey(document.contentType);
            const ext = extensionOf(document.name);
            return (
              <tr key={document.id}>
                <td className="ws-table__name">
                  <a id={nameId(document.id)} href={contentUrl(document.id)}>
                    {document.name}
                  </a>
                </td>
                <td>
                  {key === 'other' && ext !== undefined
                    ? t('workspace.types.otherWithExtension', { ext })
                    : t(`workspace.types.${key}`)}
                </td>
                <td className="ws-table__number">{formatBytes(document.size, language)}</td>
                <td>
                  <time dateTime={document.modifiedAt.toISOString()}>
                    {formatShortDateTime(document.modifiedAt, language)}
                  </time>
                </td>
                {view.section === 'apps' && (
                  <td>
                    {document.appSource !== null && isKnownApp(document.appSource)
                      ? t(`apps.${document.appSource}`)
                      : (document.appSource ?? '')}
                  </td>
                )}
                <td>
                  <ul className="row-actions">
                    {itemActions({ type: 'document', item: document })}
                  </ul>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );

  const emptyText = currentFolder
    ? t('workspace.empty.folder')
    : t(`workspace.empty.${view.section}`);

  const trail = listing?.trail ?? [];

  return (
    <div className="workspace">
      {/* Keyed by the URL: moving to another folder or section is a navigation too. */}
      <PageHeading key={search}>{t('workspace.title')}</PageHeading>
      <div className="workspace__layout">
        <div className="workspace__side">
          <nav className="ws-sections" aria-label={t('workspace.sections.label')}>
            <ul>
              {SECTIONS.map((s) => (
                <li key={s}>
                  <Link
                    to={viewPath({ section: s })}
                    aria-current={
                      s === section ? (view.folderId === undefined ? 'page' : 'true') : undefined
                    }
                  >
                    {t(`workspace.sections.${s}`)}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          <section className="ws-quota" aria-labelledby={ids.quota}>
            <h2 id={ids.quota}>{t('portal.quota.title')}</h2>
            {quota ? (
              <QuotaBar quota={quota} labelledBy={ids.quota} />
            ) : (
              <p className="muted">{t('portal.quota.unknown')}</p>
            )}
          </section>
        </div>

        <div className="workspace__main">
          {/* In a folder only: at the top of a section, it would just repeat the heading. */}
          {trail.length > 0 && (
            <nav className="breadcrumb" aria-label={t('workspace.breadcrumb')}>
              <ol>
                <li>
                  <Link to={viewPath({ section })}>{sectionLabel}</Link>
                </li>
                {trail.map((folder, index) => (
                  <li key={folder.id}>
                    {index === trail.length - 1 ? (
                      <span aria-current="page">{folder.name}</span>
                    ) : (
                      <Link to={viewPath({ section, folderId: folder.id })}>{folder.name}</Link>
                    )}
                  </li>
                ))}
              </ol>
            </nav>
          )}
          <h2 ref={placeRef} tabIndex={-1} className="ws-place">
            {place}
          </h2>
          {/* Results of the actions, announced without moving the focus. */}
          <p role="status" className="visually-hidden">
            {announcement}
          </p>

          {inTrash && <p className="notice">{t('workspace.trashNote')}</p>}
          {!canCreate && view.section === 'mine' && (
            <p className="notice">{t('workspace.readOnly')}</p>
          )}

          {canAdd && (
            <>
              <div className="toolbar">
                <button
                  type="button"
                  className="button"
                  onClick={() => {
                    setDialog({ kind: 'newFolder' });
                  }}
                >
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
              (fileInputRef.current ?? placeRef.current)?.focus();
            }}
          />

          {actionError !== undefined && <ErrorAlert>{actionError}</ErrorAlert>}

          {state.status === 'loading' && <Loading />}
          {state.status === 'error' && (
            <ErrorAlert onRetry={reload}>{errorText(state.error)}</ErrorAlert>
          )}
          {listing &&
            (listing.folders.length === 0 && listing.documents.length === 0 ? (
              <p className="ws-empty">{emptyText}</p>
            ) : (
              <>
                {listing.folders.length > 0 && folderTable(listing.folders)}
                {listing.documents.length > 0 && documentTable(listing.documents)}
              </>
            ))}
        </div>
      </div>

      {dialog?.kind === 'newFolder' && (
        <NameDialog
          title={t('workspace.dialogs.newFolder.title')}
          label={t('workspace.dialogs.newFolder.label')}
          submitLabel={t('workspace.dialogs.newFolder.submit')}
          onSubmit={createIn}
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
          onSubmit={(name) => rename(dialog.target, name)}
          onClose={closeDialog}
        />
      )}
      {dialog?.kind === 'move' && (
        <MoveDialog
          target={dialog.target}
          onSubmit={(folderId, destination) => move(dialog.target, folderId, destination)}
          onClose={closeDialog}
        />
      )}
      {dialog?.kind === 'share' && <ShareDialog target={dialog.target} onClose={closeDialog} />}
      {dialog?.kind === 'purge' && (
        <ConfirmDialog
          title={t('workspace.dialogs.purge.title', { name: dialog.target.item.name })}
          confirmLabel={t('workspace.dialogs.purge.submit')}
          onConfirm={() => purge(dialog.target)}
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
