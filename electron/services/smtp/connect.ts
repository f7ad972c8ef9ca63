import os from 'node:os';
import type { SMTPConnectionOptions } from 'nodemailer/lib/smtp-connection';
import { resolveTlsMode, type SmtpForm } from '../../../shared/channel';
import type { ConnectTimeouts } from '../imap/connect';
import { mailTlsOptions } from '../mail-tls';

/** The SMTP settings of a channel with its password filled in (from the form or the keychain). */
export type SmtpSettings = Pick<SmtpForm, 'host' | 'port' | 'username' | 'password' | 'tls' | 'tlsMode' | 'trustedCertificate'>;

/** Accepted by `new SMTPConnection(...)` (auth then goes to login()) and by createTransport(). */
export type SmtpOptions = SMTPConnectionOptions & { auth: { user: string; pass: string } };

const FALLBACK_EHLO_NAME = 'auxilium.localdomain';

/**
 * The EHLO name. Servers with reject_non_fqdn_helo_hostname refuse a bare "mylaptop", so the
 * machine's name is used only when it looks like a fully qualified domain name.
 */
export function ehloName(hostname: string = safeHostname()): string {
  return /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$/i.test(hostname)
    ? hostname
    : FALLBACK_EHLO_NAME;
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
    auth: { user: settings.username, pass: settings.password },
    name: ehloName(),
    logger: false,
    connectionTimeout: opts.timeoutMs,
    greetingTimeout: opts.timeoutMs,
    socketTimeout: opts.socketTimeoutMs ?? opts.timeoutMs,
    tls: mailTlsOptions(settings.host, settings.trustedCertificate),
  };
}
