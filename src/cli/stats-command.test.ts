import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBlog, buildDocument, makeUser } from '../../test/support/factories.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import { createTestRuntime, type TestRuntime } from '../../test/support/test-runtime.ts';
import { waitFor } from '../../test/support/wait.ts';
import type { User } from '../platform/accounts.service.ts';
import { collectStats, humanBytes, printArchiveBudget } from './stats-command.ts';

/** The archive byte budget `stats` shows: the total against EXPORT_BUDGET, the biggest holders. */
describe.each(testDbKinds())('stats: ready archives against the budget (%s)', (kind) => {
  let t: TestRuntime;

  beforeAll(async () => {
    // A budget smaller than two small archives, so it is exceeded.
    t = await createTestRuntime(kind, { EXPORT_BUDGET: '3000' });
    t.runtime.queue.startWorker();
  });
  afterAll(async () => {
    await t.destroy();
  });

  const exportReady = async (user: User, apps: string[]) => {
    const created = await t.runtime.exports.create(user, { apps });
    return waitFor(
      'the export',
      async () => {
        const v = await t.runtime.exports.get(user, created.id);
        return v.status === 'ready' && v;
      },
      60_000,
    );
  };

  it('lists the biggest holders first, counts only ready archives, and says when the budget is exceeded', async () => {
    const { platform } = t.runtime;
    const empty = await collectStats(t.runtime);
    expect(empty.budgetBytes).toBe(3000);
    expect(empty.biggestHolders).toEqual([]);
    const none: string[] = [];
    printArchiveBudget(empty, (l) => none.push(l));
    expect(none).toEqual([
      'Archive budget (EXPORT_BUDGET): 0 bytes of 2.9 KiB (0.0 %)',
      'Biggest holders: none',
    ]);

    const big = await makeUser(platform);
    const small = await makeUser(platform);
    const gone = await makeUser(platform);
    // 40 kB of incompressible-enough text in the big holder's workspace.
    await buildDocument(t.runtime, big, {
      name: 'notes.txt',
      bytes: Array.from({ length: 4000 }, (_, i) => `${(i * 7919) % 10007}`).join(','),
    });
    await buildBlog(t.runtime, small);
    const b1 = await exportReady(big, ['workspace']);
    const b2 = await exportReady(big, ['workspace']);
    const s1 = await exportReady(small, ['blog']);
    // A deleted archive is no longer held.
    const g = await exportReady(gone, ['blog']);
    await t.runtime.exports.remove(gone, g.id);

    const s = await collectStats(t.runtime, 2);
    const bigBytes = (b1.size ?? 0) + (b2.size ?? 0);
    expect(s.archiveBytes).toBe(bigBytes + (s1.size ?? 0));
    expect(s.biggestHolders).toEqual([
      { login: big.login, archives: 2, bytes: bigBytes },
      { login: small.login, archives: 1, bytes: s1.size },
    ]);
    expect((await collectStats(t.runtime, 1)).biggestHolders).toHaveLength(1);

    const lines: string[] = [];
    printArchiveBudget(s, (l) => lines.push(l));
    const share = ((100 * s.archiveBytes) / 3000).toFixed(1);
    expect(lines).toEqual([
      `Archive budget (EXPORT_BUDGET): ${humanBytes(s.archiveBytes)} of 2.9 KiB (${share} %): OVER by ${humanBytes(s.archiveBytes - 3000)}`,
      'Biggest holders (ready archives):',
      `  ${big.login}\t2 archive(s)\t${bigBytes} bytes (${humanBytes(bigBytes)})`,
      `  ${small.login}\t1 archive(s)\t${s1.size} bytes (${humanBytes(s1.size ?? 0)})`,
    ]);
  });

  it('writes sizes in binary units', () => {
    expect([humanBytes(0), humanBytes(1023), humanBytes(1536), humanBytes(5 * 1024 ** 3)]).toEqual([
      '0 bytes',
      '1023 bytes',
      '1.5 KiB',
      '5.0 GiB',
    ]);
  });
});
