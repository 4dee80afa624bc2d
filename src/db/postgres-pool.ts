import pg from 'pg';

/**
 * The codes PostgreSQL sends as it ends a session (an operator's `pg_terminate_backend`, a
 * restart, a failover): the statement they answer never ran.
 */
const SESSION_ENDED = new Set(['57P01', '57P02', '57P03']);

const sessionEnded = (error: unknown): boolean =>
  error instanceof Error && 'code' in error && SESSION_ENDED.has(String(error.code));

/** The socket closed under the statement: a read may be sent again, a write may have run. */
const connectionLost = (error: unknown): boolean =>
  error instanceof Error && error.message === 'Connection terminated unexpectedly';

/** What Kysely's PostgresDialect uses of a pool. */
export interface DialectPool {
  connect(): Promise<pg.PoolClient>;
  end(): Promise<void>;
  readonly options: pg.PoolOptions;
  readonly Client: typeof pg.Client;
}

/**
 * `pool`, for Kysely, with one difference: a statement sent on a connection whose session the
 * server had already ended, before the pool heard of it (an idle connection is dropped only
 * when its socket is read), is sent again on a fresh connection, once, outside a transaction.
 * Answered with the session's end (57P01...), it never ran: sent again, writes too. Cut by a
 * closed socket without that answer, only a read is sent again (a write may have run). Inside
 * a transaction the whole transaction failed and the caller decides. Without it, the first
 * requests after a database restart answered 500.
 */
export function resilientPool(pool: pg.Pool): DialectPool {
  const listened = new WeakSet<pg.PoolClient>();
  /**
   * A connection lost between two statements of a checked-out client (the pool listens only
   * to idle ones) is emitted as an 'error' nobody hears, which ends the process; the next
   * statement fails on its own.
   */
  const take = async (): Promise<pg.PoolClient> => {
    const client = await pool.connect();
    if (!listened.has(client)) {
      listened.add(client);
      client.on('error', () => undefined);
    }
    return client;
  };
  return {
    connect: async () => {
      let client = await take();
      let inTransaction = false;
      const send = async (text: string, values: unknown): Promise<pg.QueryResult> => {
        try {
          return await client.query(text, values as unknown[]);
        } catch (error) {
          const again =
            !inTransaction &&
            (sessionEnded(error) || (connectionLost(error) && /^\s*select\b/i.test(text)));
          if (!again) throw error;
          client.release(error instanceof Error ? error : true);
          client = await take();
          return client.query(text, values as unknown[]);
        }
      };
      const wrapped = {
        query: (...args: unknown[]): unknown => {
          const [text, values] = args;
          // Cursors (streams) and other submittables go through as they are.
          if (typeof text !== 'string')
            return (client.query as (...a: unknown[]) => unknown)(...args);
          const verb = text.trimStart().slice(0, 8).toLowerCase();
          return send(text, values)
            .then((result) => {
              if (verb.startsWith('begin') || verb.startsWith('start tr')) inTransaction = true;
              return result;
            })
            .finally(() => {
              if (verb.startsWith('commit') || verb.startsWith('rollback')) inTransaction = false;
            });
        },
        release: (destroy?: boolean | Error) => client.release(destroy),
      };
      return wrapped as unknown as pg.PoolClient;
    },
    end: () => pool.end(),
    get options() {
      return pool.options;
    },
    Client: pg.Client,
  };
}
