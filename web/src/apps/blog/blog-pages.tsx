/** Blog: the list of blogs (`/blog`), a blog and its posts (`/blog/:id`). */
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Loading } from '../../components/feedback.tsx';
import { PageHeading } from '../../components/page-heading.tsx';
import { useDocumentTitle } from '../../hooks/use-document-title.ts';
import { useResource } from '../../hooks/use-resource.ts';
import { Link, navigate } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { canContribute } from '../api-common.ts';
import { AccessTag, Breadcrumb, LoadError, When } from '../ui/content.tsx';
import { ChoiceField } from '../ui/fields.tsx';
import { NewResourceForm } from '../ui/forms.tsx';
import { CreatePanel, ResourceCards, ResourcesHome } from '../ui/home.tsx';
import {
  COMMENT_POLICIES,
  PUBLICATION_POLICIES,
  createBlog,
  fetchBlog,
  fetchBlogs,
  fetchPosts,
  type CommentPolicy,
  type PublicationPolicy,
} from './blog-api.ts';
import { blogLink, postDate, postLink, PostStateTag } from './blog-common.tsx';
import { PostForm } from './post-form.tsx';

// --- /blog ------------------------------------------------------------------------------------

function NewBlogForm({ onCancel }: { onCancel: () => void }) {
  const { t } = useTranslation();
  const [publicationPolicy, setPublicationPolicy] = useState<PublicationPolicy>('RESTRAINT');
  const [commentPolicy, setCommentPolicy] = useState<CommentPolicy>('IMMEDIATE');
  return (
    <NewResourceForm
      titleLabel={t('apps_ui.blog.fields.title')}
      maxLength={300}
      descriptionLabel={t('apps_ui.blog.fields.description')}
      submitLabel={t('apps_ui.blog.create')}
      create={async (values) =>
        blogLink((await createBlog({ ...values, publicationPolicy, commentPolicy })).id)
      }
      onCancel={onCancel}
    >
      <ChoiceField
        label={t('apps_ui.blog.fields.publicationPolicy')}
        value={publicationPolicy}
        values={PUBLICATION_POLICIES}
        labelOf={(p) => t(`apps_ui.blog.publicationPolicies.${p}`)}
        onChange={setPublicationPolicy}
      />
      <ChoiceField
        label={t('apps_ui.blog.fields.commentPolicy')}
        value={commentPolicy}
        values={COMMENT_POLICIES}
        labelOf={(p) => t(`apps_ui.blog.commentPolicies.${p}`)}
        onChange={setCommentPolicy}
      />
    </NewResourceForm>
  );
}

export function BlogsPage() {
  const { t } = useTranslation();
  const { me } = useSession();
  return (
    <ResourcesHome
      app="blog"
      intro={t('apps_ui.blog.intro')}
      load={fetchBlogs}
      createLabel={t('apps_ui.blog.new')}
      createForm={
        me.rights.includes('blog.create') ? (close) => <NewBlogForm onCancel={close} /> : undefined
      }
      render={(list, labelledBy) => (
        <ResourceCards items={list} labelledBy={labelledBy} linkOf={blogLink} />
      )}
    />
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
        <CreatePanel
          label={t('apps_ui.blog.write')}
          form={(close) => (
            <PostForm
              blog={blog}
              onSaved={(post) => {
                navigate(postLink(blog.id, post.id));
              }}
              onCancel={close}
            />
          )}
        />
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
