import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

const check = z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() });
const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.object({ database: check, blobStore: check, queue: check }),
});

export interface HealthDeps {
  checks: {
    database: () => Promise<void>;
    blobStore: () => Promise<void>;
    queue: () => Promise<void>;
  };
  /** A check that takes longer than this counts as failed: a hung dependency is a down one. */
  timeoutMs?: number;
}

async function timed(fn: () => Promise<void>, timeoutMs: number): Promise<z.infer<typeof check>> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, ms: Math.round(performance.now() - t0) };
  } catch (error) {
    return {
      ok: false,
      ms: Math.round(performance.now() - t0),
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(deps: HealthDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/health',
      {
        config: { rateLimit: false },
        schema: {
          tags: ['system'],
          summary: 'Liveness and readiness: database, blob store and job queue each checked',
          response: { 200: healthSchema, 503: healthSchema },
        },
      },
      async (_request, reply) => {
        const timeoutMs = deps.timeoutMs ?? 3000;
        const [database, blobStore, queue] = await Promise.all([
          timed(deps.checks.database, timeoutMs),
          timed(deps.checks.blobStore, timeoutMs),
          timed(deps.checks.queue, timeoutMs),
        ]);
        const ok = database.ok && blobStore.ok && queue.ok;
        return reply
          .status(ok ? 200 : 503)
          .send({ status: ok ? 'ok' : 'degraded', checks: { database, blobStore, queue } });
      },
    );
  };
}
