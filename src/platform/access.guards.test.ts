import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeUser } from '../../test/support/factories.ts';
import { testDbKinds } from '../../test/support/test-env.ts';
import { createTestRuntime, type TestRuntime } from '../../test/support/test-runtime.ts';
import { newId } from '../clock.ts';
import type { ShareRight } from '../db/schema.ts';
import type { User } from './accounts.service.ts';
import { AccessReader, ACCESSES, accessOf, allows, ownedOrShared } from './access.ts';

/**
 * The access model's rules one by one (each found untested by mutation testing): the order of
 * accesses, owner before shares, shares through groups, the best of several rights, shares of
 * another kind or another user never counted, and bulk reads past one chunk of ids.
 */

describe('allows', () => {
  it('orders read < contrib < manage < owner, and nothing allows without an access', () => {
    for (const [h, held] of ACCESSES.entries())
      for (const [n, need] of ACCESSES.entries())
        expect(allows(held, need), `${held} for ${need}`).toBe(h >= n);
    for (const need of ACCESSES) expect(allows(undefined, need)).toBe(false);
  });

  it('makes the owner the owner whatever is shared, and others what is shared', () => {
    expect(accessOf('u', 'u', undefined)).toBe('owner');
    expect(accessOf('u', 'u', 'read')).toBe('owner');
    expect(accessOf('u', 'v', 'contrib')).toBe('contrib');
    expect(accessOf('u', 'v', undefined)).toBeUndefined();
  });
});

