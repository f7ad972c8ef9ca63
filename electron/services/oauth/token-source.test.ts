import { describe, expect, it } from 'vitest';
import { decodeSaslJson } from '../mail-errors/map-error';
import { classifyOAuthError, OAuthFailure } from './oauth-failure';
import type { TokenSet } from './token-endpoint';
import { OAuthTokenSource } from './token-source';

function source(lifetimeMs: number) {
  let now = 0;
  let issued = 0;
  const lost: OAuthFailure[] = [];
  let fail: OAuthFailure | undefined;
  const tokens = new OAuthTokenSource(
    async (): Promise<TokenSet> => {
      if (fail) throw fail;
      issued += 1;
      return { accessToken: `t${issued}`, issuedAt: now, expiresAt: now + lifetimeMs };
    },
    () => now,
    (f) => lost.push(f),
  );
  return { tokens, lost, advance: (ms: number) => (now += ms), failWith: (f: OAuthFailure) => (fail = f), issued: () => issued };
}

describe('OAuthTokenSource', () => {
  it('reuses a token until a quarter of its lifetime is left, then renews ahead of expiry', async () => {
    const s = source(3_600_000);
    expect(await s.tokens.get()).toBe('t1');
    s.advance(3_600_000 - 300_001);
    expect(await s.tokens.get()).toBe('t1');
    s.advance(2);
    expect(await s.tokens.get()).toBe('t2');
  });

  it('renews once for concurrent callers, and after a refusal of the current token only', async () => {
    const s = source(60_000);
    expect(await Promise.all([s.tokens.get(), s.tokens.get(), s.tokens.get()])).toEqual(['t1', 't1', 't1']);
    s.tokens.refused('stale-token');
    expect(await s.tokens.get()).toBe('t1');
    s.tokens.refused('t1');
    expect(await s.tokens.get()).toBe('t2');
    expect(s.issued()).toBe(2);
  });

  it('remembers a lost sign-in: reports it once and fails at once afterwards', async () => {
    const s = source(60_000);
    s.failWith(new OAuthFailure('OAUTH_SIGN_IN_EXPIRED', 'invalid_grant: grant request is invalid'));
    await expect(s.tokens.get()).rejects.toMatchObject({ oauthCode: 'OAUTH_SIGN_IN_EXPIRED' });
    await expect(s.tokens.get()).rejects.toMatchObject({ oauthCode: 'OAUTH_SIGN_IN_EXPIRED' });
    expect(s.lost).toHaveLength(1);
  });

  it('keeps trying after a failure that a new sign-in would not fix (provider unreachable)', async () => {
    const s = source(60_000);
    s.failWith(new OAuthFailure('OAUTH_PROVIDER_UNREACHABLE', 'ECONNREFUSED'));
    await expect(s.tokens.get()).rejects.toMatchObject({ oauthCode: 'OAUTH_PROVIDER_UNREACHABLE' });
    expect(s.lost).toHaveLength(0);
  });
});

describe('provider errors', () => {
  it.each([
    ['invalid_grant', 'AADSTS65001: The user or administrator has not consented to use the application', 'OAUTH_CONSENT_REQUIRED'],
    [
      'invalid_grant',
      'AADSTS50076: Due to a configuration change made by your administrator ... you must use multi-factor authentication',
      'OAUTH_MFA_REQUIRED',
    ],
    ['interaction_required', 'AADSTS50079: The user is required to use multi-factor authentication.', 'OAUTH_MFA_REQUIRED'],
    ['unauthorized_client', "AADSTS700016: Application with identifier 'x' was not found in the directory 'contoso'", 'OAUTH_APP_NOT_FOUND'],
    ['invalid_client', 'AADSTS7000215: Invalid client secret provided.', 'OAUTH_CLIENT_INVALID'],
    ['invalid_grant', 'Token has been expired or revoked.', 'OAUTH_SIGN_IN_EXPIRED'],
    ['admin_policy_enforced', '', 'OAUTH_BLOCKED_BY_ADMIN'],
    ['access_denied', 'The user denied access', 'OAUTH_SIGN_IN_FAILED'],
  ])('%s "%s" is %s', (error, description, code) => {
    expect(classifyOAuthError(error, description)).toBe(code);
  });

  it('decodes the base64 JSON a server sends after a failed XOAUTH2', () => {
    const challenge = Buffer.from('{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}').toString('base64');
    expect(decodeSaslJson(`334 ${challenge}`)).toBe('{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}');
    expect(decodeSaslJson('535 5.7.8 Error: authentication failed')).toBeUndefined();
  });
});
