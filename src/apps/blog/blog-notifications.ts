import type { ShareRight } from '../../db/schema.ts';
import { allows } from '../../platform/access.ts';
import type { User } from '../../platform/accounts.service.ts';
import type { Platform } from '../../platform/platform.ts';
import { BLOG, BLOG_KIND, type Blog, type Post } from './blog.repository.ts';

/** Users holding at least `right` on the blog (its owner included), groups expanded. */
async function holders(
  platform: Pick<Platform, 'accounts' | 'sharing'>,
  blog: Blog,
  right: ShareRight,
): Promise<string[]> {
  const ids = new Set<string>([blog.ownerId]);
  for (const share of await platform.sharing.sharesOf({ ...BLOG_KIND, id: blog.id })) {
    if (!allows(share.right, right)) continue;
    if (share.grantee.kind === 'user') ids.add(share.grantee.id);
    else for (const id of await platform.accounts.membersOf(share.grantee.id)) ids.add(id);
  }
  return [...ids];
}

/**
 * Tells the blog's readers of a post's first publication, and its managers of a post waiting
 * for them; never the user who did it.
 */
export async function notifyPostState(
  platform: Pick<Platform, 'accounts' | 'sharing' | 'timeline'>,
  actor: User,
  blog: Blog,
  post: Post,
  firstPublication: boolean,
): Promise<void> {
  const notification = {
    type: BLOG,
    params: { blog: blog.title, title: post.title, author: post.authorName },
    link: `/blog/${blog.id}`,
  };
  const notify = async (right: ShareRight, messageKey: string) => {
    const to = (await holders(platform, blog, right)).filter((id) => id !== actor.id);
    await platform.timeline.notify(to, { ...notification, messageKey });
  };
  if (post.state === 'PUBLISHED' && firstPublication) await notify('read', 'blog.post.published');
  if (post.state === 'SUBMITTED') await notify('manage', 'blog.post.submitted');
}
