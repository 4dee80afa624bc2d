import type { Generated } from 'kysely';

/**
 * Table types. Conventions shared by both dialects: ids are text (UUID v7-like, sortable);
 * timestamps are integer milliseconds since the epoch; JSON is stored as text; booleans as 0/1.
 */
export interface JobsTable {
  id: string;
  type: string;
  payload: string;
  status: JobStatus;
  attempts: Generated<number>;
  max_attempts: number;
  run_at: number;
  lease_until: number | null;
  locked_by: string | null;
  cancel_requested: Generated<number>;
  progress: string | null;
  result: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface Database {
  jobs: JobsTable;
}
