/**
 * What the apps' pages show: HTML articles whose same-site links go through the router,
 * breadcrumbs, state tags, dates, and the load-error view (404 looks like "page not found").
 */
import type { MouseEvent, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiError } from '../../api/client.ts';
import { ErrorAlert } from '../../components/feedback.tsx';
import { PageHeading } from '../../components/page-heading.tsx';
import { formatDateTime } from '../../format.ts';
import { NotFoundPage } from '../../pages/not-found-page.tsx';
import { isAppPath, Link, navigate } from '../../router.tsx';
import type { Access } from '../api-common.ts';
import { useAppsErrorText, useLanguage } from './hooks.ts';

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
