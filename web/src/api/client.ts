/**
 * Minimal JSON client for the platform API. Every failure that is not an abort becomes an
 * `ApiError`: HTTP errors keep the server's `{"error":{"code","message"}}`, a network failure is
 * status 0 / `network_error`, and a body that is not the expected JSON is `invalid_response`.
 * Aborted requests reject with the original `AbortError` so callers can ignore them.
 */

export const NETWORK_ERROR = 'network_error';
export const INVALID_RESPONSE = 'invalid_response';

export class ApiError extends Error {
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  /** The server's snake_case error code, or `network_error` / `invalid_response` / `http_<status>`. */
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/** The session is missing or expired: the user has to log in again. */
export function isUnauthenticated(error: unknown): boolean {
  return isApiError(error) && error.status === 401;
}

export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/** Anything thrown that is not an abort, as an `ApiError` (programming errors included). */
export function toApiError(error: unknown): ApiError {
  if (isApiError(error)) return error;
  return new ApiError(0, INVALID_RESPONSE, error instanceof Error ? error.message : String(error));
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MAX_MESSAGE_LENGTH = 500;

function parseErrorBody(body: unknown): { code: string; message: string } | undefined {
  if (!isRecord(body) || !isRecord(body.error)) return undefined;
  const { code, message } = body.error;
  if (typeof code !== 'string' || code === '') return undefined;
  return {
    code,
    message: typeof message === 'string' ? message.slice(0, MAX_MESSAGE_LENGTH) : code,
  };
}

/**
 * The `ApiError` for a non-2xx answer, from its parsed JSON body when it has the server's error
 * shape (also used by the upload helper, which goes through `XMLHttpRequest` for its progress).
 */
export function errorFromResponse(status: number, statusText: string, body: unknown): ApiError {
  const parsed = parseErrorBody(body);
  return new ApiError(
    status,
    parsed?.code ?? `http_${status}`,
    parsed?.message ?? (statusText || `HTTP ${status}`),
  );
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Serialised as JSON; when absent, no body and no content-type are sent. */
  body?: unknown;
  signal?: AbortSignal;
  /** Lets the request outlive the page (e.g. marking an item read while following its link). */
  keepalive?: boolean;
}

/**
 * Sends a request and returns the parsed JSON body (`undefined` for 204 No Content).
 * Throws `ApiError` for non-2xx statuses, network failures and non-JSON success bodies.
 */
export async function apiRequest(path: string, options: RequestOptions = {}): Promise<unknown> {
  const { method = 'GET', body, signal, keepalive = false } = options;
  const headers: Record<string, string> = { accept: 'application/json' };
  const init: RequestInit = {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    // The server answers `Referrer-Policy: no-referrer`, under which browsers may send
    // `Origin: null` on a POST; its CSRF check needs this site's Origin (or Referer).
    referrerPolicy: 'same-origin',
    keepalive,
  };
  if (signal) init.signal = signal;
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }

  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, NETWORK_ERROR, error instanceof Error ? error.message : 'fetch failed');
  }

  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, NETWORK_ERROR, 'connection lost while reading the response');
  }

  let json: unknown = undefined;
  if (text !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }

  if (!response.ok) throw errorFromResponse(response.status, response.statusText, json);
  if (response.status === 204 || text === '') return undefined;
  if (json === undefined) {
    throw new ApiError(response.status, INVALID_RESPONSE, 'response body is not JSON');
  }
  return json;
}

/** Runs a parser over a response body; `undefined` from the parser means an unexpected shape. */
export function expectShape<T>(
  body: unknown,
  parse: (value: unknown) => T | undefined,
  what: string,
): T {
  const parsed = parse(body);
  if (parsed === undefined)
    throw new ApiError(200, INVALID_RESPONSE, `unexpected ${what} response`);
  return parsed;
}
