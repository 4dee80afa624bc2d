/**
 * Agenda: the calendars (`/calendar`), a calendar's upcoming events by day with its .ics export
 * and import (`/calendar/:id`). Times are shown in the browser's time zone, which is named.
 */
import { useId, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { toApiError } from '../api/client.ts';
import { ErrorAlert, Loading } from '../components/feedback.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { useDocumentTitle } from '../hooks/use-document-title.ts';
import { useResource } from '../hooks/use-resource.ts';
import { Link, navigate } from '../router.tsx';
import { useSession } from '../session.tsx';
import { canContribute, seg } from './api-common.ts';
import {
  attachmentUrl,
  createCalendar,
  createEvent,
  fetchCalendar,
  fetchCalendars,
  fetchEvents,
  icsUrl,
  importIcs,
  type CalEvent,
  type Calendar,
  type ImportReport,
} from './calendar-api.ts';
import {
  AccessTag,
  Breadcrumb,
  CheckboxField,
  FormAlert,
  FormButtons,
  FormStatus,
  HtmlArticle,
  LoadError,
  TextAreaField,
  TextField,
  focusFirstInvalid,
  useAction,
  useAppsErrorText,
  useDisclosure,
  useLanguage,
  MineAndShared,
} from './ui.tsx';

const calendarLink = (calendarId: string) => `/calendar/${seg(calendarId)}`;

// --- Dates ------------------------------------------------------------------------------------

/** The browser's IANA time zone (what times are shown in, and new events are written in). */
function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `YYYY-MM-DD` of an instant in a time zone. */
function dayKey(date: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(date);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** A calendar day (`YYYY-MM-DD`) as a UTC date, to format without any zone shift. */
function dayAsUtc(day: string): Date {
  const [y = 1970, m = 1, d = 1] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

/** "jeudi 12 mars 2026". */
function formatDay(day: string, language: string): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'full', timeZone: 'UTC' }).format(
    dayAsUtc(day),
  );
}

function formatTime(date: Date, language: string, timeZone: string): string {
  return new Intl.DateTimeFormat(language, { timeStyle: 'short', timeZone }).format(date);
}

function formatDateTimeIn(date: Date, language: string, timeZone: string): string {
  return new Intl.DateTimeFormat(language, {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone,
  }).format(date);
}

/** "heure normale d'Europe centrale" / "Central European Standard Time". */
function zoneName(language: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat(language, { timeZone, timeZoneName: 'long' }).formatToParts(
    new Date(),
  );
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
}

/** Midnight today, in the browser's time zone. */
function startOfToday(): Date {
  const now = new Date();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate());
}

