/**
 * Building blocks of the Blog, Actualités, Agenda and Cours et Wiki pages: labelled fields,
 * form error zones, HTML articles whose same-site links go through the router, breadcrumbs,
 * state tags, and the load-error view (404 looks like the app's "page not found").
 */
import {
  useEffect,
  useId,
  useRef,
  useState,
  type MouseEvent,
  type ReactNode,
  type RefObject,
} from 'react';
import { useTranslation } from 'react-i18next';
import { toApiError, type ApiError } from '../api/client.ts';
import { ErrorAlert, useErrorText } from '../components/feedback.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { NotFoundPage } from '../pages/not-found-page.tsx';
import { isAppPath, Link, navigate } from '../router.tsx';
import { useSession } from '../session.tsx';
import { formatDateTime } from '../format.ts';
import { MAX_ID, type Access } from './api-common.ts';
import './apps.css';

/** A route parameter that can be an id of ours (decoded; undefined when it cannot). */
export function routeId(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    const id = decodeURIComponent(raw);
    return id !== '' && id.length <= MAX_ID ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The current display language, for Intl. */
export function useLanguage(): string {
  const { i18n } = useTranslation();
  return i18n.resolvedLanguage ?? 'fr';
}

/** The sentence for a failed request of these apps (rights, missing item, bad input...). */
export function useAppsErrorText(): (error: ApiError) => string {
  const { t } = useTranslation();
  const generic = useErrorText();
  return (error) => {
    if (error.code === 'forbidden') return t('apps_ui.errors.forbidden');
    if (error.code === 'not_found') return t('apps_ui.errors.notFound');
    if (error.code === 'conflict') return t('apps_ui.errors.conflict');
    if (error.code === 'quota_exceeded') return t('apps_ui.errors.quota');
    if (error.code === 'payload_too_large' || error.status === 413)
      return t('apps_ui.errors.tooLarge');
    if (error.code === 'invalid_request') return t('apps_ui.errors.invalid');
    return generic(error);
  };
}

/**
 * Runs a request started by the user: a busy flag, 401 handled by the session (back to the
 * login page), any other error kept as a sentence for a `FormAlert`.
 */
export function useAction(): {
  busy: boolean;
  error: string | undefined;
  setError: (message: string | undefined) => void;
  run: (action: () => Promise<void>) => void;
} {
  const { handleUnauthenticated } = useSession();
  const errorText = useAppsErrorText();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const run = (action: () => Promise<void>) => {
    if (busy) return;
    setBusy(true);
    setError(undefined);
    action().then(
      () => {
        if (mounted.current) setBusy(false);
      },
      (failure: unknown) => {
        if (!mounted.current || handleUnauthenticated(failure)) return;
        setBusy(false);
        setError(errorText(toApiError(failure)));
      },
    );
  };
  return { busy, error, setError, run };
}

/** A form's error zone: always in the DOM, so that a new message is announced. */
export function FormAlert({ message }: { message: string | undefined }) {
  return (
    <div role="alert" className="form__alert">
      {message !== undefined && <p className="alert alert--error">{message}</p>}
    </div>
  );
}

/** "Saving…" and the like, announced politely; takes no room when empty. */
export function FormStatus({ message }: { message: string }) {
  return (
    <p role="status" className="form__status muted">
      {message}
    </p>
  );
}

function Label({
  htmlFor,
  label,
  required,
}: {
  htmlFor: string;
  label: string;
  required: boolean;
}) {
  const { t } = useTranslation();
  return (
    <label htmlFor={htmlFor}>
      {label}
      {required && <span className="apps-required"> {t('apps_ui.form.required')}</span>}
    </label>
  );
}

function FieldError({ id, message }: { id: string; message: string | undefined }) {
  if (message === undefined) return null;
  return (
    <p id={id} className="field__error">
      <span aria-hidden="true">✕ </span>
      {message}
    </p>
  );
}

interface FieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
  hint?: string | undefined;
  required?: boolean;
}

function describedBy(...ids: (string | false | undefined)[]): string | undefined {
  const list = ids.filter((id): id is string => typeof id === 'string');
  return list.length === 0 ? undefined : list.join(' ');
}

export function TextField({
  label,
  value,
  onChange,
  error,
  hint,
  required = false,
  type = 'text',
  inputRef,
  maxLength,
}: FieldProps & {
  type?: 'text' | 'date' | 'datetime-local';
  inputRef?: RefObject<HTMLInputElement | null>;
  maxLength?: number;
}) {
  const id = useId();
  const hintId = useId();
  const errorId = useId();
  return (
    <div className="field">
      <Label htmlFor={id} label={label} required={required} />
      {hint !== undefined && (
        <p id={hintId} className="field__hint muted">
          {hint}
        </p>
      )}
      <input
        ref={inputRef}
        id={id}
        type={type}
        value={value}
        required={required}
        maxLength={maxLength}
        aria-invalid={error !== undefined}
        aria-describedby={describedBy(hint !== undefined && hintId, error !== undefined && errorId)}
        onChange={(event) => {
          onChange(event.target.value);
        }}
      />
      <FieldError id={errorId} message={error} />
    </div>
  );
}

