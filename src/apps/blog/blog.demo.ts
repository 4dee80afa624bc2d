import { Readable } from 'node:stream';
import { makePng } from '../../demo/demo-files.ts';
import type { User } from '../../platform/accounts.service.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Apps } from '../registry.ts';
import type { BlogService } from './blog.service.ts';

export const DEMO_CLASS_BLOG = 'Le blog de la 6e A';
export const DEMO_READING_BLOG = 'Mon carnet de lecture';

async function picture(
  blog: BlogService,
  user: User,
  blogId: string,
  name: string,
  png: Buffer,
): Promise<{ id: string; url: string }> {
  const image = await blog.uploadImage(user, blogId, { name, body: Readable.from([png]) });
  return { id: image.id, url: image.url };
}

/**
 * Blogs of the demo accounts: the teacher's class blog, read by the class, with published
 * posts showing pictures and links; the pupil's reading notebook with a draft. Posts are
 * written after the class share, so pupils find them in their timeline. Skipped for an
 * account that already has its blog.
 */
export async function seedBlogDemo(
  deps: { platform: Platform; apps: Pick<Apps, 'blog' | 'workspace'> },
  users: { teacher: User; student: User; classGroupId: string },
): Promise<void> {
  const blog = deps.apps.blog;
  const { teacher, student, classGroupId } = users;

  if (!(await blog.listBlogs(teacher)).some((b) => b.title === DEMO_CLASS_BLOG)) {
    const classBlog = await blog.createBlog(teacher, {
      title: DEMO_CLASS_BLOG,
      description:
        'Les nouvelles de la classe : sorties, projets et travaux des élèves. ' +
        'Vous pouvez commenter les articles.',
      commentPolicy: 'RESTRAINT',
      publicationPolicy: 'RESTRAINT',
    });
    await deps.platform.sharing.share(
      teacher.id,
      { app: 'blog', type: 'blog', id: classBlog.id },
      { kind: 'group', id: classGroupId },
      'read',
    );
    const museum = await picture(
      blog,
      teacher,
      classBlog.id,
      'Sortie au musée.png',
      makePng(480, 300, 7),
    );
    const volcano = await picture(blog, teacher, classBlog.id, 'Volcan.png', makePng(400, 260, 23));
    const garden = await picture(blog, teacher, classBlog.id, 'Potager.png', makePng(360, 240, 41));
    await blog.updateBlog(teacher, classBlog.id, { thumbnailId: museum.id });
    const posts: { title: string; html: string }[] = [
      {
        title: 'Bienvenue sur le blog de la classe',
        html:
          '<p>Bonjour à tous ! Ce blog raconte la vie de la <strong>6e A</strong> tout au long ' +
          "de l'année.</p>" +
          `<p><img src="${garden.url}" alt="Le potager du collège" width="360" height="240" /></p>` +
          '<p>Les documents de la classe sont dans l\'<a href="/workspace">Espace documentaire</a>.</p>',
      },
      {
        title: "Sortie au Muséum d'histoire naturelle",
        html:
          "<p>Mardi, nous avons visité la <em>Grande Galerie de l'Évolution</em>. Merci aux " +
          'parents accompagnateurs !</p>' +
          `<figure><img src="${museum.url}" alt="La classe devant le musée" width="480" height="300" />` +
          '<figcaption>La classe devant le musée</figcaption></figure>' +
          '<p>Pour revoir les collections : <a href="https://www.mnhn.fr" target="_blank">' +
          'le site du Muséum</a>.</p>',
      },
      {
        title: 'Les volcans : ce que nous avons appris',
        html:
          '<h2>Un volcan, comment ça marche ?</h2>' +
          '<ul><li>Le magma remonte par la cheminée.</li><li>Il sort par le cratère : ' +
          "c'est la lave.</li></ul>" +
          `<p><img src="${volcano.url}" alt="Dessin d'un volcan" width="400" height="260" /></p>` +
          '<p>Pour aller plus loin : <a href="https://fr.vikidia.org/wiki/Volcan" target="_blank">' +
          'Vikidia, les volcans</a>.</p>',
      },
    ];
    for (const post of posts)
      await blog.createPost(teacher, classBlog.id, { title: post.title, content: post.html });
  }

  if (!(await blog.listBlogs(student)).some((b) => b.title === DEMO_READING_BLOG)) {
    const notebook = await blog.createBlog(student, {
      title: DEMO_READING_BLOG,
      description: "Les livres que je lis cette année et ce que j'en pense.",
    });
    await blog.createPost(student, notebook.id, {
      title: 'Le Petit Prince — mes impressions',
      content:
        "<p>J'ai commencé <em>Le Petit Prince</em> d'Antoine de Saint-Exupéry.</p>" +
        "<p>Mon passage préféré : « On ne voit bien qu'avec le cœur. »</p>" +
        '<p><em>À terminer avant de publier.</em></p>',
      state: 'DRAFT',
    });
  }
}
