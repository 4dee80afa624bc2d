/** Import a .ics file into a calendar, and the report of what was taken. */
import { useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { FormAlert } from '../../components/feedback.tsx';
import { FormButtons } from '../ui/fields.tsx';
import { useAppsAction } from '../ui/hooks.ts';
import { importIcs, type ImportReport } from './calendar-api.ts';

export function IcsImportForm({
  calendarId,
  onImported,
}: {
  calendarId: string;
  onImported: () => void;
}) {
  const { t } = useTranslation();
  const headingId = useId();
  const inputId = useId();
  const errorId = useId();
  const titleId = useId();
  const buttonId = useId();
  const chosenId = useId();
  const [chosen, setChosen] = useState<string>();
  const inputRef = useRef<HTMLInputElement>(null);
  const [missing, setMissing] = useState(false);
  const { busy, error: failure, run } = useAppsAction();
  const [report, setReport] = useState<ImportReport>();

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    const file = inputRef.current?.files?.[0];
    setMissing(file === undefined);
    if (file === undefined) {
      inputRef.current?.focus();
      return;
    }
    setReport(undefined);
    run(
      async () => {
        const result = await importIcs(calendarId, file);
        setReport(result);
        if (inputRef.current) inputRef.current.value = '';
        setChosen(undefined);
        if (result.imported > 0) onImported();
      },
      (error) =>
        error.code === 'payload_too_large' || error.status === 413
          ? t('apps_ui.calendar.icsTooLarge')
          : error.code === 'invalid_request'
            ? t('apps_ui.calendar.icsInvalid')
            : undefined,
    );
  };

  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>{t('apps_ui.calendar.import')}</h2>
      <form className="form panel apps-form" noValidate onSubmit={submit}>
        <FormAlert message={failure} />
        {/* The browser's own file button speaks the browser's language ("Choose File"): the
            real input is visually hidden, its label is the button, the chosen file is named. */}
        <div className="field">
          <span id={titleId} className="field__title">
            {t('apps_ui.calendar.fields.icsFile')}
          </span>
          <div className="file-picker">
            <input
              ref={inputRef}
              id={inputId}
              type="file"
              className="file-input visually-hidden"
              accept=".ics,text/calendar"
              aria-labelledby={`${titleId} ${buttonId}`}
              aria-invalid={missing}
              aria-describedby={missing ? `${chosenId} ${errorId}` : chosenId}
              onChange={(event) => {
                setMissing(false);
                setChosen(event.target.files?.[0]?.name);
              }}
            />
            <label
              id={buttonId}
              htmlFor={inputId}
              className="button button--secondary file-input__label"
            >
              {t('apps_ui.calendar.chooseFile')}
            </label>
            <span id={chosenId} className={chosen === undefined ? 'muted' : 'file-picker__name'}>
              {chosen ?? t('apps_ui.calendar.noFileChosen')}
            </span>
          </div>
          {missing && (
            <p id={errorId} className="field__error">
              <span aria-hidden="true">✕ </span>
              {t('apps_ui.calendar.icsMissing')}
            </p>
          )}
        </div>
        <FormButtons submitLabel={t('apps_ui.calendar.importSubmit')} busy={busy} />
        <div role="status" className="form__status">
          {busy && <p className="muted">{t('apps_ui.calendar.importing')}</p>}
          {report && (
            <div className="apps-report">
              <p>
                <strong>{t('apps_ui.calendar.report.title')}</strong>
              </p>
              <ul>
                <li>{t('apps_ui.calendar.report.imported', { count: report.imported })}</li>
                <li>{t('apps_ui.calendar.report.skipped', { count: report.skipped })}</li>
                <li>{t('apps_ui.calendar.report.failed', { count: report.failed.length })}</li>
              </ul>
              {report.failed.length > 0 && (
                <ul className="apps-report__failures">
                  {report.failed.map((f, index) => (
                    <li key={`${index}-${f.uid}`}>
                      <code>{f.uid === '' ? '?' : f.uid}</code>
                      {t('apps_ui.calendar.report.separator')}
                      {f.reason}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          )}
        </div>
      </form>
    </section>
  );
}
