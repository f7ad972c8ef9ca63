import { z } from 'zod';

/**
 * OAuth 2.0 sign-in for a channel's mailbox. Microsoft 365, Google and any other provider go through
 * the same code; only the endpoints, the scopes and a few authorization parameters differ, and they
 * are all in this file.
 */

export const oauthProviderSchema = z.enum(['microsoft365', 'google', 'oidc']);
export type OAuthProvider = z.infer<typeof oauthProviderSchema>;

/**
 * interactive: an admin signs in once in the browser (authorization code with PKCE) and the app keeps
 * the refresh token. app-only: the app signs in as itself with a client secret (client credentials),
 * as Microsoft 365 offers for shared mailboxes.
 */
export const oauthFlowSchema = z.enum(['interactive', 'app-only']);
export type OAuthFlow = z.infer<typeof oauthFlowSchema>;

/** basic: a username and password per server (SASL PLAIN/LOGIN); oauth2: one OAuth 2.0 sign-in for both. */
export const authMethodSchema = z.enum(['basic', 'oauth2']);

/** The Authentication part of the channel form; IMAP and SMTP use the same sign-in. */
export const authFormSchema = z.object({
  method: authMethodSchema,
  provider: oauthProviderSchema,
  flow: oauthFlowSchema,
  /** Microsoft 365: the directory (tenant) ID or domain, or "organizations". */
  tenant: z.string().trim().max(200),
  /** Other provider: the issuer URL; its endpoints come from /.well-known/openid-configuration. */
  issuer: z.string().trim().max(2000),
  /** Other provider: the scopes to ask for (Microsoft 365 and Google have fixed ones). */
  scope: z.string().trim().max(2000),
  clientId: z.string().trim().max(500),
  /** Write-only, like passwords: blank keeps the stored one. Kept only in the OS keychain. */
  clientSecret: z.string().max(4000),
  /** A completed sign-in whose tokens the main side holds for this form until it is saved. */
  signInId: z.string().max(64),
});
export type AuthForm = z.infer<typeof authFormSchema>;

/** Auth settings as stored and shown: no secret, no pending sign-in. */
export const storedAuthSchema = authFormSchema.omit({ clientSecret: true, signInId: true });
export type StoredAuth = z.infer<typeof storedAuthSchema>;

export const DEFAULT_AUTH: AuthForm = {
  method: 'basic',
  provider: 'microsoft365',
  flow: 'interactive',
  tenant: 'organizations',
  issuer: '',
  scope: 'openid offline_access',
  clientId: '',
  clientSecret: '',
  signInId: '',
};

export const MICROSOFT_DELEGATED_SCOPES = ['https://outlook.office.com/IMAP.AccessAsUser.All', 'https://outlook.office.com/SMTP.Send', 'offline_access'];
export const MICROSOFT_APP_ONLY_SCOPE = 'https://outlook.office365.com/.default';
export const GOOGLE_MAIL_SCOPE = 'https://mail.google.com/';

export interface OAuthEndpoints {
  authorizationEndpoint: string;
  tokenEndpoint: string;
}

/** Fixed endpoints; undefined for "other provider", whose endpoints are discovered from its issuer. */
export function fixedEndpoints(auth: Pick<StoredAuth, 'provider' | 'tenant'>): OAuthEndpoints | undefined {
  switch (auth.provider) {
    case 'microsoft365': {
      const base = `https://login.microsoftonline.com/${encodeURIComponent(auth.tenant || 'organizations')}/oauth2/v2.0`;
      return { authorizationEndpoint: `${base}/authorize`, tokenEndpoint: `${base}/token` };
    }
    case 'google':
      return { authorizationEndpoint: 'https://accounts.google.com/o/oauth2/v2/auth', tokenEndpoint: 'https://oauth2.googleapis.com/token' };
    case 'oidc':
      return undefined;
  }
}

export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/** The scopes the app asks for, space-separated. */
export function oauthScope(auth: Pick<StoredAuth, 'provider' | 'flow' | 'scope'>): string {
  switch (auth.provider) {
    case 'microsoft365':
      return auth.flow === 'app-only' ? MICROSOFT_APP_ONLY_SCOPE : MICROSOFT_DELEGATED_SCOPES.join(' ');
    case 'google':
      return GOOGLE_MAIL_SCOPE;
    case 'oidc':
      return auth.scope;
  }
}

/**
 * Authorization parameters beyond the standard ones. Google returns a refresh token only with
 * access_type=offline and, to be sure of getting a new one, prompt=consent; OpenID Connect providers
 * honour offline_access only with prompt=consent.
 */
export function extraAuthorizationParams(auth: Pick<StoredAuth, 'provider'>): Record<string, string> {
  switch (auth.provider) {
    case 'microsoft365':
      return { prompt: 'select_account' };
    case 'google':
      return { access_type: 'offline', prompt: 'consent' };
    case 'oidc':
      return { prompt: 'consent' };
  }
}

/** Client credentials are Microsoft 365's app-only access; Gmail has no such grant for mail. */
export function supportsAppOnly(provider: OAuthProvider): boolean {
  return provider !== 'google';
}

type Issue = { path: string[]; message: string };

/** What an OAuth form still lacks, with the field it belongs to. */
export function authIssues(auth: AuthForm): Issue[] {
  if (auth.method !== 'oauth2') return [];
  const issues: Issue[] = [];
  if (!auth.clientId) issues.push({ path: ['auth', 'clientId'], message: 'Client ID is required: copy it from your app registration' });
  if (auth.provider === 'microsoft365' && !auth.tenant) {
    issues.push({ path: ['auth', 'tenant'], message: 'Tenant is required: your directory (tenant) ID, your domain, or "organizations"' });
  }
  if (auth.provider === 'oidc') {
    if (!/^https?:\/\/[^\s/]+/i.test(auth.issuer)) issues.push({ path: ['auth', 'issuer'], message: 'Enter the issuer URL, e.g. https://login.example.com' });
    if (auth.flow === 'interactive' && !auth.scope) issues.push({ path: ['auth', 'scope'], message: 'Enter the scopes the mail server needs' });
  }
  if (auth.flow === 'app-only' && !supportsAppOnly(auth.provider)) {
    issues.push({ path: ['auth', 'flow'], message: 'Google offers no app-only access to Gmail; use Sign in' });
  }
  return issues;
}

export const PROVIDER_LABELS: Record<OAuthProvider, string> = {
  microsoft365: 'OAuth 2.0 — Microsoft 365',
  google: 'OAuth 2.0 — Google',
  oidc: 'OAuth 2.0 — other provider',
};
