/**
 * Fuzzing the archive readers (fast-check): small valid archives (ours, signed; a ZIP64 one
 * with data descriptors; an Open ENT NG one, signed) mutated (bytes flipped, cut short, an
 * entry dropped or duplicated, a length field changed), then
 * - the analysis (`inspectArchive`) and `verify` never throw: the analysis answers a result
 *   whose failure code is one of the archive refusals, in one line; `verify` says what is
 *   wrong in clean lines, and never passes what the analysis refuses;
 * - through the import service (upload, analysis job), a mutated archive ends `analyzed` or
 *   `rejected` with a known code, and a refusal writes nothing (rows, files, quota).
 * The seed is fixed (FUZZ_SEED to change it, FUZZ_RUNS for more runs); fast-check prints the
 * seed and the path of a failing case, which FUZZ_SEED replays.
 */
import { createPublicKey } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blogRecords } from '../../src/apps/blog/archive/blog.records.ts';
import { workspaceRecords } from '../../src/apps/workspace/archive/workspace.records.ts';
import { DEFAULT_INSPECT_LIMITS, inspectArchive } from '../../src/archive/import/inspect.ts';
import type { TrustedKey } from '../../src/archive/keys.ts';
import { verifyArchive } from '../../src/archive/verify.ts';
import type { AppRecords } from '../../src/archive/verify-records.ts';
import { IMPORT_REFUSALS } from '../../src/contracts/archive.ts';
import type { ErrorCode } from '../../src/errors.ts';
import { writeBaseArchive } from '../fixtures/attack-base.ts';
import { mutate, mutationArb, type Mutation } from '../fixtures/attack-mutations.ts';
import { buildEntcoreArchive, ENTCORE_TEST_KEY } from '../fixtures/entcore-archives.ts';
import { makeKey, SOUND_ARCHIVES, FIXTURE_KEY } from '../fixtures/hostile-archives.ts';
import { makeUser } from '../support/factories.ts';
import { testDbKinds } from '../support/test-env.ts';
import { createTestRuntime, type TestRuntime } from '../support/test-runtime.ts';
import { waitFor } from '../support/wait.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 15_2026);
/** Runs of the analysis and verify (each ~25 ms), and of the import service (each ~120 ms). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SERVICE_RUNS = Math.max(5, Math.round(RUNS / 25));

/** The codes an archive can be refused with (`ErrorCode`s of src/errors.ts). */
const REFUSALS: readonly ErrorCode[] = IMPORT_REFUSALS;

const key = makeKey();
const trusted: TrustedKey[] = [key.trusted, FIXTURE_KEY.trusted];
const trustedEntcore: TrustedKey[] = [
  {
    id: 'entcore-test',
    publicKey: createPublicKey(ENTCORE_TEST_KEY.publicKeyPem),
    source: 'test platform',
  },
];
const apps: AppRecords[] = [
  { app: 'workspace', dataVersion: 1, records: workspaceRecords },
  { app: 'blog', dataVersion: 1, records: blogRecords },
];

let dir: string;
let bases: { name: string; bytes: Buffer }[];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'md-fuzz-'));
  const ours = await writeBaseArchive(path.join(dir, 'ours.zip'), key);
  const zip64 = await SOUND_ARCHIVES.zip64.build(dir);
  bases = [
    { name: 'ours', bytes: await fs.readFile(ours) },
    { name: 'zip64', bytes: await fs.readFile(zip64) },
    { name: 'open-ent-ng', bytes: buildEntcoreArchive({ apps: ['workspace', 'blog'] }).zip },
  ];
});
afterAll(async () => {
  if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
});

const caseArb = fc.record({
  base: fc.nat(),
  mutations: fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
});

function mutated(c: { base: number; mutations: Mutation[] }): { name: string; bytes: Buffer } {
  const base = bases[c.base % bases.length];
  if (base === undefined) throw new Error('no base archive');
  return { name: base.name, bytes: c.mutations.reduce(mutate, base.bytes) };
}

let n = 0;
async function written(bytes: Buffer): Promise<string> {
  n += 1;
  const file = path.join(dir, `case-${n}.zip`);
  await fs.writeFile(file, bytes);
  return file;
}

