import { useWatch } from 'react-hook-form';
import {
  MICROSOFT_DELEGATED_SCOPES,
  MICROSOFT_APP_ONLY_SCOPE,
  GOOGLE_MAIL_SCOPE,
  PROVIDER_LABELS,
  supportsAppOnly,
  type OAuthProvider,
} from '../../../../shared/oauth';
import { Field, fieldAria } from '../../components/Field';
import type { ChannelFormApi } from './ServerSection';

type Choice = 'basic' | OAuthProvider;

const CHOICES: { value: Choice; label: string }[] = [
  { value: 'basic', label: 'Password' },
  ...(Object.entries(PROVIDER_LABELS) as [OAuthProvider, string][]).map(([value, label]) => ({ value, label })),
];

export interface AuthSectionProps {
  form: ChannelFormApi;
  /** Editing a saved OAuth channel: its sign-in and client secret are stored. */
  savedOAuth: boolean;
  signingIn: boolean;
  onSignIn(): void;
  onCancelSignIn(): void;
}

/** How IMAP and SMTP sign in: the passwords in the server sections, or OAuth 2.0 with one sign-in for both. */
export function AuthSection({ form, savedOAuth, signingIn, onSignIn, onCancelSignIn }: AuthSectionProps) {
  const { register, control, setValue, clearErrors, formState } = form;
  const errors = formState.errors.auth;
  const [method, watchedProvider, flow, signInId] = useWatch({ control, name: ['auth.method', 'auth.provider', 'auth.flow', 'auth.signInId'] });
  const provider = watchedProvider ?? 'microsoft365';
  const choice: Choice = method === 'oauth2' ? provider : 'basic';

  function choose(value: Choice) {
    if (value === 'basic') {
      setValue('auth.method', 'basic', { shouldDirty: true });
    } else {
      setValue('auth.method', 'oauth2', { shouldDirty: true });
      setValue('auth.provider', value, { shouldDirty: true });
      if (!supportsAppOnly(value)) setValue('auth.flow', 'interactive', { shouldDirty: true });
    }
    // A sign-in belongs to the provider and app it was made with.
    setValue('auth.signInId', '', { shouldDirty: true });
    clearErrors('auth');
  }

  const appOnly = flow === 'app-only';
  const secretHint = savedOAuth ? 'A secret is saved in the keychain. Leave blank to keep it.' : 'Stored in your system keychain only.';

  return (
    <fieldset className="section" aria-labelledby="auth-legend">
      <legend className="section-legend">
        <h3 id="auth-legend" className="section-title">
          Authentication
        </h3>
      </legend>
      <p className="section-lede">How Auxilium signs in to IMAP and SMTP. Both use the same sign-in.</p>
      <div className="grid-2">
        <Field id="auth-method" label="Sign-in method">
          <select className="select" id="auth-method" value={choice} onChange={(e) => choose(e.target.value as Choice)}>
            {CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </Field>
        {method === 'oauth2' && supportsAppOnly(provider) ? (
          <Field id="auth-flow" label="Access">
            <select className="select" id="auth-flow" {...register('auth.flow', { onChange: () => setValue('auth.signInId', '') })}>
              <option value="interactive">Sign in as the mailbox user</option>
              <option value="app-only">App-only (shared mailbox, client secret)</option>
            </select>
          </Field>
        ) : null}
      </div>

      {method === 'oauth2' ? (
        <>
          <RegistrationHelp provider={provider} appOnly={appOnly} />
          <div className="grid-2">
            {provider === 'microsoft365' ? (
              <Field
                id="auth-tenant"
                label="Tenant"
                error={errors?.tenant?.message}
                hint="Directory (tenant) ID or domain; “organizations” for any work account."
              >
                <input
                  className="input"
                  type="text"
                  autoComplete="off"
                  spellCheck={false}
                  {...fieldAria('auth-tenant', errors?.tenant?.message, { hint: true })}
                  {...register('auth.tenant')}
                />
              </Field>
            ) : null}
            {provider === 'oidc' ? (
              <Field id="auth-issuer" label="Issuer URL" error={errors?.issuer?.message} hint="Endpoints are read from its /.well-known/openid-configuration.">
                <input
                  className="input"
                  type="url"
                  autoComplete="off"
                  spellCheck={false}
                  {...fieldAria('auth-issuer', errors?.issuer?.message, { hint: true })}
                  {...register('auth.issuer')}
                />
              </Field>
            ) : null}
            {provider === 'oidc' ? (
              <Field
                id="auth-scope"
                label="Scopes"
                error={errors?.scope?.message}
                hint="Space-separated, as your mail server requires; include offline_access to stay signed in."
              >
                <input
                  className="input"
                  type="text"
                  autoComplete="off"
                  spellCheck={false}
                  {...fieldAria('auth-scope', errors?.scope?.message, { hint: true })}
                  {...register('auth.scope')}
                />
              </Field>
            ) : null}
            <Field id="auth-client-id" label="Client ID" error={errors?.clientId?.message} hint="Application (client) ID of your app registration.">
              <input
                className="input"
                type="text"
                autoComplete="off"
                spellCheck={false}
                {...fieldAria('auth-client-id', errors?.clientId?.message, { hint: true })}
                {...register('auth.clientId', { onChange: () => setValue('auth.signInId', '') })}
              />
            </Field>
            {appOnly || provider !== 'microsoft365' ? (
              <Field
                id="auth-client-secret"
                label="Client secret"
                aside={appOnly ? undefined : 'If your app has one'}
                error={errors?.clientSecret?.message}
                hint={secretHint}
              >
                <input
                  className="input"
                  type="password"
                  autoComplete="new-password"
                  spellCheck={false}
                  placeholder={savedOAuth ? 'Saved — leave blank to keep' : undefined}
                  {...fieldAria('auth-client-secret', errors?.clientSecret?.message, { hint: true })}
                  {...register('auth.clientSecret')}
                />
              </Field>
            ) : null}
          </div>
          {appOnly ? (
            <p className="muted">The app signs in as itself with the client secret; Username below is the mailbox it opens.</p>
          ) : (
            <div className="sign-in-row">
              <button type="button" className="btn btn-secondary" aria-disabled={signingIn || undefined} onClick={onSignIn}>
                {signingIn ? 'Waiting for the browser…' : signInId || savedOAuth ? 'Sign in again' : 'Sign in'}
              </button>
              {signingIn ? (
                <button type="button" className="btn btn-ghost btn-small" onClick={onCancelSignIn}>
                  Cancel sign-in
                </button>
              ) : null}
              <p className="muted" role="status" id="auth-sign-in-status">
                {signingIn
                  ? 'Complete the sign-in in your browser, then come back here.'
                  : signInId
                    ? 'Signed in. The sign-in is saved with the channel.'
                    : savedOAuth
                      ? 'Signed in (saved in the keychain).'
                      : 'Not signed in yet.'}
              </p>
              {errors?.signInId?.message ? <p className="field-error">{errors.signInId.message}</p> : null}
            </div>
          )}
        </>
      ) : null}
    </fieldset>
  );
}

function RegistrationHelp({ provider, appOnly }: { provider: OAuthProvider; appOnly: boolean }) {
  if (provider === 'microsoft365') {
    return appOnly ? (
      <ul className="preset-notes" role="list">
        <li>Register an app in the Microsoft Entra admin center (App registrations › New registration) and create a client secret.</li>
        <li>
          API permissions › Add › APIs my organization uses › Office 365 Exchange Online › Application permissions: IMAP.AccessAsApp and SMTP.SendAsApp; grant
          admin consent. Scope used: {MICROSOFT_APP_ONLY_SCOPE}
        </li>
        <li>
          In Exchange Online PowerShell: New-ServicePrincipal for the app, then Add-MailboxPermission for the shared mailbox. Enable SMTP AUTH for the mailbox.
        </li>
      </ul>
    ) : (
      <ul className="preset-notes" role="list">
        <li>
          Register an app in the Microsoft Entra admin center (App registrations › New registration), platform “Mobile and desktop applications”, redirect URI
          http://localhost.
        </li>
        <li>API permissions (delegated): {MICROSOFT_DELEGATED_SCOPES.join(', ')}. Authentication › Allow public client flows: Yes.</li>
        <li>Enter the Application (client) ID and your tenant, then Sign in with the mailbox account.</li>
      </ul>
    );
  }
  if (provider === 'google') {
    return (
      <ul className="preset-notes" role="list">
        <li>In Google Cloud console: enable the Gmail API, configure the OAuth consent screen, and add the scope {GOOGLE_MAIL_SCOPE}.</li>
        <li>Credentials › Create credentials › OAuth client ID › Desktop app; enter its client ID and client secret here.</li>
        <li>Apps left in “Testing” status lose their sign-in after 7 days: publish the app, or make it Internal in Google Workspace.</li>
      </ul>
    );
  }
  return (
    <ul className="preset-notes" role="list">
      <li>Register a native (desktop) app with your provider: redirect URI http://127.0.0.1 (any port), PKCE, refresh tokens allowed.</li>
      <li>Ask for the scopes your mail server accepts for IMAP and SMTP; the server must support SASL XOAUTH2 or OAUTHBEARER.</li>
    </ul>
  );
}
