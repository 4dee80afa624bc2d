/** The labelled form fields of the apps' pages, their buttons and status lines. */
import { useId, type ReactNode, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';

/** "Saving…" and the like, announced politely; takes no room when empty. */
export function FormStatus({ message }: { message: string }) {
  return (
    <p role="status" className="form__status muted">
      {message}
    </p>
  );
}

/** What a field's control needs from its frame: its id, and what describes it. */
interface ControlProps {
  id: string;
  'aria-invalid'?: boolean;
  'aria-describedby': string | undefined;
}

function describedBy(...ids: (string | false | undefined)[]): string | undefined {
  const list = ids.filter((id): id is string => typeof id === 'string');
  return list.length === 0 ? undefined : list.join(' ');
}

/** A field: its label ("(obligatoire)"), hint, control and error, tied by ids. */
function FieldFrame({
  label,
  required = false,
  hint,
  error,
  control,
}: {
  label: string;
  required?: boolean;
  hint?: string | undefined;
  /** Absent: the field cannot be invalid (no `aria-invalid`). */
  error?: string | null | undefined;
  control: (props: ControlProps) => ReactNode;
}) {
  const { t } = useTranslation();
  const id = useId();
  const hintId = useId();
  const errorId = useId();
  const invalid = typeof error === 'string';
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {required && <span className="apps-required"> {t('apps_ui.form.required')}</span>}
      </label>
      {hint !== undefined && (
        <p id={hintId} className="field__hint muted">
          {hint}
        </p>
      )}
      {control({
        id,
        ...(error === undefined ? {} : { 'aria-invalid': invalid }),
        'aria-describedby': describedBy(hint !== undefined && hintId, invalid && errorId),
      })}
      {invalid && (
        <p id={errorId} className="field__error">
          <span aria-hidden="true">✕ </span>
          {error}
        </p>
      )}
    </div>
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
  return (
    <FieldFrame
      label={label}
      required={required}
      hint={hint}
      error={error ?? null}
      control={(props) => (
        <input
          {...props}
          ref={inputRef}
          type={type}
          value={value}
          required={required}
          maxLength={maxLength}
          onChange={(event) => {
            onChange(event.target.value);
          }}
        />
      )}
    />
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
  return (
    <FieldFrame
      label={label}
      required={required}
      hint={hint}
      error={error ?? null}
      control={(props) => (
        <textarea
          {...props}
          ref={textAreaRef}
          rows={rows}
          value={value}
          required={required}
          className={code ? 'apps-textarea apps-textarea--code' : 'apps-textarea'}
          spellCheck={!code}
          onChange={(event) => {
            onChange(event.target.value);
          }}
        />
      )}
    />
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
  return (
    <FieldFrame
      label={label}
      hint={hint}
      control={(props) => (
        <select
          {...props}
          value={value}
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
      )}
    />
  );
}

/** A select over a fixed list of values (policies, states...), each labelled. */
export function ChoiceField<T extends string>({
  label,
  value,
  values,
  labelOf,
  onChange,
}: {
  label: string;
  value: T;
  values: readonly T[];
  labelOf: (value: T) => string;
  onChange: (value: T) => void;
}) {
  return (
    <SelectField
      label={label}
      value={value}
      onChange={(next) => {
        const found = values.find((v) => v === next);
        if (found !== undefined) onChange(found);
      }}
      options={values.map((v) => ({ value: v, label: labelOf(v) }))}
    />
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
