import type { User } from '../../platform/accounts.service.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Apps } from '../registry.ts';
import { pagePath } from './wiki-links.ts';
import { WIKI } from './wiki.service.ts';

export const DEMO_CLASS_WIKI = 'Cours de sciences - 6e A';
export const DEMO_STUDENT_WIKI = 'Mes fiches de révision';

/**
 * Demo wikis: the teacher's science course shared (read) with the class, a home page linking
 * to two sub-pages, one of them edited twice (two revisions); the pupil's own revision sheets.
 * Idempotent: a wiki that already exists with its title is left as it is.
 */
export async function seedWikiDemo(
  deps: { platform: Platform; apps: Pick<Apps, 'wiki'> },
  users: { teacher: User; student: User; classGroupId: string },
): Promise<void> {
  const wiki = deps.apps.wiki;
  const { teacher, student, classGroupId } = users;

  const teacherWikis = await wiki.listWikis(teacher);
  if (!teacherWikis.some((w) => w.ownerId === teacher.id && w.title === DEMO_CLASS_WIKI)) {
    const course = await wiki.createWiki(teacher, {
      title: DEMO_CLASS_WIKI,
      description: 'Le cours de sciences de la classe : leçons, schémas et exercices.',
    });
    // The sub-pages first, so the home page's links to them are recorded when it is written;
    // they then move under it (a move makes no revision).
    const volcans = await wiki.createPage(teacher, course.id, {
      title: 'Les volcans',
      content: '<h2>Les volcans</h2><p>Un volcan est une ouverture de la croûte terrestre.</p>',
    });
    const eau = await wiki.createPage(teacher, course.id, {
      title: "Le cycle de l'eau",
      content:
        "<h2>Le cycle de l'eau</h2><p>L'eau s'évapore, forme des nuages, puis retombe en " +
        'pluie.</p><ol><li>Évaporation</li><li>Condensation</li><li>Précipitations</li></ol>',
    });
    const home = await wiki.createPage(teacher, course.id, {
      title: 'Accueil',
      order: 0,
      content:
        '<h1>Cours de sciences</h1><p>Bienvenue dans le cours de sciences de la 6e A.</p><ul>' +
        `<li><a href="${pagePath(course.id, volcans.id)}">Les volcans</a></li>` +
        `<li><a href="${pagePath(course.id, eau.id)}">Le cycle de l'eau</a></li></ul>`,
    });
    await wiki.updatePage(teacher, course.id, volcans.id, { parentId: home.id, order: 0 });
    await wiki.updatePage(teacher, course.id, eau.id, { parentId: home.id, order: 1 });
    await wiki.updatePage(teacher, course.id, volcans.id, {
      content:
        '<h2>Les volcans</h2><p>Un volcan est une ouverture de la croûte terrestre par ' +
        'laquelle sort le magma.</p><p>Exemples : le Piton de la Fournaise, l’Etna.</p>',
    });
    await wiki.updatePage(teacher, course.id, volcans.id, {
      content:
        '<h2>Les volcans</h2><p>Un volcan est une ouverture de la croûte terrestre par ' +
        'laquelle sort le magma.</p><h3>Deux types d’éruptions</h3><ul><li>Effusives : des ' +
        'coulées de lave.</li><li>Explosives : des cendres et des bombes volcaniques.</li></ul>' +
        '<p>Exemples : le Piton de la Fournaise, l’Etna.</p>',
    });
    // Shared once written, so the class is not notified of each page of the demo.
    await deps.platform.sharing.share(
      teacher.id,
      { app: WIKI, type: 'wiki', id: course.id },
      { kind: 'group', id: classGroupId },
      'read',
    );
  }

  const studentWikis = await wiki.listWikis(student);
  if (!studentWikis.some((w) => w.ownerId === student.id && w.title === DEMO_STUDENT_WIKI)) {
    const sheets = await wiki.createWiki(student, { title: DEMO_STUDENT_WIKI });
    await wiki.createPage(student, sheets.id, {
      title: 'Fiche : les fractions',
      content:
        '<p>Une fraction représente une partie d’un tout : ' +
        '<strong>numérateur / dénominateur</strong>.</p><p>Pour simplifier, je divise les deux ' +
        'par le même nombre : 6/8 = 3/4.</p>',
    });
  }
}
