import { useId, useRef, useState, type FormEvent, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import type { ArchiveApp, ExportRequest } from '../../api/archive.ts';
import { formatBytes } from '../../format.ts';
import { FormAlert } from '../feedback.tsx';

/** The apps to export, each with what it holds; "select all", and how many are ticked. */
function AppsPicker({
  exportable,
  appName,
  unticked,
  onUntickedChange,
  noApp,
  onChosen,
  firstAppRef,
}: {
  exportable: readonly ArchiveApp[];
  appName: (id: string) => string;
  unticked: ReadonlySet<string>;
  onUntickedChange: (update: (unticked: ReadonlySet<string>) => ReadonlySet<string>) => void;
  /** Nothing was ticked at the last submit: the error is shown. */
  noApp: boolean;
  /** An app was ticked (the "no app" error goes). */
  onChosen: () => void;
  firstAppRef: RefObject<HTMLInputElement | null>;
}) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'fr';
  const ids = { noApp: useId(), count: useId() };
  const selectedCount = exportable.filter((app) => !unticked.has(app.id)).length;
  const allSelected = selectedCount === exportable.length;

  return (
    <fieldset
      className="fieldset export-form__apps"
      aria-describedby={noApp ? `${ids.count} ${ids.noApp}` : ids.count}
    >
      <legend>{t('archive.export.appsLegend')}</legend>
      <div className="export-form__toolbar">
        <button
          type="button"
          className="button button--secondary button--small"
          onClick={() => {
            onUntickedChange(() =>
              allSelected ? new Set(exportable.map((app) => app.id)) : new Set(),
            );
            if (!allSelected) onChosen();
          }}
        >
          {allSelected ? t('archive.export.deselectAll') : t('archive.export.selectAll')}
        </button>
        <p id={ids.count} className="muted export-form__count" aria-live="polite">
          {t('archive.export.selected', { count: selectedCount, total: exportable.length })}
        </p>
      </div>
      <ul className="export-form__list">
        {exportable.map((app, index) => (
          <li key={app.id}>
            <label className="choice export-choice">
              <input
                ref={index === 0 ? firstAppRef : undefined}
                type="checkbox"
                name="apps"
                value={app.id}
                checked={!unticked.has(app.id)}
                aria-invalid={noApp}
                aria-describedby={noApp ? ids.noApp : undefined}
                onChange={(event) => {
                  const { checked } = event.target;
                  onUntickedChange((set) => {
                    const next = new Set(set);
                    if (checked) next.delete(app.id);
                    else next.add(app.id);
                    return next;
                  });
                  if (checked) onChosen();
                }}
              />
              <span>
                <span className="export-choice__name">{appName(app.id)}</span>{' '}
                <span className="muted export-choice__detail">
                  {/* Apps whose content is all in JSON have no file bytes to show. */}
                  {app.bytes > 0
                    ? t('archive.export.appSummary', {
                        count: app.items,
                        size: formatBytes(app.bytes, language),
                      })
                    : t('archive.export.appItems', { count: app.items })}
                </span>
              </span>
            </label>
          </li>
        ))}
      </ul>
      {/* In the page from the start, so that screen readers read the message when it shows. */}
      <div id={ids.noApp} role="alert" className="export-form__alert">
        {noApp && (
          <p className="field__error">
            <span aria-hidden="true">✕ </span>
            {t('archive.export.errors.noApp')}
          </p>
        )}
      </div>
    </fieldset>
  );
}

/** A ticked-by-default option with its hint. */
function OptionBox({
  label,
  hint,
  checked,
  onChange,
}: {
  label: string;
  hint: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  const hintId = useId();
  return (
    <div className="export-option">
      <label className="choice">
        <input
          type="checkbox"
          checked={checked}
          aria-describedby={hintId}
          onChange={(event) => {
            onChange(event.target.checked);
          }}
        />
        {label}
      </label>
      <p id={hintId} className="field__hint muted">
        {hint}
      </p>
    </div>
  );
}

/**
 * The export form: apps (those with content ticked by default), options, "Télécharger mes données".
 * `onStart` asks for the export and returns the error to show, if any.
 */
export function ExportForm({
  exportable,
  appName,
  labelledBy,
  busy,
  onStart,
}: {
  exportable: readonly ArchiveApp[];
  appName: (id: string) => string;
  labelledBy: string;
  /** An export is being prepared: another one cannot be asked for. */
  busy: boolean;
  onStart: (request: ExportRequest) => Promise<string | undefined>;
}) {
  const { t } = useTranslation();
  const busyHintId = useId();
  // What is kept is what is unticked: at first the empty apps (shown, with their 0, not ticked).
  const [unticked, setUnticked] = useState<ReadonlySet<string>>(
    () => new Set(exportable.filter((app) => app.items === 0).map((app) => app.id)),
  );
  const [includeDocuments, setIncludeDocuments] = useState(true);
  const [includeShared, setIncludeShared] = useState(true);
  const [noApp, setNoApp] = useState(false);
  const [formError, setFormError] = useState<string>();
  const [submitting, setSubmitting] = useState(false);
  const firstAppRef = useRef<HTMLInputElement>(null);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (submitting) return;
    setFormError(undefined);
    const apps = exportable.filter((app) => !unticked.has(app.id)).map((app) => app.id);
    if (apps.length === 0) {
      setNoApp(true);
      firstAppRef.current?.focus();
      return;
    }
    setNoApp(false);
    if (busy) {
      setFormError(t('archive.export.errors.inProgress'));
      return;
    }
    setSubmitting(true);
    try {
      setFormError(await onStart({ apps, includeDocuments, includeShared }));
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <form
      className="form export-form"
      noValidate
      aria-labelledby={labelledBy}
      onSubmit={(event) => {
        void submit(event);
      }}
    >
      <AppsPicker
        exportable={exportable}
        appName={appName}
        unticked={unticked}
        onUntickedChange={setUnticked}
        noApp={noApp}
        onChosen={() => {
          setNoApp(false);
        }}
        firstAppRef={firstAppRef}
      />

      <fieldset className="fieldset export-form__options">
        <legend>{t('archive.export.optionsLegend')}</legend>
        <OptionBox
          label={t('archive.export.includeDocuments')}
          hint={t('archive.export.includeDocumentsHint')}
          checked={includeDocuments}
          onChange={setIncludeDocuments}
        />
        <OptionBox
          label={t('archive.export.includeShared')}
          hint={t('archive.export.includeSharedHint')}
          checked={includeShared}
          onChange={setIncludeShared}
        />
      </fieldset>

      <FormAlert message={formError} />
      <div className="export-form__submit">
        <button
          type="submit"
          className="button button--large"
          aria-disabled={submitting || busy}
          aria-describedby={busy ? busyHintId : undefined}
        >
          {t('archive.export.submit')}
        </button>
        {submitting && <span className="muted"> {t('archive.export.submitting')}</span>}
        {busy && (
          <p id={busyHintId} className="muted export-form__busy">
            {t('archive.export.busyHint')}
          </p>
        )}
      </div>
    </form>
  );
}
