/** Blog: the list of blogs (`/blog`), a blog and its posts (`/blog/:id`), a post (`.../posts/:id`). */
import { useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert, Loading } from '../components/feedback.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { useDocumentTitle } from '../hooks/use-document-title.ts';
import { useResource } from '../hooks/use-resource.ts';
import { Link, navigate } from '../router.tsx';
import { useSession } from '../session.tsx';
import { canContribute, canManage, seg } from './api-common.ts';
import {
  COMMENT_POLICIES,
  PUBLICATION_POLICIES,
  addComment,
  createBlog,
  createPost,
  fetchBlog,
  fetchBlogs,
  fetchComments,
  fetchPost,
  fetchPosts,
  publishComment,
  publishPost,
  updatePost,
  withReaderUrls,
  type Blog,
  type BlogComment,
  type CommentPolicy,
  type Post,
  type PostState,
  type PublicationPolicy,
} from './blog-api.ts';
import {
  AccessTag,
  Breadcrumb,
  FormAlert,
  FormButtons,
  FormStatus,
  HtmlArticle,
  LoadError,
  SelectField,
  Tag,
  TextAreaField,
  TextField,
  focusFirstInvalid,
  useAction,
  useDisclosure,
  When,
  type TagTone,
  MineAndShared,
  ResourceCards,
} from './ui.tsx';

const blogLink = (blogId: string) => `/blog/${seg(blogId)}`;
const postLink = (blogId: string, postId: string) => `/blog/${seg(blogId)}/posts/${seg(postId)}`;

/** Managers publish; contributors too when the blog does not review posts. */
function mayPublish(blog: Blog): boolean {
  return (
    canManage(blog.access) || (canContribute(blog.access) && blog.publicationPolicy === 'IMMEDIATE')
  );
}

const STATE_TONES: Record<PostState, TagTone> = {
  DRAFT: 'neutral',
  SUBMITTED: 'warning',
  PUBLISHED: 'ok',
};

function PostStateTag({ state }: { state: PostState }) {
  const { t } = useTranslation();
  return <Tag tone={STATE_TONES[state]}>{t(`apps_ui.blog.states.${state}`)}</Tag>;
}

// --- /blog ------------------------------------------------------------------------------------

function NewBlogForm({ onCancel }: { onCancel: () => void }) {
  const { t } = useTranslation();
  const formRef = useRef<HTMLFormElement>(null);
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [publicationPolicy, setPublicationPolicy] = useState<PublicationPolicy>('RESTRAINT');
  const [commentPolicy, setCommentPolicy] = useState<CommentPolicy>('IMMEDIATE');
  const [titleError, setTitleError] = useState<string>();
  const { busy, error, run } = useAction();

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (title.trim() === '') {
      setTitleError(t('apps_ui.form.titleMissing'));
      focusFirstInvalid(formRef.current);
      return;
    }
    setTitleError(undefined);
    run(async () => {
      const blog = await createBlog({
        title: title.trim(),
        description: description.trim(),
        publicationPolicy,
        commentPolicy,
      });
      navigate(blogLink(blog.id));
    });
  };

  return (
    <form ref={formRef} className="form panel apps-form" noValidate onSubmit={submit}>
      <FormAlert message={error} />
      <TextField
        label={t('apps_ui.blog.fields.title')}
        value={title}
        onChange={setTitle}
        error={titleError}
        required
        maxLength={300}
      />
      <TextAreaField
        label={t('apps_ui.blog.fields.description')}
        value={description}
        onChange={setDescription}
        rows={3}
      />
      <SelectField
        label={t('apps_ui.blog.fields.publicationPolicy')}
        value={publicationPolicy}
        onChange={(value) => {
          const found = PUBLICATION_POLICIES.find((p) => p === value);
          if (found) setPublicationPolicy(found);
        }}
        options={PUBLICATION_POLICIES.map((p) => ({
          value: p,
          label: t(`apps_ui.blog.publicationPolicies.${p}`),
        }))}
      />
      <SelectField
        label={t('apps_ui.blog.fields.commentPolicy')}
        value={commentPolicy}
        onChange={(value) => {
          const found = COMMENT_POLICIES.find((p) => p === value);
          if (found) setCommentPolicy(found);
        }}
        options={COMMENT_POLICIES.map((p) => ({
          value: p,
          label: t(`apps_ui.blog.commentPolicies.${p}`),
        }))}
      />
      <FormButtons submitLabel={t('apps_ui.blog.create')} busy={busy} onCancel={onCancel} />
      <FormStatus message={busy ? t('apps_ui.form.saving') : ''} />
    </form>
  );
}

