import { discoveryUrl, fixedEndpoints, type OAuthEndpoints, type StoredAuth } from '../../../shared/oauth';
import { classifyOAuthError, OAuthFailure, oauthErrorDetail } from './oauth-failure';

/** What a token endpoint gave: the access token with its lifetime, maybe a (new) refresh token. */
export interface TokenSet {
  accessToken: string;
  issuedAt: number;
  expiresAt: number;
  refreshToken?: string;
}

const TIMEOUT_MS = 20_000;
/** RFC 6749 makes expires_in optional; an hour is what Microsoft and Google give. */
const DEFAULT_LIFETIME_S = 3600;

/** POSTs a token request (RFC 6749 §4.1.3, §4.4.2, §6) and reads the answer or the error. */
export async function requestToken(tokenEndpoint: string, params: Record<string, string>, now: () => number = Date.now): Promise<TokenSet> {
  const issuedAt = now();
  const res = await fetchOrFail(tokenEndpoint, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  const json = await readJson(res);
  const accessToken = typeof json.access_token === 'string' ? json.access_token : '';
  if (!res.ok || !accessToken) {
    const error = typeof json.error === 'string' ? json.error : `HTTP ${res.status}`;
    const description = typeof json.error_description === 'string' ? json.error_description : '';
    throw new OAuthFailure(classifyOAuthError(error, description), oauthErrorDetail(error, description));
  }
  const lifetime = Number(json.expires_in) > 0 ? Number(json.expires_in) : DEFAULT_LIFETIME_S;
  return {
    accessToken,
    issuedAt,
    expiresAt: issuedAt + lifetime * 1000,
    ...(typeof json.refresh_token === 'string' && json.refresh_token ? { refreshToken: json.refresh_token } : {}),
  };
}

/** Microsoft and Google have fixed endpoints; another provider describes its own (OpenID Connect Discovery). */
export async function resolveEndpoints(auth: Pick<StoredAuth, 'provider' | 'tenant' | 'issuer'>): Promise<OAuthEndpoints> {
  const fixed = fixedEndpoints(auth);
  if (fixed) return fixed;
  const url = discoveryUrl(auth.issuer);
  const res = await fetchOrFail(url, { headers: { accept: 'application/json' } });
  const json = await readJson(res);
  const { authorization_endpoint: authorizationEndpoint, token_endpoint: tokenEndpoint } = json;
  if (!res.ok || typeof authorizationEndpoint !== 'string' || typeof tokenEndpoint !== 'string') {
    throw new OAuthFailure('OAUTH_PROVIDER_UNREACHABLE', `${url} did not describe an authorization and a token endpoint (HTTP ${res.status})`);
  }
  return { authorizationEndpoint, tokenEndpoint };
}

async function fetchOrFail(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new OAuthFailure('OAUTH_PROVIDER_UNREACHABLE', `${new URL(url).origin}: ${cause ?? (err as Error).message}`);
  }
}

async function readJson(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  } catch {
    return { error: `HTTP ${res.status}`, error_description: text.slice(0, 300) };
  }
}
