/**
 * Agenda: the calendars (`/calendar`), a calendar's upcoming events by day with its .ics export
 * and import (`/calendar/:id`). Times are shown in the browser's time zone, which is named.
 */
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Loading } from '../../components/feedback.tsx';
import { PageHeading } from '../../components/page-heading.tsx';
import { useDocumentTitle } from '../../hooks/use-document-title.ts';
import { useResource } from '../../hooks/use-resource.ts';
import { Link } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { canContribute, seg } from '../api-common.ts';
import { AccessTag, Breadcrumb, LoadError } from '../ui/content.tsx';
import { NewResourceForm } from '../ui/forms.tsx';
import { useDisclosure } from '../ui/hooks.ts';
import { ResourcesHome } from '../ui/home.tsx';
import {
  createCalendar,
  fetchCalendar,
  fetchCalendars,
  fetchEvents,
  icsUrl,
  type Calendar,
} from './calendar-api.ts';
import { startOfToday, viewerTimeZone } from './dates.ts';
import { NewEventForm } from './event-form.tsx';
import { RecurringEvents, UpcomingEvents } from './event-list.tsx';
import { IcsImportForm } from './ics-import-form.tsx';

const calendarLink = (calendarId: string) => `/calendar/${seg(calendarId)}`;

// --- /calendar --------------------------------------------------------------------------------

/** The calendar's colour, as a dot (an SVG fill: no inline style under the CSP). */
function ColorDot({ color }: { color: string }) {
  return (
    <svg
      className="cal-dot"
      width="14"
      height="14"
      viewBox="0 0 14 14"
      aria-hidden="true"
      focusable="false"
    >
      <circle cx="7" cy="7" r="6" fill={color} />
    </svg>
  );
}

function CalendarList({ calendars, labelledBy }: { calendars: Calendar[]; labelledBy: string }) {
  const { t } = useTranslation();
  return (
    <ul className="apps-list" aria-labelledby={labelledBy}>
      {calendars.map((calendar) => (
        <li key={calendar.id} className="apps-card">
          <h3 className="apps-card__title">
            <ColorDot color={calendar.color} />{' '}
            <Link to={calendarLink(calendar.id)}>{calendar.title}</Link>
          </h3>
          {calendar.access !== 'owner' && (
            <p className="apps-meta muted">
              {t('apps_ui.by', { name: calendar.ownerName })} <AccessTag access={calendar.access} />
            </p>
          )}
        </li>
      ))}
    </ul>
  );
}

export function CalendarsPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  return (
    <ResourcesHome
      app="calendar"
      load={fetchCalendars}
      createLabel={t('apps_ui.calendar.newCalendar')}
      createForm={
        me.rights.includes('calendar.create')
          ? (close) => (
              <NewResourceForm
                titleLabel={t('apps_ui.calendar.fields.calendarTitle')}
                maxLength={500}
                submitLabel={t('apps_ui.calendar.createCalendar')}
                create={async ({ title }) => calendarLink((await createCalendar(title)).id)}
                onCancel={close}
              />
            )
          : undefined
      }
      render={(list, labelledBy) => <CalendarList calendars={list} labelledBy={labelledBy} />}
    />
  );
}

// --- /calendar/:calendarId ----------------------------------------------------------------------

async function loadCalendar(calendarId: string, signal: AbortSignal) {
  const [calendar, events] = await Promise.all([
    fetchCalendar(calendarId, signal),
    fetchEvents(calendarId, startOfToday(), signal),
  ]);
  return { calendar, events };
}

export function CalendarPage({ calendarId }: { calendarId: string }) {
  const { t } = useTranslation();
  const { handleUnauthenticated } = useSession();
  const zone = useMemo(viewerTimeZone, []);
  const { state, reload, setData } = useResource(
    (signal) => loadCalendar(calendarId, signal),
    calendarId,
    handleUnauthenticated,
  );
  const add = useDisclosure();
  const [announcement, setAnnouncement] = useState('');
  const loaded = state.status === 'success' ? state.data : undefined;
  useDocumentTitle(
    loaded
      ? t('apps_ui.pageTitle', { page: loaded.calendar.title, app: t('apps_ui.calendar.title') })
      : t('apps_ui.calendar.title'),
  );

  /** Lists the events again without the loading state (after an import). */
  const refreshEvents = () => {
    fetchEvents(calendarId, startOfToday()).then(
      (events) => {
        setData((data) => ({ ...data, events }));
      },
      (error: unknown) => {
        handleUnauthenticated(error);
      },
    );
  };

  if (state.status === 'loading') return <Loading />;
  if (state.status === 'error') return <LoadError error={state.error} onRetry={reload} />;
  const { calendar, events } = state.data;
  const writable = canContribute(calendar.access);

  return (
    <div className="apps-page">
      <Breadcrumb
        items={[{ label: t('apps_ui.calendar.title'), to: '/calendar' }, { label: calendar.title }]}
      />
      <PageHeading>
        <ColorDot color={calendar.color} /> {calendar.title}
      </PageHeading>
      <p className="apps-meta muted">
        {t('apps_ui.by', { name: calendar.ownerName })} <AccessTag access={calendar.access} />
      </p>
      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      <div className="apps-actions">
        {writable && (
          <button type="button" className="button" {...add.toggleProps}>
            {t('apps_ui.calendar.newEvent')}
          </button>
        )}
        <a className="button button--secondary" href={icsUrl(calendar.id)} download>
          {t('apps_ui.calendar.downloadIcs')}
        </a>
      </div>
      {writable && (
        <div id={add.panelId} hidden={!add.open}>
          {add.open && (
            <NewEventForm
              calendarId={calendar.id}
              zone={zone}
              onCreated={(event) => {
                setData((data) => ({ ...data, events: [...data.events, event] }));
                add.close();
                setAnnouncement(t('apps_ui.calendar.eventAdded', { title: event.title }));
              }}
              onCancel={add.close}
            />
          )}
        </div>
      )}
      <UpcomingEvents events={events} zone={zone} />
      <RecurringEvents events={events} zone={zone} />
      {writable && <IcsImportForm calendarId={calendar.id} onImported={refreshEvents} />}
    </div>
  );
}
