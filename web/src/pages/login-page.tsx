import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { NETWORK_ERROR, toApiError } from '../api/client.ts';
import { login } from '../api/platform.ts';
import { isUnavailable } from '../components/feedback.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { useDocumentTitle } from '../hooks/use-document-title.ts';
import { navigate, readFlash, safeNextPath, useLocation } from '../router.tsx';

type FieldErrors = { login?: boolean; password?: boolean };

export function LoginPage() {
  const { t } = useTranslation();
  const { search } = useLocation();
  useDocumentTitle(t('login.title'));
  const ids = { login: useId(), password: useId(), loginError: useId(), passwordError: useId() };
  const loginRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const [values, setValues] = useState({ login: '', password: '' });
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string>();
  const [submitting, setSubmitting] = useState(false);
  const [flash, setFlash] = useState(readFlash);
  useEffect(() => {
    // Shown once: a reload of this page should not say "you are logged out" again.
    if (readFlash()) window.history.replaceState(null, '', window.location.href);
  }, []);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (submitting) return;
    setFlash(undefined);
    const errors: FieldErrors = {
      login: values.login.trim() === '',
      password: values.password === '',
    };
    setFieldErrors(errors);
    if (errors.login || errors.password) {
      setFormError(undefined);
      (errors.login ? loginRef : passwordRef).current?.focus();
      return;
    }

    setSubmitting(true);
    setFormError(undefined);
    try {
      await login({ login: values.login.trim(), password: values.password });
    } catch (failure) {
      const error = toApiError(failure);
      setSubmitting(false);
      if (error.status === 401) {
        setFormError(t('login.errors.invalidCredentials'));
        setValues((v) => ({ ...v, password: '' }));
      } else if (error.status === 429) {
        setFormError(t('login.errors.rateLimited'));
      } else if (error.code === NETWORK_ERROR) {
        setFormError(t('errors.network'));
      } else if (isUnavailable(error)) {
        setFormError(t('errors.unavailable'));
      } else {
        setFormError(t('login.errors.failed'));
      }
      return;
    }
    navigate(safeNextPath(search), { replace: true });
  };

  const describedBy = (field: 'login' | 'password') =>
    fieldErrors[field] ? ids[`${field}Error`] : undefined;

  return (
    <div className="login">
      <PageHeading>{t('login.title')}</PageHeading>
      {flash && (
        <p role="status" className="notice">
          {t(`login.flash.${flash}`)}
        </p>
      )}
      <p>{t('login.intro')}</p>
      <form
        className="form panel"
        noValidate
        onSubmit={(event) => {
          void onSubmit(event);
        }}
      >
        {/* Always in the DOM so that a new message is announced when it appears. */}
        <div role="alert" className="form__alert">
          {formError !== undefined && <p className="alert alert--error">{formError}</p>}
        </div>
        <p className="muted">{t('login.required')}</p>
        <div className="field">
          <label htmlFor={ids.login}>{t('login.fields.login')}</label>
          <input
            ref={loginRef}
            id={ids.login}
            name="login"
            type="text"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            aria-invalid={fieldErrors.login === true}
            aria-describedby={describedBy('login')}
            value={values.login}
            onChange={(event) => {
              const value = event.target.value;
              setValues((v) => ({ ...v, login: value }));
              if (value.trim() !== '') setFieldErrors((e) => ({ ...e, login: false }));
            }}
          />
          {fieldErrors.login && (
            <p id={ids.loginError} className="field__error">
              <span aria-hidden="true">✕ </span>
              {t('login.errors.loginMissing')}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor={ids.password}>{t('login.fields.password')}</label>
          <input
            ref={passwordRef}
            id={ids.password}
            name="password"
            type="password"
            autoComplete="current-password"
            required
            aria-invalid={fieldErrors.password === true}
            aria-describedby={describedBy('password')}
            value={values.password}
            onChange={(event) => {
              const value = event.target.value;
              setValues((v) => ({ ...v, password: value }));
              if (value !== '') setFieldErrors((e) => ({ ...e, password: false }));
            }}
          />
          {fieldErrors.password && (
            <p id={ids.passwordError} className="field__error">
              <span aria-hidden="true">✕ </span>
              {t('login.errors.passwordMissing')}
            </p>
          )}
        </div>
        {/* aria-disabled rather than disabled: a disabled button would drop the keyboard focus. */}
        <button type="submit" className="button" aria-disabled={submitting}>
          {t('login.submit')}
        </button>
        <p role="status" className="form__status muted">
          {submitting ? t('login.submitting') : ''}
        </p>
      </form>
    </div>
  );
}
