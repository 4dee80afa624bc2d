/** A post's comments: the list (managers publish those waiting), and the form to add one. */
import { useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert, FormAlert } from '../../components/feedback.tsx';
import { canManage } from '../api-common.ts';
import { Tag, When } from '../ui/content.tsx';
import { FormButtons, FormStatus, TextAreaField, focusFirstInvalid } from '../ui/fields.tsx';
import { useAppsAction } from '../ui/hooks.ts';
import { addComment, publishComment, type Blog, type BlogComment, type Post } from './blog-api.ts';

export function Comments({
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
  const { busy, error, run } = useAppsAction();
  const moderation = useAppsAction();
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
