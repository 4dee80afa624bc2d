import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  KNOWN_CHECKS,
  fetchHealth,
  type HealthCheck,
  type HealthReport,
  type HealthResult,
  type KnownCheck,
} from '../api/health.ts';

type PanelState = { phase: 'loading' } | { phase: 'done'; result: HealthResult; checkedAt: Date };

function isKnownCheck(name: string): name is KnownCheck {
  return (KNOWN_CHECKS as readonly string[]).includes(name);
}

/** Expected checks first, in a stable order, then whatever else the server reports. */
function orderedChecks(report: HealthReport): [string, HealthCheck | undefined][] {
  const extra = [...report.checks.keys()].filter((name) => !isKnownCheck(name)).sort();
  return [...KNOWN_CHECKS, ...extra].map((name) => [name, report.checks.get(name)]);
}

function CheckItem({ name, check }: { name: string; check: HealthCheck | undefined }) {
  const { t } = useTranslation();
  const label = isKnownCheck(name) ? t(`health.checks.${name}`) : name;
  const variant = check === undefined ? 'missing' : check.ok ? 'ok' : 'error';
  const icon = { ok: '✓', error: '✕', missing: '?' }[variant];

  return (
    <li className={`health-check health-check--${variant}`}>
      <span className="health-check__name">{label}</span>
      <span className={`badge badge--${variant}`}>
        <span aria-hidden="true">{icon}</span>
        {t(`health.status.${variant}`)}
      </span>
      {check?.ms !== undefined && (
        <span className="health-check__duration">
          {t('health.duration', { ms: Math.round(check.ms) })}
        </span>
      )}
      {check?.error !== undefined && check.error !== '' && (
        <span className="health-check__error">
          {t('health.errorDetail', { message: check.error })}
        </span>
      )}
    </li>
  );
}

function ResultView({ result }: { result: HealthResult }) {
  const { t } = useTranslation();
  switch (result.kind) {
    case 'report':
      return (
        <>
          <p className={`health-summary health-summary--${result.report.status}`}>
            {t(`health.overall.${result.report.status}`)}
          </p>
          <ul className="health-checks">
            {orderedChecks(result.report).map(([name, check]) => (
              <CheckItem key={name} name={name} check={check} />
            ))}
          </ul>
        </>
      );
    case 'network-error':
      return <p className="alert alert--error">{t('health.errors.network')}</p>;
    case 'http-error':
      return (
        <p className="alert alert--error">{t('health.errors.http', { status: result.status })}</p>
      );
    case 'invalid':
      return <p className="alert alert--error">{t('health.errors.invalid')}</p>;
  }
}

/**
 * Live health checks. `standalone`: the page's own heading titles it (no `<h2>` of its own).
 */
export function HealthPanel({ standalone = false }: { standalone?: boolean }) {
  const { t, i18n } = useTranslation();
  const titleId = useId();
  const [state, setState] = useState<PanelState>({ phase: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    fetchHealth(controller.signal).then(
      (result) => {
        setState({ phase: 'done', result, checkedAt: new Date() });
      },
      () => {
        // Only an aborted request rejects; the component is gone or a new check has started.
      },
    );
    return () => {
      controller.abort();
    };
  }, [attempt]);

  const time =
    state.phase === 'done'
      ? new Intl.DateTimeFormat(i18n.resolvedLanguage, { timeStyle: 'medium' }).format(
          state.checkedAt,
        )
      : undefined;

  return (
    <section
      className={standalone ? 'panel panel--flush health-panel' : 'panel health-panel'}
      aria-labelledby={standalone ? undefined : titleId}
      aria-label={standalone ? t('health.title') : undefined}
    >
      {!standalone && <h2 id={titleId}>{t('health.title')}</h2>}
      <p className="muted">{t('health.description')}</p>
      <div className="health-panel__body" aria-live="polite" aria-busy={state.phase === 'loading'}>
        {state.phase === 'loading' ? (
          <p className="health-loading">{t('health.loading')}</p>
        ) : (
          <>
            <ResultView result={state.result} />
            <p className="muted health-time">{t('health.checkedAt', { time })}</p>
          </>
        )}
      </div>
      <button
        type="button"
        className="button"
        onClick={() => {
          setState({ phase: 'loading' });
          setAttempt((n) => n + 1);
        }}
      >
        {t('health.refresh')}
      </button>
    </section>
  );
}
