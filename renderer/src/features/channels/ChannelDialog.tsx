import { zodResolver } from '@hookform/resolvers/zod';
import { useEffect, useId, useRef, useState } from 'react';
import { useForm, useWatch, type FieldPath } from 'react-hook-form';
import {
  PROVIDER_PRESETS,
  channelFormSchema,
  channelToForm,
  createChannelInput,
  defaultChannelForm,
  type Channel,
  type ChannelForm,
  type ChannelFormInput,
  type PresetId,
} from '../../../../shared/channel';
import type { ConnectionTestResult } from '../../../../shared/contract';
import type { AppError } from '../../../../shared/errors';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field, fieldAria } from '../../components/Field';
import { Modal } from '../../components/Modal';
import { invoke } from '../../lib/api';
import { formPath } from './format';
import { AuthSection } from './AuthSection';
import { cancelSignIn, signInWithBrowser } from './sign-in';
import { InboxSettingsSection } from './InboxSettingsSection';
import { ServerSection } from './ServerSection';
import { useChannelsStore } from './store';
import { TestResults } from './TestResults';

export type ChannelDialogMode = { kind: 'create' } | { kind: 'edit'; channel: Channel };

type FormPath = FieldPath<ChannelFormInput>;

/** Every field the dialog shows; server field errors on other paths go into the dialog's alert. */
const SHOWN_FIELDS = new Set<string>([
  'name',
  'type',
  ...['host', 'port', 'username', 'password', 'tls', 'tlsMode'].flatMap((f) => [`imap.${f}`, `smtp.${f}`]),
  'imap.mailbox',
  'smtp.fromName',
  'smtp.fromAddress',
  'supportAddress',
  'inbox.pollIntervalSeconds',
  'inbox.signature',
  'inbox.sentFolder',
  'inbox.sendRatePerMinute',
  ...['tenant', 'issuer', 'scope', 'clientId', 'clientSecret', 'signInId'].map((f) => `auth.${f}`),
]);

type TestState = { status: 'idle' } | { status: 'running' } | { status: 'done'; result: ConnectionTestResult } | { status: 'failed'; error: AppError };

function detectPreset(values: ChannelFormInput): PresetId {
  const match = PROVIDER_PRESETS.find((p) => p.imap && p.imap.host === values.imap.host.trim().toLowerCase());
  return match?.id ?? 'custom';
}

/**
 * Create Channel / Edit Channel. Validates with the shared schemas (createChannelInput needs both
 * passwords; editing keeps a stored password when its field is blank), tests the unsaved values as
 * often as wanted, and keeps everything typed when the main side refuses.
 */
