/** The listing of the workspace page: a table of folders, a table of documents, their actions. */
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { contentUrl, type Section, type WsDocument, type WsFolder } from '../../api/workspace.ts';
import { useAppLabel } from '../../apps/known-apps.ts';
import { ActionLabel, type WsItem } from '../../components/workspace-dialogs.tsx';
import { formatBytes, formatShortDateTime } from '../../format.ts';
import { Link } from '../../router.tsx';
import { extensionOf, typeKey } from './document-type.ts';
import { viewPath } from './workspace-view.ts';

/** What a row's button does: the page runs it or opens its dialog. */
export type RowAction = 'restore' | 'purge' | 'rename' | 'move' | 'share' | 'trash' | 'copy';

/** What the rows' actions depend on. */
export interface RowContext {
  section: Section;
  myId: string;
  /** The user may create (and so copy a shared document into their space). */
  canCreate: boolean;
  /** An action is running: the buttons are inert. */
  busy: boolean;
  /** The id of a document's name link, which describes its "Download" button. */
  nameId: (documentId: string) => string;
  onAction: (action: RowAction, target: WsItem) => void;
}

function ActionButton({
  label,
  target,
  action,
  context,
  danger = false,
}: {
  label: string;
  target: WsItem;
  action: RowAction;
  context: RowContext;
  danger?: boolean;
}) {
  const { busy, onAction } = context;
  return (
    <li>
      <button
        type="button"
        className={`button button--small ${danger ? 'button--danger-secondary' : 'button--secondary'}`}
        aria-disabled={busy}
        onClick={() => {
          if (!busy) onAction(action, target);
        }}
      >
        <ActionLabel action={label} name={target.item.name} />
      </button>
    </li>
  );
}

/** Restore and purge in the trash; else download, and what the owner (or a reader) may do. */
function RowActions({ target, context }: { target: WsItem; context: RowContext }) {
  const { t } = useTranslation();
  const button = (action: RowAction, danger = false) => (
    <ActionButton
      label={t(`workspace.actions.${action}`)}
      target={target}
      action={action}
      context={context}
      danger={danger}
    />
  );
  if (context.section === 'trash') {
    return (
      <ul className="row-actions">
        {button('restore')}
        {button('purge', true)}
      </ul>
    );
  }
  const own = target.item.ownerId === context.myId;
  return (
    <ul className="row-actions">
      {target.type === 'document' && (
        <li>
          {/* Named "Download" and described by the file's name: the file's name itself
              stays the one link named after the file (the first cell). */}
          <a
            className="button button--small button--secondary"
            href={contentUrl(target.item.id, { download: true })}
            download={target.item.name}
            aria-describedby={context.nameId(target.item.id)}
          >
            {t('workspace.actions.download')}
          </a>
        </li>
      )}
      {own && (
        <>
          {button('rename')}
          {button('move')}
          {button('share')}
          {button('trash')}
        </>
      )}
      {!own && target.type === 'document' && context.canCreate && button('copy')}
    </ul>
  );
}

/** Names in the order people expect ("2" before "10", case and accents ignored). */
function useByName(): (a: { name: string }, b: { name: string }) => number {
  const { i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const collator = useMemo(
    () => new Intl.Collator(language, { numeric: true, sensitivity: 'base' }),
    [language],
  );
  return (a, b) => collator.compare(a.name, b.name);
}

export function FolderTable({ folders, context }: { folders: WsFolder[]; context: RowContext }) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const byName = useByName();
  return (
    <div className="table-wrap">
      <table className="ws-table ws-table--cards">
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
                {context.section === 'trash' ? (
                  <span className="ws-folder">{folder.name}</span>
                ) : (
                  <Link
                    className="ws-folder"
                    to={viewPath({
                      section: folder.ownerId === context.myId ? 'mine' : 'shared',
                      folderId: folder.id,
                    })}
                  >
                    {folder.name}
                  </Link>
                )}
              </td>
              <td data-label={t('workspace.columns.modified')}>
                <time dateTime={folder.modifiedAt.toISOString()}>
                  {formatShortDateTime(folder.modifiedAt, language)}
                </time>
              </td>
              <td className="ws-table__actions">
                <RowActions target={{ type: 'folder', item: folder }} context={context} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function DocumentTable({
  documents,
  context,
}: {
  documents: WsDocument[];
  context: RowContext;
}) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const byName = useByName();
  const appLabel = useAppLabel();
  const fromApps = context.section === 'apps';
  return (
    <div className="table-wrap">
      <table className="ws-table ws-table--cards">
        <caption>{t('workspace.documents.caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('workspace.columns.name')}</th>
            <th scope="col">{t('workspace.columns.type')}</th>
            <th scope="col">{t('workspace.columns.size')}</th>
            <th scope="col">{t('workspace.columns.modified')}</th>
            {fromApps && <th scope="col">{t('workspace.columns.app')}</th>}
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
                  <a id={context.nameId(document.id)} href={contentUrl(document.id)}>
                    {document.name}
                  </a>
                </td>
                <td data-label={t('workspace.columns.type')}>
                  {key === 'other' && ext !== undefined
                    ? t('workspace.types.otherWithExtension', { ext })
                    : t(`workspace.types.${key}`)}
                </td>
                <td className="ws-table__number" data-label={t('workspace.columns.size')}>
                  {formatBytes(document.size, language)}
                </td>
                <td data-label={t('workspace.columns.modified')}>
                  <time dateTime={document.modifiedAt.toISOString()}>
                    {formatShortDateTime(document.modifiedAt, language)}
                  </time>
                </td>
                {fromApps && (
                  <td data-label={t('workspace.columns.app')}>
                    {document.appSource === null ? '' : appLabel(document.appSource)}
                  </td>
                )}
                <td className="ws-table__actions">
                  <RowActions target={{ type: 'document', item: document }} context={context} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
