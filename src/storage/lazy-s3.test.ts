import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/**
 * The AWS SDK (~7 MiB of RSS, hundreds of modules) loads only in a process that uses an S3
 * store: one on the local store, or with an S3 store not yet called, never loads it.
 */
describe('S3 driver loaded lazily', () => {
  it('is not loaded by creating an S3 store, only by its first call', async () => {
    const script = `
      import { registerHooks } from 'node:module';
      let aws = 0;
      registerHooks({ resolve(spec, ctx, next) {
        const r = next(spec, ctx);
        if (r.url.includes('/@aws-sdk/')) aws += 1;
        return r;
      } });
      const { createBlobStore } = await import(${JSON.stringify(path.resolve('src/storage/create-blob-store.ts'))});
      const store = createBlobStore({ kind: 's3', endpoint: 'http://127.0.0.1:9', region: 'us-east-1',
        bucket: 'b', accessKeyId: 'a', secretAccessKey: 's', forcePathStyle: true });
      const before = aws;
      await store.close();
      const afterClose = aws;
      await store.head('a').catch(() => undefined);
      console.log(JSON.stringify({ before, afterClose, after: aws }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    const seen = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, number>;
    expect(seen).toMatchObject({ before: 0, afterClose: 0 });
    expect(seen.after).toBeGreaterThan(0);
  });
});
