/** A new event: timed (in the viewer's zone) or all-day, with a place and a description. */
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { FormAlert } from '../../components/feedback.tsx';
import {
  CheckboxField,
  FormButtons,
  FormStatus,
  TextAreaField,
  TextField,
  focusFirstInvalid,
} from '../ui/fields.tsx';
import { useAppsAction } from '../ui/hooks.ts';
import { createEvent, type CalEvent } from './calendar-api.ts';
import { DAY_VALUE, localToIso, toLocalInput } from './dates.ts';

/** Plain text as HTML paragraphs (the API takes HTML descriptions). */
function textToHtml(value: string): string {
  const escape = (s: string) =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return value
    .trim()
    .split(/\n\s*\n/)
    .filter((p) => p.trim() !== '')
    .map((p) => `<p>${escape(p.trim()).replace(/\n/g, '<br />')}</p>`)
    .join('');
}

interface EventDraft {
  title: string;
  allDay: boolean;
  start: string;
  end: string;
  startDay: string;
  endDay: string;
  location: string;
  description: string;
}

type EventErrors = Partial<Record<'title' | 'start' | 'end', string>>;

function initialDraft(): EventDraft {
  const start = new Date();
  start.setMinutes(0, 0, 0);
  start.setHours(start.getHours() + 1);
  const end = new Date(start.getTime() + 60 * 60 * 1000);
  const today = toLocalInput(start).slice(0, 10);
  return {
    title: '',
    allDay: false,
    start: toLocalInput(start),
    end: toLocalInput(end),
    startDay: today,
    endDay: today,
    location: '',
    description: '',
  };
}

export function NewEventForm({
  calendarId,
  zone,
  onCreated,
  onCancel,
}: {
  calendarId: string;
  zone: string;
  onCreated: (event: CalEvent) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const formRef = useRef<HTMLFormElement>(null);
  const [draft, setDraft] = useState(initialDraft);
  const [errors, setErrors] = useState<EventErrors>({});
  const { busy, error, run } = useAppsAction();
  const set =
    <K extends keyof EventDraft>(key: K) =>
    (value: EventDraft[K]) => {
      setDraft((d) => ({ ...d, [key]: value }));
    };

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found: EventErrors = {};
    if (draft.title.trim() === '') found.title = t('apps_ui.form.titleMissing');
    let start: string | undefined;
    let end: string | undefined;
    if (draft.allDay) {
      start = DAY_VALUE.test(draft.startDay) ? draft.startDay : undefined;
      end = DAY_VALUE.test(draft.endDay) ? draft.endDay : undefined;
    } else {
      start = localToIso(draft.start);
      end = localToIso(draft.end);
    }
    if (start === undefined) found.start = t('apps_ui.calendar.startMissing');
    if (end === undefined) found.end = t('apps_ui.calendar.endMissing');
    else if (start !== undefined) {
      const before = draft.allDay
        ? end < start
        : new Date(end).getTime() < new Date(start).getTime();
      if (before) found.end = t('apps_ui.calendar.endBeforeStart');
    }
    setErrors(found);
    if (Object.keys(found).length > 0 || start === undefined || end === undefined) {
      focusFirstInvalid(formRef.current);
      return;
    }
    const input = {
      title: draft.title.trim(),
      allDay: draft.allDay,
      start,
      end,
      timeZone: zone,
      location: draft.location.trim() === '' ? null : draft.location.trim(),
      description: textToHtml(draft.description),
    };
    run(async () => {
      onCreated(await createEvent(calendarId, input));
    });
  };

  return (
    <form ref={formRef} className="form panel apps-form" noValidate onSubmit={submit}>
      <FormAlert message={error} />
      <TextField
        label={t('apps_ui.calendar.fields.title')}
        value={draft.title}
        onChange={set('title')}
        error={errors.title}
        required
        maxLength={500}
      />
      <CheckboxField
        label={t('apps_ui.calendar.fields.allDay')}
        checked={draft.allDay}
        onChange={set('allDay')}
      />
      {draft.allDay ? (
        <div className="apps-row">
          <TextField
            type="date"
            label={t('apps_ui.calendar.fields.startDay')}
            value={draft.startDay}
            onChange={set('startDay')}
            error={errors.start}
            required
          />
          <TextField
            type="date"
            label={t('apps_ui.calendar.fields.endDay')}
            value={draft.endDay}
            onChange={set('endDay')}
            error={errors.end}
            required
          />
        </div>
      ) : (
        <div className="apps-row">
          <TextField
            type="datetime-local"
            label={t('apps_ui.calendar.fields.start')}
            hint={t('apps_ui.calendar.zoneHint', { zone })}
            value={draft.start}
            onChange={set('start')}
            error={errors.start}
            required
          />
          <TextField
            type="datetime-local"
            label={t('apps_ui.calendar.fields.end')}
            hint={t('apps_ui.calendar.zoneHint', { zone })}
            value={draft.end}
            onChange={set('end')}
            error={errors.end}
            required
          />
        </div>
      )}
      <TextField
        label={t('apps_ui.calendar.fields.location')}
        value={draft.location}
        onChange={set('location')}
        maxLength={500}
      />
      <TextAreaField
        label={t('apps_ui.calendar.fields.description')}
        value={draft.description}
        onChange={set('description')}
        rows={4}
      />
      <FormButtons submitLabel={t('apps_ui.calendar.addEvent')} busy={busy} onCancel={onCancel} />
      <FormStatus message={busy ? t('apps_ui.form.saving') : ''} />
    </form>
  );
}
