import { useTranslation } from 'react-i18next';
import { NETWORK_ERROR, INVALID_RESPONSE, type ApiError } from '../api/client.ts';

/**
 * The service cannot do it now: the API server is down or restarting behind the proxy
 * (502–504), or its storage is full (507).
 */
export function isUnavailable(error: ApiError): boolean {
  return [502, 503, 504, 507].includes(error.status);
}

/** The user-facing sentence for an API error that has no more specific message. */
export function useErrorText(): (error: ApiError) => string {
  const { t } = useTranslation();
  return (error) => {
    if (error.code === NETWORK_ERROR) return t('errors.network');
    if (error.code === INVALID_RESPONSE) return t('errors.invalid');
    if (error.status === 429) return t('errors.rateLimited');
    if (isUnavailable(error)) return t('errors.unavailable');
    return t('errors.http', { status: error.status });
  };
}

/** An error announced to screen readers, with an optional "Try again" button. */
export function ErrorAlert({
  error,
  onRetry,
  children,
}: {
  error?: ApiError;
  onRetry?: () => void;
  children?: string;
}) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const text = children ?? (error ? errorText(error) : t('errors.title'));
  return (
    <div className="alert alert--error">
      <p role="alert" className="alert__text">
        {text}
      </p>
      {onRetry && (
        <button type="button" className="button button--secondary" onClick={onRetry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  );
}

/** A polite "Loading…" status. */
export function Loading({ label }: { label?: string }) {
  const { t } = useTranslation();
  return (
    <p role="status" className="loading muted">
      {label ?? t('common.loading')}
    </p>
  );
}

/** A form's error zone: always in the DOM, so that a new message is announced. */
export function FormAlert({ message }: { message: string | undefined }) {
  return (
    <div role="alert" className="form__alert">
      {message !== undefined && <p className="alert alert--error">{message}</p>}
    </div>
  );
}
