import { describe, expect, it } from 'vitest';
import type { AppId } from '../contracts/archive.ts';
import { checkDependencies, dependencyOrder, exportOrder } from './app-order.ts';

const app = (id: AppId, dependsOn: AppId[] = []) => ({ app: id, dependsOn });

describe('app order', () => {
  const apps = [
    app('blog', ['workspace']),
    app('workspace'),
    app('calendar', ['workspace']),
    app('wiki', ['workspace', 'blog']),
  ];

  it('imports an app after the apps it depends on, ties in the given order', () => {
    expect(dependencyOrder(apps).map((a) => a.app)).toEqual([
      'workspace',
      'blog',
      'calendar',
      'wiki',
    ]);
  });

  it('exports an app before the apps it depends on, ties in the given order', () => {
    expect(exportOrder(apps).map((a) => a.app)).toEqual(['calendar', 'wiki', 'blog', 'workspace']);
  });

  it('orders a selection of apps without the apps they depend on', () => {
    expect(exportOrder([app('wiki', ['workspace'])]).map((a) => a.app)).toEqual(['wiki']);
    expect(dependencyOrder([app('blog', ['workspace']), app('news')]).map((a) => a.app)).toEqual([
      'blog',
      'news',
    ]);
  });

  it('refuses, at start, a cycle, an unknown dependency and an app listed twice', () => {
    expect(() => checkDependencies([app('blog', ['news']), app('news', ['blog'])])).toThrow(
      /cycle: blog, news/,
    );
    expect(() => exportOrder([app('blog', ['news']), app('news', ['blog'])])).toThrow(/cycle/);
    expect(() => checkDependencies([app('blog', ['wiki'])])).toThrow(/depends on wiki/);
    expect(() => checkDependencies([app('blog'), app('blog')])).toThrow(/twice/);
    expect(() => checkDependencies(apps)).not.toThrow();
  });
});