export function TextAreaField({
  label,
  value,
  onChange,
  error,
  hint,
  required = false,
  rows = 8,
  code = false,
  textAreaRef,
}: FieldProps & {
  rows?: number;
  /** HTML source: monospace, no spelling marks. */
  code?: boolean;
  textAreaRef?: RefObject<HTMLTextAreaElement | null>;
}) {
  const id = useId();
  const hintId = useId();
  const errorId = useId();
  return (
    <div className="field">
      <Label htmlFor={id} label={label} required={required} />
      {hint !== undefined && (
        <p id={hintId} className="field__hint muted">
          {hint}
        </p>
      )}
      <textarea
        ref={textAreaRef}
        id={id}
        rows={rows}
        value={value}
        required={required}
        className={code ? 'apps-textarea apps-textarea--code' : 'apps-textarea'}
        spellCheck={!code}
        aria-invalid={error !== undefined}
        aria-describedby={describedBy(hint !== undefined && hintId, error !== undefined && errorId)}
        onChange={(event) => {
          onChange(event.target.value);
        }}
      />
      <FieldError id={errorId} message={error} />
    </div>
  );
}

export function SelectField({
  label,
  value,
  onChange,
  options,
  hint,
}: Omit<FieldProps, 'error' | 'required'> & {
  options: readonly { value: string; label: string }[];
}) {
  const id = useId();
  const hintId = useId();
  return (
    <div className="field">
      <Label htmlFor={id} label={label} required={false} />
      {hint !== undefined && (
        <p id={hintId} className="field__hint muted">
          {hint}
        </p>
      )}
      <select
        id={id}
        value={value}
        aria-describedby={hint !== undefined ? hintId : undefined}
        onChange={(event) => {
          onChange(event.target.value);
        }}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export function CheckboxField({
  label,
  checked,
  onChange,
}: {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  const id = useId();
  return (
    <div className="choice">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        onChange={(event) => {
          onChange(event.target.checked);
        }}
      />
      <label htmlFor={id}>{label}</label>
    </div>
  );
}

function isPlainLeftClick(event: MouseEvent): boolean {
  return event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
}

/**
 * HTML from the server (sanitised there), in an `<article>` by default. Clicks on same-site app links
 * (`/wiki/<id>/pages/<id>`, `/workspace`...) go through the History router instead of
 * reloading the page; `/api/...` links (files) and other sites stay normal links.
 */
export function HtmlArticle({
  html,
  className,
  element = 'article',
}: {
  html: string;
  className?: string;
  /** `div` when the caller's own `<article>` already wraps it (with its title). */
  element?: 'article' | 'div';
}) {
  const Wrapper = element;
  return (
    // The element only delegates clicks on the links inside it, which are keyboard-operable
    // themselves (Enter on a link fires the same click event).
    <Wrapper
      className={className === undefined ? 'rich-text' : `rich-text ${className}`}
      onClick={(event) => {
        if (event.defaultPrevented || !isPlainLeftClick(event)) return;
        if (!(event.target instanceof Element)) return;
        const anchor = event.target.closest('a');
        if (anchor === null || !event.currentTarget.contains(anchor)) return;
        const href = anchor.getAttribute('href');
        const target = anchor.getAttribute('target');
        if (href === null || (target !== null && target !== '_self')) return;
        if (anchor.hasAttribute('download') || !isAppPath(href)) return;
        event.preventDefault();
        navigate(href);
      }}
      dangerouslySetInnerHTML={{ __html: html }}
    />
  );
}

export interface Crumb {
  label: string;
  /** Absent: the current page. */
  to?: string;
}

/** "Blog › Le blog de la 6e A › Billet": where the page sits in its app. */
export function Breadcrumb({ items }: { items: readonly Crumb[] }) {
  const { t } = useTranslation();
  return (
    <nav className="breadcrumb apps-breadcrumb" aria-label={t('apps_ui.breadcrumb')}>
      <ol>
        {items.map((item, index) => (
          <li key={`${index}-${item.label}`}>
            {item.to === undefined ? (
              <span aria-current="page">{item.label}</span>
            ) : (
              <Link to={item.to}>{item.label}</Link>
            )}
          </li>
        ))}
      </ol>
    </nav>
  );
}

export type TagTone = 'neutral' | 'info' | 'ok' | 'warning';

/** A small state label ("Brouillon", "Publié"...). */
export function Tag({ tone, children }: { tone: TagTone; children: ReactNode }) {
  return <span className={`tag apps-tag apps-tag--${tone}`}>{children}</span>;
}

/** "Lecture", "Contribution"...: what the user may do on a shared item. */
export function AccessTag({ access }: { access: Access }) {
  const { t } = useTranslation();
  return (
    <Tag tone="info">
      <span className="visually-hidden">{t('apps_ui.access.label')} </span>
      {t(`apps_ui.access.${access}`)}
    </Tag>
  );
}

/** A date and time in the current language, machine-readable too. */
export function When({ date }: { date: Date }) {
  const language = useLanguage();
  return <time dateTime={date.toISOString()}>{formatDateTime(date, language)}</time>;
}

/**
 * A failed page load: the app's "page not found" for a 404 (a missing or unshared item, an
 * id that is not one), else an error heading with the message and "Try again".
 */
export function LoadError({ error, onRetry }: { error: ApiError; onRetry: () => void }) {
  const { t } = useTranslation();
  const errorText = useAppsErrorText();
  if (error.status === 404) return <NotFoundPage />;
  return (
    <>
      <PageHeading>{t('errors.title')}</PageHeading>
      <ErrorAlert onRetry={onRetry}>{errorText(error)}</ErrorAlert>
    </>
  );
}

/**
 * A button that shows or hides a form below it (`aria-expanded`). Opening moves the focus to
 * the form's first field; closing it (Cancel, or after success) brings the focus back here.
 */
export function useDisclosure(): {
  open: boolean;
  toggleProps: {
    'aria-expanded': boolean;
    'aria-controls': string;
    onClick: () => void;
    ref: RefObject<HTMLButtonElement | null>;
  };
  panelId: string;
  close: () => void;
} {
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const buttonRef = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);
  useEffect(() => {
    if (open) {
      const first = document
        .getElementById(panelId)
        ?.querySelector<HTMLElement>('input, textarea, select');
      first?.focus();
    } else if (wasOpen.current) {
      buttonRef.current?.focus();
    }
    wasOpen.current = open;
  }, [open, panelId]);
  return {
    open,
    panelId,
    close: () => {
      setOpen(false);
    },
    toggleProps: {
      'aria-expanded': open,
      'aria-controls': panelId,
      onClick: () => {
        setOpen((value) => !value);
      },
      ref: buttonRef,
    },
  };
}

/** Submit and Cancel at the bottom of a form. */
export function FormButtons({
  submitLabel,
  busy,
  onCancel,
  extra,
}: {
  submitLabel: string;
  busy: boolean;
  onCancel?: () => void;
  /** More submit-like buttons (e.g. "Save as draft"), placed after the main one. */
  extra?: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <div className="dialog__buttons">
      {/* aria-disabled rather than disabled: a disabled button would drop the keyboard focus. */}
      <button type="submit" className="button" aria-disabled={busy}>
        {submitLabel}
      </button>
      {extra}
      {onCancel && (
        <button type="button" className="button button--secondary" onClick={onCancel}>
          {t('apps_ui.form.cancel')}
        </button>
      )}
    </div>
  );
}

/** Field errors are shown after a submit; the first invalid field takes the focus. */
export function focusFirstInvalid(form: HTMLFormElement | null): void {
  // After React has rendered aria-invalid.
  queueMicrotask(() => {
    form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  });
}

/**
 * The two sections of an app's home page: what the user owns, then what is shared with them,
 * each with its heading, an empty-state sentence, or the list `render` draws.
 */
export function MineAndShared<T extends { access: Access }>({
  items,
  labels,
  render,
}: {
  items: readonly T[];
  labels: { mine: string; shared: string; emptyMine: string; emptyShared: string };
  render: (items: T[], labelledBy: string) => ReactNode;
}) {
  const ids = { mine: useId(), shared: useId() };
  const groups = [
    {
      id: ids.mine,
      title: labels.mine,
      empty: labels.emptyMine,
      list: items.filter((i) => i.access === 'owner'),
    },
    {
      id: ids.shared,
      title: labels.shared,
      empty: labels.emptyShared,
      list: items.filter((i) => i.access !== 'owner'),
    },
  ];
  return (
    <>
      {groups.map((g) => (
        <section key={g.id} aria-labelledby={g.id}>
          <h2 id={g.id}>{g.title}</h2>
          {g.list.length === 0 ? <p className="apps-empty">{g.empty}</p> : render(g.list, g.id)}
        </section>
      ))}
    </>
  );
}

/** Cards of resources (blogs, wikis): title linking to it, description, owner, last change. */
export function ResourceCards({
  items,
  labelledBy,
  linkOf,
}: {
  items: readonly {
    id: string;
    title: string;
    description: string;
    access: Access;
    ownerName: string;
    modifiedAt: Date;
  }[];
  labelledBy: string;
  linkOf: (id: string) => string;
}) {
  const { t } = useTranslation();
  return (
    <ul className="apps-list" aria-labelledby={labelledBy}>
      {items.map((item) => (
        <li key={item.id} className="apps-card">
          <h3 className="apps-card__title">
            <Link to={linkOf(item.id)}>{item.title}</Link>
          </h3>
          {item.description !== '' && <p className="apps-card__text">{item.description}</p>}
          <p className="apps-meta muted">
            {item.access !== 'owner' && (
              <>
                {t('apps_ui.by', { name: item.ownerName })} <AccessTag access={item.access} />{' '}
              </>
            )}
            {t('apps_ui.updated')} <When date={item.modifiedAt} />
          </p>
        </li>
      ))}
    </ul>
  );
}
