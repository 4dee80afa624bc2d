/**
 * Helpers shared by the parsers of the Blog, Actualités, Agenda and Cours et Wiki endpoints
 * (same habits as `api/platform.ts`: malformed list items are skipped, a malformed answer is an
 * `invalid_response` ApiError), and the multipart upload used by the .ics import.
 */
import {
  ApiError,
  INVALID_RESPONSE,
  NETWORK_ERROR,
  errorFromResponse,
  isRecord,
} from '../api/client.ts';

/** The server's ids are at most 64 characters; they go into URLs. */
export const MAX_ID = 64;
const MAX_TEXT = 1000;

/** What a user may do on a shared resource: its owner everything, others a share right. */
export const ACCESSES = ['owner', 'read', 'contrib', 'manage'] as const;
export type Access = (typeof ACCESSES)[number];

export function isAccess(value: unknown): value is Access {
  return typeof value === 'string' && (ACCESSES as readonly string[]).includes(value);
}

/** `contrib` and up (the owner included): may write in it. */
export function canContribute(access: Access): boolean {
  return access !== 'read';
}

/** `manage` and up: may review, publish, moderate. */
export function canManage(access: Access): boolean {
  return access === 'owner' || access === 'manage';
}

export function isId(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && value.length <= MAX_ID;
}

export function toDate(value: unknown): Date | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A short text (title, name), bounded; `fallback` when absent. */
export function text(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value.slice(0, MAX_TEXT) : fallback;
}

/** HTML or long text: kept whole (the server bounds it). */
export function longText(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** What every shared resource (blog, thread, calendar, wiki) has: its owner and my access. */
export interface OwnedResource {
  id: string;
  title: string;
  ownerId: string;
  ownerName: string;
  createdAt: Date;
  modifiedAt: Date;
  access: Access;
}

/** The common part of a shared resource; undefined when it is not one. */
export function parseOwned(value: Record<string, unknown>): OwnedResource | undefined {
  const { id, title, ownerId, access } = value;
  if (!isId(id) || typeof title !== 'string' || typeof ownerId !== 'string') return undefined;
  if (!isAccess(access)) return undefined;
  const createdAt = toDate(value.createdAt);
  const modifiedAt = toDate(value.modifiedAt) ?? createdAt;
  if (createdAt === undefined || modifiedAt === undefined) return undefined;
  return {
    id,
    title: text(title),
    ownerId,
    ownerName: text(value.ownerName),
    createdAt,
    modifiedAt,
    access,
  };
}

/** `{items:[...]}` with each item parsed; unparsable items are left out. */
export function itemsOf<T>(
  parse: (value: unknown) => T | undefined,
): (body: unknown) => T[] | undefined {
  return (body) => {
    if (!isRecord(body) || !Array.isArray(body.items)) return undefined;
    const items: T[] = [];
    for (const raw of body.items) {
      const item = parse(raw);
      if (item !== undefined) items.push(item);
    }
    return items;
  };
}

/** One path segment of an API URL. */
export function seg(id: string): string {
  return encodeURIComponent(id);
}

/**
 * Sends one file as multipart field `file` and returns the parsed JSON answer. Same-origin
 * `fetch` with the options of `apiRequest` (the server's CSRF check needs this site's Origin);
 * errors are the same `ApiError`s, an abort rejects with the `AbortError`.
 */
export async function postFile(path: string, file: File, signal?: AbortSignal): Promise<unknown> {
  const form = new FormData();
  form.append('file', file, file.name);
  let response: Response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: { accept: 'application/json' },
      body: form,
      credentials: 'same-origin',
      cache: 'no-store',
      referrerPolicy: 'same-origin',
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, NETWORK_ERROR, error instanceof Error ? error.message : 'fetch failed');
  }
  let body: string;
  try {
    body = await response.text();
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError(0, NETWORK_ERROR, 'connection lost while reading the response');
  }
  let json: unknown;
  try {
    json = body === '' ? undefined : JSON.parse(body);
  } catch {
    json = undefined;
  }
  if (!response.ok) throw errorFromResponse(response.status, response.statusText, json);
  if (json === undefined)
    throw new ApiError(response.status, INVALID_RESPONSE, 'response body is not JSON');
  return json;
}
