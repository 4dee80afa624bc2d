import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser } from '../../test/support/factories.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import { createTestRuntime, type TestRuntime } from '../../test/support/test-runtime.ts';
import { AppError } from '../errors.ts';
import type { QuotaService } from './quota.service.ts';

/**
 * The quota's edges one by one (each found untested by mutation testing): exactly full is
 * allowed and one byte more is not, nothing negative, one user's charge never touches
 * another's, what the refusal says, usage never below zero, an unknown user.
 */
describe.each(testDbKinds())('quota guards on %s', (kind) => {
  let t: TestRuntime;
  let quota: QuotaService;

  beforeAll(async () => {
    t = await createTestRuntime(kind);
    quota = t.runtime.platform.quota;
  });
  afterAll(() => t.destroy());

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (e: unknown) => e,
    );

  it('fills exactly to the total, then refuses one byte more, saying what is left', async () => {
    const u = await makeUser(t.runtime.platform, 'Student', { quota: 1000 });
    const other = await makeUser(t.runtime.platform, 'Student', { quota: 1000 });
    const db = t.runtime.db.kysely;
    await quota.charge(db, u.id, 700);
    expect(await quota.remaining(u.id)).toBe(300);
    const error = await refusal(quota.charge(db, u.id, 301));
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      code: 'quota_exceeded',
      status: 413,
      message: 'Not enough space: 301 bytes needed, 300 left',
      details: { used: 700, total: 1000, needed: 301 },
    });
    await quota.charge(db, u.id, 300);
    expect(await quota.usage(u.id)).toEqual({ used: 1000, total: 1000 });
    expect(await quota.remaining(u.id)).toBe(0);
    // Nothing more fits, but an empty file still does.
    await quota.charge(db, u.id, 0);
    expect(await refusal(quota.charge(db, u.id, 1))).toMatchObject({ code: 'quota_exceeded' });
    // Only the user's own usage moved.
    expect(await quota.usage(other.id)).toEqual({ used: 0, total: 1000 });
  });

  it('releases down to zero, never below, and only for that user', async () => {
    const u = await makeUser(t.runtime.platform, 'Student', { quota: 1000 });
    const other = await makeUser(t.runtime.platform, 'Student', { quota: 1000 });
    const db = t.runtime.db.kysely;
    await quota.charge(db, u.id, 500);
    await quota.charge(db, other.id, 500);
    await quota.release(db, u.id, 200);
    expect((await quota.usage(u.id)).used).toBe(300);
    await quota.release(db, u.id, 300);
    expect((await quota.usage(u.id)).used).toBe(0);
    await quota.charge(db, u.id, 100);
    await quota.release(db, u.id, 5000);
    expect((await quota.usage(u.id)).used).toBe(0);
    expect((await quota.usage(other.id)).used).toBe(500);
  });

  it('refuses negative amounts without touching the usage', async () => {
    const u = await makeUser(t.runtime.platform, 'Student', { quota: 1000 });
    const db = t.runtime.db.kysely;
    await quota.charge(db, u.id, 10);
    await expect(quota.charge(db, u.id, -5)).rejects.toThrow(new RangeError('bytes must be >= 0'));
    await expect(quota.release(db, u.id, -5)).rejects.toThrow(new RangeError('bytes must be >= 0'));
    expect((await quota.usage(u.id)).used).toBe(10);
    // Zero is an amount like any other (an empty file).
    await quota.release(db, u.id, 0);
    expect((await quota.usage(u.id)).used).toBe(10);
  });

  it('shows nothing left (never a negative) once an operator lowers the total below the usage', async () => {
    const u = await makeUser(t.runtime.platform, 'Student', { quota: 1000 });
    const other = await makeUser(t.runtime.platform, 'Student', { quota: 1000 });
    await quota.charge(t.runtime.db.kysely, u.id, 800);
    await quota.setTotal(u.id, 500);
    expect(await quota.usage(u.id)).toEqual({ used: 800, total: 500 });
    expect(await quota.remaining(u.id)).toBe(0);
    expect(await refusal(quota.charge(t.runtime.db.kysely, u.id, 1))).toMatchObject({
      message: 'Not enough space: 1 bytes needed, 0 left',
      details: { used: 800, total: 500, needed: 1 },
    });
    expect((await quota.usage(other.id)).total).toBe(1000);
  });

  it('answers not_found for a user that does not exist', async () => {
    const error = await refusal(quota.usage('no-such-user'));
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'not_found', message: 'User not found' });
    expect(await refusal(quota.charge(t.runtime.db.kysely, 'no-such-user', 1))).toMatchObject({
      code: 'not_found',
    });
  });
});
