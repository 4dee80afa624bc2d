import { useId, useRef, useState, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import type {
  ArchiveImport,
  ImportAnalysis,
  ImportAppAnalysis,
  ImportOptions,
} from '../../api/imports.ts';
import { formatBytes, formatDateTime } from '../../format.ts';
import { FormAlert } from '../feedback.tsx';
import { useCountsText, useReasonText } from './import-text.ts';

function exportDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Where the archive comes from: ENT, date, who, and whether its signature is trusted. */
function SourceFacts({
  imported,
  analysis,
}: {
  imported: ArchiveImport;
  analysis: ImportAnalysis;
}) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const titleId = useId();
  const { source } = analysis;
  const date = exportDate(source.exportedAt);
  const instance = source.instance === '' ? t('importer.source.unknownInstance') : source.instance;
  const signature = {
    trusted: { mark: '✓', text: t('importer.source.trusted') },
    untrusted: { mark: '⚠', text: t('importer.source.untrusted') },
    unsigned: { mark: '⚠', text: t('importer.source.unsigned') },
  }[source.signature];

  return (
    <section className="import-source" aria-labelledby={titleId}>
      <h4 id={titleId}>{t('importer.analysis.sourceTitle')}</h4>
      <dl className="import-source__facts">
        <div>
          <dt>{t('importer.analysis.instance')}</dt>
          <dd>
            {instance}
            {source.url !== undefined && (
              <span className="import-source__url muted"> ({source.url})</span>
            )}
            {source.format === 'open-ent-ng' && (
              <span className="import-source__note muted">{t('importer.source.openEnt')}</span>
            )}
          </dd>
        </div>
        {date !== undefined && (
          <div>
            <dt>{t('importer.analysis.exportedAt')}</dt>
            <dd>{formatDateTime(date, language)}</dd>
          </div>
        )}
        {source.exportedBy !== undefined && (
          <div>
            <dt>{t('importer.analysis.exportedBy')}</dt>
            <dd>
              {t('importer.analysis.exportedByValue', {
                name: source.exportedBy.displayName,
                login: source.exportedBy.login,
              })}
            </dd>
          </div>
        )}
        {imported.fileName !== null && (
          <div>
            <dt>{t('importer.analysis.file')}</dt>
            <dd className="import-source__file">
              {t('importer.analysis.fileValue', {
                name: imported.fileName,
                size: formatBytes(imported.size, language),
              })}
            </dd>
          </div>
        )}
        <div>
          <dt>{t('importer.analysis.signatureTitle')}</dt>
          <dd className={`import-signature import-signature--${source.signature}`}>
            <span aria-hidden="true">{signature.mark} </span>
            {signature.text}
          </dd>
        </div>
      </dl>
    </section>
  );
}

/** One app of the archive: a checkbox, what it holds; disabled with the reason when it cannot be imported. */
function AppChoice({
  app,
  name,
  checked,
  invalid,
  onChange,
}: {
  app: ImportAppAnalysis;
  name: string;
  checked: boolean;
  invalid: boolean;
  onChange: (checked: boolean) => void;
}) {
  const { i18n, t } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const countsText = useCountsText();
  const reasonText = useReasonText();
  const detailId = useId();
  const reasonId = useId();
  const holds = countsText(app.counts);
  const detail =
    app.bytes > 0
      ? t('importer.analysis.appSize', { items: holds, size: formatBytes(app.bytes, language) })
      : holds;

  return (
    <li className={app.importable ? 'import-app' : 'import-app import-app--refused'}>
      <label className="choice import-app__choice">
        <input
          type="checkbox"
          name="apps"
          value={app.app}
          checked={checked}
          disabled={!app.importable}
          aria-invalid={invalid && app.importable}
          aria-describedby={app.importable ? detailId : `${detailId} ${reasonId}`}
          onChange={(event) => {
            onChange(event.target.checked);
          }}
        />
        <span className="import-app__name">{name}</span>
      </label>
      <p id={detailId} className="import-app__detail muted">
        {detail}
      </p>
      {!app.importable && (
        <p id={reasonId} className="import-app__reason">
          <span aria-hidden="true">✕ </span>
          {reasonText(app.reason, name)}
        </p>
      )}
      {app.importable && app.upgradedFrom !== undefined && (
        <p className="import-app__detail muted">{t('importer.analysis.upgraded')}</p>
      )}
    </li>
  );
}

