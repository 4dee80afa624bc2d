import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-db.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import { migrateToLatest } from './database.ts';
import { allMigrations } from '../apps/registry.ts';
import { isUniqueViolation } from './dialect.ts';

describe.each(testDbKinds())('data layer on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t.destroy();
  });

  const job = (id: string, runAt = 1) => ({
    id,
    type: 't',
    payload: '{}',
    status: 'queued' as const,
    max_attempts: 3,
    run_at: runAt,
    created_at: 1,
    updated_at: 1,
  });
  /** A prefix of job ids no other test uses: each test works on its own rows only. */
  let prefixes = 0;
  const own = () => `${(prefixes += 1)}-${Math.random().toString(36).slice(2, 8)}-`;

  it('is migrated, and migrating again applies nothing', async () => {
    expect(await migrateToLatest(t.db, allMigrations())).toEqual([]);
    await expect(t.db.check()).resolves.toBeUndefined();
  });

  it('round-trips rows with big integers as numbers and defaults applied', async () => {
    const id = `${own()}big`;
    const big = 2 ** 52 + 7; // beyond int32: millisecond timestamps and byte counts
    await t.db.kysely.insertInto('jobs').values(job(id, big)).execute();
    const row = await t.db.kysely
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.run_at).toBe(big);
    expect(row.attempts).toBe(0);
    expect(row.cancel_requested).toBe(0);
    expect(row.lease_until).toBeNull();
  });

  it('recognises a unique violation', async () => {
    const id = `${own()}twice`;
    await t.db.kysely.insertInto('jobs').values(job(id)).execute();
    const error = await t.db.kysely
      .insertInto('jobs')
      .values(job(id))
      .execute()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeDefined();
    expect(isUniqueViolation(error)).toBe(true);
    expect(isUniqueViolation(new Error('other'))).toBe(false);
  });

  it('rolls back a failed transaction', async () => {
    const id = `${own()}tx`;
    await expect(
      t.db.kysely.transaction().execute(async (trx) => {
        await trx.insertInto('jobs').values(job(id)).execute();
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const rows = await t.db.kysely.selectFrom('jobs').select('id').where('id', '=', id).execute();
    expect(rows).toEqual([]);
  });

  it('streams rows without loading the table', async () => {
    const p = own();
    const values = Array.from({ length: 250 }, (_, i) =>
      job(`${p}${String(i).padStart(4, '0')}`, i),
    );
    await t.db.kysely.insertInto('jobs').values(values).execute();
    const seen: string[] = [];
    for await (const row of t.db.kysely
      .selectFrom('jobs')
      .select('id')
      .where('id', 'like', `${p}%`)
      .orderBy('id')
      .stream(50)) {
      seen.push(row.id);
    }
    expect(seen).toHaveLength(250);
    expect(seen[0]).toBe(`${p}0000`);
    expect(seen[249]).toBe(`${p}0249`);
  });

  it('returns rows from UPDATE ... RETURNING and counts plain updates', async () => {
    const p = own();
    const one = `${p}one`;
    const many = Array.from({ length: 30 }, (_, i) => job(`${p}m${i}`));
    await t.db.kysely
      .insertInto('jobs')
      .values([job(one), ...many])
      .execute();
    const res = await t.db.kysely
      .updateTable('jobs')
      .set({ status: 'running' })
      .where('id', '=', one)
      .returning(['id', 'status'])
      .executeTakeFirst();
    expect(res).toEqual({ id: one, status: 'running' });
    const plain = await t.db.kysely
      .updateTable('jobs')
      .set({ updated_at: 2 })
      .where('id', 'like', `${p}m%`)
      .executeTakeFirst();
    expect(Number(plain.numUpdatedRows)).toBe(30);
    const count = await sql<{
      n: number;
    }>`select count(*) as n from jobs where id like ${`${p}%`} and updated_at = 2`.execute(
      t.db.kysely,
    );
    expect(Number(count.rows[0]?.n)).toBe(30);
  });
});
