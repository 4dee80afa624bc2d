/**
 * The forms several apps share: a new resource (a title, maybe a description), and an HTML
 * article (a title and its content, published or saved as a draft).
 */
import { useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { FormAlert } from '../../components/feedback.tsx';
import { navigate } from '../../router.tsx';
import { FormButtons, FormStatus, TextAreaField, TextField, focusFirstInvalid } from './fields.tsx';
import { useAppsAction } from './hooks.ts';

/**
 * "New blog", "New wiki"...: a required title, an optional description, more fields as
 * `children`; `create` makes it and returns where to go next (the new resource's page).
 */
export function NewResourceForm({
  titleLabel,
  maxLength,
  descriptionLabel,
  submitLabel,
  create,
  onCancel,
  children,
}: {
  titleLabel: string;
  maxLength: number;
  /** Absent: the resource has no description. */
  descriptionLabel?: string;
  submitLabel: string;
  create: (values: { title: string; description: string }) => Promise<string>;
  onCancel: () => void;
  children?: ReactNode;
}) {
  const { t } = useTranslation();
  const formRef = useRef<HTMLFormElement>(null);
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [titleError, setTitleError] = useState<string>();
  const { busy, error, run } = useAppsAction();
  return (
    <form
      ref={formRef}
      className="form panel apps-form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (title.trim() === '') {
          setTitleError(t('apps_ui.form.titleMissing'));
          focusFirstInvalid(formRef.current);
          return;
        }
        setTitleError(undefined);
        run(async () => {
          navigate(await create({ title: title.trim(), description: description.trim() }));
        });
      }}
    >
      <FormAlert message={error} />
      <TextField
        label={titleLabel}
        value={title}
        onChange={setTitle}
        error={titleError}
        required
        maxLength={maxLength}
      />
      {descriptionLabel !== undefined && (
        <TextAreaField
          label={descriptionLabel}
          value={description}
          onChange={setDescription}
          rows={3}
        />
      )}
      {children}
      <FormButtons submitLabel={submitLabel} busy={busy} onCancel={onCancel} />
      <FormStatus message={busy ? t('apps_ui.form.saving') : ''} />
    </form>
  );
}

export interface ArticleValues {
  title: string;
  /** HTML, as typed (the server sanitises it). */
  content: string;
  draft: boolean;
}

/**
 * A blog post, a news item: a title and HTML content, both required. The main button
 * publishes (`draft: false`); `draftLabel` adds "Save as draft". `children` go between the
 * fields and the buttons (an option, a note).
 */
export function ArticleForm({
  initial,
  labels,
  rows,
  save,
  onCancel,
  children,
}: {
  initial?: { title: string; content: string };
  labels: {
    title: string;
    content: string;
    contentMissing: string;
    submit: string;
    /** Absent: no draft button. */
    draft?: string | undefined;
  };
  rows: number;
  save: (values: ArticleValues) => Promise<void>;
  onCancel: () => void;
  children?: ReactNode;
}) {
  const { t } = useTranslation();
  const formRef = useRef<HTMLFormElement>(null);
  const [title, setTitle] = useState(initial?.title ?? '');
  const [content, setContent] = useState(initial?.content ?? '');
  const [errors, setErrors] = useState<{ title?: string; content?: string }>({});
  const { busy, error, run } = useAppsAction();

  const submit = (draft: boolean) => {
    const found = {
      title: title.trim() === '' ? t('apps_ui.form.titleMissing') : undefined,
      content: content.trim() === '' ? labels.contentMissing : undefined,
    };
    setErrors(found);
    if (found.title !== undefined || found.content !== undefined) {
      focusFirstInvalid(formRef.current);
      return;
    }
    run(() => save({ title: title.trim(), content, draft }));
  };

  return (
    <form
      ref={formRef}
      className="form panel apps-form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        submit(false);
      }}
    >
      <FormAlert message={error} />
      <TextField
        label={labels.title}
        value={title}
        onChange={setTitle}
        error={errors.title}
        required
        maxLength={300}
      />
      <TextAreaField
        label={labels.content}
        hint={t('apps_ui.form.htmlHint')}
        value={content}
        onChange={setContent}
        error={errors.content}
        required
        rows={rows}
        code
      />
      {children}
      <FormButtons
        submitLabel={labels.submit}
        busy={busy}
        onCancel={onCancel}
        extra={
          labels.draft !== undefined && (
            <button
              type="button"
              className="button button--secondary"
              aria-disabled={busy}
              onClick={() => {
                submit(true);
              }}
            >
              {labels.draft}
            </button>
          )
        }
      />
      <FormStatus message={busy ? t('apps_ui.form.saving') : ''} />
    </form>
  );
}
