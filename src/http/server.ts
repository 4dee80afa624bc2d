import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type FastifyPluginAsyncZod,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { AuthService } from '../platform/auth.service.ts';
import { installAuth } from './auth.ts';
import { installRateLimits } from './rate-limits.ts';
import { newId } from '../clock.ts';
import type { Config, TrustProxy } from '../config.ts';
import type { ErrorBody } from './error-handler.ts';
import { frameworkError, installErrorHandlers } from './error-handler.ts';
import { healthRoutes, type HealthDeps } from './health.routes.ts';

export const defaultWebRoot = fileURLToPath(new URL('../../web/dist', import.meta.url));

export interface ServerDeps {
  config: Config;
  log: FastifyBaseLogger;
  health: HealthDeps['checks'];
  /** Resolves sessions and tokens; absent in tests of the bare server. */
  auth?: AuthService;
  /** Route modules (platform, apps, Mes Données), registered in order. */
  routes?: readonly FastifyPluginAsyncZod[];
  /** The built front end; absent in API-only tests. */
  webRoot?: string;
}

/** TRUST_PROXY as Fastify takes it: a number of hops is "the first N hops are proxies". */
function trustProxyOption(
  trust: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return trust === false ? false : [...trust];
}

/**
 * The HTTP server: security headers, rate limit, OpenAPI, error shape, static front end. Route
 * modules are plugins registered here; each parses, authorises and calls one service.
 */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.log,
    genReqId: () => newId(),
    requestIdHeader: 'x-request-id',
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      // Fastify's own request lines carry the client's address and the query string (search
      // words, file names): ours below carry ids only.
      disableRequestLogging: true,
    }),
    bodyLimit: 1024 * 1024,
    // X-Forwarded-For is believed only from the proxies TRUST_PROXY names (or that many hops):
    // a client choosing its own address would choose its rate limits.
    trustProxy: trustProxyOption(config.trustProxy),
    // A path that is not valid percent-encoding answers in our error shape too.
    frameworkErrors: (error, _request, reply) => {
      const { status, body } = frameworkError(error);
      void (reply as FastifyReply).status(status).header('cache-control', 'no-store').send(body);
    },
  }).withTypeProvider<ZodTypeProvider>();
  if (config.publicUrl !== undefined && config.trustProxy === false) {
    app.log.warn(
      'PUBLIC_URL is set but TRUST_PROXY is not: X-Forwarded-For is ignored, so every client ' +
        'behind the proxy shares its address for rate limits. Set TRUST_PROXY to the number of ' +
        'proxies in front or their addresses.',
    );
  }

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandlers(app);

  // One line a request, with ids only: the path without its query, the status, the time and
  // the caller's user id once known; never an address, a name or a token. Load balancers poll
  // health and Prometheus scrapes every few seconds: not worth a line each.
  app.addHook('onResponse', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (path === '/api/health' || path === '/metrics') return;
    request.log.info(
      {
        method: request.method,
        path,
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        userId: request.auth?.user.id,
      },
      'request',
    );
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // Downloads are opened in new tabs; the default same-origin policy is what we want.
    crossOriginEmbedderPolicy: false,
    // Same-site requests keep their Referer (a CSRF fallback when a browser omits Origin).
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: config.publicUrl?.startsWith('https:') ?? false,
  });
  // Limiters are made by the plugin and applied by our own hooks (rate-limits.ts).
  await app.register(rateLimit, { global: false });
  await app.register(cookie);
  // Counters shared by every web process through Redis when the deployment has it.
  const limit = installRateLimits(
    app,
    config.limits,
    config.queue.kind === 'bullmq' ? { redisUrl: config.queue.redisUrl } : undefined,
  );
  if (deps.auth !== undefined) installAuth(app, deps.auth, config.publicUrl, limit);
  else app.addHook('onRequest', limit);
  await app.register(multipart, {
    limits: { fileSize: config.limits.maxUploadBytes, files: 1, fields: 20 },
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Mes Données API',
        version: '1',
        description:
          'Export and import of a user\'s ENT data. Errors are {"error":{"code","message"}}.',
      },
    },
    transform: jsonSchemaTransform,
  });

  app.get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger());
  await app.register(healthRoutes({ checks: deps.health }));
  for (const routes of deps.routes ?? []) await app.register(routes);

  const webRoot = deps.webRoot ?? defaultWebRoot;
  const hasWeb = fs.existsSync(path.join(webRoot, 'index.html'));
  if (hasWeb) {
    await app.register(fastifyStatic, {
      root: webRoot,
      prefix: '/',
      index: ['index.html'],
      setHeaders: (res, filePath) => {
        // Vite's hashed assets never change; index.html must always be fresh.
        const hashed = filePath.includes(`${path.sep}assets${path.sep}`);
        res.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }

  app.setNotFoundHandler((request, reply) => {
    const isApi = request.url === '/api' || request.url.startsWith('/api/');
    // Client-side routes (/archive, /workspace...) are the single-page app's.
    if (!isApi && hasWeb && request.method === 'GET') {
      return reply.type('text/html').header('cache-control', 'no-cache').sendFile('index.html');
    }
    return reply.status(404).send({
      error: {
        code: 'not_found',
        message: `No route ${request.method} ${request.url.split('?')[0]}`,
      },
    } satisfies ErrorBody);
  });

  return app;
}
