import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { resolveTlsMode, type ImapForm } from '../../../shared/channel';
import { withLogin, type AccessTokenSource, type MailLogin } from '../mail-login';
import { mailTlsOptions } from '../mail-tls';

/** The IMAP settings of a channel with its password (from the form or the keychain) or its token source. */
export type ImapSettings = Pick<ImapForm, 'host' | 'port' | 'username' | 'password' | 'tls' | 'tlsMode' | 'trustedCertificate'> & {
  tokens?: AccessTokenSource;
};

export interface ConnectTimeouts {
  /** Bounds connecting (DNS + TCP + TLS) and waiting for the greeting. */
  timeoutMs: number;
  /** Socket inactivity limit; defaults to timeoutMs. A long-lived IDLE session passes more. */
  socketTimeoutMs?: number;
}

/**
 * ImapFlow constructor options for a channel, the one place that turns the form into them. `login`
 * is what connectImap() chose (password or access token); without it, the password.
 */
export function imapClientOptions(settings: ImapSettings, opts: ConnectTimeouts, login?: MailLogin): ImapFlowOptions {
  const mode = resolveTlsMode('imap', settings);
  return {
    host: settings.host,
    port: settings.port,
    // Always explicit: imapflow would otherwise guess secure from port 993 on its own.
    secure: mode === 'implicit',
    // true makes STARTTLS mandatory (imapflow fails rather than log in unencrypted);
    // false never upgrades, which is what "TLS/SSL off" means.
    doSTARTTLS: mode === 'starttls',
    // With an accessToken imapflow logs in with AUTHENTICATE OAUTHBEARER, or XOAUTH2 where only that is offered.
    auth: login ?? { user: settings.username, pass: settings.password },
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

/**
 * Makes a client with `make` (which gets the options for this login) and connects it. With OAuth,
 * a token the server refuses is replaced by a fresh one and the login tried once more. A client
 * that did not connect is closed before this rejects.
 */
export async function connectImap(
  settings: ImapSettings,
  opts: ConnectTimeouts,
  make: (options: ImapFlowOptions) => ImapFlow,
  connect: (client: ImapFlow) => Promise<unknown> = (client) => client.connect(),
): Promise<ImapFlow> {
  return withLogin(settings, isImapAuthFailure, async (login) => {
    const client = make(imapClientOptions(settings, opts, login));
    try {
      await connect(client);
      return client;
    } catch (err) {
      client.close();
      throw err;
    }
  });
}

function isImapAuthFailure(err: unknown): boolean {
  return (err as { authenticationFailed?: unknown } | null)?.authenticationFailed === true;
}
