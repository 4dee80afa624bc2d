import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import {
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type SqliteDatabase,
  type SqliteStatement,
} from 'kysely';
import { NodeSqliteAdapter, NodeSqliteDriver } from './sqlite-driver.ts';

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

/**
 * One connection to `file`, shaped for Kysely's SQLite connection. The writer sets WAL and a busy
 * timeout so a web process, worker processes and read-only stream connections share one file.
 */
export function openSqliteDatabase(file: string, readOnly = false): SqliteDatabase {
  const database = new DatabaseSync(file, { readOnly, timeout: 10_000 });
  if (!readOnly) {
    database.exec('PRAGMA journal_mode = WAL');
    database.exec('PRAGMA foreign_keys = ON');
    database.exec('PRAGMA synchronous = NORMAL');
  }
  return {
    close: () => database.close(),
    prepare: (sql) => adaptStatement(database.prepare(sql)),
  };
}

/**
 * A Kysely dialect over Node's built-in `node:sqlite` (no native add-on to compile), with our
 * driver: one writer connection, a read-only connection per stream (see `NodeSqliteDriver`).
 */
export class NodeSqliteDialect implements Dialect {
  readonly #file: string;
  readonly #open: typeof openSqliteDatabase;

  /** `open` is for tests that watch connections open and close. */
  constructor(file: string, open: typeof openSqliteDatabase = openSqliteDatabase) {
    this.#file = file;
    this.#open = open;
  }

  createDriver(): Driver {
    return new NodeSqliteDriver(this.#file, this.#open);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new NodeSqliteAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
