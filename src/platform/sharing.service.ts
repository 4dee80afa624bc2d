import { newId, type Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import type { ShareRight } from '../db/schema.ts';
import { AccessReader, allows } from './access.ts';

/** One resource as shares name it. */
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

/** True when `held` is at least `needed` (manage ⊃ contrib ⊃ read). */
export function rightCovers(held: ShareRight | undefined, needed: ShareRight): boolean {
  return allows(held, needed);
}

/**
 * The one sharing mechanism every app uses: a resource (app, type, id) owned by a user is
 * shared with users or groups, with `read`, `contrib` or `manage`. Apps decide what each right
 * allows on their resources; they never store shares themselves.
 */
export class SharingService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly access: AccessReader;

  constructor(deps: { db: Db; clock: Clock }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.access = new AccessReader(deps);
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
    const rights = await this.access.sharedRights(userId, ref, [ref.id]);
    return rights.get(ref.id);
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
    return this.access.sharedWith(userId, { app, type });
  }
}
