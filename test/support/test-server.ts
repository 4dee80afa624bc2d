import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createWebServer, type WebServerOptions } from '../../src/main.ts';
import { TEST_PASSWORD } from './factories.ts';
import { startS3rver } from './s3rver.ts';
import { createTestRuntime, type TestRuntime } from './test-runtime.ts';
import type { TestDbKind } from './test-env.ts';

export type BlobKind = 'local' | 's3';

export interface TestServer {
  readonly t: TestRuntime;
  readonly app: FastifyInstance;
  /** Base URL of the real HTTP listener (for streaming tests). */
  readonly url: string;
  /** Cookie and Origin headers of a logged-in session: for app.inject, and for real HTTP. */
  login(
    login: string,
    password?: string,
  ): Promise<{ inject: Record<string, string>; http: Record<string, string> }>;
  close(): Promise<void>;
}

/**
 * The whole web server (every route module) on a fresh database and blob store, listening.
 * `web`: the options `createWebServer` takes besides the config (the metrics token).
 */
export async function createTestServer(
  db: TestDbKind,
  blob: BlobKind = 'local',
  env: Record<string, string> = {},
  web: WebServerOptions = {},
): Promise<TestServer> {
  const s3 = blob === 's3' ? await startS3rver(['test']) : undefined;
  const s3env: Record<string, string> =
    s3 === undefined
      ? {}
      : {
          BLOB_STORE: 's3',
          S3_ENDPOINT: s3.endpoint,
          S3_BUCKET: 'test',
          S3_ACCESS_KEY_ID: 'S3RVER',
          S3_SECRET_ACCESS_KEY: 'S3RVER',
        };
  const t = await createTestRuntime(db, { ...s3env, ...env });
  const app = await createWebServer(
    t.runtime,
    pino({ level: process.env.TEST_LOG ?? 'silent' }),
    '/nonexistent',
    web,
  );
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    t,
    app,
    url,
    async login(login, password = TEST_PASSWORD) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { login, password },
        headers: { origin: 'http://localhost:80' },
      });
      const cookie = res.cookies.find((c) => c.name === 'md_session');
      if (res.statusCode !== 200 || cookie === undefined)
        throw new Error(`login failed: ${res.body}`);
      const session = `md_session=${cookie.value}`;
      return {
        inject: { cookie: session, origin: 'http://localhost:80' },
        http: { cookie: session, origin: url },
      };
    },
    async close() {
      await app.close();
      await t.destroy();
      await s3?.stop();
    },
  };
}
