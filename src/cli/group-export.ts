import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../errors.ts';
import type { User } from '../platform/accounts.service.ts';
import type { Runtime } from '../runtime.ts';
import type { Out } from './jobs-commands.ts';

export interface GroupExportOptions {
  /** A group (class) or a school: id or name. */
  group: string;
  /** App ids; default every app with an archive adapter. */
  apps?: string[];
  includeDocuments: boolean;
  includeShared: boolean;
  /** At most this many exports queued per second. */
  rate: number;
}

export interface GroupExportResult {
  queued: number;
  skipped: number;
  errors: number;
}

/** The members of a group, or of every group of a school, in login order. */
async function membersOf(runtime: Runtime, ref: string): Promise<{ name: string; users: User[] }> {
  const { accounts } = runtime.platform;
  let name: string;
  let ids: string[];
  try {
    const group = await accounts.findGroup(ref);
    name = `${group.name} (${group.schoolName})`;
    ids = await accounts.membersOf(group.id);
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'not_found') throw error;
    const schools = await runtime.db.kysely
      .selectFrom('schools')
      .select(['id', 'name'])
      .where((eb) => eb.or([eb('id', '=', ref), eb('name', '=', ref.trim())]))
      .execute();
    const [school, another] = schools;
    if (school === undefined) throw new AppError('not_found', `No group or school "${ref}"`);
    if (another !== undefined)
      throw new AppError('conflict', `Several schools are named "${ref}": give the school id`);
    name = school.name;
    const rows = await runtime.db.kysely
      .selectFrom('group_members')
      .innerJoin('groups', 'groups.id', 'group_members.group_id')
      .select('group_members.user_id')
      .distinct()
      .where('groups.school_id', '=', school.id)
      .execute();
    ids = rows.map((r) => r.user_id);
  }
  const users = await Promise.all(ids.map((id) => accounts.getUser(id)));
  return { name, users: users.sort((a, b) => a.login.localeCompare(b.login)) };
}

/** Why a member is skipped rather than counted as an error: the service's refusals. */
function skipReason(error: unknown): string | undefined {
  if (!(error instanceof AppError)) return undefined;
  if (error.code === 'forbidden') return 'no right to export (archive.export)';
  if (error.code === 'export_in_progress') return 'an export is already in progress';
  return undefined;
}

/**
 * `export --all --group G`: one export per member, each made by the export service as if the
 * member had asked (their own rights; one export at a time each), queued for the workers at
 * most `rate` per second so a class does not flood them. One line per member, then a summary.
 */
export async function exportGroup(
  runtime: Runtime,
  o: GroupExportOptions,
  out: Out,
): Promise<GroupExportResult> {
  if (!Number.isFinite(o.rate) || o.rate <= 0)
    throw new AppError('invalid_request', '--rate is a number of exports per second, above 0');
  const known: string[] = runtime.apps.list.flatMap((a) =>
    a.archive === undefined ? [] : [a.archive.app],
  );
  const apps = o.apps ?? known;
  const unknown = apps.filter((a) => !known.includes(a));
  if (unknown.length > 0)
    throw new AppError('invalid_request', `Unknown app(s): ${unknown.join(', ')}`);
  if (apps.length === 0) throw new AppError('invalid_request', 'Choose at least one app to export');

  const { name, users } = await membersOf(runtime, o.group);
  out(`${name}: ${users.length} member(s), at most ${o.rate} export(s) queued per second`);
  const result: GroupExportResult = { queued: 0, skipped: 0, errors: 0 };
  const spacingMs = 1000 / o.rate;
  let nextAt = 0;
  for (const user of users) {
    if (user.disabled) {
      result.skipped += 1;
      out(`skipped\t${user.login}\taccount disabled`);
      continue;
    }
    // Spaced evenly: never more than `rate` in any second.
    const wait = nextAt - Date.now();
    if (wait > 0) await sleep(wait);
    nextAt = Date.now() + spacingMs;
    try {
      const created = await runtime.exports.create(user, {
        apps,
        includeDocuments: o.includeDocuments,
        includeShared: o.includeShared,
      });
      result.queued += 1;
      out(`queued\t${user.login}\texport ${created.id}`);
    } catch (error) {
      const reason = skipReason(error);
      if (reason !== undefined) {
        result.skipped += 1;
        out(`skipped\t${user.login}\t${reason}`);
        continue;
      }
      result.errors += 1;
      const message = error instanceof Error ? error.message.split('\n', 1)[0] : String(error);
      out(`error\t${user.login}\t${message}`);
      runtime.log.error({ err: error, userId: user.id }, 'a group export could not be queued');
    }
  }
  out(
    `${result.queued} queued, ${result.skipped} skipped, ${result.errors} error(s), of ${users.length} member(s)`,
  );
  return result;
}
