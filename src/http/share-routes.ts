import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { User } from '../platform/accounts.service.ts';
import type { Platform } from '../platform/platform.ts';
import { requireUser } from './auth.ts';

const rightSchema = z.enum(['read', 'contrib', 'manage']);
const shareSchema = z.object({
  grantee: z.object({ kind: z.enum(['user', 'group']), id: z.string(), name: z.string() }),
  right: rightSchema,
});

export interface ShareRoutesOptions {
  /** e.g. `/api/workspace/documents`: routes are `<base>/:id/shares`. */
  base: string;
  app: string;
  type: string;
  tag: string;
  /** Resolves the resource for a user who may manage its shares (404/403 otherwise). */
  requireManager(user: User, id: string): Promise<{ ownerId: string; title: string; link: string }>;
}

/**
 * The one pattern of share routes every app uses: `GET|POST <base>/:id/shares`,
 * `DELETE <base>/:id/shares/:kind/:granteeId`. Sharing itself is the platform's.
 */
export function registerShareRoutes(
  instance: FastifyInstance,
  platform: Platform,
  options: ShareRoutesOptions,
): void {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const ref = (id: string) => ({ app: options.app, type: options.type, id });
  const params = z.object({ id: z.string().max(64) });

  const describe = async (id: string) => {
    const shares = await platform.sharing.sharesOf(ref(id));
    const items = [];
    for (const s of shares) {
      const name =
        s.grantee.kind === 'user'
          ? await platform.accounts.getUser(s.grantee.id).then(
              (u) => u.displayName,
              () => '?',
            )
          : await platform.accounts.findGroup(s.grantee.id).then(
              (g) => `${g.name} (${g.schoolName})`,
              () => '?',
            );
      items.push({ grantee: { ...s.grantee, name }, right: s.right });
    }
    return { items };
  };

  app.get(
    `${options.base}/:id/shares`,
    {
      schema: {
        tags: [options.tag],
        summary: `Who this ${options.type} is shared with`,
        params,
        response: { 200: z.object({ items: z.array(shareSchema) }) },
      },
    },
    async (request) => {
      await options.requireManager(requireUser(request), request.params.id);
      return describe(request.params.id);
    },
  );

  app.post(
    `${options.base}/:id/shares`,
    {
      schema: {
        tags: [options.tag],
        summary: `Share this ${options.type} with a user (login) or a group (id or name)`,
        params,
        body: z.union([
          z.strictObject({ login: z.string().min(1).max(200), right: rightSchema }),
          z.strictObject({ group: z.string().min(1).max(200), right: rightSchema }),
        ]),
        response: { 200: z.object({ items: z.array(shareSchema) }) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const resource = await options.requireManager(user, request.params.id);
      const body = request.body;
      let recipients: string[];
      let grantee: { kind: 'user' | 'group'; id: string };
      if ('login' in body) {
        const target = await platform.accounts.findByLogin(body.login);
        if (target === undefined || target.disabled)
          throw new AppError('not_found', 'No such user');
        if (target.id === resource.ownerId)
          throw new AppError('invalid_request', 'The owner already has every right');
        grantee = { kind: 'user', id: target.id };
        recipients = [target.id];
      } else {
        const group = await platform.accounts.findGroup(body.group);
        grantee = { kind: 'group', id: group.id };
        recipients = await platform.accounts.membersOf(group.id);
      }
      await platform.sharing.share(resource.ownerId, ref(request.params.id), grantee, body.right);
      await platform.timeline.notify(
        recipients.filter((id) => id !== user.id),
        {
          type: options.app,
          messageKey: 'share.received',
          params: { from: user.displayName, title: resource.title },
          link: resource.link,
        },
      );
      return describe(request.params.id);
    },
  );

  app.delete(
    `${options.base}/:id/shares/:kind/:granteeId`,
    {
      schema: {
        tags: [options.tag],
        summary: 'Stop sharing with a user or group',
        params: z.object({
          id: z.string().max(64),
          kind: z.enum(['user', 'group']),
          granteeId: z.string().max(64),
        }),
      },
    },
    async (request, reply) => {
      await options.requireManager(requireUser(request), request.params.id);
      const removed = await platform.sharing.unshare(ref(request.params.id), {
        kind: request.params.kind,
        id: request.params.granteeId,
      });
      if (!removed) throw new AppError('not_found', 'No such share');
      return reply.status(204).send();
    },
  );
}
