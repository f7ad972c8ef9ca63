/**
 * How a mail session proves who it is: the channel's password, or an OAuth 2.0 access token (SASL
 * XOAUTH2 / OAUTHBEARER). IMAP and SMTP of one channel share one token source, so the watcher, the
 * outbox and Test Connection never each sign in on their own.
 */

/** Hands out access tokens for one channel (see oauth/token-source.ts). */
export interface AccessTokenSource {
  /** A token that stays valid for a while yet; refreshed ahead of its expiry. */
  get(): Promise<string>;
  /** A server refused `token`: the next get() fetches a new one instead of handing it out again. */
  refused(token: string): void;
}

export interface LoginSettings {
  username: string;
  password: string;
  /** Present for channels that sign in with OAuth 2.0; the password is then unused. */
  tokens?: AccessTokenSource;
}

export type MailLogin = { user: string; pass: string } | { user: string; accessToken: string };

/**
 * Runs `attempt` with the channel's login. With OAuth, when the server refuses the token (revoked,
 * or expired a moment before the time it was given), the refusal is reported and `attempt` runs once
 * more with a fresh token; a second refusal is the caller's to handle.
 */
export async function withLogin<T>(settings: LoginSettings, isAuthFailure: (err: unknown) => boolean, attempt: (login: MailLogin) => Promise<T>): Promise<T> {
  const { tokens } = settings;
  if (!tokens) return attempt({ user: settings.username, pass: settings.password });
  const token = await tokens.get();
  try {
    return await attempt({ user: settings.username, accessToken: token });
  } catch (err) {
    if (!isAuthFailure(err)) throw err;
    tokens.refused(token);
    return attempt({ user: settings.username, accessToken: await tokens.get() });
  }
}
