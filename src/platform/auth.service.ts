import { createHash, randomBytes } from 'node:crypto';
import { newId, type Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { toUser, type User } from './accounts.service.ts';
import { verifyPassword } from './passwords.ts';

/**
 * Login throttling. Failures are counted per (address, account) and per account; an address's
 * failures on other accounts never count against a login, so one pupil failing behind the
 * school's shared address (NAT) does not lock out the class.
 *
 * - Per (address, account): PAIR_FREE_FAILURES attempts, then each next one waits an
 *   exponential backoff after the pair's last failure (1 s, 2 s, 4 s... at most PAIR_MAX_DELAY_MS).
 * - Per account: from ACCOUNT_SLOW_AFTER failures (from anywhere), an address that has itself
 *   failed on the account waits at least ACCOUNT_DELAY_MS after its own last failure. An address
 *   that has not failed is never refused: the right password from it always gets in.
 * - A counter is forgotten THROTTLE_WINDOW_MS after its last failure.
 *
 * The attempt is counted before the password is checked, by a compare-and-swap UPDATE, so
 * parallel attempts cannot slip past the count while argon2 runs.
 */
export const THROTTLE_WINDOW_MS = 15 * 60_000;
export const PAIR_FREE_FAILURES = 5;
export const PAIR_MAX_DELAY_MS = 15 * 60_000;
export const ACCOUNT_SLOW_AFTER = 10;
export const ACCOUNT_DELAY_MS = 60_000;
/** Last-seen times are written at most this often: a session read is not a write. */
const TOUCH_EVERY_MS = 60_000;

export const TOKEN_PREFIX = 'mdt_';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** 256 bits from the OS CSPRNG, URL-safe. Only their hash is ever stored. */
function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export interface ApiToken {
  id: string;
  name: string;
  login: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** Logins, sessions (cookie) and API tokens (bearer). */
export class AuthService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly config: Pick<Config, 'sessions'>;

  constructor(deps: { db: Db; clock: Clock; config: Pick<Config, 'sessions'> }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.config = deps.config;
  }

  /**
   * Checks a login and password and opens a session. Unknown login, wrong password and
   * disabled account all answer the same 401, after the same argon2 work.
   */
  async login(
    login: string,
    password: string,
    address: string,
  ): Promise<{ user: User; token: string; expiresAt: number }> {
    const normalized = login.trim().toLowerCase();
    const accountKey = `login:${normalized}`;
    const pairKey = `pair:${address}|${normalized}`;
    await this.reserveAttempt(accountKey, pairKey);
    const row = await this.db.kysely
      .selectFrom('users')
      .selectAll()
      .where('login', '=', normalized)
      .executeTakeFirst();
    const ok = await verifyPassword(row?.password_hash ?? null, password);
    if (row === undefined || !ok || row.disabled === 1) {
      // Already counted by reserveAttempt.
      throw new AppError('invalid_credentials', 'Wrong login or password');
    }
    await this.releaseAttempt(accountKey, pairKey);
    const token = newSecret();
    const now = this.clock.now();
    const expiresAt = now + this.config.sessions.maxAgeMs;
    await this.db.kysely
      .insertInto('sessions')
      .values({
        id: sha256(token),
        user_id: row.id,
        created_at: now,
        last_seen_at: now,
        expires_at: expiresAt,
      })
      .execute();
    return { user: toUser(row), token, expiresAt };
  }

  async logout(token: string): Promise<void> {
    await this.db.kysely.deleteFrom('sessions').where('id', '=', sha256(token)).execute();
  }

  /** The user of a live session, or undefined (expired sessions are deleted on sight). */
  async resolveSession(token: string): Promise<User | undefined> {
    const id = sha256(token);
    const row = await this.db.kysely
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .selectAll('users')
      .select(['sessions.last_seen_at', 'sessions.expires_at'])
      .where('sessions.id', '=', id)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const now = this.clock.now();
    const expired = now >= row.expires_at || now - row.last_seen_at >= this.config.sessions.idleMs;
    if (expired || row.disabled === 1) {
      await this.db.kysely.deleteFrom('sessions').where('id', '=', id).execute();
      return undefined;
    }
    if (now - row.last_seen_at >= TOUCH_EVERY_MS) {
      await this.db.kysely
        .updateTable('sessions')
        .set({ last_seen_at: now })
        .where('id', '=', id)
        .execute();
    }
    return toUser(row);
  }

  async createToken(userId: string, name: string): Promise<{ token: string; id: string }> {
    const token = `${TOKEN_PREFIX}${newSecret()}`;
    const id = newId();
    await this.db.kysely
      .insertInto('api_tokens')
      .values({
        id,
        user_id: userId,
        name,
        token_hash: sha256(token),
        created_at: this.clock.now(),
      })
      .execute();
    return { token, id };
  }

  async resolveToken(token: string): Promise<User | undefined> {
    const row = await this.db.kysely
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .selectAll('users')
      .select(['api_tokens.id as token_id', 'api_tokens.last_used_at'])
      .where('api_tokens.token_hash', '=', sha256(token))
      .where('api_tokens.revoked_at', 'is', null)
      .executeTakeFirst();
    if (row === undefined || row.disabled === 1) return undefined;
    const now = this.clock.now();
    if (row.last_used_at === null || now - row.last_used_at >= TOUCH_EVERY_MS) {
      await this.db.kysely
        .updateTable('api_tokens')
        .set({ last_used_at: now })
        .where('id', '=', row.token_id)
        .execute();
    }
    return toUser(row);
  }

  async listTokens(userId?: string): Promise<ApiToken[]> {
    let query = this.db.kysely
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .select([
        'api_tokens.id',
        'api_tokens.name',
        'users.login',
        'api_tokens.created_at',
        'api_tokens.last_used_at',
        'api_tokens.revoked_at',
      ])
      .orderBy('api_tokens.created_at');
    if (userId !== undefined) query = query.where('api_tokens.user_id', '=', userId);
    const rows = await query.execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      login: r.login,
      createdAt: r.created_at,
      lastUsedAt: r.last_used_at,
      revokedAt: r.revoked_at,
    }));
  }

  async revokeToken(id: string): Promise<void> {
    const res = await this.db.kysely
      .updateTable('api_tokens')
      .set({ revoked_at: this.clock.now() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0)
      throw new AppError('not_found', 'No active token with that id');
  }

  /**
   * Counts this attempt against (address, account) and the account before the password is
   * checked, or refuses it with 429 `rate_limited` while the pair has to wait.
   */
  private async reserveAttempt(accountKey: string, pairKey: string): Promise<void> {
    const now = this.clock.now();
    const account = await this.db.kysely
      .selectFrom('auth_throttle')
      .select(['failures', 'window_start'])
      .where('key', '=', accountKey)
      .executeTakeFirst();
    const accountFailures =
      account !== undefined && now - account.window_start < THROTTLE_WINDOW_MS
        ? account.failures
        : 0;
    // Only an address that has failed on this account waits (countIfAllowed asks after the
    // first failure): an address without a count here is never held.
    const waitAfter = (pairFailures: number): number => {
      const backoff =
        pairFailures < PAIR_FREE_FAILURES
          ? 0
          : Math.min(1000 * 2 ** (pairFailures - PAIR_FREE_FAILURES), PAIR_MAX_DELAY_MS);
      return Math.max(backoff, accountFailures >= ACCOUNT_SLOW_AFTER ? ACCOUNT_DELAY_MS : 0);
    };
    const waitMs = await this.countIfAllowed(pairKey, now, waitAfter);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      throw new AppError('rate_limited', `Too many failed logins: try again in ${seconds} s`, {
        details: { retryAfterSeconds: seconds },
      });
    }
    await this.db.kysely
      .insertInto('auth_throttle')
      .values({ key: accountKey, failures: 1, window_start: now })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet((eb) => ({
          // A counter idle for a whole window starts again at one.
          failures: eb
            .case()
            .when('auth_throttle.window_start', '<=', now - THROTTLE_WINDOW_MS)
            .then(1)
            .else(eb('auth_throttle.failures', '+', 1))
            .end(),
          window_start: now,
        })),
      )
      .execute();
  }

  /**
   * Adds one to `key`'s count (its `window_start` becoming the time of this attempt) unless
   * `waitAfter(count)` says the last one was too recent; answers how long is left to wait, 0
   * when counted. A compare-and-swap: two attempts reading the same count cannot both pass.
   */
  private async countIfAllowed(
    key: string,
    now: number,
    waitAfter: (failures: number) => number,
  ): Promise<number> {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const row = await this.db.kysely
        .selectFrom('auth_throttle')
        .select(['failures', 'window_start'])
        .where('key', '=', key)
        .executeTakeFirst();
      if (row === undefined) {
        const inserted = await this.db.kysely
          .insertInto('auth_throttle')
          .values({ key, failures: 1, window_start: now })
          .onConflict((oc) => oc.column('key').doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return 0;
        continue; // another attempt created it first: read it again
      }
      const stale = now - row.window_start >= THROTTLE_WINDOW_MS;
      const failures = stale ? 0 : row.failures;
      const wait = stale ? 0 : waitAfter(failures);
      // (A parallel attempt that started a moment later may have written a later time.)
      if (wait > 0 && row.window_start + wait > now) return row.window_start + wait - now;
      const updated = await this.db.kysely
        .updateTable('auth_throttle')
        .set({ failures: failures + 1, window_start: Math.max(now, row.window_start) })
        .where('key', '=', key)
        .where('failures', '=', row.failures)
        .where('window_start', '=', row.window_start)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 1) return 0;
    }
    return 1000; // never reached in practice: a key this contended is refused for a second
  }

  /** A successful login: its address starts afresh, and its attempt no longer counts. */
  private async releaseAttempt(accountKey: string, pairKey: string): Promise<void> {
    await this.db.kysely.deleteFrom('auth_throttle').where('key', '=', pairKey).execute();
    await this.db.kysely
      .updateTable('auth_throttle')
      .set((eb) => ({ failures: eb('failures', '-', 1) }))
      .where('key', '=', accountKey)
      .where('failures', '>', 0)
      .execute();
  }
}
