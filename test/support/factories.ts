import type { Profile } from '../../src/db/schema.ts';
import type { User } from '../../src/platform/accounts.service.ts';
import type { Platform } from '../../src/platform/platform.ts';

let n = 0;

export const TEST_PASSWORD = 'correct horse battery';

/** A new user with a unique login; each test builds its own. */
export async function makeUser(
  platform: Platform,
  profile: Profile = 'Student',
  extra: { quota?: number; email?: string } = {},
): Promise<User> {
  n += 1;
  return platform.accounts.createUser({
    login: `${profile.toLowerCase()}.${process.pid}.${n}.${Math.random().toString(36).slice(2, 7)}`,
    password: TEST_PASSWORD,
    profile,
    displayName: `${profile} ${n}`,
    ...extra,
  });
}
