/** Where the user is in the workspace: the sections (with the quota below), the folder trail. */
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { Quota } from '../../api/platform.ts';
import { SECTIONS, type Section, type WsFolder } from '../../api/workspace.ts';
import { QuotaBar } from '../../components/quota-bar.tsx';
import { Link } from '../../router.tsx';
import { viewPath, type View } from './workspace-view.ts';

/** The side column: the sections ("Mes documents", "Partagés avec moi"...) and the quota. */
export function WorkspaceSide({
  view,
  section,
  quota,
}: {
  view: View;
  /** The section shown (a folder's follows its owner). */
  section: Section;
  quota: Quota | undefined;
}) {
  const { t } = useTranslation();
  const quotaId = useId();
  return (
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
      <section className="ws-quota" aria-labelledby={quotaId}>
        <h2 id={quotaId}>{t('portal.quota.title')}</h2>
        {quota ? (
          <QuotaBar quota={quota} labelledBy={quotaId} />
        ) : (
          <p className="muted">{t('portal.quota.unknown')}</p>
        )}
      </section>
    </div>
  );
}

/** The section, then the folders down to the current one (only shown inside a folder). */
export function FolderTrail({
  section,
  sectionLabel,
  trail,
}: {
  section: Section;
  sectionLabel: string;
  trail: readonly WsFolder[];
}) {
  const { t } = useTranslation();
  if (trail.length === 0) return null;
  return (
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
  );
}
