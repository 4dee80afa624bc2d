/** A blog post (`/blog/:blogId/posts/:postId`): publish or edit it, read it, its comments. */
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert, Loading } from '../../components/feedback.tsx';
import { PageHeading } from '../../components/page-heading.tsx';
import { useDocumentTitle } from '../../hooks/use-document-title.ts';
import { useResource } from '../../hooks/use-resource.ts';
import { useSession } from '../../session.tsx';
import { canContribute, canManage } from '../api-common.ts';
import { Breadcrumb, HtmlArticle, LoadError, When } from '../ui/content.tsx';
import { useAppsAction, useDisclosure } from '../ui/hooks.ts';
import {
  fetchBlog,
  fetchComments,
  fetchPost,
  publishPost,
  withReaderUrls,
  type Post,
} from './blog-api.ts';
import { blogLink, mayPublish, postDate, PostStateTag } from './blog-common.tsx';
import { Comments } from './comments.tsx';
import { PostForm } from './post-form.tsx';

async function loadPost(blogId: string, postId: string, signal: AbortSignal) {
  const [blog, post, comments] = await Promise.all([
    fetchBlog(blogId, signal),
    fetchPost(blogId, postId, signal),
    fetchComments(blogId, postId, signal),
  ]);
  return { blog, post, comments };
}

export function PostPage({ blogId, postId }: { blogId: string; postId: string }) {
  const { t } = useTranslation();
  const { me, handleUnauthenticated } = useSession();
  const { state, reload, setData } = useResource(
    (signal) => loadPost(blogId, postId, signal),
    `${blogId}/${postId}`,
    handleUnauthenticated,
  );
  const edit = useDisclosure();
  const publishing = useAppsAction();
  const [announcement, setAnnouncement] = useState('');
  const loaded = state.status === 'success' ? state.data : undefined;
  useDocumentTitle(
    loaded
      ? t('apps_ui.pageTitle', { page: loaded.post.title, app: loaded.blog.title })
      : t('apps_ui.blog.title'),
  );

  if (state.status === 'loading') return <Loading />;
  if (state.status === 'error') return <LoadError error={state.error} onRetry={reload} />;
  const { blog, post, comments } = state.data;

  const mayEdit =
    canManage(blog.access) || (post.authorId === me.user.id && canContribute(blog.access));
  const publishes = mayPublish(blog);
  // A submitted post waits for a manager; its author cannot send it again.
  const canSend = mayEdit && post.state !== 'PUBLISHED' && (publishes || post.state === 'DRAFT');
  // The author reads their own images from their workspace; everyone else through the blog.
  const html = post.authorId === me.user.id ? post.content : withReaderUrls(blog.id, post.content);

  const setPost = (updated: Post) => {
    setData((data) => ({ ...data, post: updated }));
  };

  return (
    <div className="apps-page">
      <Breadcrumb
        items={[
          { label: t('apps_ui.blog.title'), to: '/blog' },
          { label: blog.title, to: blogLink(blog.id) },
          { label: post.title },
        ]}
      />
      <PageHeading>{post.title}</PageHeading>
      <p className="apps-meta muted">
        <PostStateTag state={post.state} />{' '}
        {post.state !== 'PUBLISHED' && <>{t('apps_ui.blog.modifiedOn')} </>}
        <When date={post.state === 'PUBLISHED' ? postDate(post) : post.modifiedAt} />
        {' · '}
        {t('apps_ui.by', { name: post.authorName })}
      </p>
      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      {(mayEdit || canSend) && (
        <div className="apps-actions">
          {canSend && (
            <button
              type="button"
              className="button"
              aria-disabled={publishing.busy}
              onClick={() => {
                setAnnouncement('');
                publishing.run(async () => {
                  const updated = await publishPost(blog.id, post.id);
                  setPost(updated);
                  setAnnouncement(
                    updated.state === 'PUBLISHED'
                      ? t('apps_ui.blog.published')
                      : t('apps_ui.blog.submitted'),
                  );
                });
              }}
            >
              {publishes ? t('apps_ui.blog.publish') : t('apps_ui.blog.submit')}
            </button>
          )}
          {mayEdit && (
            <button type="button" className="button button--secondary" {...edit.toggleProps}>
              {t('apps_ui.blog.edit')}
            </button>
          )}
        </div>
      )}
      {publishing.error !== undefined && <ErrorAlert>{publishing.error}</ErrorAlert>}
      {post.state === 'SUBMITTED' && <p className="notice">{t('apps_ui.blog.waitingReview')}</p>}
      {mayEdit && (
        <div id={edit.panelId} hidden={!edit.open}>
          {edit.open && (
            <PostForm
              blog={blog}
              post={post}
              onSaved={(updated) => {
                setPost(updated);
                edit.close();
                setAnnouncement(t('apps_ui.blog.saved'));
              }}
              onCancel={edit.close}
            />
          )}
        </div>
      )}
      <HtmlArticle html={html} className="apps-post" />
      <Comments
        blog={blog}
        post={post}
        comments={comments}
        onAdded={(comment) => {
          setData((data) => ({ ...data, comments: [...data.comments, comment] }));
        }}
        onPublished={(comment) => {
          setData((data) => ({
            ...data,
            comments: data.comments.map((c) => (c.id === comment.id ? comment : c)),
          }));
        }}
      />
    </div>
  );
}
