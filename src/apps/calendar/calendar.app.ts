import type { AppDeps, EntApp } from '../app-module.ts';
import type { WorkspaceService } from '../workspace/workspace.service.ts';

export function createCalendarApp(deps: AppDeps & { workspace: WorkspaceService }): EntApp {
  void deps;
  return {
    id: 'calendar',
    label: 'Agenda',
    path: '/calendar',
    anyOf: ['calendar.create'],
    routes: async () => undefined,
  };
}
