import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, type ErrorCode } from '../errors.ts';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown; requestId?: string };
}

/** Fastify's own 4xx errors (body too large, bad JSON, rate limit...) mapped to our codes. */
function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return 'unauthenticated';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 429:
      return 'rate_limited';
    default:
      return 'invalid_request';
  }
}

/**
 * Errors of a request body that is not well-formed multipart/form-data, raised by
 * @fastify/multipart or busboy while the route reads it: the client's fault, not ours.
 */
function isMalformedMultipart(error: FastifyError): boolean {
  if (typeof error.code === 'string' && /^FST_(PROTO_VIOLATION|INVALID_MULTIPART)/.test(error.code))
    return true;
  return /^(Multipart: Boundary not found|Boundary required|Malformed part header|Unexpected end of (multipart data|form|file)|\w+ terminated early due to unexpected end of multipart data)/i.test(
    error.message ?? '',
  );
}

/** Error codes of a full disk (or a user's disk quota of the service's account reached). */
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);

/**
 * Whether `error`, or an error it wraps (`cause`), is a full disk: no bug of ours but an
 * operator's matter, answered 507 and logged as a warning rather than an unexpected error.
 */
export function isDiskFull(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && DISK_FULL.has(code)) return true;
    current = current.cause;
  }
  return false;
}

/** Fastify's errors raised before routing (a path that is not valid percent-encoding...). */
export function frameworkError(error: FastifyError): { status: number; body: ErrorBody } {
  const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 400;
  const message =
    error.code === 'FST_ERR_BAD_URL'
      ? 'The URL is not valid (bad percent-encoding)'
      : error.message;
  return { status, body: { error: { code: codeForStatus(status), message } } };
}

/**
 * One place maps every error to `{"error":{"code","message"}}`. Only unexpected errors are
 * logged as errors, with the request id; the client never sees a stack or an internal message.
 */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AppError) {
      const body: ErrorBody = { error: { code: error.code, message: error.message } };
      if (error.details !== undefined) body.error.details = error.details;
      const retryAfter = (error.details as { retryAfterSeconds?: unknown } | undefined)
        ?.retryAfterSeconds;
      if (error.code === 'rate_limited' && typeof retryAfter === 'number')
        void reply.header('retry-after', String(retryAfter));
      return reply.status(error.status).send(body);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const details = error.validation.map((v) => ({
        path: v.instancePath || '/',
        message: v.message,
      }));
      const where = error.validationContext ?? 'request';
      return reply.status(400).send({
        error: { code: 'invalid_request', message: `Invalid ${where}`, details },
      } satisfies ErrorBody);
    }
    if (isMalformedMultipart(error)) {
      return reply.status(400).send({
        error: { code: 'invalid_request', message: `Malformed multipart body: ${error.message}` },
      } satisfies ErrorBody);
    }
    if (isDiskFull(error)) {
      request.log.warn({ err: error }, 'the storage is full');
      return reply.status(507).send({
        error: {
          code: 'unavailable',
          message: `The server's storage is full: try again later (request ${request.id})`,
          requestId: request.id,
        },
      } satisfies ErrorBody);
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.status(status).send({
        error: { code: codeForStatus(status), message: error.message },
      } satisfies ErrorBody);
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.status(500).send({
      error: {
        code: 'internal',
        message: `An unexpected error occurred (request ${request.id})`,
        requestId: request.id,
      },
    } satisfies ErrorBody);
  });
}
