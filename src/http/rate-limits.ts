import { createHash } from 'node:crypto';
import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { SESSION_COOKIE } from './auth.ts';

const MINUTE = 60_000;
/** Counters kept per limiter (least recently used dropped first). */
const CACHE = 100_000;

export const LOGIN_ROUTE = '/api/auth/login';

/** What a limiter answers for one request (the plugin's shape, which ours follows). */
type LimitResult =
  { isAllowed: true } | { isAllowed: false; isExceeded: boolean; ttlInSeconds: number };
type Limiter = (request: FastifyRequest) => Promise<LimitResult>;

/** Where counters live when several web processes must share them. */
export interface SharedLimits {
  /** Redis (the BullMQ one): every web process counts in the same keys. */
  redisUrl: string;
  /** Prefix of the counters' keys (tests use their own). */
  keyPrefix?: string;
}

/**
 * One fixed window per key, in Redis: the first hit of a window sets its expiry, every hit
 * counts, whatever process it reached. Returns the count and what is left of the window.
 */
const HIT = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}
`;

/** How long a request waits for Redis before it is let through uncounted. */
const REDIS_TIMEOUT_MS = 500;

/**
 * The client's address as limits see it: `request.ip` (the socket's, or the one the trusted
 * proxies of TRUST_PROXY forwarded), an IPv6 address widened to its /64 (one household or
 * school gets a /64; rotating inside it must not give fresh counters).
 */
export function clientAddress(request: FastifyRequest): string {
  return normalizeIP(request.ip);
}

/** The session cookie or bearer token the request was authenticated with, hashed. */
function credentialKey(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const secret =
    request.auth?.via === 'token' && typeof header === 'string'
      ? header.slice(7).trim()
      : (request.cookies[SESSION_COOKIE] ?? '');
  return `${request.auth?.via ?? 'none'}:${createHash('sha256').update(secret).digest('base64url')}`;
}

async function enforce(limiter: Limiter, request: FastifyRequest, what: string): Promise<void> {
  const result = await limiter(request);
  if (result.isAllowed || !result.isExceeded) return;
  const seconds = Math.max(1, result.ttlInSeconds);
  throw new AppError('rate_limited', `Too many ${what}: try again in ${seconds} s`, {
    details: { retryAfterSeconds: seconds },
  });
}

/**
 * Request limits that fit a school, where every pupil comes from one public address (NAT):
 * - a signed-in caller is limited per session or API token (RATE_LIMIT_MAX a minute), never
 *   by the address it shares with its class;
 * - a request without a valid session or token is limited per address, loosely
 *   (RATE_LIMIT_ADDRESS_MAX, ten times RATE_LIMIT_MAX by default);
 * - login is limited per address more strictly (RATE_LIMIT_LOGIN_MAX), besides the failure
 *   throttling of AuthService.
 * Counters live in the process, unless `shared` names a Redis: then every web process counts in
 * the same keys, so N processes do not give N times the budget.
 *
 * Returns the check to run once the caller is known (after the session or token is resolved).
 */
export function installRateLimits(
  app: FastifyInstance,
  limits: Config['limits'],
  shared?: SharedLimits,
): (request: FastifyRequest) => Promise<void> {
  const make = shared === undefined ? inProcessLimiter(app) : redisLimiter(app, shared);
  const byCaller = make('caller', limits.rateLimitPerMinute, credentialKey);
  const byAddress = make('address', limits.rateLimitPerAddressPerMinute, clientAddress);
  const logins = make('login', limits.loginRateLimitPerMinute, clientAddress);
  return async (request) => {
    if (request.method === 'POST' && request.url.split('?')[0] === LOGIN_ROUTE)
      await enforce(logins, request, 'login attempts from this address');
    if ((request.auth ?? null) !== null) await enforce(byCaller, request, 'requests');
    else await enforce(byAddress, request, 'requests from this address');
  };
}

type MakeLimiter = (
  name: string,
  max: number,
  keyOf: (request: FastifyRequest) => string,
) => Limiter;

/** The plugin's limiters: counters in this process (least recently used dropped first). */
function inProcessLimiter(app: FastifyInstance): MakeLimiter {
  return (_name, max, keyGenerator) =>
    app.createRateLimit({ max, timeWindow: MINUTE, keyGenerator, cache: CACHE } as Parameters<
      FastifyInstance['createRateLimit']
    >[0]);
}

/**
 * Counters in Redis, shared by every web process. When Redis does not answer in time the
 * request goes through uncounted (and it is logged): a limit is not worth an outage, and
 * failed logins are throttled in the database as well (AuthService).
 */
function redisLimiter(app: FastifyInstance, shared: SharedLimits): MakeLimiter {
  const redis = new Redis(shared.redisUrl, {
    maxRetriesPerRequest: 1,
    commandTimeout: REDIS_TIMEOUT_MS,
    lazyConnect: false,
  });
  // Connection errors are retried by ioredis; each failed request says so below.
  redis.on('error', () => undefined);
  app.addHook('onClose', async () => {
    // Not quit(): against a Redis that went away it would wait for ever.
    redis.disconnect();
  });
  const prefix = shared.keyPrefix ?? 'md:rate:';
  let warnedAt = 0;
  return (name, max, keyOf) => async (request) => {
    try {
      const [count, ttlMs] = (await redis.eval(
        HIT,
        1,
        `${prefix}${name}:${keyOf(request)}`,
        String(MINUTE),
      )) as [number, number];
      return { isAllowed: false, isExceeded: count > max, ttlInSeconds: Math.ceil(ttlMs / 1000) };
    } catch (error) {
      if (Date.now() - warnedAt > MINUTE) {
        warnedAt = Date.now();
        request.log.warn({ err: error }, 'rate limit counters unreachable: requests not counted');
      }
      return { isAllowed: true };
    }
  };
}
