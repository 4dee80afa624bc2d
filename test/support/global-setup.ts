import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrateToLatest, openDatabase } from '../../src/db/database.ts';
import { allMigrations } from '../../src/apps/registry.ts';
import { testDbKinds, testPgAdminUrl, withDatabase } from './test-env.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgTemplate: string;
  }
}

/**
 * Once per run: when PostgreSQL is asked for, check it is there (a clear failure, never a
 * silent skip) and build a migrated template database that each test file clones.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!testDbKinds().includes('postgres')) {
    project.provide('pgTemplate', '');
    return async () => undefined;
  }
  const adminUrl = testPgAdminUrl();
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${adminUrl} (${error instanceof Error ? error.message : String(error)}). ` +
        'Start it, set TEST_PG_URL, or run with TEST_DB=sqlite.',
      { cause: error },
    );
  }
  const template = `md_tpl_${process.pid}_${Date.now().toString(36)}`;
  await admin.query(`create database ${template}`);
  const db = openDatabase({ kind: 'postgres', url: withDatabase(adminUrl, template), poolSize: 2 });
  await migrateToLatest(db, allMigrations());
  await db.close();
  project.provide('pgTemplate', template);

  return async () => {
    // Drop the template and any database a crashed test file left behind.
    const { rows } = await admin.query<{ datname: string }>(
      `select datname from pg_database where datname like $1 or datname = $2`,
      [`md_t_${process.pid}_%`, template],
    );
    for (const { datname } of rows) {
      await admin.query(`drop database if exists ${datname} with (force)`);
    }
    await admin.end();
  };
}
