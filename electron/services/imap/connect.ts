import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { resolveTlsMode, type ImapForm } from '../../../shared/channel';
import { mailTlsOptions } from '../mail-tls';

/** The IMAP settings of a channel with its password filled in (from the form or the keychain). */
export type ImapSettings = Pick<ImapForm, 'host' | 'port' | 'username' | 'password' | 'tls' | 'tlsMode' | 'trustedCertificate'>;

export interface ConnectTimeouts {
  /** Bounds connecting (DNS + TCP + TLS) and waiting for the greeting. */
  timeoutMs: number;
  /** Socket inactivity limit; defaults to timeoutMs. A long-lived IDLE session passes more. */
  socketTimeoutMs?: number;
}

/** ImapFlow constructor options for a channel, the one place that turns the form into them. */
export function imapClientOptions(settings: ImapSettings, opts: ConnectTimeouts): ImapFlowOptions {
  const mode = resolveTlsMode('imap', settings);
  return {
    host: settings.host,
    port: settings.port,
    // Always explicit: imapflow would otherwise guess secure from port 993 on its own.
    secure: mode === 'implicit',
    // true makes STARTTLS mandatory (imapflow fails rather than log in unencrypted);
    // false never upgrades, which is what "TLS/SSL off" means.
    doSTARTTLS: mode === 'starttls',
    auth: { user: settings.username, pass: settings.password },
    logger: false,
    connectionTimeout: opts.timeoutMs,
    greetingTimeout: opts.timeoutMs,
    socketTimeout: opts.socketTimeoutMs ?? opts.timeoutMs,
    tls: mailTlsOptions(settings.host, settings.trustedCertificate),
  };
}

/**
 * Every ImapFlow must be made here: an 'error' event without a listener kills the process, and
 * imapflow can emit one at any time (socket timeout, reset), so the listener is attached before
 * anything can connect. 'close' always follows a fatal error; callers that want the reason pass
 * onError, the others rely on their own promise rejections and 'close'.
 */
export function createImapClient(options: ImapFlowOptions, onError: (err: Error) => void = () => undefined): ImapFlow {
  const client = new ImapFlow(options);
  client.on('error', onError);
  return client;
}
