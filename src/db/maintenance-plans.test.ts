import { CompiledQuery, type KyselyPlugin, type RootOperationNode } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-db.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import { ExportRepository } from '../archive/export.repository.ts';
import { ImportRepository } from '../archive/import/import.repository.ts';
import type { Db } from './database.ts';

/**
 * The queries maintenance runs every period over every user's history (expired archives, stale
 * imports) read through an index, not a scan of the whole table: with a million accounts a scan
 * every ten minutes is the load the operators would see. The queries are the repositories' own,
 * caught as they run; the plan is the database's (PostgreSQL told not to prefer a scan of these
 * small test tables).
 */
describe.each(testDbKinds())('maintenance query plans on %s', (kind) => {
  let t: TestDatabase;
  const seen: RootOperationNode[] = [];
  let db: Db;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    const catcher: KyselyPlugin = {
      transformQuery: (args) => {
        seen.push(args.node);
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    db = { ...t.db, kysely: t.db.kysely.withPlugin(catcher) };
  });
  afterAll(() => t.destroy());

  /** The plan of the one query `run` makes, as text. */
  async function planOf(run: () => Promise<unknown>): Promise<string> {
    seen.length = 0;
    await run();
    expect(seen).toHaveLength(1);
    const node = seen[0];
    if (node === undefined) throw new Error('no query');
    const compiled = t.db.kysely.getExecutor().compileQuery(node, { queryId: 'plan' });
    if (kind === 'sqlite') {
      const rows = await t.db.kysely.executeQuery<{ detail: string }>(
        CompiledQuery.raw(`EXPLAIN QUERY PLAN ${compiled.sql}`, [...compiled.parameters]),
      );
      return rows.rows.map((r) => r.detail).join('\n');
    }
    return t.db.kysely.transaction().execute(async (tx) => {
      await tx.executeQuery(CompiledQuery.raw('SET LOCAL enable_seqscan = off'));
      const rows = await tx.executeQuery<{ 'QUERY PLAN': string }>(
        CompiledQuery.raw(`EXPLAIN ${compiled.sql}`, [...compiled.parameters]),
      );
      return rows.rows.map((r) => r['QUERY PLAN']).join('\n');
    });
  }

  it('finds stale imports by status and age through an index', async () => {
    const plan = await planOf(() => new ImportRepository(db).stale(Date.now()));
    expect(plan).toMatch(/archive_imports_stale/);
  });

  it('finds expired archives through an index', async () => {
    const plan = await planOf(() => new ExportRepository(db).expiredReady(Date.now()));
    expect(plan).toMatch(/archive_exports_expiry/);
  });
});
