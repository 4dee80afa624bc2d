import { Readable } from 'node:stream';
import { makePdf } from '../../demo/demo-files.ts';
import type { User } from '../../platform/accounts.service.ts';
import type { Runtime } from '../../runtime.ts';
import type { Apps } from '../registry.ts';
import { CALENDAR, DAY_MS, formatDate, formatInstant } from './calendar.model.ts';
import { instantOf, offsetMinutes, wallTime } from './time-zones.ts';

export type CalendarDemoDeps = Pick<Runtime, 'db' | 'clock' | 'platform' | 'config'> & {
  apps: Pick<Apps, 'workspace' | 'calendar'>;
};

const PARIS = 'Europe/Paris';

/** A wall-clock time in Paris as the API takes it (`2025-09-15T08:30:00+02:00`). */
function paris(dayMs: number, hour: number, minute = 0): string {
  const d = new Date(dayMs);
  const ms = instantOf(
    {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour,
      minute,
      second: 0,
    },
    PARIS,
  );
  return formatInstant(ms, offsetMinutes(ms, PARIS));
}

/**
 * The demo Agenda, dated around today: the teacher's class calendar (shared read with the
 * class: a weekly lesson until the end of the school year, an all-day museum trip, a test with
 * its programme attached) and the pupil's homework calendar. Idempotent: a calendar that
 * already exists (by title) is left as it is.
 */
export async function seedCalendarDemo(
  deps: CalendarDemoDeps,
  users: { teacher: User; student: User; classGroupId: string },
): Promise<void> {
  const { platform, apps } = deps;
  const calendars = apps.calendar;
  const { teacher, student, classGroupId } = users;

  const today = wallTime(deps.clock.now(), PARIS);
  const todayMs = Date.UTC(today.year, today.month - 1, today.day);
  // Monday of this week (getUTCDay: 0 is Sunday).
  const monday = todayMs - ((new Date(todayMs).getUTCDay() + 6) % 7) * DAY_MS;
  const day = (n: number) => monday + n * DAY_MS;
  // The school year ends early in July.
  const lastYear = today.month >= 7 ? today.year + 1 : today.year;

  const existing = async (user: User, title: string) =>
    (await calendars.listCalendars(user)).some((c) => c.ownerId === user.id && c.title === title);

  if (!(await existing(teacher, 'Agenda de la 6e A'))) {
    const agenda = await calendars.createCalendar(teacher, {
      title: 'Agenda de la 6e A',
      color: '#2a9d8f',
    });
    // Shared before the events are added, so the class sees them arrive in its timeline.
    await platform.sharing.share(
      teacher.id,
      { app: CALENDAR, type: 'calendar', id: agenda.id },
      { kind: 'group', id: classGroupId },
      'read',
    );
    await calendars.createEvent(teacher, agenda.id, {
      title: 'Mathématiques',
      start: paris(day(0), 8, 30),
      end: paris(day(0), 9, 30),
      timeZone: PARIS,
      location: 'Salle 12',
      description: '<p>Cours de mathématiques de la 6e A. Apportez votre compas.</p>',
      rrule: `FREQ=WEEKLY;BYDAY=MO;UNTIL=${lastYear}0703T220000Z`,
    });
    await calendars.createEvent(teacher, agenda.id, {
      title: 'Sortie au musée',
      allDay: true,
      start: formatDate(day(10)),
      end: formatDate(day(10)),
      location: 'Musée des Beaux-Arts',
      description:
        '<p>Sortie de la journée au musée. Départ du car à <strong>8 h 15</strong> devant le collège.</p><ul><li>Pique-nique</li><li>Autorisation de sortie signée</li></ul>',
    });
    const programme = await apps.workspace.attachAppDocument(teacher, {
      app: CALENDAR,
      name: 'Contrôle de mathématiques - programme.pdf',
      body: Readable.from([
        makePdf('Contrôle de mathématiques', [
          'Chapitre 3 : les fractions.',
          'Simplifier, comparer et additionner des fractions.',
          'Calculatrice interdite.',
        ]),
      ]),
    });
    await calendars.createEvent(teacher, agenda.id, {
      title: 'Contrôle de mathématiques',
      start: paris(day(8), 10),
      end: paris(day(8), 11),
      timeZone: PARIS,
      location: 'Salle 12',
      description: '<p>Le programme du contrôle est en pièce jointe.</p>',
      attachments: [programme.id],
    });
  }

  if (!(await existing(student, 'Mes devoirs'))) {
    const homework = await calendars.createCalendar(student, {
      title: 'Mes devoirs',
      color: '#e76f51',
    });
    await calendars.createEvent(student, homework.id, {
      title: "Rendre l'exposé sur les volcans",
      start: paris(day(3), 8),
      end: paris(day(3), 8),
      timeZone: PARIS,
      description: '<p>Exposé à rendre en cours de SVT, avec les dessins.</p>',
    });
    await calendars.createEvent(student, homework.id, {
      title: 'Réviser le contrôle de maths',
      start: paris(day(6), 17),
      end: paris(day(6), 18, 30),
      timeZone: PARIS,
      description: '<p>Relire le chapitre 3 et refaire les exercices 1 et 2.</p>',
    });
  }
}
