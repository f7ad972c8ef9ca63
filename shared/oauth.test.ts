import { describe, expect, it } from 'vitest';
import { createChannelInput, defaultChannelForm, type ChannelForm } from './channel';
import { extraAuthorizationParams, fixedEndpoints, oauthScope, type AuthForm } from './oauth';

function form(auth: Partial<AuthForm>): ChannelForm {
  const base = defaultChannelForm();
  const server = { host: 'outlook.office365.com', username: 'support@contoso.com', password: '' };
  return {
    ...base,
    name: 'Support',
    imap: { ...base.imap, ...server },
    smtp: { ...base.smtp, ...server, host: 'smtp.office365.com', fromAddress: 'support@contoso.com' },
    supportAddress: 'support@contoso.com',
    auth: { ...base.auth, method: 'oauth2', provider: 'microsoft365', clientId: 'c1', tenant: 'contoso.onmicrosoft.com', ...auth },
  };
}

function issues(values: ChannelForm): Record<string, string> {
  const parsed = createChannelInput.safeParse(values);
  return parsed.success ? {} : Object.fromEntries(parsed.error.issues.map((i) => [i.path.join('.'), i.message]));
}

describe('OAuth channel form', () => {
  it('needs a sign-in instead of passwords to create an interactive OAuth channel', () => {
    expect(issues(form({}))).toEqual({ 'auth.signInId': 'Sign in with the mailbox account first' });
    expect(issues(form({ signInId: 'abc' }))).toEqual({});
  });

  it('needs the client secret for app-only access, and refuses app-only for Google', () => {
    expect(issues(form({ flow: 'app-only' }))['auth.clientSecret']).toMatch(/Client secret is required/);
    expect(issues(form({ flow: 'app-only', clientSecret: 's' }))).toEqual({});
    expect(issues(form({ provider: 'google', flow: 'app-only', clientSecret: 's' }))['auth.flow']).toMatch(/Google offers no app-only access/);
  });

  it('names the missing client ID, tenant, issuer and scopes on their fields', () => {
    expect(issues(form({ clientId: '', signInId: 'x' }))['auth.clientId']).toMatch(/Client ID is required/);
    expect(issues(form({ tenant: '', signInId: 'x' }))['auth.tenant']).toMatch(/Tenant is required/);
    const other = issues(form({ provider: 'oidc', issuer: 'login.example.com', scope: '', signInId: 'x' }));
    expect(other['auth.issuer']).toMatch(/issuer URL/);
    expect(other['auth.scope']).toMatch(/scopes/);
  });

  it('still requires passwords for password channels', () => {
    expect(issues(form({ method: 'basic' }))).toMatchObject({ 'imap.password': 'Password is required', 'smtp.password': 'Password is required' });
  });
});

describe('providers differ only in endpoints, scopes and authorization parameters', () => {
  it('Microsoft 365: tenant endpoints, IMAP/SMTP scopes with offline_access, .default for app-only', () => {
    expect(fixedEndpoints({ provider: 'microsoft365', tenant: 'contoso.onmicrosoft.com' })).toEqual({
      authorizationEndpoint: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
      tokenEndpoint: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
    });
    expect(oauthScope({ provider: 'microsoft365', flow: 'interactive', scope: '' })).toBe(
      'https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access',
    );
    expect(oauthScope({ provider: 'microsoft365', flow: 'app-only', scope: '' })).toBe('https://outlook.office365.com/.default');
  });

  it('Google: fixed endpoints, the mail scope, offline access with consent', () => {
    expect(fixedEndpoints({ provider: 'google', tenant: '' })?.tokenEndpoint).toBe('https://oauth2.googleapis.com/token');
    expect(oauthScope({ provider: 'google', flow: 'interactive', scope: 'ignored' })).toBe('https://mail.google.com/');
    expect(extraAuthorizationParams({ provider: 'google' })).toEqual({ access_type: 'offline', prompt: 'consent' });
  });

  it('other provider: endpoints come from discovery, scopes from the form', () => {
    expect(fixedEndpoints({ provider: 'oidc', tenant: '' })).toBeUndefined();
    expect(oauthScope({ provider: 'oidc', flow: 'interactive', scope: 'openid offline_access mail' })).toBe('openid offline_access mail');
  });
});