describe(`fuzzing the analysis and verify (seed ${SEED}, ${RUNS} runs)`, () => {
  it('the valid archives pass both, so that a refusal is the mutation’s doing', async () => {
    for (const base of bases) {
      const file = await written(base.bytes);
      const result = await inspectArchive(file, {
        trusted,
        trustedEntcore,
        limits: DEFAULT_INSPECT_LIMITS,
      });
      expect(result, base.name).toMatchObject({ ok: true });
      if (base.name !== 'open-ent-ng')
        expect((await verifyArchive(file, trusted, { apps })).problems, base.name).toEqual([]);
    }
  });

  it('never throw, refuse with a known code in one line, and verify passes nothing refused', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const { bytes } = mutated(c);
        const file = await written(bytes);
        try {
          const result = await inspectArchive(file, {
            trusted,
            trustedEntcore,
            limits: DEFAULT_INSPECT_LIMITS,
          });
          if (!result.ok) {
            expect(REFUSALS).toContain(result.code);
            expect(result.message).not.toMatch(/\n/);
            expect(result.message.length).toBeGreaterThan(0);
          }
          const verified = await verifyArchive(file, trusted, { apps });
          for (const p of verified.problems) expect(p).not.toMatch(/\n|^\s*at |\bat .*\.ts:\d+/);
          if (!result.ok) {
            expect(verified.ok).toBe(false);
            expect(verified.problems.length).toBeGreaterThan(0);
          }
          if (verified.ok) expect(verified.problems).toEqual([]);
        } finally {
          await fs.rm(file, { force: true });
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  }, 120_000);
});

describe.each(testDbKinds())(`fuzzing the import service on %s (seed ${SEED})`, (db) => {
  let t: TestRuntime;

  beforeAll(async () => {
    // The instance trusts the keys the base archives are signed with: a mutation, not the
    // signer, is what gets an archive refused.
    const pem = async (name: string, text: string) => {
      const file = path.join(dir, `${db}-${name}.pem`);
      await fs.writeFile(file, text);
      return file;
    };
    t = await createTestRuntime(db, {
      TRUSTED_KEYS: [
        await pem('ours', key.publicKeyPem),
        await pem('fixture', FIXTURE_KEY.publicKeyPem),
      ].join(','),
      TRUSTED_ENTCORE_KEYS: await pem('entcore', ENTCORE_TEST_KEY.publicKeyPem),
    });
    t.runtime.queue.startWorker();
  });
  afterAll(async () => {
    await t?.destroy();
  });

  /** Row counts of every table but the import's own, its job's and the audit log's. */
  async function tableCounts(): Promise<Record<string, number>> {
    const k = t.runtime.db.kysely;
    const counts: Record<string, number> = {};
    for (const table of await k.introspection.getTables()) {
      if (['archive_imports', 'jobs', 'audit_events'].includes(table.name)) continue;
      const r = await sql<{
        n: number | string;
      }>`select count(*) as n from ${sql.table(table.name)}`.execute(k);
      counts[table.name] = Number(r.rows[0]?.n ?? 0);
    }
    return counts;
  }

  async function blobKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const b of t.runtime.blobs.list('')) keys.push(b.key);
    return keys.sort();
  }

  it('ends analysed or refused with a known code, and a refusal writes nothing', async () => {
    const user = await makeUser(t.runtime.platform, 'Teacher');
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const { bytes } = mutated(c);
        const rows = await tableCounts();
        const blobs = await blobKeys();
        const quota = await t.runtime.platform.quota.usage(user.id);
        const created = await t.runtime.imports.create(user, Readable.from([bytes]), 'fuzz.zip');
        const view = await waitFor(
          'the analysis',
          async () => {
            const v = await t.runtime.imports.get(user, created.id);
            return v.status === 'analyzed' || v.status === 'rejected' ? v : undefined;
          },
          30_000,
          20,
        );
        expect(await tableCounts()).toEqual(rows);
        expect(await t.runtime.platform.quota.usage(user.id)).toEqual(quota);
        if (view.status === 'rejected') {
          expect(REFUSALS).toContain(view.error);
          // The refused archive's blob goes just after the row says so.
          await waitFor('the refused archive deleted', async () =>
            JSON.stringify(await blobKeys()) === JSON.stringify(blobs) ? true : undefined,
          ).catch(() => undefined);
          expect(await blobKeys()).toEqual(blobs);
        } else {
          await t.runtime.imports.cancel(user, view.id);
        }
        expect(await fs.readdir(path.join(t.dataDir, 'tmp')).catch(() => [])).toEqual([]);
      }),
      { seed: SEED, numRuns: SERVICE_RUNS, endOnFailure: true },
    );
  }, 180_000);
});
