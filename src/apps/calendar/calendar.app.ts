import { portalEntry, type AppDefinition, type AppDeps, type EntApp } from '../app-module.ts';
import type { WorkspaceService } from '../workspace/workspace.service.ts';
import { calendarArchiveAdapter } from './archive/calendar.export.ts';
import { calendarRoutes } from './calendar.routes.ts';
import { CalendarService } from './calendar.service.ts';
import * as m0006 from './migrations/0006-calendar.ts';
import { seedCalendarDemo } from './calendar.demo.ts';

export function createCalendarApp(
  deps: AppDeps & { workspace: WorkspaceService },
): EntApp & { service: CalendarService } {
  const service = new CalendarService(deps);
  return {
    ...portalEntry(calendarApp),
    routes: calendarRoutes({ calendars: service, platform: deps.platform, blobs: deps.blobs }),
    archive: calendarArchiveAdapter({ ...deps, service }),
    service,
  };
}

/** Agenda: what the platform knows of the app before it is built (see app-module.ts). */
export const calendarApp: AppDefinition<'calendar'> = {
  id: 'calendar',
  label: 'Agenda',
  path: '/calendar',
  anyOf: ['calendar.create'],
  rights: [{ action: 'calendar.create', profiles: ['Student', 'Teacher', 'Personnel'] }],
  migrations: { '0006-calendar': m0006 },
  mailTexts: {
    'calendar.event.added': (p) =>
      `« ${String(p.title ?? '')} » a été ajouté à l'agenda ${String(p.calendar ?? '')}.`,
    'calendar.events.imported': (p) =>
      `${String(p.count ?? '')} événements importés dans l'agenda ${String(p.calendar ?? '')}.`,
  },
  seedDemo: seedCalendarDemo,
};
