import type { ExportService } from '../archive/export.service.ts';
import type { JobDefinition } from './job-queue.ts';

/**
 * Every kind of job the workers run, listed explicitly: building exports (and, as they come,
 * imports and purges).
 */
export function jobDefinitions(deps: { exports: ExportService }): JobDefinition[] {
  return [deps.exports.job];
}
