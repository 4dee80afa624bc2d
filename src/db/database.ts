import fs from 'node:fs';
import path from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { resilientPool } from './postgres-pool.ts';
import type { DatabaseConfig } from '../config.ts';
import type { DialectName } from './dialect.ts';
import type { Database } from './schema.ts';
import { NodeSqliteDialect } from './sqlite-dialect.ts';

// int8 (bigint) columns hold millisecond timestamps and byte counts: read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface Db {
  readonly kysely: Kysely<Database>;
  readonly dialect: DialectName;
  check(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The SQLite file holds every account and password hash: readable by the service's account
 * only. SQLite gives its journal and WAL files the mode of the database file, so a database
 * created 0600 keeps them 0600 too; one created before (0644 under the usual umask) is
 * tightened, with its journals.
 */
function restrictSqliteFile(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    let mode: number;
    try {
      mode = fs.statSync(f).mode;
    } catch {
      continue;
    }
    if ((mode & 0o077) !== 0) fs.chmodSync(f, mode & 0o700);
  }
}

export function openDatabase(config: DatabaseConfig): Db {
  if (config.kind === 'sqlite') {
    restrictSqliteFile(config.file);
    return wrap(new Kysely<Database>({ dialect: new NodeSqliteDialect(config.file) }), 'sqlite');
  }
  const pool = new pg.Pool({ connectionString: config.url, max: config.poolSize });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return wrap(
    new Kysely<Database>({
      dialect: new PostgresDialect({ pool: resilientPool(pool), cursor: Cursor }),
    }),
    'postgres',
  );
}

function wrap(kysely: Kysely<Database>, dialect: DialectName): Db {
  return {
    kysely,
    dialect,
    async check() {
      await sql`select 1`.execute(kysely);
    },
    async close() {
      await kysely.destroy();
    },
  };
}

/**
 * Applies every pending migration of `migrations` (the platform's and the apps', see
 * `allMigrations` in the app registry); safe to run from several processes at once (Kysely
 * locks).
 */
export async function migrateToLatest(
  db: Db,
  migrations: Readonly<Record<string, Migration>>,
): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve({ ...migrations }) };
  const migrator = new Migrator({ db: db.kysely, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
