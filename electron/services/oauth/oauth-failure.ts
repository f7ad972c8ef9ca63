import { AppFailure, describeMailError, type MailErrorCode } from '../../../shared/errors';

/**
 * A failure on the way to an access token: at the provider's token or authorization endpoint, or
 * in discovery. `oauthCode` (not `code`: nodemailer overwrites `code` on errors it passes on) is the
 * catalogue entry; `detail` is what the provider said, verbatim.
 */
export class OAuthFailure extends Error {
  constructor(
    readonly oauthCode: MailErrorCode,
    readonly detail: string,
  ) {
    super(detail || oauthCode);
    this.name = 'OAuthFailure';
  }

  /** Nothing but a new interactive sign-in can fix it (the refresh token or the consent is gone). */
  get requiresSignIn(): boolean {
    return SIGN_IN_AGAIN.includes(this.oauthCode);
  }
}

export const SIGN_IN_AGAIN: readonly MailErrorCode[] = ['OAUTH_SIGN_IN_EXPIRED', 'OAUTH_CONSENT_REQUIRED', 'OAUTH_MFA_REQUIRED'];

export function isOAuthFailure(err: unknown): err is OAuthFailure {
  return err instanceof OAuthFailure;
}

/**
 * The catalogue entry for an OAuth error response (RFC 6749 §5.2 `error`, plus Microsoft's AADSTS
 * numbers inside `error_description`). Microsoft answers most problems with a generic
 * invalid_grant or invalid_client, so the AADSTS number decides first.
 */
export function classifyOAuthError(error: string, description: string): MailErrorCode {
  const aadsts = /AADSTS(\d+)/.exec(description)?.[1];
  switch (aadsts) {
    case '65001':
      return 'OAUTH_CONSENT_REQUIRED';
    case '50076':
    case '50079':
      return 'OAUTH_MFA_REQUIRED';
    case '700016':
      return 'OAUTH_APP_NOT_FOUND';
    case '7000215':
    case '7000222':
      return 'OAUTH_CLIENT_INVALID';
    default:
      break;
  }
  if (error === 'admin_policy_enforced' || /admin_policy_enforced/.test(description)) return 'OAUTH_BLOCKED_BY_ADMIN';
  if (error === 'invalid_client' || error === 'unauthorized_client') return 'OAUTH_CLIENT_INVALID';
  if (error === 'consent_required') return 'OAUTH_CONSENT_REQUIRED';
  if (['invalid_grant', 'interaction_required', 'login_required'].includes(error)) return 'OAUTH_SIGN_IN_EXPIRED';
  return 'OAUTH_SIGN_IN_FAILED';
}

export function oauthErrorDetail(error: string, description: string): string {
  return [error, description].filter(Boolean).join(': ');
}

/** For calls the renderer makes (sign-in): the catalogue entry as the router's error envelope. */
export function toAppFailure(err: unknown): unknown {
  if (!isOAuthFailure(err)) return err;
  const entry = describeMailError(err.oauthCode, { protocol: 'imap', host: '', port: 0, oauth: true }, err.detail);
  return new AppFailure({
    code: entry.code,
    message: entry.message,
    hint: [entry.cause, entry.fix, entry.detail ? `The provider said: ${entry.detail}` : ''].filter(Boolean).join(' '),
    retryable: entry.retryable,
  });
}
