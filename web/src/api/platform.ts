/**
 * Platform endpoints (auth, current user, portal apps, timeline), with hand-written parsers:
 * a malformed response is an `invalid_response` ApiError; malformed list items are skipped.
 */
import { apiRequest, expectShape, isRecord } from './client.ts';

export const PROFILES = ['Student', 'Teacher', 'Relative', 'Personnel'] as const;
export type Profile = (typeof PROFILES)[number];

export function isProfile(value: unknown): value is Profile {
  return typeof value === 'string' && (PROFILES as readonly string[]).includes(value);
}

export interface User {
  id: string;
  login: string;
  displayName: string;
  /** One of `PROFILES` normally; kept as sent so an unknown profile can still be shown. */
  profile: string;
}

export interface Quota {
  /** Bytes used. */
  used: number;
  /** Bytes allowed. */
  total: number;
}

export interface Me {
  user: User;
  rights: readonly string[];
  quota: Quota | undefined;
}

export interface PortalApp {
  id: string;
  label: string;
  path: string;
}

export type TimelineParam = string | number;

export interface TimelineItem {
  id: string;
  type: string;
  messageKey: string;
  params: Readonly<Record<string, TimelineParam>>;
  /** A same-site path (checked), or null. */
  link: string | null;
  createdAt: Date;
  read: boolean;
}

export interface TimelinePage {
  items: TimelineItem[];
  unreadCount: number;
  nextCursor: string | null;
}

const MAX_TEXT = 500;

function isId(value: unknown): value is string | number {
  return (
    (typeof value === 'string' && value !== '') ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isAmount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * A path on this site: `/something`, but not `//host` or `/\host` (protocol-relative URLs that
 * browsers resolve to another origin).
 */
export function isSameSitePath(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.startsWith('/') &&
    !value.startsWith('//') &&
    !value.startsWith('/\\') &&
    !hasWhitespaceOrControl(value)
  );
}

/** Whitespace and control characters have no business in a link we render. */
function hasWhitespaceOrControl(value: string): boolean {
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (code <= 0x20 || code === 0x7f || /\s/.test(char)) return true;
  }
  return false;
}

export function parseUser(value: unknown): User | undefined {
  if (!isRecord(value)) return undefined;
  const { id, login, displayName, profile } = value;
  if (!isId(id) || typeof login !== 'string' || typeof profile !== 'string') return undefined;
  const name = typeof displayName === 'string' && displayName.trim() !== '' ? displayName : login;
  return {
    id: String(id),
    login: login.slice(0, MAX_TEXT),
    displayName: name.slice(0, MAX_TEXT),
    profile: profile.slice(0, MAX_TEXT),
  };
}

function parseQuota(value: unknown): Quota | undefined {
  if (!isRecord(value)) return undefined;
  const { used, total } = value;
  if (!isAmount(used) || !isAmount(total)) return undefined;
  return { used, total };
}

export function parseMe(body: unknown): Me | undefined {
  if (!isRecord(body)) return undefined;
  const user = parseUser(body.user);
  if (!user) return undefined;
  const rights = Array.isArray(body.rights)
    ? body.rights.filter((right): right is string => typeof right === 'string')
    : [];
  return { user, rights, quota: parseQuota(body.quota) };
}

function parseApp(value: unknown): PortalApp | undefined {
  if (!isRecord(value)) return undefined;
  const { id, label, path } = value;
  if (typeof id !== 'string' || id === '' || !isSameSitePath(path)) return undefined;
  return {
    id,
    label: typeof label === 'string' && label.trim() !== '' ? label.slice(0, MAX_TEXT) : id,
    path,
  };
}

export function parseApps(body: unknown): PortalApp[] | undefined {
  if (!isRecord(body) || !Array.isArray(body.items)) return undefined;
  const seen = new Set<string>();
  const apps: PortalApp[] = [];
  for (const raw of body.items) {
    const app = parseApp(raw);
    if (app && !seen.has(app.id)) {
      seen.add(app.id);
      apps.push(app);
    }
  }
  return apps;
}

