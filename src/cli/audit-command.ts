import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Config } from '../config.ts';
import {
  AUDIT_ACTIONS,
  MAX_AUDIT_LIST,
  type AuditEvent,
  type AuditFilter,
} from '../platform/audit.ts';
import type { Runtime } from '../runtime.ts';
import type { Out } from './jobs-commands.ts';
import { withRuntime } from './with-runtime.ts';

/** One line an operator reads (and greps): when, what, how it went, who, on what, from where. */
export function auditLine(e: AuditEvent): string {
  const who =
    e.actorLogin === null ? 'anonymous' : e.actorId === null ? `"${e.actorLogin}"` : e.actorLogin;
  const detail =
    e.detail === null
      ? ''
      : ` ${Object.entries(e.detail)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(' ')}`;
  return [
    new Date(e.at).toISOString(),
    e.action,
    e.outcome,
    who,
    e.targetId ?? '-',
    e.clientAddress ?? '-',
  ]
    .join(' ')
    .concat(detail);
}

/** Prints the events matching `filter`, newest first: lines, or one JSON object per line. */
export async function printAudit(
  runtime: Runtime,
  filter: AuditFilter,
  json: boolean,
  out: Out,
): Promise<number> {
  const events = await runtime.audit.list(filter);
  for (const e of events) out(json ? JSON.stringify(e) : auditLine(e));
  if (!json && events.length === 0) out('No audit event matches');
  return events.length;
}

function instant(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new InvalidArgumentError(
      'an ISO date or date-time, e.g. 2026-06-30 or 2026-06-30T08:00Z',
    );
  return ms;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_AUDIT_LIST)
    throw new InvalidArgumentError(`a whole number from 1 to ${MAX_AUDIT_LIST}`);
  return n;
}

export function addAuditCommand(program: Command, config: () => Config): void {
  program
    .command('audit')
    .description(
      'The audit log, newest first: exports requested, downloaded, cancelled, deleted; imports uploaded, launched, undone, cancelled; logins (refusals included), with the address',
    )
    .option('--login <login>', 'only what this login did (or, for a failed login, typed)')
    .addOption(new Option('--action <action>', 'only this action').choices(AUDIT_ACTIONS))
    .option('--since <iso>', 'only events at or after this instant', instant)
    .option('--limit <n>', 'at most this many events', count, 100)
    .option('--json', 'one JSON object per line')
    .option(
      '--prune-before <iso>',
      'instead of listing: delete the events older than this instant (retention), say how many',
      instant,
    )
    .action(
      async (opts: {
        login?: string;
        action?: string;
        since?: number;
        limit: number;
        json?: boolean;
        pruneBefore?: number;
      }) =>
        withRuntime(config(), async (runtime) => {
          if (opts.pruneBefore !== undefined) {
            const n = await runtime.audit.prune(opts.pruneBefore);
            process.stdout.write(
              `Deleted ${n} audit event(s) before ${new Date(opts.pruneBefore).toISOString()}\n`,
            );
            return;
          }
          await printAudit(
            runtime,
            {
              ...(opts.login === undefined ? {} : { login: opts.login }),
              ...(opts.action === undefined ? {} : { action: opts.action }),
              ...(opts.since === undefined ? {} : { since: opts.since }),
              limit: opts.limit,
            },
            opts.json === true,
            (line) => process.stdout.write(`${line}\n`),
          );
        }),
    );
}
