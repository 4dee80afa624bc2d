import { newId, type Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import type { ShareRight } from '../db/schema.ts';

export interface ResourceRef {
  app: string;
  type: string;
  id: string;
}

export interface Grantee {
  kind: 'user' | 'group';
  id: string;
}

export interface Share {
  id: string;
  grantee: Grantee;
  right: ShareRight;
  createdAt: number;
}

const RANK: Record<ShareRight, number> = { read: 1, contrib: 2, manage: 3 };

/** True when `held` is at least `needed` (manage ⊃ contrib ⊃ read). */
export function rightCovers(held: ShareRight | undefined, needed: ShareRight): boolean {
  return held !== undefined && RANK[held] >= RANK[needed];
}

function best(a: ShareRight | undefined, b: ShareRight): ShareRight {
  return a === undefined || RANK[b] > RANK[a] ? b : a;
}

/**
 * The one sharing mechanism every app uses: a resource (app, type, id) owned by a user is
 * shared with users or groups, with `read`, `contrib` or `manage`. Apps decide what each right
 * allows on their resources; they never store shares themselves.
 */
export class SharingService {
  private readonly db: Db;
  private readonly clock: Clock;

  constructor(deps: { db: Db; clock: Clock }) {
    this.db = deps.db;
    this.clock = deps.clock;
  }

  /** Shares (or changes the right of an existing share). */
  async share(
    ownerId: string,
    ref: ResourceRef,
    grantee: Grantee,
    right: ShareRight,
  ): Promise<Share> {
    const id = newId();
    const now = this.clock.now();
    await this.db.kysely
      .insertInto('shares')
      .values({
        id,
        app: ref.app,
        resource_type: ref.type,
        resource_id: ref.id,
        owner_id: ownerId,
        grantee_kind: grantee.kind,
        grantee_id: grantee.id,
        right,
        created_at: now,
      })
      .onConflict((oc) =>
        oc
          .columns(['app', 'resource_type', 'resource_id', 'grantee_kind', 'grantee_id'])
          .doUpdateSet({ right }),
      )
      .execute();
    const shares = await this.sharesOf(ref);
    const share = shares.find(
      (s) => s.grantee.kind === grantee.kind && s.grantee.id === grantee.id,
    );
    return share ?? { id, grantee, right, createdAt: now };
  }

  async unshare(ref: ResourceRef, grantee: Grantee): Promise<boolean> {
    const res = await this.db.kysely
      .deleteFrom('shares')
      .where('app', '=', ref.app)
      .where('resource_type', '=', ref.type)
      .where('resource_id', '=', ref.id)
      .where('grantee_kind', '=', grantee.kind)
      .where('grantee_id', '=', grantee.id)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /** Forgets every share of a resource (when it is deleted). */
  async unshareAll(ref: ResourceRef): Promise<void> {
    await this.db.kysely
      .deleteFrom('shares')
      .where('app', '=', ref.app)
      .where('resource_type', '=', ref.type)
      .where('resource_id', '=', ref.id)
      .execute();
  }

  async sharesOf(ref: ResourceRef): Promise<Share[]> {
    const rows = await this.db.kysely
      .selectFrom('shares')
      .select(['id', 'grantee_kind', 'grantee_id', 'right', 'created_at'])
      .where('app', '=', ref.app)
      .where('resource_type', '=', ref.type)
      .where('resource_id', '=', ref.id)
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      grantee: { kind: r.grantee_kind, id: r.grantee_id },
      right: r.right,
      createdAt: r.created_at,
    }));
  }

  /** The best right a user holds on a resource through shares, directly or through a group. */
  async rightOn(userId: string, ref: ResourceRef): Promise<ShareRight | undefined> {
    const rows = await this.db.kysely
      .selectFrom('shares')
      .select('right')
      .where('app', '=', ref.app)
      .where('resource_type', '=', ref.type)
      .where('resource_id', '=', ref.id)
      .where((eb) =>
        eb.or([
          eb.and([eb('grantee_kind', '=', 'user'), eb('grantee_id', '=', userId)]),
          eb.and([
            eb('grantee_kind', '=', 'group'),
            eb(
              'grantee_id',
              'in',
              eb.selectFrom('group_members').select('group_id').where('user_id', '=', userId),
            ),
          ]),
        ]),
      )
      .execute();
    let right: ShareRight | undefined;
    for (const r of rows) right = best(right, r.right);
    return right;
  }

  /**
   * Resources of one app and type shared with the user (directly or through a group), with the
   * best right held on each and their owner. Resources the user owns are not listed.
   */
  async sharedWith(
    userId: string,
    app: string,
    type: string,
  ): Promise<{ resourceId: string; ownerId: string; right: ShareRight }[]> {
    const rows = await this.db.kysely
      .selectFrom('shares')
      .select(['resource_id', 'owner_id', 'right'])
      .where('app', '=', app)
      .where('resource_type', '=', type)
      .where('owner_id', '!=', userId)
      .where((eb) =>
        eb.or([
          eb.and([eb('grantee_kind', '=', 'user'), eb('grantee_id', '=', userId)]),
          eb.and([
            eb('grantee_kind', '=', 'group'),
            eb(
              'grantee_id',
              'in',
              eb.selectFrom('group_members').select('group_id').where('user_id', '=', userId),
            ),
          ]),
        ]),
      )
      .execute();
    const byResource = new Map<
      string,
      { resourceId: string; ownerId: string; right: ShareRight }
    >();
    for (const r of rows) {
      const seen = byResource.get(r.resource_id);
      byResource.set(r.resource_id, {
        resourceId: r.resource_id,
        ownerId: r.owner_id,
        right: best(seen?.right, r.right),
      });
    }
    return [...byResource.values()];
  }
}
