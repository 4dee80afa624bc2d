import type { Profile } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { DemoDeps } from '../apps/app-module.ts';
import { APP_DEFINITIONS } from '../apps/registry.ts';

export const DEFAULT_DEMO_PASSWORD = 'mesdonnees-demo';
export const DEMO_SCHOOL = 'Collège Victor Hugo';
export const DEMO_CLASS = '6e A';

export const DEMO_ACCOUNTS: readonly {
  login: string;
  displayName: string;
  profile: Profile;
  inClass: boolean;
  isAdmin?: boolean;
}[] = [
  { login: 'eleve.demo', displayName: 'Emma Martin', profile: 'Student', inClass: true },
  { login: 'enseignant.demo', displayName: 'Thomas Bernard', profile: 'Teacher', inClass: true },
  { login: 'parent.demo', displayName: 'Sophie Martin', profile: 'Relative', inClass: false },
  {
    login: 'admin.demo',
    displayName: 'Claire Petit',
    profile: 'Personnel',
    inClass: false,
    isAdmin: true,
  },
];

/**
 * Demo accounts and their content in each app, so a new user can try Mes Données at once.
 * Idempotent: accounts that exist are left as they are (content is made with the account).
 */
export async function seedDemo(deps: DemoDeps, password: string): Promise<string[]> {
  const { platform } = deps;
  const { accounts, timeline } = platform;
  await accounts.ensureSchool(DEMO_SCHOOL);
  const group = await accounts
    .createGroup(DEMO_SCHOOL, DEMO_CLASS)
    .catch(async (error: unknown) => {
      if (error instanceof AppError && error.code === 'conflict') {
        return (await accounts.listGroups()).find(
          (g) => g.schoolName === DEMO_SCHOOL && g.name === DEMO_CLASS,
        );
      }
      throw error;
    });
  const created: string[] = [];
  for (const a of DEMO_ACCOUNTS) {
    if ((await accounts.findByLogin(a.login)) !== undefined) continue;
    try {
      const user = await accounts.createUser({
        login: a.login,
        password,
        profile: a.profile,
        displayName: a.displayName,
        isAdmin: a.isAdmin ?? false,
      });
      if (a.inClass && group !== undefined) await accounts.addMember(group.id, a.login);
      await timeline.notify(user.id, {
        type: 'platform',
        messageKey: 'welcome',
        params: { name: a.displayName },
        link: '/archive',
      });
      created.push(a.login);
      for (const app of APP_DEFINITIONS) await app.seedAccountDemo?.(deps, user, group?.id);
    } catch (error) {
      // Two processes seeding at their first start: the other one made this account.
      if (!(error instanceof AppError && error.code === 'conflict')) throw error;
    }
  }
  // Each app's content, once the class and its teacher and pupil exist (each seed is idempotent).
  if (created.includes('enseignant.demo') && group !== undefined) {
    const users = {
      teacher: await accounts.requireByLogin('enseignant.demo'),
      student: await accounts.requireByLogin('eleve.demo'),
      classGroupId: group.id,
    };
    for (const app of APP_DEFINITIONS) await app.seedDemo?.(deps, users);
  }
  return created;
}
