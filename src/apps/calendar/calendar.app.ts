import type { AppDeps, EntApp } from '../app-module.ts';
import type { WorkspaceService } from '../workspace/workspace.service.ts';
import { calendarArchiveAdapter } from './archive/calendar.export.ts';
import { calendarRoutes } from './calendar.routes.ts';
import { CalendarService } from './calendar.service.ts';

export function createCalendarApp(
  deps: AppDeps & { workspace: WorkspaceService },
): EntApp & { service: CalendarService } {
  const service = new CalendarService(deps);
  return {
    id: 'calendar',
    label: 'Agenda',
    path: '/calendar',
    anyOf: ['calendar.create'],
    routes: calendarRoutes({ calendars: service, platform: deps.platform, blobs: deps.blobs }),
    archive: calendarArchiveAdapter({ ...deps, service }),
    service,
  };
}
