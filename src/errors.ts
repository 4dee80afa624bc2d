/**
 * The stable error codes the API answers with. Clients branch on these, so they only grow.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'unauthenticated'
  | 'invalid_credentials'
  | 'csrf'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'quota_exceeded'
  | 'rate_limited'
  | 'archive_invalid'
  | 'archive_too_large'
  | 'unsupported_version'
  | 'archive_unsafe'
  | 'archive_corrupt'
  | 'archive_signature_invalid'
  | 'archive_untrusted'
  | 'archive_unsupported'
  | 'export_in_progress'
  | 'import_in_progress'
  | 'unavailable'
  | 'internal';

const defaultStatus: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  csrf: 403,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  quota_exceeded: 413,
  rate_limited: 429,
  archive_invalid: 422,
  archive_too_large: 413,
  unsupported_version: 422,
  archive_unsafe: 422,
  archive_corrupt: 422,
  archive_signature_invalid: 422,
  archive_untrusted: 422,
  archive_unsupported: 422,
  export_in_progress: 409,
  import_in_progress: 409,
  unavailable: 503,
  internal: 500,
};

export interface AppErrorOptions {
  status?: number;
  details?: unknown;
  cause?: unknown;
}

/** The one error type services throw; the HTTP error handler maps it to `{error:{code,message}}`. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? defaultStatus[code];
    this.details = options.details;
  }
}