export function ChannelDialog({ mode, onClose }: { mode: ChannelDialogMode; onClose(): void }) {
  const editing = mode.kind === 'edit' ? mode.channel : null;
  const titleId = useId();
  const upsert = useChannelsStore((s) => s.upsert);
  const keychain = useChannelsStore((s) => s.keychain);
  const [defaults] = useState<ChannelFormInput>(() =>
    // Creating starts with no type chosen: choosing Email reveals the mail sections, as the guide says.
    editing ? channelToForm(editing) : { ...defaultChannelForm(), type: '' as ChannelFormInput['type'] },
  );
  const form = useForm<ChannelFormInput, unknown, ChannelForm>({
    resolver: zodResolver(editing ? channelFormSchema : createChannelInput),
    defaultValues: defaults,
    mode: 'onTouched',
  });
  const { register, handleSubmit, formState, control, setValue, clearErrors, setError, getValues } = form;
  const type = useWatch({ control, name: 'type' });
  const [preset, setPreset] = useState<PresetId>(() => detectPreset(defaults));
  const [test, setTest] = useState<TestState>({ status: 'idle' });
  const [saveError, setSaveError] = useState<AppError | null>(null);
  const [saving, setSaving] = useState(false);
  const [signingIn, setSigningIn] = useState(false);
  const [signInError, setSignInError] = useState<AppError | null>(null);
  const authMethod = useWatch({ control, name: 'auth.method' });
  const savedOAuth = editing?.auth.method === 'oauth2';
  const alive = useRef(true);
  /** The sign-in waiting for the browser, so closing the dialog (or Cancel) can give it up. */
  const pendingSignIn = useRef<string | null>(null);
  const testRun = useRef(0);
  const resultsRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
      if (pendingSignIn.current) cancelSignIn(pendingSignIn.current);
    };
  }, []);

  useEffect(() => {
    if (test.status === 'done' || test.status === 'failed') resultsRef.current?.scrollIntoView({ block: 'nearest' });
  }, [test.status]);

  /** Field messages onto their fields; returns the ones no field shows. */
  function applyFieldErrors(fields: readonly { path: string; message: string }[]): { path: string; message: string }[] {
    const unshown: { path: string; message: string }[] = [];
    const seen = new Set<string>();
    let focused = false;
    for (const field of fields) {
      const path = formPath(field.path);
      // The first message for a field is the most basic one ("Host is required" before its format).
      if (seen.has(path)) continue;
      seen.add(path);
      if (SHOWN_FIELDS.has(path)) {
        setError(path as FormPath, { type: 'server', message: field.message }, { shouldFocus: !focused });
        focused = true;
      } else {
        unshown.push({ path, message: field.message });
      }
    }
    return unshown;
  }

  function choosePreset(id: PresetId) {
    setPreset(id);
    const chosen = PROVIDER_PRESETS.find((p) => p.id === id);
    for (const protocol of ['imap', 'smtp'] as const) {
      const settings = chosen?.[protocol];
      if (!settings) continue;
      setValue(`${protocol}.host`, settings.host, { shouldDirty: true });
      setValue(`${protocol}.port`, settings.port, { shouldDirty: true });
      setValue(`${protocol}.tls`, settings.tls, { shouldDirty: true });
      setValue(`${protocol}.tlsMode`, 'auto', { shouldDirty: true });
      clearErrors([`${protocol}.host`, `${protocol}.port`, `${protocol}.tls`, `${protocol}.tlsMode`]);
    }
    if (chosen?.sentFolder !== undefined) setValue('inbox.sentFolder', chosen.sentFolder, { shouldDirty: true });
  }

  /** OAuth sign-in in the browser for the form's settings; true once the form holds a sign-in. */
  async function signIn(): Promise<boolean> {
    if (signingIn) return false;
    setSignInError(null);
    const parsed = channelFormSchema.safeParse(getValues());
    const authIssues = parsed.success ? [] : parsed.error.issues.filter((issue) => issue.path[0] === 'auth');
    if (!parsed.success && authIssues.length > 0) {
      applyFieldErrors(authIssues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })));
      return false;
    }
    setSigningIn(true);
    const result = await signInWithBrowser(
      { auth: getValues().auth as ChannelForm['auth'], ...(editing ? { channelId: editing.id } : {}) },
      (signInId) => (pendingSignIn.current = signInId),
    );
    pendingSignIn.current = null;
    if (!alive.current) return false;
    setSigningIn(false);
    if (!result.ok) {
      setSignInError(result.error);
      return false;
    }
    setValue('auth.signInId', result.value.signInId, { shouldDirty: true });
    clearErrors('auth.signInId');
    return true;
  }

  async function testConnection() {
    if (test.status === 'running') return;
    const values = getValues();
    // Test Connection with OAuth signs in first when nothing would give it a token yet.
    if (values.auth?.method === 'oauth2' && values.auth.flow === 'interactive' && !values.auth.signInId && !savedOAuth) {
      if (!(await signIn())) return;
    }
    const run = ++testRun.current;
    setTest({ status: 'running' });
    clearErrors();
    // Only what the schema requires: a blank password is the server's to refuse (or, when editing, the stored one is used).
    const parsed = channelFormSchema.safeParse(getValues());
    if (!parsed.success) {
      applyFieldErrors(parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })));
      setTest({ status: 'idle' });
      return;
    }
    const result = await invoke('channels:test-connection', editing ? { values: parsed.data, channelId: editing.id } : { values: parsed.data });
    if (!alive.current || run !== testRun.current) return;
    if (result.ok) {
      setTest({ status: 'done', result: result.value });
    } else {
      if (result.error.code === 'VALIDATION_FAILED') applyFieldErrors(result.error.fields ?? []);
      setTest({ status: 'failed', error: result.error });
    }
  }

  async function save(values: ChannelForm) {
    if (saving) return;
    setSaving(true);
    setSaveError(null);
    const result = editing ? await invoke('channels:update', { id: editing.id, values }) : await invoke('channels:create', values);
    if (!alive.current) return;
    setSaving(false);
    if (result.ok) {
      upsert(result.value);
      onClose();
      return;
    }
    if (result.error.code === 'VALIDATION_FAILED' && result.error.fields?.length) {
      const unshown = applyFieldErrors(result.error.fields);
      if (unshown.length > 0) setSaveError({ ...result.error, fields: unshown });
    } else {
      setSaveError(result.error);
    }
  }

  const testing = test.status === 'running';
  const presetNotes = PROVIDER_PRESETS.find((p) => p.id === preset)?.notes ?? [];
  const typeError = formState.errors.type ? 'Choose a channel type' : undefined;
  const nameError = formState.errors.name?.message;
  const supportError = formState.errors.supportAddress?.message;

  return (
    <Modal labelledBy={titleId} onClose={onClose} className="modal-wide">
      <form className="modal-form" noValidate onSubmit={handleSubmit(save)}>
        <div className="modal-header">
          <div>
            <h2 id={titleId} className="modal-title">
              {editing ? 'Edit Channel' : 'Create Channel'}
            </h2>
            <p className="modal-lede">
              {editing
                ? 'Change the settings and save. Passwords you leave blank stay as they are.'
                : 'Connect a support mailbox. Test the connection before you create the channel.'}
            </p>
          </div>
          <button type="button" className="icon-btn" onClick={onClose}>
            <span aria-hidden="true">✕</span>
            <span className="sr-only">Close</span>
          </button>
        </div>

        <div className="modal-body">
          {keychain && !keychain.available ? (
            <div className="callout callout-warn">
              <div className="callout-body">
                <p className="callout-title">No keychain available</p>
                <p>Saving will fail until a system keychain answers: Auxilium stores mail passwords nowhere else. Test Connection still works.</p>
              </div>
            </div>
          ) : null}
          <div className="grid-2">
            <Field id="channel-name" label="Channel Name" error={nameError} hint="Shown on the channel card, e.g. Support Email.">
              <input
                className="input"
                type="text"
                autoComplete="off"
                autoFocus
                {...fieldAria('channel-name', nameError, { hint: true })}
                {...register('name')}
              />
            </Field>
            <Field id="channel-type" label="Channel Type" error={typeError}>
              <select className="select" {...fieldAria('channel-type', typeError)} {...register('type')}>
                {editing ? null : (
                  <option value="" disabled>
                    Choose a type…
                  </option>
                )}
                <option value="email">Email</option>
                <option value="webchat" disabled>
                  Web Chat (coming soon)
                </option>
              </select>
            </Field>
          </div>

          {type === 'email' ? (
            <>
              <fieldset className="preset" aria-describedby="preset-notes">
                <legend className="field-label">Provider</legend>
                <div className="segmented">
                  {PROVIDER_PRESETS.map((p) => (
                    <label key={p.id} className="segmented-option">
                      <input type="radio" name="preset" value={p.id} checked={preset === p.id} onChange={() => choosePreset(p.id)} />
                      <span>{p.label}</span>
                    </label>
                  ))}
                </div>
                <ul id="preset-notes" className="preset-notes" role="list">
                  {presetNotes.map((note) => (
                    <li key={note}>{note}</li>
                  ))}
                </ul>
              </fieldset>

              <AuthSection
                form={form}
                savedOAuth={savedOAuth}
                signingIn={signingIn}
                onSignIn={() => void signIn()}
                onCancelSignIn={() => pendingSignIn.current && cancelSignIn(pendingSignIn.current)}
              />
              {signInError ? <ErrorAlert error={signInError} title="Sign-in did not complete." onDismiss={() => setSignInError(null)} /> : null}

              <ServerSection protocol="imap" form={form} passwordSaved={Boolean(editing?.imap.hasPassword)} oauth={authMethod === 'oauth2'} />
              <ServerSection protocol="smtp" form={form} passwordSaved={Boolean(editing?.smtp.hasPassword)} oauth={authMethod === 'oauth2'} />

              <fieldset className="section" aria-labelledby="support-legend">
                <legend className="section-legend">
                  <h3 id="support-legend" className="section-title">
                    Support Email Address
                  </h3>
                </legend>
                <div className="grid-2">
                  <Field
                    id="support-address"
                    label="Support Address"
                    error={supportError}
                    hint="The address customers write to, e.g. support@company.com — usually the IMAP username and the From Address."
                  >
                    <input
                      className="input"
                      type="email"
                      autoComplete="off"
                      spellCheck={false}
                      {...fieldAria('support-address', supportError, { hint: true })}
                      {...register('supportAddress')}
                    />
                  </Field>
                </div>
              </fieldset>

              <InboxSettingsSection form={form} creating={!editing} />
            </>
          ) : null}

          <div ref={resultsRef} className="test-results" aria-busy={testing}>
            {test.status === 'idle' ? null : <h3 className="section-title">Connection test</h3>}
            <p className="sr-only" role="status">
              {testing
                ? 'Testing IMAP and SMTP…'
                : test.status === 'done'
                  ? `Test finished. IMAP ${test.result.imap.ok ? 'succeeded' : 'failed'}, SMTP ${test.result.smtp.ok ? 'succeeded' : 'failed'}.`
                  : ''}
            </p>
            {testing ? (
              <div className="test-running">
                <span className="spinner" aria-hidden="true" />
                Testing IMAP and SMTP… this takes at most about 15 seconds.
              </div>
            ) : null}
            {test.status === 'done' ? <TestResults result={test.result} form={form} /> : null}
            {test.status === 'failed' ? <ErrorAlert error={test.error} title="The connection test could not run." /> : null}
          </div>
        </div>

        {saveError ? (
          // Outside the scrolling body, so it is seen right where Create was clicked.
          <div className="modal-alert">
            <ErrorAlert
              error={saveError}
              title={editing ? 'The changes were not saved.' : 'The channel was not created.'}
              onDismiss={() => setSaveError(null)}
            />
          </div>
        ) : null}

        <div className="modal-footer">
          <button type="button" className="btn btn-secondary" aria-disabled={testing || undefined} onClick={() => void testConnection()}>
            {testing ? (
              <>
                <span className="spinner spinner-small" aria-hidden="true" />
                Testing…
              </>
            ) : (
              'Test Connection'
            )}
          </button>
          <div className="modal-footer-end">
            <button type="button" className="btn btn-ghost" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" aria-disabled={saving || undefined}>
              {saving ? (editing ? 'Saving…' : 'Creating…') : editing ? 'Save' : 'Create'}
            </button>
          </div>
        </div>
      </form>
    </Modal>
  );
}
