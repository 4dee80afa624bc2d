import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiError } from '../api/client.ts';
import {
  SHARE_RIGHTS,
  addShare,
  fetchAllMyFolders,
  fetchShares,
  isShareRight,
  removeShare,
  type FolderInTree,
  type GranteeKind,
  type Share,
  type ShareRight,
  type WsDocument,
  type WsFolder,
} from '../api/workspace.ts';
import { useAction } from '../hooks/use-action.ts';
import { useResource } from '../hooks/use-resource.ts';
import { useSession } from '../session.tsx';
import { ErrorAlert, Loading, useErrorText } from './feedback.tsx';
import { ModalDialog } from './modal-dialog.tsx';

/** A row of the page: a folder or a document. */
export type WsItem = { type: 'folder'; item: WsFolder } | { type: 'document'; item: WsDocument };

/** The sentence for a failed workspace request (quota, size, rights...). */
export function useWorkspaceErrorText(): (error: ApiError) => string {
  const { t } = useTranslation();
  const generic = useErrorText();
  return (error) => {
    if (error.code === 'quota_exceeded') return t('workspace.errors.quota');
    if (error.code === 'payload_too_large' || error.status === 413) {
      return t('workspace.errors.tooLarge');
    }
    if (error.code === 'forbidden') return t('workspace.errors.forbidden');
    if (error.code === 'not_found') return t('workspace.errors.notFound');
    if (error.code === 'conflict') return t('workspace.errors.conflict');
    if (error.code === 'invalid_request') return t('workspace.errors.invalid');
    return generic(error);
  };
}

/** Longest name the server keeps, in characters. */
const MAX_NAME = 255;

type NameProblem = 'empty' | 'slash' | 'reserved' | 'tooLong';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/** The server's rules for a file or folder name (see `cleanName`), checked before sending. */
export function nameProblem(raw: string): NameProblem | undefined {
  const name = raw.normalize('NFC').replace(CONTROL_CHARACTERS, '').trim();
  if (name === '') return 'empty';
  if (name.includes('/') || name.includes('\\')) return 'slash';
  if (name === '.' || name === '..') return 'reserved';
  if ([...name].length > MAX_NAME) return 'tooLong';
  return undefined;
}

/** The error zone of a dialog form: always in the DOM, so a new message is announced. */
function FormAlert({ message }: { message: string | undefined }) {
  return (
    <div role="alert" className="form__alert">
      {message !== undefined && <p className="alert alert--error">{message}</p>}
    </div>
  );
}

function DialogButtons({
  submitLabel,
  busy,
  danger = false,
  onCancel,
}: {
  submitLabel: string;
  busy: boolean;
  /** A destructive action: the focus starts on "Cancel" rather than on it. */
  danger?: boolean;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    // A passive effect: runs after showModal() has focused the first button.
    if (danger) cancelRef.current?.focus();
  }, [danger]);
  return (
    <div className="dialog__buttons">
      {/* aria-disabled rather than disabled: a disabled button would drop the keyboard focus. */}
      <button
        type="submit"
        className={danger ? 'button button--danger' : 'button'}
        aria-disabled={busy}
      >
        {submitLabel}
      </button>
      <button ref={cancelRef} type="button" className="button button--secondary" onClick={onCancel}>
        {t('workspace.actions.cancel')}
      </button>
    </div>
  );
}

/** Runs a dialog's request, its error in the words of the workspace. */
function useSubmit(): ReturnType<typeof useAction> {
  return useAction(useWorkspaceErrorText());
}

// --- Name (new folder, rename) ------------------------------------------------------------

export function NameDialog({
  title,
  label,
  submitLabel,
  initial = '',
  selectBaseName = false,
  onSubmit,
  onClose,
}: {
  title: string;
  label: string;
  submitLabel: string;
  initial?: string;
  /** Selects the name without its extension ("rapport" of "rapport.pdf"), ready to retype. */
  selectBaseName?: boolean;
  /** Does the request; the dialog stays open with a message if it rejects. */
  onSubmit: (name: string) => Promise<void>;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const inputId = useId();
  const problemId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [value, setValue] = useState(initial);
  const [problem, setProblem] = useState<NameProblem>();
  const { busy, error, run } = useSubmit();

  useEffect(() => {
    const input = inputRef.current;
    if (!input) return;
    input.focus();
    const dot = initial.lastIndexOf('.');
    input.setSelectionRange(0, selectBaseName && dot > 0 ? dot : initial.length);
  }, [initial, selectBaseName]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const found = nameProblem(value);
    setProblem(found);
    if (found) {
      inputRef.current?.focus();
      return;
    }
    run(() => onSubmit(value.trim()));
  };

  return (
    <ModalDialog title={title} onClose={onClose}>
      <form className="form" noValidate onSubmit={submit}>
        <FormAlert message={error} />
        <div className="field">
          <label htmlFor={inputId}>{label}</label>
          <input
            ref={inputRef}
            id={inputId}
            type="text"
            autoComplete="off"
            spellCheck={false}
            required
            maxLength={MAX_NAME * 2}
            aria-invalid={problem !== undefined}
            aria-describedby={problem ? problemId : undefined}
            value={value}
            onChange={(event) => {
              setValue(event.target.value);
              if (problem && nameProblem(event.target.value) === undefined) setProblem(undefined);
            }}
          />
          {problem && (
            <p id={problemId} className="field__error">
              <span aria-hidden="true">✕ </span>
              {t(`workspace.names.${problem}`, { max: MAX_NAME })}
            </p>
          )}
        </div>
        <DialogButtons submitLabel={submitLabel} busy={busy} onCancel={onClose} />
      </form>
    </ModalDialog>
  );
}

// --- Confirm (delete for good) ------------------------------------------------------------

export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  onConfirm,
  onClose,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const { busy, error, run } = useSubmit();
  return (
    <ModalDialog title={title} onClose={onClose}>
      <form
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          run(onConfirm);
        }}
      >
        <FormAlert message={error} />
        {children}
        <DialogButtons submitLabel={confirmLabel} busy={busy} danger onCancel={onClose} />
      </form>
    </ModalDialog>
  );
}

