import { useMemo, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { FormAlert } from '../../components/feedback.tsx';
import {
  FormButtons,
  FormStatus,
  SelectField,
  TextAreaField,
  TextField,
  focusFirstInvalid,
} from '../ui/fields.tsx';
import { useAppsAction } from '../ui/hooks.ts';
import { flatten, type TreeNode } from './page-tree.tsx';
import { createPage, updatePage, type WikiPage } from './wiki-api.ts';

/** A new page, or changes to one: its title, its place in the tree, its HTML. */
export function PageForm({
  wikiId,
  tree,
  page,
  defaultParentId,
  onSaved,
  onCancel,
}: {
  wikiId: string;
  tree: readonly TreeNode[];
  /** The page to change; absent: a new page. */
  page?: WikiPage;
  defaultParentId?: string | null;
  onSaved: (page: WikiPage) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const formRef = useRef<HTMLFormElement>(null);
  const [title, setTitle] = useState(page?.title ?? '');
  const [content, setContent] = useState(page?.content ?? '');
  const [parentId, setParentId] = useState(page?.parentId ?? defaultParentId ?? '');
  const [titleError, setTitleError] = useState<string>();
  const { busy, error, run } = useAppsAction();

  // A page cannot go under itself or its sub-pages.
  const parents = useMemo(() => {
    const excluded = new Set<string>();
    if (page) {
      const mark = (nodes: readonly TreeNode[], inside: boolean) => {
        for (const node of nodes) {
          const within = inside || node.page.id === page.id;
          if (within) excluded.add(node.page.id);
          mark(node.children, within);
        }
      };
      mark(tree, false);
    }
    return flatten(tree).filter((node) => !excluded.has(node.page.id));
  }, [tree, page]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (title.trim() === '') {
      setTitleError(t('apps_ui.form.titleMissing'));
      focusFirstInvalid(formRef.current);
      return;
    }
    setTitleError(undefined);
    const input = { title: title.trim(), content, parentId: parentId === '' ? null : parentId };
    run(async () => {
      onSaved(page ? await updatePage(wikiId, page.id, input) : await createPage(wikiId, input));
    });
  };

  return (
    <form ref={formRef} className="form panel apps-form" noValidate onSubmit={submit}>
      <FormAlert message={error} />
      <TextField
        label={t('apps_ui.wiki.fields.title')}
        value={title}
        onChange={setTitle}
        error={titleError}
        required
        maxLength={300}
      />
      <SelectField
        label={t('apps_ui.wiki.fields.parent')}
        value={parentId}
        onChange={setParentId}
        options={[
          { value: '', label: t('apps_ui.wiki.noParent') },
          ...parents.map(({ page: p, depth }) => ({
            value: p.id,
            // Indented like the tree (a select cannot nest its options).
            label: `${'\u00a0\u00a0\u00a0'.repeat(depth)}${p.title}`,
          })),
        ]}
      />
      <TextAreaField
        label={t('apps_ui.wiki.fields.content')}
        hint={t('apps_ui.wiki.contentHint')}
        value={content}
        onChange={setContent}
        rows={16}
        code
      />
      <FormButtons
        submitLabel={page ? t('apps_ui.form.save') : t('apps_ui.wiki.createPage')}
        busy={busy}
        onCancel={onCancel}
      />
      <FormStatus message={busy ? t('apps_ui.form.saving') : ''} />
    </form>
  );
}
