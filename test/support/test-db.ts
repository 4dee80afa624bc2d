import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import type { DatabaseConfig } from '../../src/config.ts';
import { migrateToLatest, openDatabase, type Db } from '../../src/db/database.ts';
import { allMigrations } from '../../src/apps/registry.ts';
import { testPgAdminUrl, withDatabase, type TestDbKind } from './test-env.ts';

export interface TestDatabase {
  readonly kind: TestDbKind;
  readonly config: DatabaseConfig;
  readonly db: Db;
  /** Closes the connection and deletes the database. */
  destroy(): Promise<void>;
}

let counter = 0;

/**
 * A fresh, migrated database for one test file: a SQLite file in a temp dir, or a PostgreSQL
 * database cloned from the run's migrated template (fast: no migration per file).
 */
export async function createTestDatabase(kind: TestDbKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-db-'));
    const config: DatabaseConfig = { kind: 'sqlite', file: path.join(dir, 'test.sqlite') };
    const db = openDatabase(config);
    await migrateToLatest(db, allMigrations());
    return {
      kind,
      config,
      db,
      async destroy() {
        await db.close().catch(() => undefined);
        await fs.rm(dir, { recursive: true, force: true });
      },
    };
  }
  const template = inject('pgTemplate');
  if (!template) throw new Error('PostgreSQL template missing: TEST_DB excludes postgres?');
  const adminUrl = testPgAdminUrl();
  counter += 1;
  const name = `md_t_${process.ppid}_${process.pid}_${counter}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // Two files cloning the template at the same instant can collide; a retry settles it.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`create database ${name} template ${template}`);
        break;
      } catch (error) {
        if (attempt >= 10) throw error;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  } finally {
    await admin.end();
  }
  const config: DatabaseConfig = {
    kind: 'postgres',
    url: withDatabase(adminUrl, name),
    poolSize: 5,
  };
  const db = openDatabase(config);
  return {
    kind,
    config,
    db,
    async destroy() {
      await db.close();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
