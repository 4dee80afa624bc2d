import { Readable } from 'node:stream';
import type { Apps } from '../apps/registry.ts';
import type { Profile } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { User } from '../platform/accounts.service.ts';
import type { Platform } from '../platform/platform.ts';
import type { DemoDeps } from '../apps/app-module.ts';
import { APP_DEFINITIONS } from '../apps/registry.ts';
import { makeDocx, makePdf, makePng } from './demo-files.ts';

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
      await seedWorkspace(deps, user, group?.id);
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

type Tree = {
  folder: string;
  files?: [string, () => Promise<Buffer> | Buffer][];
  children?: Tree[];
};

async function addTree(
  apps: Apps,
  user: User,
  tree: Tree,
  parentId: string | null = null,
): Promise<string> {
  const folder = await apps.workspace.createFolder(user, { name: tree.folder, parentId });
  for (const [name, make] of tree.files ?? []) {
    await apps.workspace.upload(user, {
      name,
      body: Readable.from([await make()]),
      folderId: folder.id,
    });
  }
  for (const child of tree.children ?? []) await addTree(apps, user, child, folder.id);
  return folder.id;
}

/** A realistic Espace documentaire per demo account, and one folder the teacher shares with the class. */
async function seedWorkspace(
  deps: { platform: Platform; apps: Apps },
  user: User,
  classId: string | undefined,
): Promise<void> {
  const { apps, platform } = deps;
  switch (user.login) {
    case 'enseignant.demo': {
      await addTree(apps, user, {
        folder: 'Cours',
        children: [
          {
            folder: 'Mathématiques',
            files: [
              [
                'Fractions - exercices.pdf',
                () =>
                  makePdf('Fractions', [
                    'Exercice 1 : simplifier 6/8.',
                    'Exercice 2 : comparer 2/3 et 3/4.',
                  ]),
              ],
              [
                'Géométrie - le cercle.docx',
                () =>
                  makeDocx('Le cercle', [
                    "Un cercle est l'ensemble des points à égale distance du centre.",
                  ]),
              ],
            ],
          },
          {
            folder: 'Français',
            files: [
              [
                'Rédaction - consignes.docx',
                () => makeDocx('Rédaction', ['Racontez une sortie scolaire en vingt lignes.']),
              ],
            ],
          },
        ],
      });
      await addTree(apps, user, {
        folder: 'Photos de classe',
        files: [['Sortie au musée.png', () => makePng(320, 200, 7)]],
      });
      const shared = await addTree(apps, user, {
        folder: 'Documents de la classe 6e A',
        files: [
          [
            'Emploi du temps.pdf',
            () =>
              makePdf('Emploi du temps - 6e A', [
                'Lundi : maths, français, histoire.',
                'Mardi : anglais, SVT, EPS.',
              ]),
          ],
          [
            'Liste de fournitures.txt',
            () => Buffer.from('Cahier 24x32, classeur A4, compas, calculatrice.\n', 'utf8'),
          ],
        ],
      });
      if (classId !== undefined) {
        await platform.sharing.share(
          user.id,
          { app: 'workspace', type: 'folder', id: shared },
          { kind: 'group', id: classId },
          'read',
        );
      }
      return;
    }
    case 'eleve.demo': {
      await addTree(apps, user, {
        folder: 'Mes devoirs',
        files: [
          [
            'Exposé sur les volcans.docx',
            () => makeDocx('Les volcans', ['Un volcan est une ouverture de la croûte terrestre.']),
          ],
        ],
        children: [{ folder: 'Dessins', files: [['Volcan.png', () => makePng(240, 180, 31)]] }],
      });
      await apps.workspace.upload(user, {
        name: 'Notes.txt',
        body: Readable.from([Buffer.from('Réviser le contrôle de maths jeudi.\n', 'utf8')]),
      });
      return;
    }
    case 'parent.demo': {
      await addTree(apps, user, {
        folder: 'Papiers',
        files: [
          [
            'Autorisation de sortie.pdf',
            () =>
              makePdf('Autorisation de sortie', [
                "J'autorise mon enfant à participer à la sortie.",
              ]),
          ],
        ],
      });
      return;
    }
    default:
      return;
  }
}
