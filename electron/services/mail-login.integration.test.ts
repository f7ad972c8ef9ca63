import { X509Certificate } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import type { ImapForm, SmtpForm } from '../../shared/channel';
import { appOnlyClient, registerClient } from '../../test/mailstack/oauth-clients';
import { probeImap, probeSmtp } from './connection-test/probe';
import type { AccessTokenSource } from './mail-login';

// XOAUTH2 / OAUTHBEARER against the mail stack's Dovecot and Postfix, which accept the OAuth
// mailbox only with a token its authorization server (oidc-provider) vouches for at introspection.
const stack = inject('mailstack');
const trusted = { pem: stack.certPem, fingerprint256: new X509Certificate(stack.certPem).fingerprint256 };
const address = stack.oauth.address;

const imap = (tokens: AccessTokenSource): ImapForm & { tokens: AccessTokenSource } => ({
  host: stack.host,
  port: stack.imap.implicitTls,
  username: address,
  password: '',
  tls: true,
  tlsMode: 'implicit',
  trustedCertificate: trusted,
  mailbox: 'INBOX',
  tokens,
});
const smtp = (tokens: AccessTokenSource): SmtpForm & { tokens: AccessTokenSource } => ({
  host: stack.host,
  port: stack.smtp.starttls,
  username: address,
  password: '',
  tls: true,
  tlsMode: 'auto',
  trustedCertificate: trusted,
  fromName: '',
  fromAddress: address,
  tokens,
});

/** Client-credentials tokens straight from the stack's token endpoint, and what was asked of the source. */
async function appOnlyTokens(mailbox: string) {
  const client = await registerClient(stack.oauth, appOnlyClient(mailbox));
  const issued: string[] = [];
  const refused: string[] = [];
  const fetchToken = async (): Promise<string> => {
    const res = await fetch(`${stack.oauth.issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret ?? '' }),
    });
    const token = ((await res.json()) as { access_token: string }).access_token;
    issued.push(token);
    return token;
  };
  let current: string | undefined;
  const source: AccessTokenSource = {
    get: async () => (current ??= await fetchToken()),
    refused: (token) => {
      refused.push(token);
      if (current === token) current = undefined;
    },
  };
  const revoke = async (token: string): Promise<void> => {
    const res = await fetch(`${stack.oauth.issuer}/token/revocation`, {
      method: 'POST',
      body: new URLSearchParams({ token, client_id: client.clientId, client_secret: client.clientSecret ?? '' }),
    });
    expect(res.ok).toBe(true);
  };
  return { source, issued, refused, revoke };
}

describe('OAuth 2.0 login (SASL XOAUTH2 / OAUTHBEARER) in the connect helpers', () => {
  it('logs in to IMAP and SMTP with an access token for a mailbox that has no password', async () => {
    const { source } = await appOnlyTokens(address);
    const [i, s] = await Promise.all([probeImap(imap(source)), probeSmtp(smtp(source), { recipient: address })]);
    expect(i, JSON.stringify(i)).toMatchObject({ ok: true });
    expect(s, JSON.stringify(s)).toMatchObject({ ok: true });
  });

  it('reports a token the server refuses and logs in with a fresh one, for IMAP and for SMTP', async () => {
    const { source, issued, refused, revoke } = await appOnlyTokens(address);
    const first = await source.get();
    await revoke(first);
    const i = await probeImap(imap(source));
    expect(i, JSON.stringify(i)).toMatchObject({ ok: true });
    expect(refused).toEqual([first]);
    const second = await source.get();
    await revoke(second);
    const s = await probeSmtp(smtp(source), { recipient: address });
    expect(s, JSON.stringify(s)).toMatchObject({ ok: true });
    expect(refused).toEqual([first, second]);
    expect(issued).toHaveLength(3);
  });

  it('refuses a token granted for another mailbox: the server checks whose mailbox it opens', async () => {
    const { source } = await appOnlyTokens(stack.users.support.address);
    const [i, s] = await Promise.all([probeImap(imap(source)), probeSmtp(smtp(source), { recipient: address })]);
    // Reported as a refused token (with what to check), not as a wrong password.
    expect(i).toMatchObject({ ok: false, error: { code: 'OAUTH_TOKEN_REFUSED', message: 'The IMAP server refused the access token' } });
    expect(s).toMatchObject({ ok: false, error: { code: 'OAUTH_TOKEN_REFUSED', message: 'The SMTP server refused the access token' } });
    // Dovecot's RFC 7628 error answer, decoded, for the admin who wants the detail.
    expect(i.ok ? '' : i.error.detail).toMatch(/the server said: \{"status":/);
  });
});