// --- Move ---------------------------------------------------------------------------------

const ROOT = '';

/** The destination list: the root, then every folder of mine, indented by its path. */
function destinations(folders: FolderInTree[], target: WsItem): FolderInTree[] {
  // A folder cannot go inside itself or one of its sub-folders.
  if (target.type === 'document') return folders;
  return folders.filter((entry) => !entry.trail.some((f) => f.id === target.item.id));
}

export function MoveDialog({
  target,
  onSubmit,
  onClose,
}: {
  target: WsItem;
  /** Moves to `folderId` (null: the root); `name` is the destination's name. */
  onSubmit: (folderId: string | null, name: string) => Promise<void>;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const { handleUnauthenticated } = useSession();
  const selectId = useId();
  const current = target.type === 'document' ? target.item.folderId : target.item.parentId;
  const [choice, setChoice] = useState(current ?? ROOT);
  const { busy, error, run } = useSubmit();
  const { state, reload } = useResource(
    fetchAllMyFolders,
    `move-${target.item.id}`,
    handleUnauthenticated,
  );

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (state.status !== 'success') return;
    const folderId = choice === ROOT ? null : choice;
    if (folderId === current) {
      onClose();
      return;
    }
    const entry = state.data.find((e) => e.folder.id === folderId);
    const name = entry?.folder.name ?? t('workspace.dialogs.move.root');
    run(() => onSubmit(folderId, name));
  };

  return (
    <ModalDialog
      title={t('workspace.dialogs.move.title', { name: target.item.name })}
      onClose={onClose}
    >
      {state.status === 'loading' && <Loading label={t('workspace.dialogs.move.loading')} />}
      {state.status === 'error' && <ErrorAlert error={state.error} onRetry={reload} />}
      {state.status === 'success' && (
        <form className="form" noValidate onSubmit={submit}>
          <FormAlert message={error} />
          <div className="field">
            <label htmlFor={selectId}>{t('workspace.dialogs.move.label')}</label>
            <select
              id={selectId}
              value={choice}
              onChange={(event) => {
                setChoice(event.target.value);
              }}
            >
              <option value={ROOT}>{t('workspace.dialogs.move.root')}</option>
              {destinations(state.data, target).map(({ folder, trail }) => (
                <option key={folder.id} value={folder.id}>
                  {trail.map((f) => f.name).join(' / ')}
                </option>
              ))}
            </select>
          </div>
          <DialogButtons
            submitLabel={t('workspace.dialogs.move.submit')}
            busy={busy}
            onCancel={onClose}
          />
        </form>
      )}
      {state.status !== 'success' && (
        <div className="dialog__buttons">
          <button type="button" className="button button--secondary" onClick={onClose}>
            {t('workspace.actions.cancel')}
          </button>
        </div>
      )}
    </ModalDialog>
  );
}

// --- Share --------------------------------------------------------------------------------