function parseParams(value: unknown): Record<string, TimelineParam> {
  const params: Record<string, TimelineParam> = {};
  if (!isRecord(value)) return params;
  for (const [key, param] of Object.entries(value)) {
    if (typeof param === 'string') params[key] = param.slice(0, MAX_TEXT);
    else if (typeof param === 'number' && Number.isFinite(param)) params[key] = param;
    else if (typeof param === 'boolean') params[key] = String(param);
  }
  return params;
}

function parseTimelineItem(value: unknown): TimelineItem | undefined {
  if (!isRecord(value)) return undefined;
  const { id, type, messageKey, params, link, createdAt, read } = value;
  if (!isId(id) || typeof messageKey !== 'string' || messageKey === '') return undefined;
  if (typeof createdAt !== 'number' || !Number.isFinite(createdAt)) return undefined;
  const date = new Date(createdAt);
  if (Number.isNaN(date.getTime())) return undefined;
  return {
    id: String(id),
    type: typeof type === 'string' ? type : '',
    messageKey: messageKey.slice(0, MAX_TEXT),
    params: parseParams(params),
    link: isSameSitePath(link) ? link : null,
    createdAt: date,
    read: read === true,
  };
}

export function parseTimelinePage(body: unknown): TimelinePage | undefined {
  if (!isRecord(body) || !Array.isArray(body.items) || !isCount(body.unreadCount)) {
    return undefined;
  }
  const { nextCursor } = body;
  if (nextCursor !== null && nextCursor !== undefined && typeof nextCursor !== 'string') {
    return undefined;
  }
  const items: TimelineItem[] = [];
  for (const raw of body.items) {
    const item = parseTimelineItem(raw);
    if (item) items.push(item);
  }
  return {
    items,
    unreadCount: body.unreadCount,
    nextCursor: typeof nextCursor === 'string' && nextCursor !== '' ? nextCursor : null,
  };
}

function parseUnreadCount(body: unknown): number | undefined {
  return isRecord(body) && isCount(body.unreadCount) ? body.unreadCount : undefined;
}

// --- Endpoints ----------------------------------------------------------------------------

export async function login(
  credentials: { login: string; password: string },
  signal?: AbortSignal,
): Promise<User> {
  const body = await apiRequest('/api/auth/login', { method: 'POST', body: credentials, signal });
  return expectShape(
    body,
    (value) => (isRecord(value) ? parseUser(value.user) : undefined),
    'login',
  );
}

export async function logout(): Promise<void> {
  await apiRequest('/api/auth/logout', { method: 'POST' });
}

export async function fetchMe(signal?: AbortSignal): Promise<Me> {
  return expectShape(await apiRequest('/api/me', { signal }), parseMe, 'me');
}

export async function fetchApps(signal?: AbortSignal): Promise<PortalApp[]> {
  return expectShape(await apiRequest('/api/portal/apps', { signal }), parseApps, 'apps');
}

export async function fetchTimeline(
  options: { limit: number; before?: string | null },
  signal?: AbortSignal,
): Promise<TimelinePage> {
  const query = new URLSearchParams({ limit: String(options.limit) });
  if (options.before) query.set('before', options.before);
  const body = await apiRequest(`/api/timeline?${query.toString()}`, { signal });
  return expectShape(body, parseTimelinePage, 'timeline');
}

/** Marks the given items read, or all of them when `ids` is absent. Returns the new unread count. */
export async function markTimelineRead(
  ids?: readonly string[],
  options: { keepalive?: boolean } = {},
): Promise<number> {
  const body = await apiRequest('/api/timeline/read', {
    method: 'POST',
    body: ids === undefined ? {} : { ids },
    keepalive: options.keepalive ?? false,
  });
  return expectShape(body, parseUnreadCount, 'timeline read');
}
