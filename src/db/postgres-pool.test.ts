import { execFileSync } from 'node:child_process';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-db.ts';
import { testDbKinds, testPgAdminUrl } from '../../test/support/test-env.ts';

/**
 * PostgreSQL ending every session (an operator, a restart, a failover) while the pool holds
 * idle connections: the next statements work, and a transaction cut in the middle fails
 * instead of going on without its start.
 */
describe.skipIf(!testDbKinds().includes('postgres'))('the PostgreSQL pool, sessions ended', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('postgres');
  });
  afterAll(() => t.destroy());

  const database = () => {
    if (t.config.kind !== 'postgres') throw new Error('postgres expected');
    return new URL(t.config.url).pathname.slice(1);
  };
  /**
   * Ends every session of the test database and waits until they are gone, synchronously: the
   * event loop does not turn, so the pool has not yet read the news on its idle connections.
   */
  const endSessions = (): number =>
    Number(
      execFileSync('psql', [
        testPgAdminUrl(),
        '-Atc',
        `select count(*) from pg_stat_activity, pg_terminate_backend(pid, 5000) as ended
         where datname = '${database()}' and ended`,
      ])
        .toString()
        .trim(),
    );
  /** Five idle connections in the pool. */
  const warm = () =>
    Promise.all(Array.from({ length: 5 }, () => sql`select pg_sleep(0.02)`.execute(t.db.kysely)));

  it('answers the statements sent just after, on fresh connections', async () => {
    await warm();
    expect(endSessions()).toBe(5);
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        sql<{ n: number }>`select ${i}::int as n`.execute(t.db.kysely),
      ),
    );
    expect(answers.map((a) => a.rows[0]?.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('fails a transaction whose session ended in its middle, then works again', async () => {
    await warm();
    await expect(
      t.db.kysely.transaction().execute(async (tx) => {
        await sql`select 1`.execute(tx);
        endSessions();
        await sql`select 2`.execute(tx);
      }),
    ).rejects.toThrow(/terminat/);
    expect((await sql<{ n: number }>`select 3::int as n`.execute(t.db.kysely)).rows).toEqual([
      { n: 3 },
    ]);
  });
});
