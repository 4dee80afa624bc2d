import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireUser } from '../../http/auth.ts';
import type { Platform } from '../../platform/platform.ts';
import { UPLOADS_PATH, type UploadService } from './uploads.ts';

const TAG = 'archive';

/**
 * The tus 1.0 endpoint for archives to import (resumable: a dropped connection resumes from the
 * offset `HEAD` gives). Our own refusals (401, 403, 404, 409, 413) come first, in our error
 * shape; the protocol itself is `@tus/server`'s, which reads the raw body.
 */
export function uploadsRoutes(deps: {
  uploads: UploadService;
  platform: Platform;
}): FastifyPluginAsyncZod {
  const { uploads, platform } = deps;

  /** Copies what Fastify's hooks set (security headers, request id) and lets tus answer. */
  async function toTus(
    request: FastifyRequest,
    reply: FastifyReply,
    uploadId?: string,
  ): Promise<void> {
    const user = requireUser(request);
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) reply.raw.setHeader(name, value);
    }
    reply.raw.setHeader('x-request-id', request.id);
    reply.raw.setHeader('cache-control', 'no-store');
    reply.hijack();
    try {
      await uploads.handle(user, uploadId, request.raw, reply.raw);
    } catch (error) {
      // Only sending the answer can fail here (tus answers its own errors): end the exchange.
      request.log.error({ err: error }, 'upload answer failed');
      reply.raw.destroy();
    }
  }

  return async (app) => {
    // tus streams the body to disk itself (`application/offset+octet-stream`, any size): in this
    // plugin Fastify parses no body at all, and so holds none in memory or against bodyLimit.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => {
      done(null);
    });

    app.route({
      method: ['POST', 'OPTIONS'],
      url: UPLOADS_PATH,
      schema: {
        tags: [TAG],
        summary:
          'tus 1.0 (creation, creation-with-upload, termination): POST with Upload-Length ' +
          '(at most MAX_IMPORT_SIZE, else 413) and Upload-Metadata `filename` creates an upload ' +
          'of an archive to import; Location is its URL. OPTIONS: the server’s tus capabilities',
      },
      handler: async (request, reply) => {
        const user = requireUser(request);
        if (request.method === 'POST') {
          await platform.accounts.requireRight(user, 'archive.import');
        }
        await uploads.admit(user, { method: request.method, headers: request.headers });
        await toTus(request, reply);
      },
    });

    app.route({
      method: ['HEAD', 'PATCH', 'DELETE', 'OPTIONS'],
      url: `${UPLOADS_PATH}/:id`,
      schema: {
        tags: [TAG],
        summary:
          'tus 1.0 on one of my uploads: HEAD gives Upload-Offset, PATCH appends from it ' +
          '(application/offset+octet-stream), DELETE cancels; another user’s upload is 404',
        params: z.object({ id: z.string().max(64) }),
      },
      handler: async (request, reply) => {
        const user = requireUser(request);
        await uploads.admit(user, {
          method: request.method,
          id: request.params.id,
          headers: request.headers,
        });
        await toTus(request, reply, request.params.id);
      },
    });
  };
}
