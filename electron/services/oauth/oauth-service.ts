import { randomUUID } from 'node:crypto';
import { extraAuthorizationParams, oauthScope, type StoredAuth } from '../../../shared/oauth';
import { oauthCredentialAccount, type CredentialStore } from '../credentials/credential-store';
import type { Logger } from '../logging/logger';
import type { AccessTokenSource } from '../mail-login';
import { startAuthorization, type PendingAuthorization } from './loopback';
import { OAuthFailure } from './oauth-failure';
import { requestToken, resolveEndpoints, type TokenSet } from './token-endpoint';
import { OAuthTokenSource } from './token-source';

export interface OAuthServiceDeps {
  credentials: CredentialStore;
  log: Logger;
  /** Opens the system browser (Electron's shell.openExternal). Without it the renderer opens the URL. */
  openExternal?: (url: string) => Promise<void>;
  now?: () => number;
  /** How long a sign-in waits for the browser to come back. */
  signInTimeoutMs?: number;
}

/** Told when a saved channel's sign-in stopped working, so its card can say "Sign in again". */
export type SignInLost = (channelId: string, failure: OAuthFailure) => void;

/** The sign-in settings plus the client secret (from the form, or the keychain when editing). */
export type OAuthClient = StoredAuth & { clientSecret: string };

interface SignIn {
  client: OAuthClient;
  authorization: PendingAuthorization;
  /** The code exchange; its tokens stay here (memory only) until the channel is saved. */
  tokens: Promise<TokenSet>;
  source?: OAuthTokenSource;
}

const SIGN_IN_TIMEOUT_MS = 10 * 60_000;
/** An unsaved sign-in is dropped after this long. */
const SIGN_IN_KEPT_MS = 60 * 60_000;

/**
 * Sign-in and tokens for OAuth channels. The refresh token and the client secret go to the OS
 * keychain, never anywhere else; access tokens stay in memory. One token source per channel is
 * shared by all its sessions.
 */
export class OAuthService {
  private readonly signIns = new Map<string, SignIn>();
  private readonly sources = new Map<string, { key: string; source: OAuthTokenSource }>();
  private readonly now: () => number;
  /** Set by the core once the channel service exists. */
  onSignInLost: SignInLost = () => undefined;

