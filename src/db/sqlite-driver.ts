import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type SqliteDatabase,
} from 'kysely';

/**
 * Who holds the writer connection for a transaction. A plain statement runs synchronously (one
 * `DatabaseSync` call: nothing can interleave), so only a transaction, which spans awaits, needs
 * the writer to itself: other callers' statements wait until it commits or rolls back.
 */
class TransactionLock {
  #owner: object | undefined;
  #waiters: Array<() => void> = [];

  /** Whether `caller` may use the writer now (nobody else holds a transaction). */
  isFreeFor(caller: object): boolean {
    return this.#owner === undefined || this.#owner === caller;
  }

  /** Resolves at the next release; the caller checks again (another waiter may have taken it). */
  released(): Promise<void> {
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Takes the writer. The check and the take happen in the same turn: every waiter wakes when
   * the writer is released, and only the first to run may take it (waiting, then taking it in a
   * later turn let two wakers through).
   */
  async acquire(caller: object): Promise<void> {
    while (!this.isFreeFor(caller)) await this.released();
    this.#owner = caller;
  }

  holds(caller: object): boolean {
    return this.#owner === caller;
  }

  release(caller: object): void {
    if (this.#owner !== caller) return;
    this.#owner = undefined;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * Resolves on the next turn of the event loop, after the I/O that is ready (new connections
 * included). A `DatabaseSync` call answers at once, so without this a request's whole chain of
 * statements ran in one turn, and a turn did every ready request's chain: under load turns
 * lasted hundreds of milliseconds, and since Node accepts one new connection per turn (libuv
 * >= 1.45, "unix: don't accept() connections in a loop"), 200 clients connecting at once waited
 * up to a minute to be accepted. A statement now costs a turn, as a round trip to PostgreSQL
 * does, and a turn does one step of each request.
 */
function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

type Open = (file: string, readOnly: boolean) => SqliteDatabase;

/**
 * Our SQLite driver: one writer connection shared by the process, and a read-only connection of
 * its own for each stream outside a transaction, closed when the stream ends or is abandoned.
 *
 * Kysely's own SQLite driver runs every query of the process behind one mutex and holds it for a
 * whole `.stream()`: an export streaming rows while it wrote files stalled every other request
 * for as long as one app's export lasted. Here a stream never holds the writer (WAL lets its
 * reader see the data committed when it starts while others write), and a transaction holds it
 * only until it ends, as before.
 */
export class NodeSqliteDriver implements Driver {
  readonly #file: string;
  readonly #open: Open;
  readonly #lock = new TransactionLock();
  readonly #readers = new Set<SqliteDriver>();
  #writer: SqliteDriver | undefined;
  #writerConnection: DatabaseConnection | undefined;

  constructor(file: string, open: Open) {
    this.#file = file;
    this.#open = open;
  }

  async init(): Promise<void> {
    const writer = new SqliteDriver({ database: this.#open(this.#file, false) });
    await writer.init();
    this.#writerConnection = await writer.acquireConnection();
    this.#writer = writer;
  }

  acquireConnection(): Promise<DatabaseConnection> {
    const writer = this.#writerConnection;
    if (writer === undefined) return Promise.reject(new Error('SQLite driver is closed'));
    return Promise.resolve(new NodeSqliteConnection(writer, this.#lock, () => this.#openReader()));
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#lock.acquire(connection);
    try {
      await connection.executeQuery(CompiledQuery.raw('begin'));
    } catch (error) {
      this.#lock.release(connection);
      throw error;
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
    this.#lock.release(connection);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await connection.executeQuery(CompiledQuery.raw('rollback'));
    } finally {
      this.#lock.release(connection);
    }
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${identifier(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${identifier(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${identifier(name)}`));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    // A transaction whose commit failed and whose rollback failed too must not keep the writer.
    this.#lock.release(connection);
    return Promise.resolve();
  }

  async destroy(): Promise<void> {
    const readers = [...this.#readers];
    this.#readers.clear();
    await Promise.all(readers.map((reader) => reader.destroy()));
    const writer = this.#writer;
    this.#writer = undefined;
    this.#writerConnection = undefined;
    await writer?.destroy();
  }

  async #openReader(): Promise<Reader> {
    const reader = new SqliteDriver({ database: this.#open(this.#file, true) });
    await reader.init();
    this.#readers.add(reader);
    return {
      connection: await reader.acquireConnection(),
      close: async () => {
        if (this.#readers.delete(reader)) await reader.destroy();
      },
    };
  }
}

function identifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

interface Reader {
  readonly connection: DatabaseConnection;
  close(): Promise<void>;
}

class NodeSqliteConnection implements DatabaseConnection {
  readonly #writer: DatabaseConnection;
  readonly #lock: TransactionLock;
  readonly #openReader: () => Promise<Reader>;

  constructor(
    writer: DatabaseConnection,
    lock: TransactionLock,
    openReader: () => Promise<Reader>,
  ) {
    this.#writer = writer;
    this.#lock = lock;
    this.#openReader = openReader;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    // Inside a transaction no turn is given: it holds the writer, and every other statement
    // waits until it ends.
    if (!this.#lock.holds(this)) await nextTurn();
    while (!this.#lock.isFreeFor(this)) await this.#lock.released();
    // Checked and run in the same turn (the statement runs synchronously when called): a
    // transaction taking the writer in between would otherwise run this statement as its own.
    return this.#writer.executeQuery<R>(compiledQuery);
  }

  async *streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize = 100,
  ): AsyncIterableIterator<QueryResult<R>> {
    if (this.#lock.holds(this)) {
      // Inside a transaction: its own writes must show, and it holds the writer anyway.
      yield* this.#writer.streamQuery<R>(compiledQuery, chunkSize);
      return;
    }
    const reader = await this.#openReader();
    try {
      // Rows come from a synchronous cursor: a turn every chunk, or a consumer that does no I/O
      // between rows would read the whole result in one turn of the event loop.
      let rows = 0;
      for await (const result of reader.connection.streamQuery<R>(compiledQuery, chunkSize)) {
        yield result;
        rows += result.rows.length;
        if (rows >= chunkSize) {
          rows = 0;
          await nextTurn();
        }
      }
    } finally {
      await reader.close();
    }
  }
}

/** SQLite's adapter, but statements no longer queue behind one process-wide mutex. */
export class NodeSqliteAdapter extends SqliteAdapter {
  override get supportsMultipleConnections(): boolean {
    return true;
  }
}