export function BlogsPage() {
  const { t } = useTranslation();
  const { me, handleUnauthenticated } = useSession();
  useDocumentTitle(t('apps_ui.blog.title'));
  const { state, reload } = useResource(fetchBlogs, 'blogs', handleUnauthenticated);
  const create = useDisclosure();
  const canCreate = me.rights.includes('blog.create');

  const blogs = state.status === 'success' ? state.data : [];

  return (
    <div className="apps-page">
      <PageHeading>{t('apps_ui.blog.title')}</PageHeading>
      <p className="lead">{t('apps_ui.blog.intro')}</p>
      {canCreate && (
        <div className="apps-create">
          <button type="button" className="button" {...create.toggleProps}>
            {t('apps_ui.blog.new')}
          </button>
          <div id={create.panelId} hidden={!create.open}>
            {create.open && <NewBlogForm onCancel={create.close} />}
          </div>
        </div>
      )}
      {state.status === 'loading' && <Loading />}
      {state.status === 'error' && <ErrorAlert error={state.error} onRetry={reload} />}
      {state.status === 'success' && (
        <>
          <MineAndShared
            items={blogs}
            labels={{
              mine: t('apps_ui.blog.mine'),
              shared: t('apps_ui.blog.shared'),
              emptyMine: t('apps_ui.blog.emptyMine'),
              emptyShared: t('apps_ui.blog.emptyShared'),
            }}
            render={(list, labelledBy) => (
              <ResourceCards items={list} labelledBy={labelledBy} linkOf={blogLink} />
            )}
          />
        </>
      )}
    </div>
  );
}

// --- Post form (new and edit) ---------------------------------------------------------------

function PostForm({
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
  const formRef = useRef<HTMLFormElement>(null);
  const [title, setTitle] = useState(post?.title ?? '');
  const [content, setContent] = useState(post?.content ?? '');
  const [errors, setErrors] = useState<{ title?: string; content?: string }>({});
  const { busy, error, run } = useAction();
  const publishes = mayPublish(blog);

  const save = (draft: boolean) => {
    const found = {
      title: title.trim() === '' ? t('apps_ui.form.titleMissing') : undefined,
      content: content.trim() === '' ? t('apps_ui.blog.contentMissing') : undefined,
    };
    setErrors(found);
    if (found.title !== undefined || found.content !== undefined) {
      focusFirstInvalid(formRef.current);
      return;
    }
    run(async () => {
      const saved = post
        ? await updatePost(blog.id, post.id, { title: title.trim(), content })
        : await createPost(blog.id, { title: title.trim(), content, draft });
      onSaved(saved);
    });
  };

  return (
    <form
      ref={formRef}
      className="form panel apps-form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        save(false);
      }}
    >
      <FormAlert message={error} />
      <TextField
        label={t('apps_ui.blog.fields.postTitle')}
        value={title}
        onChange={setTitle}
        error={errors.title}
        required
        maxLength={300}
      />
      <TextAreaField
        label={t('apps_ui.blog.fields.content')}
        hint={t('apps_ui.form.htmlHint')}
        value={content}
        onChange={setContent}
        error={errors.content}
        required
        rows={14}
        code
      />
      {post === undefined && !publishes && <p className="muted">{t('apps_ui.blog.reviewed')}</p>}
      {post?.state === 'PUBLISHED' && !publishes && (
        <p className="muted">{t('apps_ui.blog.editBackToReview')}</p>
      )}
      <FormButtons
        submitLabel={
          post
            ? t('apps_ui.form.save')
            : publishes
              ? t('apps_ui.blog.publish')
              : t('apps_ui.blog.submit')
        }
        busy={busy}
        onCancel={onCancel}
        extra={
          post === undefined && (
            <button
              type="button"
              className="button button--secondary"
              aria-disabled={busy}
              onClick={() => {
                save(true);
              }}
            >
              {t('apps_ui.blog.saveDraft')}
            </button>
          )
        }
      />
      <FormStatus message={busy ? t('apps_ui.form.saving') : ''} />
    </form>
  );
}

