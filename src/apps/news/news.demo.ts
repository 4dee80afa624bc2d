import { systemClock, type Clock } from '../../clock.ts';
import type { User } from '../../platform/accounts.service.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Apps } from '../registry.ts';
import { NEWS } from './news.service.ts';

export const DEMO_THREAD = 'Vie de la classe 6e A';

const DAY = 24 * 60 * 60 * 1000;

/**
 * The teacher's class thread, read-shared with the class: three published items (one headline)
 * and a draft. Idempotent: nothing is done if the teacher already has this thread.
 */
export async function seedNewsDemo(
  deps: { platform: Platform; apps: Pick<Apps, 'news'>; clock?: Clock },
  users: { teacher: User; student: User; classGroupId: string },
): Promise<void> {
  const news = deps.apps.news;
  const now = (deps.clock ?? systemClock).now();
  const { teacher, student, classGroupId } = users;
  const existing = await news.listThreads(teacher);
  if (existing.some((t) => t.ownerId === teacher.id && t.title === DEMO_THREAD)) return;

  const thread = await news.createThread(teacher, { title: DEMO_THREAD });
  // Shared before the items are written, so the class is notified of each publication.
  await deps.platform.sharing.share(
    teacher.id,
    { app: NEWS, type: 'thread', id: thread.id },
    { kind: 'group', id: classGroupId },
    'read',
  );

  await news.createItem(teacher, thread.id, {
    title: 'Bienvenue en 6e A',
    content:
      '<p>Bonjour à toutes et à tous,</p>' +
      '<p>Vous trouverez ici les <strong>actualités de la classe</strong> : sorties, ' +
      'réunions, informations pratiques. Bonne année scolaire !</p>' +
      `<p>${teacher.displayName}, professeur principal</p>`,
    publishAt: now - 20 * DAY,
  });
  await news.createItem(teacher, thread.id, {
    title: 'Fournitures pour le deuxième trimestre',
    content:
      '<p>Pour la rentrée de janvier, pensez à apporter :</p>' +
      '<ul><li>un cahier 24x32 grands carreaux ;</li><li>un classeur A4 et des pochettes ;</li>' +
      '<li>un compas et une calculatrice collège.</li></ul>' +
      '<p>La liste complète est dans le dossier partagé de la classe de ' +
      '<a href="/workspace?filter=shared">l\'Espace documentaire</a>, et le calendrier ' +
      'scolaire sur <a href="https://www.education.gouv.fr/calendrier-scolaire-100148" ' +
      'target="_blank">le site du ministère</a>.</p>',
    publishAt: now - 7 * DAY,
  });
  const outing = await news.createItem(teacher, thread.id, {
    title: 'Sortie au musée le 12 décembre',
    content:
      '<p>La classe visitera le <strong>musée des Beaux-Arts</strong> le ' +
      '<strong>12 décembre</strong>, de 9 h à 16 h. Départ devant le collège à 8 h 45.</p>' +
      "<p>Merci de rapporter l'autorisation de sortie signée avant le 5 décembre, " +
      'et de prévoir un pique-nique.</p>',
    publishAt: now - 2 * DAY,
    headline: true,
  });
  await news.createItem(teacher, thread.id, {
    title: 'Conseil de classe du premier trimestre',
    content:
      '<p>Le conseil de classe aura lieu le <em>jeudi 18 décembre à 17 h</em>. ' +
      'Les délégués recevront l’ordre du jour la semaine précédente.</p>',
    state: 'DRAFT',
  });
  // The pupil reads the thread through the class group: a question under the outing.
  const readable = await news.listThreads(student);
  if (readable.some((t) => t.id === thread.id)) {
    await news.addComment(student, outing.id, 'Est-ce qu’il faut apporter un carnet de croquis ?');
    await news.addComment(
      teacher,
      outing.id,
      'Oui, et un crayon à papier. Merci pour la question !',
    );
  }
}
