/**
 * Where the audit log is written: one table of the routes it records and one pair of hooks on
 * the whole server, so every answer of an audited route (a success, a refusal by the auth hook,
 * a 404 on someone else's id, a 500) is recorded the same way, by the route it answered.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditAction, AuditEventInput, AuditLog } from './audit.ts';
import type { AuditOutcome } from './audit.schema.ts';

interface AuditedRoute {
  action: AuditAction;
  /** `param`: the `:id` of the URL; `created`: the `id` of the answer; `none`. */
  target: 'param' | 'created' | 'none';
  /** What else is worth keeping from the request (short). */
  detail?(body: unknown): Record<string, string | number | boolean>;
  /** Whether this request is worth an event (a resumed download is not a new one). */
  when?(request: FastifyRequest): boolean;
}

const appsOf = (body: unknown): Record<string, string | boolean> => {
  if (typeof body !== 'object' || body === null) return {};
  const detail: Record<string, string | boolean> = {};
  if ('apps' in body && Array.isArray(body.apps)) detail.apps = body.apps.map(String).join(',');
  if ('dryRun' in body && typeof body.dryRun === 'boolean') detail.dryRun = body.dryRun;
  return detail;
};

/** A download starts once; the Range requests that resume it are not new downloads. */
const startsDownload = (request: FastifyRequest): boolean => {
  const range = request.headers.range;
  return range === undefined || /^bytes=0-/.test(range);
};

/** The audited routes, by `METHOD url` as declared. */
export const AUDITED_ROUTES: Readonly<Record<string, AuditedRoute>> = {
  'POST /api/auth/login': { action: 'login', target: 'none' },
  'POST /api/archive/exports': { action: 'export_requested', target: 'created', detail: appsOf },
  'GET /api/archive/exports/:id/download': {
    action: 'export_downloaded',
    target: 'param',
    when: startsDownload,
  },
  'POST /api/archive/exports/:id/cancel': { action: 'export_cancelled', target: 'param' },
  'DELETE /api/archive/exports/:id': { action: 'export_deleted', target: 'param' },
  'POST /api/archive/imports': { action: 'import_uploaded', target: 'created' },
  'POST /api/archive/imports/:id/launch': {
    action: 'import_launched',
    target: 'param',
    detail: appsOf,
  },
  'POST /api/archive/imports/:id/undo': { action: 'import_undone', target: 'param' },
  'DELETE /api/archive/imports/:id': { action: 'import_cancelled', target: 'param' },
};

const outcomeOf = (status: number): AuditOutcome =>
  status < 400 ? 'ok' : status < 500 ? 'refused' : 'failed';

function parseJson(payload: unknown): unknown {
  if (typeof payload !== 'string') return undefined;
  try {
    return JSON.parse(payload);
  } catch {
    return undefined;
  }
}

const field = (value: unknown, ...path: string[]): string | undefined => {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = Object.entries(at).find(([k]) => k === key)?.[1];
  }
  return typeof at === 'string' ? at : undefined;
};

/**
 * Records every answer of an audited route once it is sent (the client never waits on the
 * log). Installed on the root instance, before the route modules, so it sees all of them.
 */
export function installAudit(app: FastifyInstance, audit: AuditLog): void {
  // The answer's JSON (its created id, its error code), kept from onSend for onResponse.
  const answers = new WeakMap<FastifyRequest, unknown>();

  const routeOf = (request: FastifyRequest): AuditedRoute | undefined => {
    const route = AUDITED_ROUTES[`${request.method} ${request.routeOptions.url ?? ''}`];
    return route === undefined || (route.when?.(request) ?? true) ? route : undefined;
  };

  app.addHook('onSend', async (request, _reply, payload) => {
    if (routeOf(request) !== undefined) answers.set(request, parseJson(payload));
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = routeOf(request);
    if (route === undefined) return;
    const answer = answers.get(request);
    const outcome = outcomeOf(reply.statusCode);
    const user = request.auth?.user;
    let actor: AuditEventInput['actor'] = { id: null, login: null };
    if (user !== undefined) actor = { id: user.id, login: user.login };
    else if (route.action === 'login') {
      // A login names its user in its answer when it succeeds, and as typed when it fails.
      const id = field(answer, 'user', 'id');
      const login = field(answer, 'user', 'login');
      actor =
        id !== undefined && login !== undefined
          ? { id, login }
          : { id: null, login: field(request.body, 'login') ?? null };
    }
    const params = request.params;
    const targetId =
      route.target === 'param'
        ? field(params, 'id')
        : route.target === 'created' && outcome === 'ok'
          ? field(answer, 'id')
          : undefined;
    const code = field(answer, 'error', 'code');
    const detail = {
      ...(route.detail?.(request.body) ?? {}),
      ...(code === undefined ? {} : { code }),
      ...(outcome === 'ok' ? {} : { status: reply.statusCode }),
    };
    await audit.record({
      action: route.action,
      outcome,
      actor,
      targetId: targetId ?? null,
      detail: Object.keys(detail).length === 0 ? null : detail,
      clientAddress: request.ip,
    });
  });
}