// --- /blog/:blogId ----------------------------------------------------------------------------

async function loadBlog(blogId: string, signal: AbortSignal) {
  const [blog, posts] = await Promise.all([fetchBlog(blogId, signal), fetchPosts(blogId, signal)]);
  return { blog, posts };
}

export function BlogPage({ blogId }: { blogId: string }) {
  const { t } = useTranslation();
  const { handleUnauthenticated } = useSession();
  const { state, reload } = useResource(
    (signal) => loadBlog(blogId, signal),
    blogId,
    handleUnauthenticated,
  );
  const titleId = useId();
  const write = useDisclosure();
  const loaded = state.status === 'success' ? state.data : undefined;
  useDocumentTitle(
    loaded
      ? t('apps_ui.pageTitle', { page: loaded.blog.title, app: t('apps_ui.blog.title') })
      : t('apps_ui.blog.title'),
  );

  if (state.status === 'loading') return <Loading />;
  if (state.status === 'error') return <LoadError error={state.error} onRetry={reload} />;
  const { blog, posts } = state.data;

  return (
    <div className="apps-page">
      <Breadcrumb
        items={[{ label: t('apps_ui.blog.title'), to: '/blog' }, { label: blog.title }]}
      />
      <PageHeading>{blog.title}</PageHeading>
      {blog.description !== '' && <p className="lead">{blog.description}</p>}
      <p className="apps-meta muted">
        {t('apps_ui.by', { name: blog.ownerName })} <AccessTag access={blog.access} />
      </p>
      {canContribute(blog.access) && (
        <div className="apps-create">
          <button type="button" className="button" {...write.toggleProps}>
            {t('apps_ui.blog.write')}
          </button>
          <div id={write.panelId} hidden={!write.open}>
            {write.open && (
              <PostForm
                blog={blog}
                onSaved={(post) => {
                  navigate(postLink(blog.id, post.id));
                }}
                onCancel={write.close}
              />
            )}
          </div>
        </div>
      )}
      <section aria-labelledby={titleId}>
        <h2 id={titleId}>{t('apps_ui.blog.posts')}</h2>
        {posts.length === 0 ? (
          <p className="apps-empty">{t('apps_ui.blog.noPosts')}</p>
        ) : (
          <ul className="apps-list" aria-labelledby={titleId}>
            {posts.map((post) => (
              <li key={post.id} className="apps-card">
                <h3 className="apps-card__title">
                  <Link to={postLink(blog.id, post.id)}>{post.title}</Link>
                </h3>
                <p className="apps-meta muted">
                  <PostStateTag state={post.state} /> <When date={postDate(post)} />
                  {' · '}
                  {t('apps_ui.by', { name: post.authorName })}
                </p>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

/** The date readers go by: the first publication, else the last change. */
function postDate(post: Post): Date {
  return post.firstPublishedAt ?? post.modifiedAt;
}

// --- /blog/:blogId/posts/:postId ------------------------------------------------------------

async function loadPost(blogId: string, postId: string, signal: AbortSignal) {
  const [blog, post, comments] = await Promise.all([
    fetchBlog(blogId, signal),
    fetchPost(blogId, postId, signal),
    fetchComments(blogId, postId, signal),
  ]);
  return { blog, post, comments };
}

function Comments({
  blog,
  post,
  comments,
  onAdded,
  onPublished,
}: {
  blog: Blog;
  post: Post;
  comments: BlogComment[];
  onAdded: (comment: BlogComment) => void;
  onPublished: (comment: BlogComment) => void;
}) {
  const { t } = useTranslation();
  const headingId = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const [value, setValue] = useState('');
  const [missing, setMissing] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const { busy, error, run } = useAction();
  const moderation = useAction();
  const manager = canManage(blog.access);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setMissing(value.trim() === '');
    if (value.trim() === '') {
      focusFirstInvalid(formRef.current);
      return;
    }
    setAnnouncement('');
    run(async () => {
      const comment = await addComment(blog.id, post.id, value.trim());
      setValue('');
      onAdded(comment);
      setAnnouncement(
        comment.state === 'PENDING'
          ? t('apps_ui.blog.commentPending')
          : t('apps_ui.blog.commentAdded'),
      );
    });
  };

  return (
    <section className="apps-comments" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('apps_ui.blog.comments', { count: comments.length })}</h2>
      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      {comments.length === 0 ? (
        <p className="apps-empty">{t('apps_ui.blog.noComments')}</p>
      ) : (
        <ol className="apps-comment-list">
          {comments.map((comment) => (
            <li key={comment.id} className="apps-comment">
              <p className="apps-meta">
                <strong>{comment.authorName}</strong>
                {' · '}
                <span className="muted">
                  <When date={comment.createdAt} />
                </span>
                {comment.state === 'PENDING' && (
                  <>
                    {' '}
                    <Tag tone="warning">{t('apps_ui.blog.commentStates.PENDING')}</Tag>
                  </>
                )}
              </p>
              <p className="apps-comment__text">{comment.text}</p>
              {manager && comment.state === 'PENDING' && (
                <button
                  type="button"
                  className="button button--small button--secondary"
                  aria-disabled={moderation.busy}
                  onClick={() => {
                    moderation.run(async () => {
                      onPublished(await publishComment(blog.id, post.id, comment.id));
                      setAnnouncement(t('apps_ui.blog.commentPublished'));
                    });
                  }}
                >
                  {t('apps_ui.blog.publishComment')}
                  <span className="visually-hidden">
                    {' '}
                    {t('apps_ui.blog.commentOf', { name: comment.authorName })}
                  </span>
                </button>
              )}
            </li>
          ))}
        </ol>
      )}
      {moderation.error !== undefined && <ErrorAlert>{moderation.error}</ErrorAlert>}
      {blog.commentPolicy === 'NONE' ? (
        <p className="muted">{t('apps_ui.blog.commentsClosed')}</p>
      ) : post.state !== 'PUBLISHED' ? (
        <p className="muted">{t('apps_ui.blog.commentsAfterPublication')}</p>
      ) : (
        <form ref={formRef} className="form apps-form" noValidate onSubmit={submit}>
          <FormAlert message={error} />
          <TextAreaField
            label={t('apps_ui.blog.fields.comment')}
            hint={
              blog.commentPolicy === 'RESTRAINT' && !manager
                ? t('apps_ui.blog.commentsModerated')
                : undefined
            }
            value={value}
            onChange={(next) => {
              setValue(next);
              if (next.trim() !== '') setMissing(false);
            }}
            error={missing ? t('apps_ui.blog.commentMissing') : undefined}
            required
            rows={4}
          />
          <FormButtons submitLabel={t('apps_ui.blog.addComment')} busy={busy} />
          <FormStatus message={busy ? t('apps_ui.form.saving') : ''} />
        </form>
      )}
    </section>
  );
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
  const publishing = useAction();
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
