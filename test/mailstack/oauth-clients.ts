// What tests do at the mail stack's authorization server over plain HTTP: register clients
// (RFC 7591), and withdraw an account's consent. No oidc-provider code is loaded for this.
import type { ClientMetadata } from 'oidc-provider';
import type { AuthServerInfo } from './auth-server';

const HOST = '127.0.0.1';

/** Withdraws the account's consent at the server: its refresh and access tokens stop working. */
export async function revokeAccount(info: Pick<AuthServerInfo, 'issuer'>, account: string): Promise<number> {
  const res = await fetch(`${info.issuer}/test/revoke-account`, { method: 'POST', body: new URLSearchParams({ account }) });
  if (!res.ok) throw new Error(`revoke failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { revokedGrants: number }).revokedGrants;
}

type Registration = Omit<ClientMetadata, 'client_id'> & { access_token_lifetime?: number; mailbox?: string };

/** Ends one access token at the server before its time; the sign-in (refresh token) stays valid. */
export async function endAccessToken(info: Pick<AuthServerInfo, 'issuer'>, token: string): Promise<void> {
  const res = await fetch(`${info.issuer}/test/end-access-token`, { method: 'POST', body: new URLSearchParams({ token }) });
  if (!res.ok || !((await res.json()) as { ended: boolean }).ended) throw new Error('no such access token');
}

/** Registers a client (RFC 7591) and returns its id and, for confidential clients, its secret. */
export async function registerClient(
  info: Pick<AuthServerInfo, 'registrationEndpoint'>,
  metadata: Registration,
): Promise<{ clientId: string; clientSecret?: string }> {
  const res = await fetch(info.registrationEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(metadata),
  });
  const json = (await res.json()) as { client_id?: string; client_secret?: string; error_description?: string };
  if (!res.ok || !json.client_id) throw new Error(`client registration failed: ${res.status} ${json.error_description ?? ''}`);
  return { clientId: json.client_id, ...(json.client_secret ? { clientSecret: json.client_secret } : {}) };
}

/** A native app's registration (RFC 8252): public client, PKCE, loopback redirect on any port. */
export function nativeAppClient(opts: { accessTokenLifetime?: number } = {}): Registration {
  return {
    application_type: 'native',
    client_name: 'Auxilium Desktop (test)',
    redirect_uris: [`http://${HOST}/`],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...(opts.accessTokenLifetime ? { access_token_lifetime: opts.accessTokenLifetime } : {}),
  };
}

/** An app-only registration (client credentials) granted one mailbox. */
export function appOnlyClient(mailbox: string, opts: { accessTokenLifetime?: number } = {}): Registration {
  return {
    client_name: 'Auxilium Desktop shared mailbox (test)',
    redirect_uris: [],
    response_types: [],
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_post',
    mailbox,
    ...(opts.accessTokenLifetime ? { access_token_lifetime: opts.accessTokenLifetime } : {}),
  };
}