export function ShareDialog({ target, onClose }: { target: WsItem; onClose: () => void }) {
  const { t } = useTranslation();
  const { handleUnauthenticated } = useSession();
  const ids = {
    list: useId(),
    who: useId(),
    right: useId(),
    problem: useId(),
    rightHint: useId(),
  };
  const whoRef = useRef<HTMLInputElement>(null);
  const kind = target.type;
  const id = target.item.id;
  const { state, reload, setData } = useResource(
    (signal) => fetchShares(kind, id, signal),
    `shares-${kind}-${id}`,
    handleUnauthenticated,
  );
  const [granteeKind, setGranteeKind] = useState<GranteeKind>('user');
  const [who, setWho] = useState('');
  const [right, setRight] = useState<ShareRight>('read');
  const [missing, setMissing] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const { busy, error, setError, run } = useSubmit();

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const value = who.trim();
    setMissing(value === '');
    setAnnouncement('');
    if (value === '') {
      whoRef.current?.focus();
      return;
    }
    run(
      async () => {
        const shares = await addShare(
          kind,
          id,
          granteeKind === 'user' ? { login: value } : { group: value },
          right,
        );
        setData(() => shares);
        setWho('');
        setAnnouncement(t('workspace.share.added', { name: value }));
      },
      (apiError) => {
        if (apiError.code === 'not_found') {
          return granteeKind === 'user'
            ? t('workspace.share.errors.userNotFound', { login: value })
            : t('workspace.share.errors.groupNotFound', { group: value });
        }
        if (apiError.code === 'conflict') return t('workspace.share.errors.groupAmbiguous');
        if (apiError.code === 'invalid_request' && granteeKind === 'user') {
          return t('workspace.share.errors.owner');
        }
        return undefined;
      },
    );
  };

  const remove = (share: Share) => {
    setAnnouncement('');
    run(async () => {
      await removeShare(kind, id, share.grantee);
      setData((shares) =>
        shares.filter(
          (s) => s.grantee.kind !== share.grantee.kind || s.grantee.id !== share.grantee.id,
        ),
      );
      setAnnouncement(t('workspace.share.removed', { name: share.grantee.name }));
      whoRef.current?.focus();
    });
  };

  return (
    <ModalDialog title={t('workspace.share.title', { name: target.item.name })} onClose={onClose}>
      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      <FormAlert message={error} />
      <section aria-labelledby={ids.list} className="share-list">
        <h3 id={ids.list}>{t('workspace.share.current')}</h3>
        {state.status === 'loading' && <Loading />}
        {state.status === 'error' && <ErrorAlert error={state.error} onRetry={reload} />}
        {state.status === 'success' &&
          (state.data.length === 0 ? (
            <p className="muted">{t('workspace.share.none')}</p>
          ) : (
            <ul className="share-list__items">
              {state.data.map((share) => (
                <li key={`${share.grantee.kind}-${share.grantee.id}`} className="share-list__item">
                  <span>
                    <span className="share-list__name">{share.grantee.name}</span>{' '}
                    <span className="muted">
                      ({t(`workspace.share.kinds.${share.grantee.kind}`)},{' '}
                      {t(`workspace.share.rights.${share.right}`)})
                    </span>
                  </span>
                  <button
                    type="button"
                    className="button button--secondary button--small"
                    aria-disabled={busy}
                    onClick={() => {
                      remove(share);
                    }}
                  >
                    {t('workspace.share.remove')}
                    <span className="visually-hidden">
                      {' '}
                      {t('workspace.share.removeWho', { name: share.grantee.name })}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          ))}
      </section>

      <form className="form" noValidate onSubmit={submit}>
        <fieldset className="fieldset">
          <legend>{t('workspace.share.kindLabel')}</legend>
          {(['user', 'group'] as const).map((option) => (
            <label key={option} className="choice">
              <input
                type="radio"
                name="grantee-kind"
                value={option}
                checked={granteeKind === option}
                onChange={() => {
                  setGranteeKind(option);
                  setError(undefined);
                }}
              />
              {t(`workspace.share.kinds.${option}`)}
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor={ids.who}>
            {granteeKind === 'user'
              ? t('workspace.share.loginLabel')
              : t('workspace.share.groupLabel')}
          </label>
          <input
            ref={whoRef}
            id={ids.who}
            type="text"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            required
            maxLength={200}
            aria-invalid={missing}
            aria-describedby={missing ? ids.problem : undefined}
            value={who}
            onChange={(event) => {
              setWho(event.target.value);
              if (event.target.value.trim() !== '') setMissing(false);
            }}
          />
          {missing && (
            <p id={ids.problem} className="field__error">
              <span aria-hidden="true">✕ </span>
              {t('workspace.share.errors.missing')}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor={ids.right}>{t('workspace.share.rightLabel')}</label>
          <select
            id={ids.right}
            value={right}
            aria-describedby={ids.rightHint}
            onChange={(event) => {
              if (isShareRight(event.target.value)) setRight(event.target.value);
            }}
          >
            {SHARE_RIGHTS.map((r) => (
              <option key={r} value={r}>
                {t(`workspace.share.rights.${r}`)}
              </option>
            ))}
          </select>
          <p id={ids.rightHint} className="field__hint muted">
            {t(`workspace.share.rightHints.${right}`)}
          </p>
        </div>
        <div className="dialog__buttons">
          <button type="submit" className="button" aria-disabled={busy}>
            {t('workspace.share.submit')}
          </button>
          <button type="button" className="button button--secondary" onClick={onClose}>
            {t('workspace.actions.close')}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}

/** "rapport.pdf" in the visible label's sentence, for screen readers: "Renommer rapport.pdf". */
export function ActionLabel({ action, name }: { action: string; name: string }) {
  return (
    <>
      {action}
      <span className="visually-hidden"> {name}</span>
    </>
  );
}
