import type { JobDefinition } from './job-queue.ts';

/**
 * Every kind of job the workers run, listed explicitly. Modules add their definitions here as
 * they arrive (exports, imports, purges).
 */
export function jobDefinitions(): JobDefinition[] {
  return [];
}