describe.each(testDbKinds())('the access model on %s', (kind) => {
  let t: TestRuntime;
  let reader: AccessReader;
  let owner: User;
  let pupil: User;
  let other: User;
  let groupId: string;
  const blog = { app: 'blog', type: 'blog' } as const;

  beforeAll(async () => {
    t = await createTestRuntime(kind);
    const { platform } = t.runtime;
    reader = new AccessReader({ db: t.runtime.db });
    [owner, pupil, other] = await Promise.all([
      makeUser(platform, 'Teacher'),
      makeUser(platform),
      makeUser(platform),
    ]);
    const group = await platform.accounts.createGroup('École guards', `Classe ${newId()}`);
    groupId = group.id;
    await platform.accounts.addMember(group.id, pupil.login);
  });
  afterAll(() => t.destroy());

  /** A share written as the sharing service writes it. */
  const share = async (
    resourceId: string,
    grantee: { kind: 'user' | 'group'; id: string },
    right: ShareRight,
    what: { app: string; type: string } = blog,
    by: User = owner,
  ) =>
    t.runtime.db.kysely
      .insertInto('shares')
      .values({
        id: newId(),
        app: what.app,
        resource_type: what.type,
        resource_id: resourceId,
        owner_id: by.id,
        grantee_kind: grantee.kind,
        grantee_id: grantee.id,
        right,
        created_at: 0,
      })
      .execute();

  it('gives the best right held directly or through a group, and only for the right kind and user', async () => {
    const [direct, viaGroup, both, otherApp, otherType, forOther] = [
      newId(),
      newId(),
      newId(),
      newId(),
      newId(),
      newId(),
    ];
    await share(direct, { kind: 'user', id: pupil.id }, 'contrib');
    await share(viaGroup, { kind: 'group', id: groupId }, 'read');
    await share(both, { kind: 'group', id: groupId }, 'manage');
    await share(both, { kind: 'user', id: pupil.id }, 'read');
    await share(otherApp, { kind: 'user', id: pupil.id }, 'manage', { app: 'wiki', type: 'blog' });
    await share(otherType, { kind: 'user', id: pupil.id }, 'manage', { app: 'blog', type: 'post' });
    await share(forOther, { kind: 'user', id: other.id }, 'manage');
    // A group share naming the user's id as if it were a group's: not the user's.
    await share(forOther, { kind: 'group', id: pupil.id }, 'manage');
    const all = [direct, viaGroup, both, otherApp, otherType, forOther];
    const rights = await reader.sharedRights(pupil.id, blog, all);
    expect(Object.fromEntries(rights)).toEqual({
      [direct]: 'contrib',
      [viaGroup]: 'read',
      [both]: 'manage',
    });
    expect(Object.fromEntries(await reader.sharedRights(other.id, blog, all))).toEqual({
      [forOther]: 'manage',
    });
    expect((await reader.sharedRights(pupil.id, blog, [])).size).toBe(0);
  });

  it('reads rights in bulk past one chunk of ids, and past what one statement may bind', async () => {
    // More ids than either database binds in one statement (SQLite 32,766, PostgreSQL 65,535).
    const ids = Array.from({ length: 70_000 }, newId);
    const picked = [0, 499, 500, 999, 1000, 1233, 69_999].map((i) => ids[i] ?? '');
    for (const id of picked) await share(id, { kind: 'user', id: pupil.id }, 'read');
    const rights = await reader.sharedRights(pupil.id, blog, ids);
    expect([...rights.keys()].sort()).toEqual([...picked].sort());
  });

  it("answers one resource's access: owner, the shared right, or none", async () => {
    const id = newId();
    await share(id, { kind: 'group', id: groupId }, 'contrib');
    expect(await reader.accessTo(owner.id, blog, { id, ownerId: owner.id })).toBe('owner');
    expect(await reader.accessTo(pupil.id, blog, { id, ownerId: owner.id })).toBe('contrib');
    expect(await reader.accessTo(other.id, blog, { id, ownerId: owner.id })).toBeUndefined();
    // The owner's access does not come from a share (even one to themself).
    const own = newId();
    await share(own, { kind: 'user', id: pupil.id }, 'read', blog, pupil);
    expect(await reader.accessTo(pupil.id, blog, { id: own, ownerId: pupil.id })).toBe('owner');
  });

  it('lists what others shared with a user, once each with its best right and owner', async () => {
    const reader2 = await makeUser(t.runtime.platform);
    const group = await t.runtime.platform.accounts.createGroup('École guards', `G ${newId()}`);
    await t.runtime.platform.accounts.addMember(group.id, reader2.login);
    const [a, b, c, mine] = [newId(), newId(), newId(), newId()];
    // The best right wins whichever row comes first: better directly, or through the group.
    await share(a, { kind: 'user', id: reader2.id }, 'read');
    await share(a, { kind: 'group', id: group.id }, 'manage');
    await share(c, { kind: 'user', id: reader2.id }, 'manage');
    await share(c, { kind: 'group', id: group.id }, 'read');
    await share(b, { kind: 'user', id: reader2.id }, 'contrib', blog, other);
    await share(mine, { kind: 'user', id: reader2.id }, 'manage', blog, reader2);
    await share(newId(), { kind: 'user', id: reader2.id }, 'read', { app: 'wiki', type: 'wiki' });
    const listed = await reader.sharedWith(reader2.id, blog);
    const byId = new Map(listed.map((s) => [s.resourceId, s]));
    expect(listed).toHaveLength(3);
    expect(byId.get(a)).toEqual({ resourceId: a, ownerId: owner.id, right: 'manage' });
    expect(byId.get(c)).toEqual({ resourceId: c, ownerId: owner.id, right: 'manage' });
    expect(byId.get(b)).toEqual({ resourceId: b, ownerId: other.id, right: 'contrib' });
    // Bulk rights take the best the same way.
    const rights = await reader.sharedRights(reader2.id, blog, [a, c]);
    expect(Object.fromEntries(rights)).toEqual({ [a]: 'manage', [c]: 'manage' });
  });

  it('composes "owned or shared" into any query, shares left out on request', async () => {
    // Sessions stand in for any resource table: an id and an owner.
    const session = (user: User) => ({
      id: newId(),
      user_id: user.id,
      created_at: 0,
      last_seen_at: 0,
      expires_at: 0,
    });
    const owned = session(pupil);
    const shared = session(owner);
    const viaGroup = session(other);
    const unrelated = session(other);
    await t.runtime.db.kysely
      .insertInto('sessions')
      .values([owned, shared, viaGroup, unrelated])
      .execute();
    const kindOf = { app: 'test', type: 'session' };
    await share(shared.id, { kind: 'user', id: pupil.id }, 'read', kindOf);
    await share(viaGroup.id, { kind: 'group', id: groupId }, 'read', kindOf, other);
    await share(unrelated.id, { kind: 'user', id: pupil.id }, 'read', { app: 'test', type: 'x' });
    const db = t.runtime.db.kysely;
    const ids = async (includeShared?: boolean) =>
      (
        await db
          .selectFrom('sessions')
          .select('id')
          .where((eb) =>
            ownedOrShared(
              db,
              eb,
              { owner: eb.ref('sessions.user_id'), id: eb.ref('sessions.id') },
              pupil.id,
              kindOf,
              includeShared,
            ),
          )
          .where('id', 'in', [owned.id, shared.id, viaGroup.id, unrelated.id])
          .execute()
      )
        .map((r) => r.id)
        .sort();
    expect(await ids()).toEqual([owned.id, shared.id, viaGroup.id].sort());
    expect(await ids(true)).toEqual([owned.id, shared.id, viaGroup.id].sort());
    expect(await ids(false)).toEqual([owned.id]);
  });
});
