/**
 * The audit log's table: who did what to which archive (or tried to), when, from where. Kept
 * apart from the rows it speaks of so it outlives them (an export deleted, an account removed).
 */

/** `ok`: done; `refused`: answered 4xx (rights, not found, CSRF...); `failed`: answered 5xx. */
export type AuditOutcome = 'ok' | 'refused' | 'failed';

export interface AuditEventsTable {
  id: string;
  /** Milliseconds since the epoch. */
  at: number;
  /** Null for an anonymous caller (a failed login, a refused request). */
  actor_id: string | null;
  /** The login as it was then (or as typed, for a failed login): the log reads without joins. */
  actor_login: string | null;
  action: string;
  target_id: string | null;
  outcome: AuditOutcome;
  /** A short JSON object: the error code of a refusal, the options of a launch. */
  detail: string | null;
  client_address: string | null;
}

export interface AuditTables {
  audit_events: AuditEventsTable;
}

declare module '../db/schema.ts' {
  interface Database extends AuditTables {}
}
