import type { Selectable } from 'kysely';
import { newId, type Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { isUniqueViolation } from '../db/dialect.ts';
import type { Profile, UsersTable } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { hashPassword } from './passwords.ts';
import type { Action, RightsCatalog } from './rights.ts';

export interface User {
  id: string;
  login: string;
  displayName: string;
  profile: Profile;
  email: string | null;
  isAdmin: boolean;
  disabled: boolean;
}

export interface Group {
  id: string;
  schoolId: string;
  schoolName: string;
  name: string;
}

export interface NewUser {
  login: string;
  password?: string;
  profile: Profile;
  displayName?: string;
  email?: string;
  quota?: number;
  isAdmin?: boolean;
}

export function toUser(row: Selectable<UsersTable>): User {
  return {
    id: row.id,
    login: row.login,
    displayName: row.display_name,
    profile: row.profile,
    email: row.email,
    isAdmin: row.is_admin === 1,
    disabled: row.disabled === 1,
  };
}

const LOGIN = /^[a-z0-9][a-z0-9._-]{1,63}$/;

/** Accounts, schools, groups and the rights they carry. */
export class AccountsService {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly config: Pick<Config, 'quotaByProfile'>;

  private readonly rights: RightsCatalog;

  constructor(deps: {
    db: Db;
    clock: Clock;
    config: Pick<Config, 'quotaByProfile'>;
    rights: RightsCatalog;
  }) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.config = deps.config;
    this.rights = deps.rights;
  }

  async createUser(input: NewUser): Promise<User> {
    const login = input.login.trim().toLowerCase();
    if (!LOGIN.test(login)) {
      throw new AppError(
        'invalid_request',
        'A login is 2 to 64 lowercase letters, digits, dots, dashes or underscores',
      );
    }
    if (input.password !== undefined && input.password.length < 8) {
      throw new AppError('invalid_request', 'A password has at least 8 characters');
    }
    const now = this.clock.now();
    const row = {
      id: newId(),
      login,
      display_name: input.displayName?.trim() || login,
      profile: input.profile,
      email: input.email ?? null,
      password_hash: input.password === undefined ? null : await hashPassword(input.password),
      is_admin: input.isAdmin ? 1 : 0,
      quota_total: input.quota ?? this.config.quotaByProfile[input.profile],
      created_at: now,
      updated_at: now,
    };
    try {
      await this.db.kysely.insertInto('users').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError('conflict', `The login "${login}" is already taken`, { cause: error });
      }
      throw error;
    }
    return this.getUser(row.id);
  }

  async getUser(id: string): Promise<User> {
    const row = await this.db.kysely
      .selectFrom('users')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new AppError('not_found', 'User not found');
    return toUser(row);
  }

  async findByLogin(login: string): Promise<User | undefined> {
    const row = await this.db.kysely
      .selectFrom('users')
      .selectAll()
      .where('login', '=', login.trim().toLowerCase())
      .executeTakeFirst();
    return row === undefined ? undefined : toUser(row);
  }

  async requireByLogin(login: string): Promise<User> {
    const user = await this.findByLogin(login);
    if (user === undefined) throw new AppError('not_found', `No user with login "${login}"`);
    return user;
  }

  async listUsers(): Promise<User[]> {
    const rows = await this.db.kysely.selectFrom('users').selectAll().orderBy('login').execute();
    return rows.map(toUser);
  }

  async countUsers(): Promise<number> {
    const row = await this.db.kysely
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async setDisabled(login: string, disabled: boolean): Promise<User> {
    const user = await this.requireByLogin(login);
    await this.db.kysely
      .updateTable('users')
      .set({ disabled: disabled ? 1 : 0, updated_at: this.clock.now() })
      .where('id', '=', user.id)
      .execute();
    if (disabled) {
      // A disabled account is logged out everywhere at once.
      await this.db.kysely.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    }
    return this.getUser(user.id);
  }

  /** The school of that name, created if needed. */
  async ensureSchool(name: string): Promise<{ id: string; name: string }> {
    const trimmed = name.trim();
    if (trimmed.length === 0) throw new AppError('invalid_request', 'A school needs a name');
    const existing = await this.db.kysely
      .selectFrom('schools')
      .select(['id', 'name'])
      .where('name', '=', trimmed)
      .executeTakeFirst();
    if (existing !== undefined) return existing;
    const school = { id: newId(), name: trimmed };
    await this.db.kysely
      .insertInto('schools')
      .values({ ...school, created_at: this.clock.now() })
      .execute();
    return school;
  }

  async createGroup(schoolName: string, name: string): Promise<Group> {
    const school = await this.ensureSchool(schoolName);
    const trimmed = name.trim();
    if (trimmed.length === 0) throw new AppError('invalid_request', 'A group needs a name');
    const id = newId();
    try {
      await this.db.kysely
        .insertInto('groups')
        .values({ id, school_id: school.id, name: trimmed, created_at: this.clock.now() })
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError('conflict', `The group "${trimmed}" already exists in ${school.name}`, {
          cause: error,
        });
      }
      throw error;
    }
    return { id, schoolId: school.id, schoolName: school.name, name: trimmed };
  }

  /** A group by id, or by name when that name is unique across schools. */
  async findGroup(ref: string): Promise<Group> {
    const rows = await this.db.kysely
      .selectFrom('groups')
      .innerJoin('schools', 'schools.id', 'groups.school_id')
      .select(['groups.id', 'groups.school_id', 'schools.name as school_name', 'groups.name'])
      .where((eb) => eb.or([eb('groups.id', '=', ref), eb('groups.name', '=', ref.trim())]))
      .execute();
    const [first, second] = rows;
    if (first === undefined) throw new AppError('not_found', `No group "${ref}"`);
    if (second !== undefined) {
      throw new AppError('conflict', `Several groups are named "${ref}": give the group id`);
    }
    return {
      id: first.id,
      schoolId: first.school_id,
      schoolName: first.school_name,
      name: first.name,
    };
  }

  async addMember(groupRef: string, login: string): Promise<void> {
    const group = await this.findGroup(groupRef);
    const user = await this.requireByLogin(login);
    try {
      await this.db.kysely
        .insertInto('group_members')
        .values({ group_id: group.id, user_id: user.id })
        .execute();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error; // already a member: nothing to do
    }
  }

  async groupsOf(userId: string): Promise<Group[]> {
    const rows = await this.db.kysely
      .selectFrom('group_members')
      .innerJoin('groups', 'groups.id', 'group_members.group_id')
      .innerJoin('schools', 'schools.id', 'groups.school_id')
      .select(['groups.id', 'groups.school_id', 'schools.name as school_name', 'groups.name'])
      .where('group_members.user_id', '=', userId)
      .orderBy('groups.name')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      schoolId: r.school_id,
      schoolName: r.school_name,
      name: r.name,
    }));
  }

  async membersOf(groupId: string): Promise<string[]> {
    const rows = await this.db.kysely
      .selectFrom('group_members')
      .select('user_id')
      .where('group_id', '=', groupId)
      .execute();
    return rows.map((r) => r.user_id);
  }

  async listGroups(): Promise<(Group & { members: number })[]> {
    const rows = await this.db.kysely
      .selectFrom('groups')
      .innerJoin('schools', 'schools.id', 'groups.school_id')
      .leftJoin('group_members', 'group_members.group_id', 'groups.id')
      .select((eb) => [
        'groups.id',
        'groups.school_id',
        'schools.name as school_name',
        'groups.name',
        eb.fn.count<number>('group_members.user_id').as('members'),
      ])
      .groupBy(['groups.id', 'groups.school_id', 'schools.name', 'groups.name'])
      .orderBy('schools.name')
      .orderBy('groups.name')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      schoolId: r.school_id,
      schoolName: r.school_name,
      name: r.name,
      members: Number(r.members),
    }));
  }

  /** Overrides a right for every member of a group: `grant` adds it, `revoke` takes it away. */
  async setGroupRight(groupRef: string, action: Action, effect: 'grant' | 'revoke'): Promise<void> {
    if (!this.rights.isAction(action)) {
      throw new AppError('invalid_request', 'Unknown action', {
        details: [{ path: '/action', message: String(action) }],
      });
    }
    const group = await this.findGroup(groupRef);
    await this.db.kysely
      .insertInto('group_rights')
      .values({ group_id: group.id, action, effect })
      .onConflict((oc) => oc.columns(['group_id', 'action']).doUpdateSet({ effect }))
      .execute();
  }

  async clearGroupRight(groupRef: string, action: Action): Promise<void> {
    const group = await this.findGroup(groupRef);
    await this.db.kysely
      .deleteFrom('group_rights')
      .where('group_id', '=', group.id)
      .where('action', '=', action)
      .execute();
  }

  async rightsOf(user: Pick<User, 'id' | 'profile'>): Promise<Action[]> {
    const overrides = await this.db.kysely
      .selectFrom('group_rights')
      .innerJoin('group_members', 'group_members.group_id', 'group_rights.group_id')
      .select(['group_rights.action', 'group_rights.effect'])
      .where('group_members.user_id', '=', user.id)
      .execute();
    return this.rights.effectiveRights(user.profile, overrides);
  }

  /** Throws 403 `forbidden` unless the user holds the right (checked server-side, always). */
  async requireRight(user: Pick<User, 'id' | 'profile'>, action: Action): Promise<void> {
    const rights = await this.rightsOf(user);
    if (!rights.includes(action)) {
      throw new AppError('forbidden', `You do not have the right "${action}"`);
    }
  }
}
