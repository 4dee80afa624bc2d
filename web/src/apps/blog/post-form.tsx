import { useTranslation } from 'react-i18next';
import { ArticleForm } from '../ui/forms.tsx';
import { createPost, updatePost, type Blog, type Post } from './blog-api.ts';
import { mayPublish } from './blog-common.tsx';

/** A new post (published, sent for review, or kept as a draft), or changes to one. */
export function PostForm({
  blog,
  post,
  onSaved,
  onCancel,
}: {
  blog: Blog;
  /** The post to change; absent: a new post. */
  post?: Post;
  onSaved: (post: Post) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const publishes = mayPublish(blog);
  return (
    <ArticleForm
      initial={post}
      labels={{
        title: t('apps_ui.blog.fields.postTitle'),
        content: t('apps_ui.blog.fields.content'),
        contentMissing: t('apps_ui.blog.contentMissing'),
        submit: post
          ? t('apps_ui.form.save')
          : publishes
            ? t('apps_ui.blog.publish')
            : t('apps_ui.blog.submit'),
        draft: post === undefined ? t('apps_ui.blog.saveDraft') : undefined,
      }}
      rows={14}
      save={async ({ title, content, draft }) => {
        onSaved(
          post
            ? await updatePost(blog.id, post.id, { title, content })
            : await createPost(blog.id, { title, content, draft }),
        );
      }}
      onCancel={onCancel}
    >
      {post === undefined && !publishes && <p className="muted">{t('apps_ui.blog.reviewed')}</p>}
      {post?.state === 'PUBLISHED' && !publishes && (
        <p className="muted">{t('apps_ui.blog.editBackToReview')}</p>
      )}
    </ArticleForm>
  );
}
