/**
 * Who may see a resource: the one access model every app and every archive adapter uses.
 *
 * A user's access to a resource is `owner` when they own it, else the best share right they
 * hold on it (directly or through one of their groups), else none. Shares given on behalf of
 * a disabled account still stand (a teacher who leaves does not take the class's blog away);
 * a disabled account itself reaches nothing, and never vouches for a document (see the
 * workspace's `readableDocuments`).
 */
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Database, ShareRight } from '../db/schema.ts';

/** Every access, weakest first (for schemas: `z.enum(ACCESSES)`). */
export const ACCESSES = ['read', 'contrib', 'manage', 'owner'] as const satisfies readonly (
  'owner' | ShareRight
)[];
export type Access = (typeof ACCESSES)[number];

const RANK: Record<Access, number> = { read: 1, contrib: 2, manage: 3, owner: 4 };

/** True when `held` is at least `need` (owner ⊃ manage ⊃ contrib ⊃ read). */
export function allows(held: Access | undefined, need: Access): boolean {
  return held !== undefined && RANK[held] >= RANK[need];
}

/** The access of a user to a resource they may own, given the best share right they hold. */
export function accessOf(
  userId: string,
  ownerId: string,
  shared: ShareRight | undefined,
): Access | undefined {
  return ownerId === userId ? 'owner' : shared;
}

/** Resource kinds as shares name them: an app and a type within it ("blog", "post"). */
export interface ResourceKind {
  readonly app: string;
  readonly type: string;
}

/**
 * Shares of resources of `kind` granted to the user, directly or through a group: a query
 * that composes with the caller's (as a subquery it never builds an `IN` list of ids).
 */
export function sharesGrantedTo(db: Kysely<Database>, userId: string, kind: ResourceKind) {
  return db
    .selectFrom('shares')
    .where('shares.app', '=', kind.app)
    .where('shares.resource_type', '=', kind.type)
    .where((eb) =>
      eb.or([
        eb.and([eb('shares.grantee_kind', '=', 'user'), eb('shares.grantee_id', '=', userId)]),
        eb.and([
          eb('shares.grantee_kind', '=', 'group'),
          eb(
            'shares.grantee_id',
            'in',
            eb
              .selectFrom('group_members')
              .select('group_members.group_id')
              .where('group_members.user_id', '=', userId),
          ),
        ]),
      ]),
    );
}

/** Ids of resources of `kind` shared with the user, as a subquery. */
export function sharedIds(db: Kysely<Database>, userId: string, kind: ResourceKind) {
  return sharesGrantedTo(db, userId, kind).select('shares.resource_id');
}

/**
 * The condition "a resource the user owns, or (when `includeShared`) one shared with them",
 * for any table: `columns` name the row's owner and id (`eb.ref('blog_blogs.owner_id')`).
 */
export function ownedOrShared<TB extends keyof Database>(
  db: Kysely<Database>,
  eb: ExpressionBuilder<Database, TB>,
  columns: { owner: Expression<string>; id: Expression<string> },
  userId: string,
  kind: ResourceKind,
  includeShared = true,
): Expression<SqlBool> {
  const owned = eb(columns.owner, '=', userId);
  if (!includeShared) return owned;
  return eb.or([owned, eb(columns.id, 'in', sharedIds(db, userId, kind))]);
}

/** The access model's reads: share rights in bulk, one resource's access. */
export class AccessReader {
  private readonly db: Db;

  constructor(deps: { db: Db }) {
    this.db = deps.db;
  }

  /** The best right the user holds through shares on each of these resources (absent: none). */
  async sharedRights(
    userId: string,
    kind: ResourceKind,
    ids: readonly string[],
  ): Promise<Map<string, ShareRight>> {
    const rights = new Map<string, ShareRight>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await sharesGrantedTo(this.db.kysely, userId, kind)
        .select(['shares.resource_id', 'shares.right'])
        .where('shares.resource_id', 'in', ids.slice(i, i + CHUNK))
        .execute();
      for (const r of rows) {
        const held = rights.get(r.resource_id);
        if (!allows(held, r.right)) rights.set(r.resource_id, r.right);
      }
    }
    return rights;
  }

  /** Resources of `kind` shared with the user (not their own), the best right on each. */
  async sharedWith(
    userId: string,
    kind: ResourceKind,
  ): Promise<{ resourceId: string; ownerId: string; right: ShareRight }[]> {
    const rows = await sharesGrantedTo(this.db.kysely, userId, kind)
      .select(['shares.resource_id', 'shares.owner_id', 'shares.right'])
      .where('shares.owner_id', '!=', userId)
      .execute();
    const byId = new Map<string, { resourceId: string; ownerId: string; right: ShareRight }>();
    for (const r of rows) {
      const seen = byId.get(r.resource_id);
      if (seen === undefined || !allows(seen.right, r.right))
        byId.set(r.resource_id, { resourceId: r.resource_id, ownerId: r.owner_id, right: r.right });
    }
    return [...byId.values()];
  }

  /** The user's access to one resource (`ownerId` is its owner). */
  async accessTo(
    userId: string,
    kind: ResourceKind,
    resource: { id: string; ownerId: string },
  ): Promise<Access | undefined> {
    if (resource.ownerId === userId) return 'owner';
    return (await this.sharedRights(userId, kind, [resource.id])).get(resource.id);
  }
}

/** Ids a bulk read sends at once (well under SQLite's and PostgreSQL's parameter limits). */
const CHUNK = 500;
