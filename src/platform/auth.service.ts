import { createHash, randomBytes } from 'node:crypto';
import { newId, type Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { toUser, type User } from './accounts.service.ts';
import { verifyPassword } from './passwords.ts';

/** Failed logins allowed per window, per login and per client address. */
const THROTTLE_WINDOW_MS = 15 * 60_000;
const MAX_FAILURES_PER_LOGIN = 10;
const MAX_FAILURES_PER_ADDRESS = 50;
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
    const keys = [`login:${normalized}`, `ip:${address}`];
    await this.refuseIfThrottled(normalized, address);
    const row = await this.db.kysely
      .selectFrom('users')
      .selectAll()
      .where('login', '=', normalized)
      .executeTakeFirst();
    const ok = await verifyPassword(row?.password_hash ?? null, password);
    if (row === undefined || !ok || row.disabled === 1) {
      for (const key of keys) await this.recordFailure(key);
      throw new AppError('invalid_credentials', 'Wrong login or password');
    }
    await this.db.kysely
      .deleteFrom('auth_throttle')
      .where('key', '=', keys[0] ?? '')
      .execute();
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

  private async refuseIfThrottled(login: string, address: string): Promise<void> {
    const since = this.clock.now() - THROTTLE_WINDOW_MS;
    const rows = await this.db.kysely
      .selectFrom('auth_throttle')
      .select(['key', 'failures'])
      .where('key', 'in', [`login:${login}`, `ip:${address}`])
      .where('window_start', '>', since)
      .execute();
    for (const r of rows) {
      const max = r.key.startsWith('login:') ? MAX_FAILURES_PER_LOGIN : MAX_FAILURES_PER_ADDRESS;
      if (r.failures >= max) {
        throw new AppError('rate_limited', 'Too many failed logins: try again in a few minutes');
      }
    }
  }

  private async recordFailure(key: string): Promise<void> {
    const now = this.clock.now();
    const since = now - THROTTLE_WINDOW_MS;
    await this.db.kysely
      .insertInto('auth_throttle')
      .values({ key, failures: 1, window_start: now })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet((eb) => ({
          // A window that ended starts again at one failure.
          failures: eb
            .case()
            .when('auth_throttle.window_start', '<=', since)
            .then(1)
            .else(eb('auth_throttle.failures', '+', 1))
            .end(),
          window_start: eb
            .case()
            .when('auth_throttle.window_start', '<=', since)
            .then(now)
            .else(eb.ref('auth_throttle.window_start'))
            .end(),
        })),
      )
      .execute();
  }
}
