import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_IDS } from '../src/contracts/archive.ts';
import { makeUser } from './support/factories.ts';
import { compareRecords, exportApp, roundTrip } from './support/round-trip.ts';
import { testDbKinds } from './support/test-env.ts';
import { createTestRuntime, type TestRuntime } from './support/test-runtime.ts';

/** When things were made: two seedings of the same content differ there, and only there. */
const TIMES = ['createdAt', 'modifiedAt', 'firstPublishedAt'];

describe.each(testDbKinds())('archive round trips on %s', (db) => {
  let t: TestRuntime;
  let dir: string;

  beforeAll(async () => {
    t = await createTestRuntime(db);
    t.runtime.queue.startWorker();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-round-trip-'));
  });
  afterAll(async () => {
    await t?.destroy();
    if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
  });

  // The same person twice (name included, non-ASCII): only ids and times tell them apart.
  const teacher = () =>
    makeUser(t.runtime.platform, 'Teacher', { displayName: 'Camille Lefèvre-Dupont' });

  it.each(APP_IDS)(
    '%s: exports the same records twice, and the same content of another user modulo ids',
    async (app) => {
      const a = await teacher();
      const first = await roundTrip[app](t.runtime, a, dir);
      expect(first.archive.manifest.apps[app]).toMatchObject({ status: 'complete' });
      const files = Object.keys(first.records);
      expect(files.filter((f) => !f.startsWith('Espace documentaire/')).length).toBeGreaterThan(
        app === 'workspace' ? -1 : 0,
      );
      // Every seeded item is somewhere in the records.
      const text = JSON.stringify(first.records);
      for (const id of first.seeded.ids) expect(text, id).toContain(id);

      const again = await exportApp(t.runtime, a, app, dir);
      const same = compareRecords(first.records, again.records);
      expect(same.differences).toEqual([]);
      expect([...same.ids].every(([x, y]) => x === y)).toBe(true);

      const b = await teacher();
      const other = await roundTrip[app](t.runtime, b, dir);
      const remapped = compareRecords(first.records, other.records, { ignore: TIMES });
      expect(remapped.differences).toEqual([]);
      // Every id was remapped, the owner's included where the records name them.
      if (text.includes(a.id)) expect(remapped.ids.get(a.id)).toBe(b.id);
      for (const id of first.seeded.ids) expect(remapped.ids.get(id)).toBeDefined();
      expect([...remapped.ids].filter(([x, y]) => x === y)).toEqual([]);
    },
  );
});

describe('compareRecords', () => {
  const a = {
    'App/items.ndjson': [
      {
        id: 'i1',
        parentId: null,
        title: 'Un',
        body: '<a href="/x/11111111-1111-4111-8111-111111111111">',
      },
      { id: 'i2', parentId: 'i1', title: 'Deux', body: '', createdAt: 1 },
    ],
    'App/docs.ndjson': [{ id: '11111111-1111-4111-8111-111111111111', name: 'é.png' }],
  };
  // The same content with other ids, in another order.
  const b = {
    'App/items.ndjson': [
      { id: 'j2', parentId: 'j1', title: 'Deux', body: '', createdAt: 2 },
      {
        id: 'j1',
        parentId: null,
        title: 'Un',
        body: '<a href="/x/22222222-2222-4222-8222-222222222222">',
      },
    ],
    'App/docs.ndjson': [{ id: '22222222-2222-4222-8222-222222222222', name: 'é.png' }],
  };

  it('finds two exports equal modulo ids, and how their ids correspond', () => {
    const c = compareRecords(a, b, { ignore: ['createdAt'] });
    expect(c.differences).toEqual([]);
    expect(Object.fromEntries(c.ids)).toEqual({
      i1: 'j1',
      i2: 'j2',
      '11111111-1111-4111-8111-111111111111': '22222222-2222-4222-8222-222222222222',
    });
  });

  it('reports a changed value, an ignored field not ignored, a missing file', () => {
    expect(compareRecords(a, b).differences).toEqual([expect.stringContaining('createdAt: 1 ≠ 2')]);
    const renamed = structuredClone(b);
    renamed['App/docs.ndjson'][0]!.name = 'e.png';
    expect(compareRecords(a, renamed, { ignore: ['createdAt'] }).differences).toEqual([
      'App/docs.ndjson[0].name: "é.png" ≠ "e.png"',
    ]);
    const fewer = { 'App/items.ndjson': b['App/items.ndjson'] };
    expect(compareRecords(a, fewer, { ignore: ['createdAt'] }).differences).toEqual([
      'App/docs.ndjson: only in the first export',
    ]);
  });

  it('reports ids that do not correspond one to one', () => {
    // The child points at itself instead of its parent.
    const wrong = structuredClone(b);
    wrong['App/items.ndjson'][0]!.parentId = 'j2';
    const c = compareRecords(a, wrong, { ignore: ['createdAt'] });
    expect(c.differences).toHaveLength(1);
    expect(c.differences[0]).toMatch(/parentId: id i1 ↦ j2/);
    // The link names another document than the one exported.
    const link = structuredClone(b);
    link['App/items.ndjson'][1]!.body = '<a href="/x/33333333-3333-4333-8333-333333333333">';
    expect(compareRecords(a, link, { ignore: ['createdAt'] }).differences).toHaveLength(1);
  });
});
