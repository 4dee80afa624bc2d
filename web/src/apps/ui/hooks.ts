/**
 * Hooks of the Blog, Actualités, Agenda and Cours et Wiki pages: route ids, the display
 * language, error sentences, user-started requests, show/hide panels.
 */
import { useEffect, useId, useRef, useState, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiError } from '../../api/client.ts';
import { useErrorText } from '../../components/feedback.tsx';
import { useAction } from '../../hooks/use-action.ts';
import { MAX_ID } from '../api-common.ts';

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

/** Runs a request started by the user, its error in the words of these apps. */
export function useAppsAction(): ReturnType<typeof useAction> {
  return useAction(useAppsErrorText());
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
