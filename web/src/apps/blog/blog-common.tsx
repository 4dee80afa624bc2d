/** What the blog's pages share: links, who may publish, a post's state tag and date. */
import { useTranslation } from 'react-i18next';
import { canContribute, canManage, seg } from '../api-common.ts';
import { Tag, type TagTone } from '../ui/content.tsx';
import type { Blog, Post, PostState } from './blog-api.ts';

export const blogLink = (blogId: string) => `/blog/${seg(blogId)}`;
export const postLink = (blogId: string, postId: string) =>
  `/blog/${seg(blogId)}/posts/${seg(postId)}`;

/** Managers publish; contributors too when the blog does not review posts. */
export function mayPublish(blog: Blog): boolean {
  return (
    canManage(blog.access) || (canContribute(blog.access) && blog.publicationPolicy === 'IMMEDIATE')
  );
}

const STATE_TONES: Record<PostState, TagTone> = {
  DRAFT: 'neutral',
  SUBMITTED: 'warning',
  PUBLISHED: 'ok',
};

export function PostStateTag({ state }: { state: PostState }) {
  const { t } = useTranslation();
  return <Tag tone={STATE_TONES[state]}>{t(`apps_ui.blog.states.${state}`)}</Tag>;
}

/** The date readers go by: the first publication, else the last change. */
export function postDate(post: Post): Date {
  return post.firstPublishedAt ?? post.modifiedAt;
}
