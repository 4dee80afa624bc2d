/** The home page of an app's resources (blogs, wikis, calendars): mine, then shared with me. */
import { useId, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert, Loading } from '../../components/feedback.tsx';
import { PageHeading } from '../../components/page-heading.tsx';
import { useDocumentTitle } from '../../hooks/use-document-title.ts';
import { useResource } from '../../hooks/use-resource.ts';
import { Link } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import type { Access } from '../api-common.ts';
import { AccessTag, When } from './content.tsx';
import { useDisclosure } from './hooks.ts';

/**
 * "New blog", "Write a post"...: a button that shows the creation form below it. `form` draws
 * the form, given what closes it (Cancel).
 */
export function CreatePanel({
  label,
  form,
}: {
  label: string;
  form: (close: () => void) => ReactNode;
}) {
  const create = useDisclosure();
  return (
    <div className="apps-create">
      <button type="button" className="button" {...create.toggleProps}>
        {label}
      </button>
      <div id={create.panelId} hidden={!create.open}>
        {create.open && form(create.close)}
      </div>
    </div>
  );
}

/**
 * The two sections of an app's home page: what the user owns, then what is shared with them,
 * each with its heading, an empty-state sentence, or the list `render` draws.
 */
export function MineAndShared<T extends { access: Access }>({
  items,
  labels,
  render,
}: {
  items: readonly T[];
  labels: { mine: string; shared: string; emptyMine: string; emptyShared: string };
  render: (items: T[], labelledBy: string) => ReactNode;
}) {
  const ids = { mine: useId(), shared: useId() };
  const groups = [
    {
      id: ids.mine,
      title: labels.mine,
      empty: labels.emptyMine,
      list: items.filter((i) => i.access === 'owner'),
    },
    {
      id: ids.shared,
      title: labels.shared,
      empty: labels.emptyShared,
      list: items.filter((i) => i.access !== 'owner'),
    },
  ];
  return (
    <>
      {groups.map((g) => (
        <section key={g.id} aria-labelledby={g.id}>
          <h2 id={g.id}>{g.title}</h2>
          {g.list.length === 0 ? <p className="apps-empty">{g.empty}</p> : render(g.list, g.id)}
        </section>
      ))}
    </>
  );
}

/** Cards of resources (blogs, wikis): title linking to it, description, owner, last change. */
export function ResourceCards({
  items,
  labelledBy,
  linkOf,
}: {
  items: readonly {
    id: string;
    title: string;
    description: string;
    access: Access;
    ownerName: string;
    modifiedAt: Date;
  }[];
  labelledBy: string;
  linkOf: (id: string) => string;
}) {
  const { t } = useTranslation();
  return (
    <ul className="apps-list" aria-labelledby={labelledBy}>
      {items.map((item) => (
        <li key={item.id} className="apps-card">
          <h3 className="apps-card__title">
            <Link to={linkOf(item.id)}>{item.title}</Link>
          </h3>
          {item.description !== '' && <p className="apps-card__text">{item.description}</p>}
          <p className="apps-meta muted">
            {item.access !== 'owner' && (
              <>
                {t('apps_ui.by', { name: item.ownerName })} <AccessTag access={item.access} />{' '}
              </>
            )}
            {t('apps_ui.updated')} <When date={item.modifiedAt} />
          </p>
        </li>
      ))}
    </ul>
  );
}

/** The apps whose home page lists resources, mine and shared (their `apps_ui.<app>` texts). */
type ResourcesApp = 'blog' | 'wiki' | 'calendar';

/**
 * An app's home page (`/blog`, `/wiki`, `/calendar`): its title, the creation form for those
 * allowed to create (`createForm`), then the user's resources and those shared with them.
 */
export function ResourcesHome<T extends { access: Access }>({
  app,
  intro,
  load,
  createLabel,
  createForm,
  render,
}: {
  app: ResourcesApp;
  intro?: string;
  load: (signal: AbortSignal) => Promise<T[]>;
  createLabel: string;
  /** Absent: the user may not create one. */
  createForm: ((close: () => void) => ReactNode) | undefined;
  render: (items: T[], labelledBy: string) => ReactNode;
}) {
  const { t } = useTranslation();
  const { handleUnauthenticated } = useSession();
  const title = t(`apps_ui.${app}.title`);
  useDocumentTitle(title);
  const { state, reload } = useResource(load, app, handleUnauthenticated);

  return (
    <div className="apps-page">
      <PageHeading>{title}</PageHeading>
      {intro !== undefined && <p className="lead">{intro}</p>}
      {createForm && <CreatePanel label={createLabel} form={createForm} />}
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ErrorAlert error={state.error} onRetry={reload} />}
      {state.status === 'success' && (
        <MineAndShared
          items={state.data}
          labels={{
            mine: t(`apps_ui.${app}.mine`),
            shared: t(`apps_ui.${app}.shared`),
            emptyMine: t(`apps_ui.${app}.emptyMine`),
            emptyShared: t(`apps_ui.${app}.emptyShared`),
          }}
          render={render}
        />
      )}
    </div>
  );
}
