/**
 * The audit log: who exported, downloaded, imported, undid what, and when, from which address;
 * and who failed to log in. For operators only (the CLI's `audit`); no route reads it.
 */
import type { Logger } from 'pino';
import { newId, type Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import type { AuditOutcome } from './audit.schema.ts';

/**
 * Every action the log records (the route that records each: `audit.routes.ts`; the CLI's
 * `export --login`, `import` and `token create` record theirs with the address `cli`).
 */
export const AUDIT_ACTIONS = [
  'login',
  'export_requested',
  'export_downloaded',
  'export_cancelled',
  'export_deleted',
  'import_uploaded',
  'import_launched',
  'import_undone',
  'import_cancelled',
  'token_created',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEventInput {
  action: AuditAction;
  outcome: AuditOutcome;
  actor: { id: string; login: string } | { id: null; login: string | null };
  targetId?: string | null;
  detail?: Record<string, string | number | boolean> | null;
  clientAddress?: string | null;
}

export interface AuditEvent {
  id: string;
  at: number;
  actorId: string | null;
  actorLogin: string | null;
  action: string;
  targetId: string | null;
  outcome: AuditOutcome;
  detail: Record<string, unknown> | null;
  clientAddress: string | null;
}

export interface AuditFilter {
  login?: string;
  action?: string;
  /** Events at or after this instant (ms). */
  since?: number;
  /** At most this many, newest first (default 100). */
  limit?: number;
}

/** Longest text kept from a caller (a typed login can be anything up to the body limit). */
const MAX_TEXT = 200;
export const MAX_AUDIT_LIST = 10_000;

const clip = (s: string | null | undefined): string | null =>
  s === null || s === undefined ? null : s.slice(0, MAX_TEXT);

export class AuditLog {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(deps: { db: Db; clock: Clock; log: Logger }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.log = deps.log;
  }

  /**
   * Records one event. Never throws: the action it speaks of has already happened, and a
   * user must not get an error for it; a lost event is logged as an error for operators.
   */
  async record(event: AuditEventInput): Promise<void> {
    try {
      await this.db.kysely
        .insertInto('audit_events')
        .values({
          id: newId(),
          at: this.clock.now(),
          actor_id: event.actor.id,
          actor_login: clip(event.actor.login),
          action: event.action,
          target_id: clip(event.targetId),
          outcome: event.outcome,
          detail:
            event.detail === undefined || event.detail === null
              ? null
              : JSON.stringify(event.detail).slice(0, 2 * MAX_TEXT),
          client_address: clip(event.clientAddress),
        })
        .execute();
    } catch (error) {
      this.log.error(
        { err: error, action: event.action, actor: event.actor.id },
        'audit event lost',
      );
    }
  }

  /** Deletes the events older than `before` (ms): the operator's retention. How many went. */
  async prune(before: number): Promise<number> {
    const result = await this.db.kysely
      .deleteFrom('audit_events')
      .where('at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Events matching every filter given, newest first. */
  async list(filter: AuditFilter = {}): Promise<AuditEvent[]> {
    let query = this.db.kysely.selectFrom('audit_events').selectAll();
    if (filter.login !== undefined) query = query.where('actor_login', '=', filter.login);
    if (filter.action !== undefined) query = query.where('action', '=', filter.action);
    if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
    const limit = Math.min(Math.max(1, filter.limit ?? 100), MAX_AUDIT_LIST);
    const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: r.id,
      at: Number(r.at),
      actorId: r.actor_id,
      actorLogin: r.actor_login,
      action: r.action,
      targetId: r.target_id,
      outcome: r.outcome,
      detail: parseDetail(r.detail),
      clientAddress: r.client_address,
    }));
  }
}

function parseDetail(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value))
      : null;
  } catch {
    // Clipped at its limit: shown as it was kept.
    return { text };
  }
}
