import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { clearSessionCookie, requireUser, SESSION_COOKIE, setSessionCookie } from '../http/auth.ts';
import { clientAddress } from '../http/rate-limits.ts';
import { installAudit } from './audit.routes.ts';
import type { Platform } from './platform.ts';
import { portalApps, type PortalEntry } from './portal.ts';
import { PROFILES } from './rights.ts';

const userSchema = z.object({
  id: z.string(),
  login: z.string(),
  displayName: z.string(),
  profile: z.enum(PROFILES),
});

const meSchema = z.object({
  user: userSchema,
  rights: z.array(z.string()),
  quota: z.object({ used: z.number(), total: z.number() }),
});

const notificationSchema = z.object({
  id: z.string(),
  type: z.string(),
  messageKey: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
  link: z.string().nullable(),
  createdAt: z.number(),
  read: z.boolean(),
});

/** Login, logout, the current user, the timeline, the portal. */
export function platformRoutes(deps: {
  platform: Platform;
  config: Pick<Config, 'sessions' | 'publicUrl'>;
  /** The ENT apps' portal entries. */
  apps?: readonly PortalEntry[];
}): FastifyPluginAsyncZod {
  const { platform, config } = deps;
  const routes: FastifyPluginAsyncZod = async (app) => {
    installAudit(app, platform.audit);
    app.post(
      '/api/auth/login',
      {
        schema: {
          tags: ['auth'],
          summary: 'Log in with a login and password; sets the session cookie',
          body: z.strictObject({
            login: z.string().min(1).max(200),
            password: z.string().min(1).max(1000),
          }),
          response: { 200: z.object({ user: userSchema }) },
        },
      },
      async (request, reply) => {
        const { user, token } = await platform.auth.login(
          request.body.login,
          request.body.password,
          clientAddress(request),
        );
        setSessionCookie(reply, request, token, config.sessions.maxAgeMs, config.publicUrl);
        return { user };
      },
    );

    app.post(
      '/api/auth/logout',
      { schema: { tags: ['auth'], summary: 'End the session' } },
      async (request, reply) => {
        const token = request.cookies[SESSION_COOKIE];
        if (token !== undefined) await platform.auth.logout(token);
        clearSessionCookie(reply);
        return reply.status(204).send();
      },
    );

    app.get(
      '/api/me',
      {
        schema: {
          tags: ['auth'],
          summary: 'The current user, their rights and quota',
          response: { 200: meSchema },
        },
      },
      async (request) => {
        const user = requireUser(request);
        const [rights, quota] = await Promise.all([
          platform.accounts.rightsOf(user),
          platform.quota.usage(user.id),
        ]);
        return { user, rights, quota };
      },
    );

    app.get(
      '/api/portal/apps',
      {
        schema: {
          tags: ['platform'],
          summary: 'The apps this user may use',
          response: {
            200: z.object({
              items: z.array(z.object({ id: z.string(), label: z.string(), path: z.string() })),
            }),
          },
        },
      },
      async (request) => {
        const user = requireUser(request);
        return { items: portalApps(await platform.accounts.rightsOf(user), deps.apps) };
      },
    );

    app.get(
      '/api/timeline',
      {
        schema: {
          tags: ['timeline'],
          summary: 'The user\'s notifications ("fil de nouveautés"), newest first',
          querystring: z.strictObject({
            limit: z.coerce.number().int().min(1).max(100).default(20),
            before: z.string().max(64).optional(),
          }),
          response: {
            200: z.object({
              items: z.array(notificationSchema),
              unreadCount: z.number(),
              nextCursor: z.string().nullable(),
            }),
          },
        },
      },
      async (request) => {
        const user = requireUser(request);
        return platform.timeline.list(user.id, request.query);
      },
    );

    app.post(
      '/api/timeline/read',
      {
        schema: {
          tags: ['timeline'],
          summary: 'Mark notifications as read (all of them when no ids are given)',
          body: z
            .strictObject({ ids: z.array(z.string().max(64)).max(500).optional() })
            .default({}),
          response: { 200: z.object({ unreadCount: z.number() }) },
        },
      },
      async (request) => {
        const user = requireUser(request);
        return { unreadCount: await platform.timeline.markRead(user.id, request.body.ids) };
      },
    );
  };
  // Not encapsulated (what fastify-plugin does): the audit hooks it installs apply to every
  // route module registered after it (main.ts registers it first), not to its own routes only.
  return Object.assign(routes, { [Symbol.for('skip-override')]: true });
}
