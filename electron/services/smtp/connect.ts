import os from 'node:os';
import type { SMTPConnectionOptions } from 'nodemailer/lib/smtp-connection';
import XOAuth2 from 'nodemailer/lib/xoauth2';
import { resolveTlsMode, type SmtpForm } from '../../../shared/channel';
import type { ConnectTimeouts } from '../imap/connect';
import type { AccessTokenSource } from '../mail-login';
import { mailTlsOptions } from '../mail-tls';

/** The SMTP settings of a channel with its password (from the form or the keychain) or its token source. */
export type SmtpSettings = Pick<SmtpForm, 'host' | 'port' | 'username' | 'password' | 'tls' | 'tlsMode' | 'trustedCertificate'> & {
  tokens?: AccessTokenSource;
};

type SmtpAuth = { user: string; pass: string } | { type: 'OAuth2'; user: string; provisionCallback: NonNullable<XOAuth2.Options['provisionCallback']> };

/** Accepted by createTransport(); `new SMTPConnection(...)` takes the rest and smtpLogin() for login(). */
export type SmtpOptions = SMTPConnectionOptions & { auth: SmtpAuth };

const FALLBACK_EHLO_NAME = 'auxilium.localdomain';

/**
 * The EHLO name. Servers with reject_non_fqdn_helo_hostname refuse a bare "mylaptop", so the
 * machine's name is used only when it looks like a fully qualified domain name.
 */
export function ehloName(hostname: string = safeHostname()): string {
  return /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$/i.test(hostname) ? hostname : FALLBACK_EHLO_NAME;
}

function safeHostname(): string {
  try {
    return os.hostname();
  } catch {
    return '';
  }
}

/** nodemailer options for a channel, the one place that turns the form into them. */
export function smtpConnectionOptions(settings: SmtpSettings, opts: ConnectTimeouts): SmtpOptions {
  const mode = resolveTlsMode('smtp', settings);
  return {
    host: settings.host,
    port: settings.port,
    // Always explicit: nodemailer would otherwise guess secure from port 465 on its own.
    secure: mode === 'implicit',
    // requireTLS fails when STARTTLS is missing or fails instead of going on in plaintext;
    // ignoreTLS keeps "TLS/SSL off" off even when the server offers STARTTLS.
    requireTLS: mode === 'starttls',
    ignoreTLS: mode === 'none',
    auth: smtpAuth(settings),
    name: ehloName(),
    logger: false,
    connectionTimeout: opts.timeoutMs,
    greetingTimeout: opts.timeoutMs,
    socketTimeout: opts.socketTimeoutMs ?? opts.timeoutMs,
    tls: mailTlsOptions(settings.host, settings.trustedCertificate),
  };
}

/**
 * For OAuth, nodemailer asks for a token at each login (AUTH XOAUTH2) and, when the server refuses
 * it, once more with `renew`: the refused token is reported so the token source fetches a new one.
 */
function smtpAuth(settings: SmtpSettings): SmtpAuth {
  const { tokens } = settings;
  if (!tokens) return { user: settings.username, pass: settings.password };
  let last: string | undefined;
  return {
    type: 'OAuth2',
    user: settings.username,
    provisionCallback: (_user, renew, callback) => {
      if (renew && last) tokens.refused(last);
      tokens.get().then(
        (token) => callback(null, (last = token), 0),
        (err: Error) => callback(err, '', 0),
      );
    },
  };
}

/** What SMTPConnection.login() takes for these settings (createTransport builds the same itself). */
export function smtpLogin(auth: SmtpAuth): { user: string; pass: string } | { user: string; oauth2: XOAuth2 } {
  return 'pass' in auth ? auth : { user: auth.user, oauth2: new XOAuth2({ user: auth.user, provisionCallback: auth.provisionCallback }) };
}
