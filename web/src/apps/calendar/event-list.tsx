/** A calendar's events: the upcoming ones by day, then the recurring series. */
import { useId, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { HtmlArticle } from '../ui/content.tsx';
import { useLanguage } from '../ui/hooks.ts';
import { attachmentUrl, type CalEvent } from './calendar-api.ts';
import {
  dayKey,
  formatDateTimeIn,
  formatDay,
  formatTime,
  startOfToday,
  zoneName,
} from './dates.ts';
import { useRuleText } from './recurrence.ts';

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
  level,
  children,
}: {
  event: CalEvent;
  zone: string;
  /** Its title's heading level: under a day's heading (h3), or right under a section's (h2). */
  level: 3 | 4;
  /** More about the event, at the end of its card. */
  children?: ReactNode;
}) {
  const { t } = useTranslation();
  const titleId = useId();
  const Heading = level === 3 ? 'h3' : 'h4';
  return (
    <article className="cal-event" aria-labelledby={titleId}>
      <Heading id={titleId} className="cal-event__title">
        {event.title}
      </Heading>
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

export function UpcomingEvents({ events, zone }: { events: CalEvent[]; zone: string }) {
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
                    <EventDetails event={event} zone={zone} level={4} />
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

export function RecurringEvents({ events, zone }: { events: CalEvent[]; zone: string }) {
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
              <EventDetails event={event} zone={zone} level={3}>
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
