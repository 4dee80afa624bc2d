import type { Kysely } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { AppError } from '../errors.ts';

export interface QuotaUsage {
  used: number;
  total: number;
}

/** A query runner: the database itself or the transaction the blob's row is written in. */
export type Executor = Kysely<Database>;

/**
 * Per-user storage quota. `charge` and `release` run in the caller's transaction, next to the
 * row of the blob they account for, so usage and rows never drift apart.
 */
export class QuotaService {
  private readonly db: Db;

  constructor(deps: { db: Db }) {
    this.db = deps.db;
  }

  async usage(userId: string, executor: Executor = this.db.kysely): Promise<QuotaUsage> {
    const row = await executor
      .selectFrom('users')
      .select(['quota_used', 'quota_total'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (row === undefined) throw new AppError('not_found', 'User not found');
    return { used: row.quota_used, total: row.quota_total };
  }

  async remaining(userId: string): Promise<number> {
    const { used, total } = await this.usage(userId);
    return Math.max(0, total - used);
  }

  /**
   * Adds `bytes` to the user's usage if it fits, in one conditional UPDATE (no read-then-write
   * race between two uploads). Throws 413 `quota_exceeded` otherwise.
   */
  async charge(executor: Executor, userId: string, bytes: number): Promise<void> {
    if (bytes < 0) throw new RangeError('bytes must be >= 0');
    const res = await executor
      .updateTable('users')
      .set((eb) => ({ quota_used: eb('quota_used', '+', bytes) }))
      .where('id', '=', userId)
      .where((eb) => eb(eb('quota_used', '+', bytes), '<=', eb.ref('quota_total')))
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) {
      const { used, total } = await this.usage(userId, executor);
      throw new AppError(
        'quota_exceeded',
        `Not enough space: ${bytes} bytes needed, ${Math.max(0, total - used)} left`,
        { details: { used, total, needed: bytes } },
      );
    }
  }

  async release(executor: Executor, userId: string, bytes: number): Promise<void> {
    if (bytes < 0) throw new RangeError('bytes must be >= 0');
    await executor
      .updateTable('users')
      .set((eb) => ({
        quota_used: eb
          .case()
          .when('quota_used', '<', bytes)
          .then(0)
          .else(eb('quota_used', '-', bytes))
          .end(),
      }))
      .where('id', '=', userId)
      .execute();
  }

  async setTotal(userId: string, total: number): Promise<void> {
    await this.db.kysely
      .updateTable('users')
      .set({ quota_total: total })
      .where('id', '=', userId)
      .execute();
  }
}
