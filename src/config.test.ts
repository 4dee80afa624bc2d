import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('gives the embedded defaults with no environment', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.role).toBe('all');
    expect(c.database).toEqual({
      kind: 'sqlite',
      file: path.resolve('./data/mes-donnees.sqlite'),
    });
    expect(c.blobStore).toEqual({ kind: 'local', dir: path.resolve('./data/blobs') });
    expect(c.queue.kind).toBe('embedded');
    expect(c.exportTtlMs).toBe(7 * 86_400_000);
    expect(c.limits.maxUploadBytes).toBe(2 * 1024 ** 3);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads PostgreSQL, S3, bullmq, sizes and durations', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://u@db/md',
      BLOB_STORE: 's3',
      S3_BUCKET: 'b',
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      QUEUE: 'bullmq',
      REDIS_URL: 'redis://127.0.0.1:6379',
      MAX_UPLOAD_SIZE: '500MB',
      EXPORT_TTL: '12h',
      TRUSTED_KEYS: ' a.pem , b.pem ,',
      ROLE: 'worker',
    });
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgres://u@db/md', poolSize: 10 });
    expect(c.blobStore).toMatchObject({ kind: 's3', bucket: 'b', forcePathStyle: true });
    expect(c.queue).toMatchObject({ kind: 'bullmq', redisUrl: 'redis://127.0.0.1:6379' });
    expect(c.limits.maxUploadBytes).toBe(500 * 1024 * 1024);
    expect(c.exportTtlMs).toBe(12 * 3_600_000);
    expect(c.trustedKeys).toEqual(['a.pem', 'b.pem']);
    expect(c.role).toBe('worker');
  });

  it('reads the operations settings: metrics token, maintenance period, archive budget', () => {
    const d = loadConfig({});
    expect([d.metricsToken, d.exportBudgetBytes, d.maintenanceEveryMs]).toEqual([
      undefined,
      undefined,
      10 * 60_000,
    ]);
    const c = loadConfig({
      METRICS_TOKEN: 'a-long-enough-metrics-token',
      MAINTENANCE_EVERY: '5m',
      EXPORT_BUDGET: '200GiB',
    });
    expect(c.metricsToken).toBe('a-long-enough-metrics-token');
    expect(c.maintenanceEveryMs).toBe(5 * 60_000);
    expect(c.exportBudgetBytes).toBe(200 * 1024 ** 3);
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ PORT: '' }).port).toBe(8080);
  });

  it('lists every problem at once, by variable name', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'abc',
        ROLE: 'boss',
        BLOB_STORE: 's3',
        QUEUE: 'bullmq',
        EXPORT_TTL: 'soon',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'ROLE', 'EXPORT_TTL', 'S3_BUCKET', 'REDIS_URL']) {
      expect(problems).toContain(name);
    }
    expect((error as ConfigError).problems).toHaveLength(5);
  });

  it('refuses out-of-range numbers and unknown database schemes', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ MAX_UPLOAD_SIZE: 'lots' })).toThrow(/MAX_UPLOAD_SIZE/);
  });
});
