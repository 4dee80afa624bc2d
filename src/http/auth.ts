import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { User } from '../platform/accounts.service.ts';
import type { AuthService } from '../platform/auth.service.ts';

export const SESSION_COOKIE = 'md_session';

export interface AuthState {
  user: User;
  via: 'session' | 'token';
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthState | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The signed-in user, or 401 `unauthenticated`. */
export function requireUser(request: FastifyRequest): User {
  if (request.auth === null) throw new AppError('unauthenticated', 'Please log in');
  return request.auth.user;
}

function expectedOrigin(request: FastifyRequest, publicUrl: string | undefined): string {
  // Through URL so default ports compare equal (http://x:80 is http://x).
  return new URL(publicUrl ?? `${request.protocol}://${request.host}`).origin;
}

function originOf(request: FastifyRequest): string | undefined {
  const origin = request.headers.origin;
  const source = typeof origin === 'string' ? origin : request.headers.referer;
  if (typeof source !== 'string') return undefined;
  try {
    return new URL(source).origin; // an opaque "null" origin becomes "null": refused
  } catch {
    return 'invalid';
  }
}

export function isSecureRequest(request: FastifyRequest, publicUrl: string | undefined): boolean {
  return request.protocol === 'https' || (publicUrl?.startsWith('https:') ?? false);
}

export function setSessionCookie(
  reply: FastifyReply,
  request: FastifyRequest,
  token: string,
  maxAgeMs: number,
  publicUrl: string | undefined,
): void {
  reply.setCookie(SESSION_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: isSecureRequest(request, publicUrl),
    maxAge: Math.floor(maxAgeMs / 1000),
  });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}

/**
 * Resolves who is calling (a bearer token, else the session cookie) and enforces CSRF: a
 * state-changing request authenticated by cookie must come from a page of this site (Origin,
 * else Referer). Bearer requests carry no ambient credential, so they need no Origin.
 * `limit` (the rate limits) runs once the caller is known, and before a refused token is
 * answered: guessing tokens counts against the address like any anonymous request.
 */
export function installAuth(
  app: FastifyInstance,
  auth: AuthService,
  publicUrl: string | undefined,
  limit: (request: FastifyRequest) => Promise<void> = async () => undefined,
): void {
  app.decorateRequest('auth', null);
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/')) return limit(request);
    const header = request.headers.authorization;
    if (typeof header === 'string' && /^bearer\s/i.test(header)) {
      const user = await auth.resolveToken(header.slice(7).trim());
      if (user !== undefined) request.auth = { user, via: 'token' };
      await limit(request);
      if (user === undefined) throw new AppError('unauthenticated', 'Invalid or revoked API token');
      return;
    }
    const token = request.cookies[SESSION_COOKIE];
    const unsafe = !SAFE_METHODS.has(request.method);
    if (unsafe) {
      const origin = originOf(request);
      const expected = expectedOrigin(request, publicUrl);
      // A cookie (or a login form) used from another site is refused; a non-browser client
      // without a cookie sends no Origin and has nothing to forge.
      if (origin !== undefined ? origin !== expected : token !== undefined) {
        await limit(request);
        throw new AppError('csrf', 'This request must come from a page of this site');
      }
    }
    if (token !== undefined) {
      const user = await auth.resolveSession(token);
      if (user !== undefined) request.auth = { user, via: 'session' };
    }
    await limit(request);
  });
}
