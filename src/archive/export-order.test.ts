import { describe, expect, it } from 'vitest';
import type { ArchiveAdapter } from './adapter.ts';
import { exportOrder } from './archive-builder.ts';

const adapter = (app: string, dependsOn?: string[]): ArchiveAdapter => ({
  app,
  label: app,
  appVersion: '1',
  dataVersion: 1,
  dependsOn,
  count: async () => ({ items: 0, bytes: 0 }),
  export: async () => ({ items: 0, bytes: 0 }),
});

describe('exportOrder', () => {
  it('puts an app before the apps it depends on, whatever the given order', () => {
    const order = exportOrder([
      adapter('workspace'),
      adapter('blog'),
      adapter('calendar', ['workspace']),
      adapter('wiki', ['workspace']),
    ]).map((a) => a.app);
    expect(order.indexOf('workspace')).toBeGreaterThan(order.indexOf('calendar'));
    expect(order.indexOf('workspace')).toBeGreaterThan(order.indexOf('wiki'));
    expect(order).toEqual(['blog', 'calendar', 'wiki', 'workspace']);
  });

  it('keeps every app once even with a cycle', () => {
    const order = exportOrder([adapter('a', ['b']), adapter('b', ['a']), adapter('c')]).map(
      (a) => a.app,
    );
    expect([...order].sort()).toEqual(['a', 'b', 'c']);
  });
});
