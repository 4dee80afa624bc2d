import { AppError } from '../../errors.ts';
import { allows, type Access, type AccessReader } from '../../platform/access.ts';
import type { User } from '../../platform/accounts.service.ts';
import {
  BLOG_KIND,
  type Blog,
  type BlogRepository,
  type Post,
  type Visibility,
} from './blog.repository.ts';

/** Whether this access manages the blog (publishes, moderates, shares). */
export function isManager(access: Access): boolean {
  return allows(access, 'manage');
}

/** Which posts and comments of a blog the user sees, given their access to it. */
export function visibility(user: User, access: Access): Visibility {
  return { userId: user.id, manager: isManager(access) };
}

/** Published posts, their own, and (managers) those submitted: drafts are their author's. */
export function sees(v: Visibility, post: Post): boolean {
  return (
    post.state === 'PUBLISHED' ||
    post.authorId === v.userId ||
    (v.manager && post.state === 'SUBMITTED')
  );
}

/** Its author (while they may still write here) and the blog's managers change a post. */
export function mayEdit(user: User, access: Access, post: Post): boolean {
  return isManager(access) || (post.authorId === user.id && allows(access, 'contrib'));
}

/** Managers publish; contributors too when the blog publishes without review. */
export function mayPublish(access: Access, blog: Blog): boolean {
  return isManager(access) || (allows(access, 'contrib') && blog.publicationPolicy === 'IMMEDIATE');
}

/**
 * Who may do what in a blog. Its owner does everything; others by the right a share gives
 * them (see `platform/access.ts`): `read` reads and comments, `contrib` writes posts, `manage`
 * publishes others' posts, moderates comments and shares the blog.
 */
export class BlogPolicy {
  private readonly repo: BlogRepository;
  private readonly access: AccessReader;

  constructor(deps: { repo: BlogRepository; access: AccessReader }) {
    this.repo = deps.repo;
    this.access = deps.access;
  }

  /** The blog if the user may act on it with `need`; 404 when they cannot see it at all. */
  async requireBlog(
    user: User,
    id: string,
    need: Access = 'read',
  ): Promise<{ blog: Blog; access: Access }> {
    const blog = await this.repo.blogById(id);
    const access =
      blog === undefined ? undefined : await this.access.accessTo(user.id, BLOG_KIND, blog);
    if (blog === undefined || access === undefined)
      throw new AppError('not_found', 'Blog not found');
    if (!allows(access, need)) throw new AppError('forbidden', 'You may not do this on this blog');
    return { blog, access };
  }

  /** A post of this blog the user sees; 404 otherwise (drafts are their author's only). */
  async requirePost(
    user: User,
    blogId: string,
    postId: string,
  ): Promise<{ blog: Blog; access: Access; post: Post }> {
    const { blog, access } = await this.requireBlog(user, blogId);
    const post = await this.repo.postById(postId);
    if (post === undefined || post.blogId !== blog.id || !sees(visibility(user, access), post)) {
      throw new AppError('not_found', 'Post not found');
    }
    return { blog, access, post };
  }
}
