import { Redis } from 'ioredis';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrateToLatest, openDatabase } from '../../src/db/database.ts';
import { allMigrations } from '../../src/apps/registry.ts';
import { testDbKinds, testPgAdminUrl, testRedisUrl, withDatabase } from './test-env.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgTemplate: string;
  }
}

/** A URL fit for a message: its password, if any, hidden. */
function shown(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** How long Redis has to answer before the run gives up on it. */
const REDIS_TIMEOUT_MS = 2000;

/**
 * The BullMQ tests need Redis: without it they would wait on timeouts for minutes. One PING,
 * no retries, a short timeout; a clear error otherwise.
 */
async function checkRedis(url: string): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: REDIS_TIMEOUT_MS,
    commandTimeout: REDIS_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // The socket's own error (ECONNREFUSED, ETIMEDOUT...) says more than the rejection.
  let cause: unknown;
  redis.on('error', (error: unknown) => {
    cause ??= error;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    cause ??= error;
    throw new Error(
      `Redis is not reachable at ${shown(url)} (${cause instanceof Error ? cause.message : String(cause)}). ` +
        'Start it (the BullMQ job queue tests need it) or set TEST_REDIS_URL.',
      { cause: error },
    );
  } finally {
    redis.disconnect();
  }
}

/**
 * Once per run: check the services the tests need are there (a clear failure at once, never
 * a silent skip or minutes of timeouts): Redis always, PostgreSQL when asked for; then build
 * a migrated PostgreSQL template database that each test file clones.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await checkRedis(testRedisUrl());
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
      `PostgreSQL is not reachable at ${shown(adminUrl)} (${error instanceof Error ? error.message : String(error)}). ` +
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
