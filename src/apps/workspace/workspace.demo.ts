import { Readable } from 'node:stream';
import { makeDocx, makePdf, makePng } from '../../demo/demo-files.ts';
import type { User } from '../../platform/accounts.service.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Apps } from '../registry.ts';

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
export async function seedWorkspaceDemo(
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