/** An `<input type="datetime-local">` value, read as local time, with its UTC offset. */
function localToIso(value: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (!m) return undefined;
  const date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  if (Number.isNaN(date.getTime())) return undefined;
  // From the date's own fields: a time that does not exist (a DST gap) is moved like Date does.
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:00` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** `YYYY-MM-DDTHH:mm` in local time (a datetime-local value). */
function toLocalInput(date: Date): string {
  return (
    `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

const DAY_VALUE = /^\d{4}-\d{2}-\d{2}$/;

/** Plain text as HTML paragraphs (the API takes HTML descriptions). */
function textToHtml(value: string): string {
  const escape = (s: string) =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return value
    .trim()
    .split(/\n\s*\n/)
    .filter((p) => p.trim() !== '')
    .map((p) => `<p>${escape(p.trim()).replace(/\n/g, '<br />')}</p>`)
    .join('');
}

// --- Recurrence, in words -----------------------------------------------------------------------

const FREQS = ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'] as const;
type Freq = (typeof FREQS)[number];
const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;

/** "Chaque semaine, le lundi, jusqu'au 3 juillet 2026"; undefined for rules we do not word. */
function useRuleText(): (rrule: string) => string | undefined {
  const { t } = useTranslation();
  const language = useLanguage();
  return (rrule) => {
    const parts = new Map<string, string>();
    for (const part of rrule.replace(/^RRULE:/i, '').split(';')) {
      const [key, value] = part.split('=');
      if (key !== undefined && value !== undefined) parts.set(key.toUpperCase(), value);
    }
    const freq = FREQS.find((f) => f === parts.get('FREQ'));
    if (freq === undefined) return undefined;
    const known = new Set(['FREQ', 'INTERVAL', 'BYDAY', 'UNTIL', 'COUNT', 'WKST']);
    if ([...parts.keys()].some((key) => !known.has(key))) return undefined;
    const interval = Number(parts.get('INTERVAL') ?? '1');
    if (!Number.isInteger(interval) || interval < 1) return undefined;
    const pieces = [t(`apps_ui.calendar.every.${freq satisfies Freq}`, { count: interval })];

    const byDay = parts.get('BYDAY');
    if (byDay !== undefined) {
      const days = byDay.split(',');
      if (!days.every((d) => (WEEKDAYS as readonly string[]).includes(d))) return undefined;
      const names = days.map((d) =>
        new Intl.DateTimeFormat(language, { weekday: 'long', timeZone: 'UTC' }).format(
          // 1 January 2024 was a Monday.
          new Date(Date.UTC(2024, 0, 1 + WEEKDAYS.indexOf(d as (typeof WEEKDAYS)[number]))),
        ),
      );
      const list = new Intl.ListFormat(language, { type: 'conjunction' }).format(names);
      pieces.push(t('apps_ui.calendar.onDays', { days: list }));
    }
    const until = parts.get('UNTIL');
    if (until !== undefined) {
      const m = /^(\d{4})(\d{2})(\d{2})/.exec(until);
      if (!m) return undefined;
      pieces.push(
        t('apps_ui.calendar.until', { date: formatDay(`${m[1]}-${m[2]}-${m[3]}`, language) }),
      );
    }
    const count = parts.get('COUNT');
    if (count !== undefined) {
      const n = Number(count);
      if (!Number.isInteger(n) || n < 1) return undefined;
      pieces.push(t('apps_ui.calendar.times', { count: n }));
    }
    return pieces.join(', ');
  };
}

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

function NewCalendarForm({ onCancel }: { onCancel: () => void }) {
  const { t } = useTranslation();
  const formRef = useRef<HTMLFormElement>(null);
  const [title, setTitle] = useState('');
  const [titleError, setTitleError] = useState<string>();
  const { busy, error, run } = useAction();
  return (
    <form
      ref={formRef}
      className="form panel apps-form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (title.trim() === '') {
          setTitleError(t('apps_ui.form.titleMissing'));
          focusFirstInvalid(formRef.current);
          return;
        }
        setTitleError(undefined);
        run(async () => {
          const calendar = await createCalendar(title.trim());
          navigate(calendarLink(calendar.id));
        });
      }}
    >
      <FormAlert message={error} />
      <TextField
        label={t('apps_ui.calendar.fields.calendarTitle')}
        value={title}
        onChange={setTitle}
        error={titleError}
        required
        maxLength={500}
      />
      <FormButtons
        submitLabel={t('apps_ui.calendar.createCalendar')}
        busy={busy}
        onCancel={onCancel}
      />
      <FormStatus message={busy ? t('apps_ui.form.saving') : ''} />
    </form>
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
  const { me, handleUnauthenticated } = useSession();
  useDocumentTitle(t('apps_ui.calendar.title'));
  const { state, reload } = useResource(fetchCalendars, 'calendars', handleUnauthenticated);
  const create = useDisclosure();
  const calendars = state.status === 'success' ? state.data : [];

  return (
    <div className="apps-page">
      <PageHeading>{t('apps_ui.calendar.title')}</PageHeading>
      {me.rights.includes('calendar.create') && (
        <div className="apps-create">
          <button type="button" className="button" {...create.toggleProps}>
            {t('apps_ui.calendar.newCalendar')}
          </button>
          <div id={create.panelId} hidden={!create.open}>
            {create.open && <NewCalendarForm onCancel={create.close} />}
          </div>
        </div>
      )}
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ErrorAlert error={state.error} onRetry={reload} />}
      {state.status === 'success' && (
        <>
          <MineAndShared
            items={calendars}
            labels={{
              mine: t('apps_ui.calendar.mine'),
              shared: t('apps_ui.calendar.shared'),
              emptyMine: t('apps_ui.calendar.emptyMine'),
              emptyShared: t('apps_ui.calendar.emptyShared'),
            }}
            render={(list, labelledBy) => <CalendarList calendars={list} labelledBy={labelledBy} />}
          />
        </>
      )}
    </div>
  );
}

// --- /calendar/:calendarId: events --------------------------------------------------------------

/** Where an event goes in the list by day: its first day in the viewer's zone. */
function eventDay(event: CalEvent, zone: string): string {
  return event.allDay ? event.startDay : dayKey(event.start, zone);
}

