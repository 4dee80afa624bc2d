import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';

/** node:sqlite binds only null, numbers, bigints, strings and bytes: map the rest here, once. */
function toSqlite(value: unknown): SQLInputValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.getTime();
  if (
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    typeof value === 'string' ||
    value instanceof Uint8Array
  ) {
    return value;
  }
  throw new TypeError(`Cannot bind a ${typeof value} to SQLite`);
}

function bind(parameters: ReadonlyArray<unknown>): SQLInputValue[] {
  return parameters.map(toSqlite);
}

function adaptStatement(stmt: StatementSync): SqliteStatement {
  return {
    // A statement returns rows when it has result columns (SELECT, or ... RETURNING).
    reader: stmt.columns().length > 0,
    all: (parameters) => stmt.all(...bind(parameters)),
    run: (parameters) => stmt.run(...bind(parameters)),
    iterate: (parameters) => stmt.iterate(...bind(parameters)),
  };
}

export interface SqliteHandle {
  dialect: SqliteDialect;
  database: DatabaseSync;
}

/**
 * A Kysely dialect over Node's built-in `node:sqlite` (no native add-on to compile). WAL and a
 * busy timeout let a web process and worker processes share one file.
 */
export function createSqliteDialect(file: string): SqliteHandle {
  const database = new DatabaseSync(file);
  database.exec('PRAGMA journal_mode = WAL');
  database.exec('PRAGMA busy_timeout = 10000');
  database.exec('PRAGMA foreign_keys = ON');
  database.exec('PRAGMA synchronous = NORMAL');
  const adapter: SqliteDatabase = {
    close: () => database.close(),
    prepare: (sql) => adaptStatement(database.prepare(sql)),
  };
  return { dialect: new SqliteDialect({ database: adapter }), database };
}
