import { useState } from 'react';
import { useWatch, type UseFormReturn } from 'react-hook-form';
import { describeTlsMode, resolveTlsMode, type ChannelForm, type ChannelFormInput, type Protocol } from '../../../../shared/channel';
import { Field, fieldAria, hintId } from '../../components/Field';
import { tlsPortAdvice } from './format';

export type ChannelFormApi = UseFormReturn<ChannelFormInput, unknown, ChannelForm>;

const TITLE: Record<Protocol, { heading: string; lede: string; hostExample: string }> = {
  imap: { heading: 'IMAP Settings', lede: 'Incoming mail: how Auxilium reads your support mailbox.', hostExample: 'imap.example.com' },
  smtp: { heading: 'SMTP Settings', lede: 'Outgoing mail: how Auxilium sends your agents’ replies.', hostExample: 'smtp.example.com' },
};

export interface ServerSectionProps {
  protocol: Protocol;
  form: ChannelFormApi;
  /** Editing a channel whose password is stored: a blank field keeps it. */
  passwordSaved: boolean;
  /** The channel signs in with OAuth 2.0: no password field; the username is the mailbox address. */
  oauth?: boolean;
}

/** One fieldset named "IMAP Settings" / "SMTP Settings" with the server fields of the guide. */
export function ServerSection({ protocol, form, passwordSaved, oauth = false }: ServerSectionProps) {
  const { register, formState, control, setValue } = form;
  const errors = formState.errors[protocol];
  const [showPassword, setShowPassword] = useState(false);
  const [port, tls, tlsMode, trusted] = useWatch({
    control,
    name: [`${protocol}.port`, `${protocol}.tls`, `${protocol}.tlsMode`, `${protocol}.trustedCertificate`],
  });
  const mode = resolveTlsMode(protocol, { port, tls, tlsMode });
  const advice = tlsPortAdvice(protocol, { port, tls, tlsMode });
  const id = (name: string) => `${protocol}-${name}`;
  const { heading, lede, hostExample } = TITLE[protocol];
  const legendId = id('legend');

  return (
    <fieldset className="section" aria-labelledby={legendId}>
      <legend className="section-legend">
        <h3 id={legendId} className="section-title">
          {heading}
        </h3>
      </legend>
      <p className="section-lede">{lede}</p>

      <div className="grid-host">
        <Field id={id('host')} label="Host" error={errors?.host?.message}>
          <input
            className="input"
            type="text"
            autoComplete="off"
            spellCheck={false}
            placeholder={hostExample}
            {...fieldAria(id('host'), errors?.host?.message)}
            {...register(`${protocol}.host`)}
          />
        </Field>
        <Field id={id('port')} label="Port" error={errors?.port?.message} className="field-port">
          <input
            className="input"
            type="number"
            inputMode="numeric"
            min={1}
            max={65535}
            step={1}
            {...fieldAria(id('port'), errors?.port?.message)}
            {...register(`${protocol}.port`, { valueAsNumber: true })}
          />
        </Field>
      </div>
      <div className="grid-2">
        <Field
          id={id('username')}
          label="Username"
          error={errors?.username?.message}
          hint={oauth ? 'The mailbox address the sign-in opens.' : 'Usually the full email address.'}
        >
          <input
            className="input"
            type="text"
            autoComplete="off"
            spellCheck={false}
            {...fieldAria(id('username'), errors?.username?.message, { hint: true })}
            {...register(`${protocol}.username`)}
          />
        </Field>
        {oauth ? null : (
          <Field
            id={id('password')}
            label="Password"
            error={errors?.password?.message}
            hint={
              passwordSaved
                ? 'A password is saved in the keychain. Leave blank to keep it; type a new one to replace it.'
                : 'The account password or an app-specific password. It is stored in your system keychain.'
            }
          >
            <div className="input-group">
              <input
                className="input"
                type={showPassword ? 'text' : 'password'}
                autoComplete="new-password"
                spellCheck={false}
                placeholder={passwordSaved ? 'Saved — leave blank to keep' : undefined}
                {...fieldAria(id('password'), errors?.password?.message, { hint: true })}
                {...register(`${protocol}.password`)}
              />
              <button type="button" className="input-addon" aria-controls={id('password')} onClick={() => setShowPassword((v) => !v)}>
                <EyeIcon crossed={showPassword} />
                <span className="sr-only">{showPassword ? 'Hide password' : 'Show password'}</span>
              </button>
            </div>
          </Field>
        )}
      </div>

      <div className="tls-row">
        <div className="switch-field">
          <label htmlFor={id('tls')} className="field-label">
            TLS/SSL
          </label>
          <input type="checkbox" role="switch" className="switch" id={id('tls')} aria-describedby={id('tls-mode-text')} {...register(`${protocol}.tls`)} />
        </div>
        <div className="field field-inline">
          <label htmlFor={id('tls-mode')} className="field-label field-label-muted">
            TLS mode
          </label>
          <select className="select select-small" id={id('tls-mode')} aria-describedby={hintId(id('tls-mode'))} {...register(`${protocol}.tlsMode`)}>
            <option value="auto">Automatic by port</option>
            <option value="implicit">Implicit TLS</option>
            <option value="starttls">STARTTLS</option>
          </select>
          <span id={hintId(id('tls-mode'))} className="sr-only">
            Advanced: only needed for servers on unusual ports.
          </span>
        </div>
      </div>
      <p id={id('tls-mode-text')} className={`tls-mode tls-mode-${mode}`} aria-live="polite">
        {mode === 'none' ? <strong>Warning: </strong> : null}
        {describeTlsMode(mode)}
        {advice ? <span className="tls-advice">{advice}</span> : null}
      </p>

      {trusted ? (
        <div className="note note-warn trusted-note">
          <p>
            Trusted certificate: SHA-256 <span className="mono text-break">{trusted.fingerprint256}</span>
          </p>
          <p className="muted">This channel accepts this certificate although no public authority vouches for it.</p>
          <button type="button" className="btn btn-secondary btn-small" onClick={() => setValue(`${protocol}.trustedCertificate`, null, { shouldDirty: true })}>
            Stop trusting
          </button>
        </div>
      ) : null}

      {protocol === 'imap' ? (
        <div className="grid-2">
          <Field
            id="imap-mailbox"
            label="Mailbox"
            error={form.formState.errors.imap?.mailbox?.message}
            hint="The folder to watch. Leave as INBOX unless you want another folder."
          >
            <input
              className="input"
              type="text"
              autoComplete="off"
              spellCheck={false}
              {...fieldAria('imap-mailbox', form.formState.errors.imap?.mailbox?.message, { hint: true })}
              {...register('imap.mailbox')}
            />
          </Field>
        </div>
      ) : (
        <div className="grid-2">
          <Field
            id="smtp-from-name"
            label="From Name"
            aside="Optional"
            error={form.formState.errors.smtp?.fromName?.message}
            hint="The display name on outgoing email, e.g. Acme Support."
          >
            <input
              className="input"
              type="text"
              autoComplete="off"
              {...fieldAria('smtp-from-name', form.formState.errors.smtp?.fromName?.message, { hint: true })}
              {...register('smtp.fromName')}
            />
          </Field>
          <Field
            id="smtp-from-address"
            label="From Address"
            error={form.formState.errors.smtp?.fromAddress?.message}
            hint="Customers see this address and reply to it."
          >
            <input
              className="input"
              type="email"
              autoComplete="off"
              spellCheck={false}
              {...fieldAria('smtp-from-address', form.formState.errors.smtp?.fromAddress?.message, { hint: true })}
              {...register('smtp.fromAddress')}
            />
          </Field>
        </div>
      )}
    </fieldset>
  );
}

function EyeIcon({ crossed }: { crossed: boolean }) {
  return (
    <svg
      width="16"
      height="16"
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d="M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12z" />
      <circle cx="12" cy="12" r="3" />
      {crossed ? <path d="M3 3l18 18" /> : null}
    </svg>
  );
}
