import type { AccessTokenSource } from '../mail-login';
import { isOAuthFailure, type OAuthFailure } from './oauth-failure';
import type { TokenSet } from './token-endpoint';

/** A token is renewed when a quarter of its lifetime (at most five minutes) is left. */
const MAX_MARGIN_MS = 5 * 60_000;

/**
 * The access tokens of one channel (or of one sign-in not yet saved), shared by every session that
 * logs in with them: the IDLE session, the outbox, Test Connection. Tokens live in memory only.
 * A new token is fetched ahead of expiry, when a server refused the current one, and never twice at
 * once. When the provider says the sign-in itself is gone, every later call fails the same way
 * at once, until a new sign-in replaces this source.
 */
export class OAuthTokenSource implements AccessTokenSource {
  private current: TokenSet | undefined;
  private renewing: Promise<TokenSet> | undefined;
  private signedOut: Error | undefined;

  constructor(
    private readonly renew: () => Promise<TokenSet>,
    private readonly now: () => number = Date.now,
    /** Told once, when the provider says the sign-in is gone. */
    private readonly onSignedOut: (failure: OAuthFailure) => void = () => undefined,
  ) {}

  async get(): Promise<string> {
    if (this.signedOut) throw this.signedOut;
    const current = this.current;
    if (current && this.fresh(current)) return current.accessToken;
    this.renewing ??= this.renew()
      .then((tokens) => (this.current = tokens))
      .catch((err: unknown) => {
        if (isOAuthFailure(err) && err.requiresSignIn && !this.signedOut) {
          this.signedOut = err;
          this.onSignedOut(err);
        }
        throw err;
      })
      .finally(() => (this.renewing = undefined));
    return (await this.renewing).accessToken;
  }

  refused(token: string): void {
    if (this.current?.accessToken === token) this.current = undefined;
  }

  private fresh(tokens: TokenSet): boolean {
    const margin = Math.min(MAX_MARGIN_MS, (tokens.expiresAt - tokens.issuedAt) / 4);
    return this.now() < tokens.expiresAt - margin;
  }
}
