import { createHash } from 'node:crypto';
import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { SESSION_COOKIE } from './auth.ts';

const MINUTE = 60_000;
/** Counters kept per limiter (least recently used dropped first). */
const CACHE = 100_000;

export const LOGIN_ROUTE = '/api/auth/login';

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

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
 * Counters live in the process: with several web processes, each counts its own requests.
 *
 * Returns the check to run once the caller is known (after the session or token is resolved).
 */
export function installRateLimits(
  app: FastifyInstance,
  limits: Config['limits'],
): (request: FastifyRequest) => Promise<void> {
  const options = (max: number, keyGenerator: (request: FastifyRequest) => string) =>
    ({ max, timeWindow: MINUTE, keyGenerator, cache: CACHE }) as Parameters<
      FastifyInstance['createRateLimit']
    >[0];
  const byCaller = app.createRateLimit(options(limits.rateLimitPerMinute, credentialKey));
  const byAddress = app.createRateLimit(
    options(limits.rateLimitPerAddressPerMinute, clientAddress),
  );
  const logins = app.createRateLimit(options(limits.loginRateLimitPerMinute, clientAddress));
  return async (request) => {
    if (request.method === 'POST' && request.url.split('?')[0] === LOGIN_ROUTE)
      await enforce(logins, request, 'login attempts from this address');
    if ((request.auth ?? null) !== null) await enforce(byCaller, request, 'requests');
    else await enforce(byAddress, request, 'requests from this address');
  };
}