function eventOrder(zone: string) {
  return (a: CalEvent, b: CalEvent): number => {
    const day = eventDay(a, zone).localeCompare(eventDay(b, zone));
    if (day !== 0) return day;
    if (a.allDay !== b.allDay) return a.allDay ? -1 : 1;
    if (!a.allDay && !b.allDay) return a.start.getTime() - b.start.getTime();
    return a.title.localeCompare(b.title);
  };
}

/** "08:30 – 09:30", "Toute la journée"...: when the event happens, in the viewer's zone. */
function EventWhen({ event, zone }: { event: CalEvent; zone: string }) {
  const { t } = useTranslation();
  const language = useLanguage();
  if (event.allDay) {
    return (
      <>
        {event.endDay === event.startDay
          ? t('apps_ui.calendar.allDay')
          : t('apps_ui.calendar.allDayUntil', { date: formatDay(event.endDay, language) })}
      </>
    );
  }
  const sameDay = dayKey(event.start, zone) === dayKey(event.end, zone);
  const start = formatTime(event.start, language, zone);
  const end = sameDay
    ? formatTime(event.end, language, zone)
    : formatDateTimeIn(event.end, language, zone);
  const own = event.timeZone !== null && event.timeZone !== zone ? event.timeZone : undefined;
  return (
    <>
      <time dateTime={event.start.toISOString()}>{start}</time>
      {event.end.getTime() !== event.start.getTime() && (
        <>
          {' – '}
          <time dateTime={event.end.toISOString()}>{end}</time>
        </>
      )}
      {own !== undefined && (
        <span className="muted">
          {' '}
          {t('apps_ui.calendar.inEventZone', {
            time: formatTime(event.start, language, own),
            zone: own,
          })}
        </span>
      )}
    </>
  );
}

function EventDetails({
  event,
  zone,
  children,
}: {
  event: CalEvent;
  zone: string;
  /** More about the event, at the end of its card. */
  children?: ReactNode;
}) {
  const { t } = useTranslation();
  const titleId = useId();
  return (
    <article className="cal-event" aria-labelledby={titleId}>
      <h4 id={titleId} className="cal-event__title">
        {event.title}
      </h4>
      <p className="cal-event__when">
        <EventWhen event={event} zone={zone} />
      </p>
      {event.location !== null && (
        <p className="cal-event__where">
          <span className="apps-label">{t('apps_ui.calendar.location')}</span> {event.location}
        </p>
      )}
      {event.description !== '' && <HtmlArticle html={event.description} element="div" />}
      {event.attachments.length > 0 && (
        <ul className="cal-event__files">
          {event.attachments.map((documentId, index) => (
            <li key={documentId}>
              <a href={attachmentUrl(event.calendarId, event.id, documentId)}>
                {t('apps_ui.calendar.attachment', { number: index + 1 })}
              </a>
            </li>
          ))}
        </ul>
      )}
      {children}
    </article>
  );
}