/**
 * The analysis of an uploaded archive: where it comes from, its apps (importable ones with
 * something in them ticked), the space it needs, the duplicates option, and "Simuler l'import",
 * "Importer", "Abandonner".
 */
export function ImportAnalysisView({
  imported,
  analysis,
  appName,
  headingRef,
  onLaunch,
  onAbandon,
  abandoning,
}: {
  imported: ArchiveImport;
  analysis: ImportAnalysis;
  appName: (id: string) => string;
  headingRef: RefObject<HTMLHeadingElement | null>;
  /** Launches the import or its dry run; resolves with the error to show, if any. */
  onLaunch: (options: ImportOptions) => Promise<string | undefined>;
  onAbandon: () => Promise<string | undefined>;
  abandoning: boolean;
}) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const ids = {
    title: useId(),
    appsHint: useId(),
    noApp: useId(),
    quota: useId(),
    dryRunHint: useId(),
    trashHint: useId(),
  };
  const importable = analysis.apps.filter((a) => a.importable);
  // Apps with nothing in them are shown but not ticked.
  const [ticked, setTicked] = useState<ReadonlySet<string>>(
    () => new Set(importable.filter((a) => a.items > 0).map((a) => a.app)),
  );
  const [duplicates, setDuplicates] = useState<ImportOptions['duplicates']>('skip');
  const [noApp, setNoApp] = useState(false);
  const [formError, setFormError] = useState<string>();
  const [submitting, setSubmitting] = useState(false);
  const firstAppRef = useRef<HTMLUListElement>(null);

  const [includeTrash, setIncludeTrash] = useState(false);

  const chosen = importable.filter((a) => ticked.has(a.app));
  // What the trash of the chosen apps holds (an Open ENT NG workspace): imported only if asked.
  const trash = chosen.reduce(
    (sum, a) => ({
      items: sum.items + (a.trash?.items ?? 0),
      bytes: sum.bytes + (a.trash?.bytes ?? 0),
    }),
    { items: 0, bytes: 0 },
  );
  const withTrash = includeTrash && trash.items > 0;
  const needed = chosen.reduce((n, a) => n + a.bytes, 0) + (withTrash ? trash.bytes : 0);
  const available = analysis.quota.available;
  const fits = needed <= available;

  const submit = async (dryRun: boolean) => {
    if (submitting) return;
    setFormError(undefined);
    if (chosen.length === 0) {
      setNoApp(true);
      firstAppRef.current?.querySelector<HTMLInputElement>('input:not([disabled])')?.focus();
      return;
    }
    setNoApp(false);
    if (!dryRun && !fits) {
      setFormError(t('importer.launch.errors.quota'));
      return;
    }
    setSubmitting(true);
    try {
      setFormError(
        await onLaunch({
          apps: chosen.map((a) => a.app),
          dryRun,
          duplicates,
          ...(withTrash ? { includeTrash: true } : {}),
        }),
      );
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <section className="import-analysis" aria-labelledby={ids.title}>
      <h3 id={ids.title} ref={headingRef} tabIndex={-1}>
        {t('importer.analysis.title')}
      </h3>
      <SourceFacts imported={imported} analysis={analysis} />

      <form
        className="form import-form"
        noValidate
        aria-labelledby={ids.title}
        onSubmit={(event) => {
          event.preventDefault();
          void submit(false);
        }}
      >
        <fieldset
          className="fieldset import-form__apps"
          aria-describedby={noApp ? `${ids.appsHint} ${ids.noApp}` : ids.appsHint}
        >
          <legend>{t('importer.analysis.appsLegend')}</legend>
          <p id={ids.appsHint} className="field__hint muted">
            {importable.length > 0
              ? t('importer.analysis.appsHint')
              : t('importer.analysis.noImportable')}
          </p>
          <ul className="import-apps" ref={firstAppRef}>
            {analysis.apps.map((app) => (
              <AppChoice
                key={app.app}
                app={app}
                name={appName(app.app)}
                checked={app.importable && ticked.has(app.app)}
                invalid={noApp}
                onChange={(checked) => {
                  setTicked((set) => {
                    const next = new Set(set);
                    if (checked) next.add(app.app);
                    else next.delete(app.app);
                    return next;
                  });
                  if (checked) setNoApp(false);
                }}
              />
            ))}
          </ul>
          {/* Always present, so that the message is announced when it appears. */}
          <div role="alert" id={ids.noApp}>
            {noApp && (
              <p className="field__error">
                <span aria-hidden="true">✕ </span>
                {t('importer.analysis.noApp')}
              </p>
            )}
          </div>
        </fieldset>

        <div
          id={ids.quota}
          className={fits ? 'import-quota' : 'import-quota import-quota--over'}
          aria-live="polite"
        >
          {needed > 0 || chosen.length === 0 ? (
            <>
              <p className="import-quota__numbers">
                {t('importer.analysis.quota', {
                  needed: formatBytes(needed, language),
                  available: formatBytes(available, language),
                })}
              </p>
              <p className="import-quota__verdict">
                {!fits && <span aria-hidden="true">⚠ </span>}
                {fits ? t('importer.analysis.quotaFits') : t('importer.analysis.quotaExceeded')}
              </p>
            </>
          ) : (
            <p className="import-quota__numbers">{t('importer.analysis.quotaNone')}</p>
          )}
        </div>

        <fieldset className="fieldset import-form__options">
          <legend>{t('importer.options.legend')}</legend>
          <DuplicatesChoice value="skip" current={duplicates} onChange={setDuplicates} />
          <DuplicatesChoice value="copy" current={duplicates} onChange={setDuplicates} />
        </fieldset>

        {trash.items > 0 && (
          <fieldset className="fieldset import-form__options">
            <legend>{t('importer.options.trashLegend')}</legend>
            <div className="import-option">
              <label className="choice">
                <input
                  type="checkbox"
                  checked={includeTrash}
                  aria-describedby={ids.trashHint}
                  onChange={(event) => {
                    setIncludeTrash(event.target.checked);
                  }}
                />
                {t('importer.options.trash', {
                  count: trash.items,
                  size: formatBytes(trash.bytes, language),
                })}
              </label>
              <p id={ids.trashHint} className="field__hint muted">
                {t('importer.options.trashHint')}
              </p>
            </div>
          </fieldset>
        )}

        <FormAlert message={formError} />
        <div className="import-actions">
          <button
            type="submit"
            className="button button--large"
            aria-disabled={submitting || !fits || importable.length === 0}
            aria-describedby={fits ? undefined : ids.quota}
          >
            {t('importer.launch.import')}
          </button>
          <button
            type="button"
            className="button button--secondary"
            aria-disabled={submitting || importable.length === 0}
            aria-describedby={ids.dryRunHint}
            onClick={() => {
              void submit(true);
            }}
          >
            {t('importer.launch.dryRun')}
          </button>
          <button
            type="button"
            className="button button--secondary"
            aria-disabled={abandoning}
            onClick={() => {
              if (abandoning) return;
              setFormError(undefined);
              void onAbandon().then(setFormError);
            }}
          >
            {t('importer.launch.abandon')}
          </button>
          {submitting && <span className="muted">{t('importer.launch.launching')}</span>}
        </div>
        <p id={ids.dryRunHint} className="field__hint muted">
          {t('importer.launch.dryRunHint')}
        </p>
      </form>
    </section>
  );
}

function DuplicatesChoice({
  value,
  current,
  onChange,
}: {
  value: ImportOptions['duplicates'];
  current: ImportOptions['duplicates'];
  onChange: (value: ImportOptions['duplicates']) => void;
}) {
  const { t } = useTranslation();
  const hintId = useId();
  return (
    <div className="import-option">
      <label className="choice">
        <input
          type="radio"
          name="duplicates"
          value={value}
          checked={current === value}
          aria-describedby={hintId}
          onChange={() => {
            onChange(value);
          }}
        />
        {value === 'skip' ? t('importer.options.skip') : t('importer.options.copy')}
      </label>
      <p id={hintId} className="field__hint muted">
        {value === 'skip' ? t('importer.options.skipHint') : t('importer.options.copyHint')}
      </p>
    </div>
  );
}