  constructor(private readonly deps: OAuthServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Starts an interactive sign-in: a loopback listener, the authorization URL, and (in Electron) the
   * system browser. `finishSignIn` waits for the result.
   */
  async startSignIn(client: OAuthClient): Promise<{ signInId: string; authorizationUrl: string; openedInBrowser: boolean }> {
    const endpoints = await resolveEndpoints(client);
    const authorization = await startAuthorization({
      authorizationEndpoint: endpoints.authorizationEndpoint,
      clientId: client.clientId,
      scope: oauthScope(client),
      extraParams: extraAuthorizationParams(client),
      timeoutMs: this.deps.signInTimeoutMs ?? SIGN_IN_TIMEOUT_MS,
    });
    const tokens = authorization.code.then((code) =>
      requestToken(
        endpoints.tokenEndpoint,
        {
          grant_type: 'authorization_code',
          code,
          redirect_uri: authorization.redirectUri,
          code_verifier: authorization.verifier,
          client_id: client.clientId,
          ...secretParam(client.clientSecret),
        },
        this.now,
      ),
    );
    tokens.catch(() => undefined);
    const signInId = randomUUID();
    this.signIns.set(signInId, { client, authorization, tokens });
    setTimeout(() => this.dropSignIn(signInId), SIGN_IN_KEPT_MS).unref();
    let openedInBrowser = false;
    if (this.deps.openExternal) {
      await this.deps.openExternal(authorization.url);
      openedInBrowser = true;
    }
    return { signInId, authorizationUrl: authorization.url, openedInBrowser };
  }

  /** Resolves once the provider sent the browser back and the code was exchanged for tokens. */
  async finishSignIn(signInId: string): Promise<void> {
    const tokens = await this.signIn(signInId).tokens;
    if (!tokens.refreshToken) {
      // Without one the channel would stop working within the hour.
      throw new OAuthFailure('OAUTH_SIGN_IN_FAILED', 'The provider did not return a refresh token (offline access was not granted)');
    }
    this.deps.log.info({ signInId }, 'oauth: signed in');
  }

  cancelSignIn(signInId: string): void {
    this.signIns.get(signInId)?.authorization.cancel();
    this.dropSignIn(signInId);
  }

  /** Tokens of a completed sign-in that is not saved yet, for Test Connection. */
  signInTokens(signInId: string): AccessTokenSource {
    const signIn = this.signIn(signInId);
    let exchanged = true;
    signIn.source ??= new OAuthTokenSource(async () => {
      const current = await signIn.tokens;
      // The code exchange's own access token first; refreshed only once that one is used up.
      if (exchanged) {
        exchanged = false;
        return current;
      }
      if (!current.refreshToken) throw new OAuthFailure('OAUTH_SIGN_IN_EXPIRED', 'No refresh token');
      const renewed = await this.refresh(signIn.client, current.refreshToken);
      // A rotated refresh token replaces the old one, which the provider may no longer accept.
      signIn.tokens = Promise.resolve({ ...renewed, refreshToken: renewed.refreshToken ?? current.refreshToken });
      return renewed;
    }, this.now);
    return signIn.source;
  }

  /** Client-credentials tokens for settings not saved yet (Test Connection of an app-only form). */
  appOnlyTokens(client: OAuthClient): AccessTokenSource {
    return new OAuthTokenSource(() => this.clientCredentials(client), this.now);
  }

  /** Saves what the channel needs to get tokens later: the sign-in's refresh token, the client secret. */
  async saveForChannel(channelId: string, client: OAuthClient, signInId: string): Promise<void> {
    if (client.clientSecret) await this.deps.credentials.set(oauthCredentialAccount(channelId, 'client-secret'), client.clientSecret);
    if (signInId) {
      const tokens = await this.signIn(signInId).tokens;
      if (!tokens.refreshToken) throw new OAuthFailure('OAUTH_SIGN_IN_FAILED', 'The sign-in gave no refresh token');
      await this.deps.credentials.set(oauthCredentialAccount(channelId, 'refresh-token'), tokens.refreshToken);
      this.dropSignIn(signInId);
    }
    // Whatever the channel's sessions held belongs to the old settings or the old sign-in.
    this.sources.delete(channelId);
  }

  async storedClientSecret(channelId: string): Promise<string> {
    return (await this.deps.credentials.get(oauthCredentialAccount(channelId, 'client-secret'))) ?? '';
  }

  /** The channel's one token source; a new one when its settings changed. */
  channelTokens(channelId: string, auth: StoredAuth): AccessTokenSource {
    const key = JSON.stringify(auth);
    const known = this.sources.get(channelId);
    if (known?.key === key) return known.source;
    const source = new OAuthTokenSource(
      () => this.renewForChannel(channelId, auth),
      this.now,
      (failure) => {
        this.deps.log.warn({ channelId, code: failure.oauthCode }, 'oauth: the sign-in is no longer valid');
        this.onSignInLost(channelId, failure);
      },
    );
    this.sources.set(channelId, { key, source });
    return source;
  }

  /** Removes the channel's keychain entries (deleted channel, or back to passwords). */
  async forget(channelId: string): Promise<void> {
    this.sources.delete(channelId);
    for (const item of ['refresh-token', 'client-secret'] as const) await this.deps.credentials.delete(oauthCredentialAccount(channelId, item));
  }

  private async renewForChannel(channelId: string, auth: StoredAuth): Promise<TokenSet> {
    const client = { ...auth, clientSecret: await this.storedClientSecret(channelId) };
    if (auth.flow === 'app-only') return this.clientCredentials(client);
    const account = oauthCredentialAccount(channelId, 'refresh-token');
    const refreshToken = await this.deps.credentials.get(account);
    if (!refreshToken) throw new OAuthFailure('OAUTH_SIGN_IN_EXPIRED', 'No sign-in is stored for this channel');
    const tokens = await this.refresh(client, refreshToken);
    if (tokens.refreshToken && tokens.refreshToken !== refreshToken) await this.deps.credentials.set(account, tokens.refreshToken);
    this.deps.log.info({ channelId, expiresInS: Math.round((tokens.expiresAt - tokens.issuedAt) / 1000) }, 'oauth: access token renewed');
    return tokens;
  }

  private async refresh(client: OAuthClient, refreshToken: string): Promise<TokenSet> {
    const { tokenEndpoint } = await resolveEndpoints(client);
    return requestToken(
      tokenEndpoint,
      { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: client.clientId, ...secretParam(client.clientSecret) },
      this.now,
    );
  }

  private async clientCredentials(client: OAuthClient): Promise<TokenSet> {
    const { tokenEndpoint } = await resolveEndpoints(client);
    const scope = oauthScope(client);
    return requestToken(
      tokenEndpoint,
      { grant_type: 'client_credentials', client_id: client.clientId, ...secretParam(client.clientSecret), ...(scope ? { scope } : {}) },
      this.now,
    );
  }

  private signIn(signInId: string): SignIn {
    const signIn = this.signIns.get(signInId);
    if (!signIn) throw new OAuthFailure('OAUTH_SIGN_IN_EXPIRED', 'This sign-in is no longer held: it was saved, cancelled or is over an hour old');
    return signIn;
  }

  private dropSignIn(signInId: string): void {
    this.signIns.delete(signInId);
  }
}

/** Confidential clients (Google desktop apps, app-only access) send their secret in the body (client_secret_post). */
function secretParam(secret: string): Record<string, string> {
  return secret ? { client_secret: secret } : {};
}