function UpcomingEvents({ events, zone }: { events: CalEvent[]; zone: string }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const headingId = useId();
  const today = startOfToday();
  const todayKey = dayKey(today, zone);
  // Not over yet (one added in the past from the form is not "upcoming").
  const single = events
    .filter((e) => e.rrule === null && (e.allDay ? e.endDay >= todayKey : e.end >= today))
    .sort(eventOrder(zone));
  const days: { day: string; events: CalEvent[] }[] = [];
  for (const event of single) {
    const day = eventDay(event, zone);
    const last = days.at(-1);
    if (last?.day === day) last.events.push(event);
    else days.push({ day, events: [event] });
  }
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>{t('apps_ui.calendar.upcoming')}</h2>
      <p className="muted">
        {t('apps_ui.calendar.zoneNote', { zone, name: zoneName(language, zone) })}
      </p>
      {days.length === 0 ? (
        <p className="apps-empty">{t('apps_ui.calendar.noEvents')}</p>
      ) : (
        <ol className="cal-days">
          {days.map(({ day, events: ofDay }) => (
            <li key={day} className="cal-day">
              <h3 className="cal-day__title">
                <time dateTime={day}>{formatDay(day, language)}</time>
              </h3>
              <ul className="cal-events">
                {ofDay.map((event) => (
                  <li key={event.id}>
                    <EventDetails event={event} zone={zone} />
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function RecurringEvents({ events, zone }: { events: CalEvent[]; zone: string }) {
  const { t } = useTranslation();
  const language = useLanguage();
  const headingId = useId();
  const ruleText = useRuleText();
  const series = events.filter((e) => e.rrule !== null).sort(eventOrder(zone));
  if (series.length === 0) return null;
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>{t('apps_ui.calendar.recurring')}</h2>
      <ul className="cal-events">
        {series.map((event) => {
          const rule = event.rrule ?? '';
          const words = ruleText(rule);
          const first = eventDay(event, zone);
          return (
            <li key={event.id}>
              <EventDetails event={event} zone={zone}>
                <p className="cal-event__rule">
                  <span className="apps-label">{t('apps_ui.calendar.repeats')}</span>{' '}
                  {words ?? <code>{rule}</code>}{' '}
                  <span className="muted">
                    {t('apps_ui.calendar.since', { date: formatDay(first, language) })}
                  </span>
                </p>
              </EventDetails>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

// --- /calendar/:calendarId: forms ---------------------------------------------------------------

interface EventDraft {
  title: string;
  allDay: boolean;
  start: string;
  end: string;
  startDay: string;
  endDay: string;
  location: string;
  description: string;
}

type EventErrors = Partial<Record<'title' | 'start' | 'end', string>>;

function initialDraft(): EventDraft {
  const start = new Date();
  start.setMinutes(0, 0, 0);
  start.setHours(start.getHours() + 1);
  const end = new Date(start.getTime() + 60 * 60 * 1000);
  const today = toLocalInput(start).slice(0, 10);
  return {
    title: '',
    allDay: false,
    start: toLocalInput(start),
    end: toLocalInput(end),
    startDay: today,
    endDay: today,
    location: '',
    description: '',
  };
}

function NewEventForm({
  calendarId,
  zone,
  onCreated,
  onCancel,
}: {
  calendarId: string;
  zone: string;
  onCreated: (event: CalEvent) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const formRef = useRef<HTMLFormElement>(null);
  const [draft, setDraft] = useState(initialDraft);
  const [errors, setErrors] = useState<EventErrors>({});
  const { busy, error, run } = useAction();
  const set =
    <K extends keyof EventDraft>(key: K) =>
    (value: EventDraft[K]) => {
      setDraft((d) => ({ ...d, [key]: value }));
    };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found: EventErrors = {};
    if (draft.title.trim() === '') found.title = t('apps_ui.form.titleMissing');
    let start: string | undefined;
    let end: string | undefined;
    if (draft.allDay) {
      start = DAY_VALUE.test(draft.startDay) ? draft.startDay : undefined;
      end = DAY_VALUE.test(draft.endDay) ? draft.endDay : undefined;
    } else {
      start = localToIso(draft.start);
      end = localToIso(draft.end);
    }
    if (start === undefined) found.start = t('apps_ui.calendar.startMissing');
    if (end === undefined) found.end = t('apps_ui.calendar.endMissing');
    else if (start !== undefined) {
      const before = draft.allDay
        ? end < start
        : new Date(end).getTime() < new Date(start).getTime();
      if (before) found.end = t('apps_ui.calendar.endBeforeStart');
    }
    setErrors(found);
    if (Object.keys(found).length > 0 || start === undefined || end === undefined) {
      focusFirstInvalid(formRef.current);
      return;
    }
    const input = {
      title: draft.title.trim(),
      allDay: draft.allDay,
      start,
      end,
      timeZone: zone,
      location: draft.location.trim() === '' ? null : draft.location.trim(),
      description: textToHtml(draft.description),
    };
    run(async () => {
      onCreated(await createEvent(calendarId, input));
    });
  };

  return (
    <form ref={formRef} className="form panel apps-form" noValidate onSubmit={submit}>
      <FormAlert message={error} />
      <TextField
        label={t('apps_ui.calendar.fields.title')}
        value={draft.title}
        onChange={set('title')}
        error={errors.title}
        required
        maxLength={500}
      />
      <CheckboxField
        label={t('apps_ui.calendar.fields.allDay')}
        checked={draft.allDay}
        onChange={set('allDay')}
      />
      {draft.allDay ? (
        <div className="apps-row">
          <TextField
            type="date"
            label={t('apps_ui.calendar.fields.startDay')}
            value={draft.startDay}
            onChange={set('startDay')}
            error={errors.start}
            required
          />
          <TextField
            type="date"
            label={t('apps_ui.calendar.fields.endDay')}
            value={draft.endDay}
            onChange={set('endDay')}
            error={errors.end}
            required
          />
        </div>
      ) : (
        <div className="apps-row">
          <TextField
            type="datetime-local"
            label={t('apps_ui.calendar.fields.start')}
            hint={t('apps_ui.calendar.zoneHint', { zone })}
            value={draft.start}
            onChange={set('start')}
            error={errors.start}
            required
          />
          <TextField
            type="datetime-local"
            label={t('apps_ui.calendar.fields.end')}
            hint={t('apps_ui.calendar.zoneHint', { zone })}
            value={draft.end}
            onChange={set('end')}
            error={errors.end}
            required
          />
        </div>
      )}
      <TextField
        label={t('apps_ui.calendar.fields.location')}
        value={draft.location}
        onChange={set('location')}
        maxLength={500}
      />
      <TextAreaField
        label={t('apps_ui.calendar.fields.description')}
        value={draft.description}
        onChange={set('description')}
        rows={4}
      />
      <FormButtons submitLabel={t('apps_ui.calendar.addEvent')} busy={busy} onCancel={onCancel} />
      <FormStatus message={busy ? t('apps_ui.form.saving') : ''} />
    </form>
  );
}

function ImportForm({ calendarId, onImported }: { calendarId: string; onImported: () => void }) {
  const { t } = useTranslation();
  const { handleUnauthenticated } = useSession();
  const errorText = useAppsErrorText();
  const headingId = useId();
  const inputId = useId();
  const errorId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string>();
  const [report, setReport] = useState<ImportReport>();

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    const file = inputRef.current?.files?.[0];
    setMissing(file === undefined);
    if (file === undefined) {
      inputRef.current?.focus();
      return;
    }
    setBusy(true);
    setFailure(undefined);
    setReport(undefined);
    importIcs(calendarId, file).then(
      (result) => {
        setBusy(false);
        setReport(result);
        if (inputRef.current) inputRef.current.value = '';
        if (result.imported > 0) onImported();
      },
      (error: unknown) => {
        if (handleUnauthenticated(error)) return;
        setBusy(false);
        const apiError = toApiError(error);
        setFailure(
          apiError.code === 'payload_too_large' || apiError.status === 413
            ? t('apps_ui.calendar.icsTooLarge')
            : apiError.code === 'invalid_request'
              ? t('apps_ui.calendar.icsInvalid')
              : errorText(apiError),
        );
      },
    );
  };

  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>{t('apps_ui.calendar.import')}</h2>
      <form className="form panel apps-form" noValidate onSubmit={submit}>
        <FormAlert message={failure} />
        <div className="field">
          <label htmlFor={inputId}>{t('apps_ui.calendar.fields.icsFile')}</label>
          <input
            ref={inputRef}
            id={inputId}
            type="file"
            accept=".ics,text/calendar"
            aria-invalid={missing}
            aria-describedby={missing ? errorId : undefined}
            onChange={() => {
              setMissing(false);
            }}
          />
          {missing && (
            <p id={errorId} className="field__error">
              <span aria-hidden="true">✕ </span>
              {t('apps_ui.calendar.icsMissing')}
            </p>
          )}
        </div>
        <FormButtons submitLabel={t('apps_ui.calendar.importSubmit')} busy={busy} />
        <div role="status" className="form__status">
          {busy && <p className="muted">{t('apps_ui.calendar.importing')}</p>}
          {report && (
            <div className="apps-report">
              <p>
                <strong>{t('apps_ui.calendar.report.title')}</strong>
              </p>
              <ul>
                <li>{t('apps_ui.calendar.report.imported', { count: report.imported })}</li>
                <li>{t('apps_ui.calendar.report.skipped', { count: report.skipped })}</li>
                <li>{t('apps_ui.calendar.report.failed', { count: report.failed.length })}</li>
              </ul>
              {report.failed.length > 0 && (
                <ul className="apps-report__failures">
                  {report.failed.map((f, index) => (
                    <li key={`${index}-${f.uid}`}>
                      <code>{f.uid === '' ? '?' : f.uid}</code>
                      {t('apps_ui.calendar.report.separator')}
                      {f.reason}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          )}
        </div>
      </form>
    </section>
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
      {writable && <ImportForm calendarId={calendar.id} onImported={refreshEvents} />}
    </div>
  );
}
