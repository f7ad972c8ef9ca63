import SMTPConnection, { type SMTPConnectionCustomAuthHandler } from 'nodemailer/lib/smtp-connection';
import type { ImapFlow } from 'imapflow';
import { resolveTlsMode, type ImapForm, type Protocol, type SmtpForm, type TlsMode } from '../../../shared/channel';
import type { ProbeResult } from '../../../shared/contract';
import type { MailError, MailErrorContext } from '../../../shared/errors';
import { connectImap, createImapClient, type ImapSettings } from '../imap/connect';
import { smtpConnectionOptions, smtpLogin, type SmtpSettings } from '../smtp/connect';
import { fetchServerCertificate } from './certificate';
import { deadlineError, mapImapError, mapSmtpError } from '../mail-errors/map-error';

export const DEFAULT_TIMEOUT_MS = 15_000;
/** How long a polite goodbye (LOGOUT, QUIT) may take before the socket is simply closed. */
const GOODBYE_MS = 2_000;

const OVER: Record<TlsMode, string> = {
  implicit: 'implicit TLS',
  starttls: 'STARTTLS',
  none: 'an unencrypted connection',
};

type Outcome = { ok: true; summary: string } | { ok: false; err: unknown };

/**
 * Connects, logs in and opens the configured mailbox with EXAMINE (read-only: no flag, no message
 * and no \Recent state changes), then logs out. Never throws.
 */
export async function probeImap(settings: ImapForm & ImapSettings, opts: { timeoutMs?: number } = {}): Promise<ProbeResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const startedAt = Date.now();
  const mode = resolveTlsMode('imap', settings);
  let client: ImapFlow | undefined;
  let outcome: Outcome;
  try {
    const summary = await withDeadline(
      timeoutMs,
      (async () => {
        // disableAutoIdle: the probe logs out right away, IDLE would only add a round trip.
        const c = await connectImap(settings, { timeoutMs }, (options) => (client = createImapClient({ ...options, disableAutoIdle: true })));
        const box = await c.mailboxOpen(settings.mailbox, { readOnly: true });
        return `Logged in and opened ${box.path} (${count(box.exists, 'message')}) over ${OVER[mode]}`;
      })(),
      () => client?.close(),
    );
    outcome = { ok: true, summary };
  } catch (err) {
    outcome = { ok: false, err };
  } finally {
    if (client) await closeImap(client);
  }
  if (outcome.ok) return outcome;
  const ctx: MailErrorContext = { protocol: 'imap', host: settings.host, port: settings.port, mailbox: settings.mailbox, oauth: Boolean(settings.tokens) };
  return failure('imap', mapImapError(outcome.err, ctx), settings, startedAt + timeoutMs);
}

async function closeImap(client: ImapFlow): Promise<void> {
  if (client.usable) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([client.logout(), new Promise((r) => (timer = setTimeout(r, GOODBYE_MS)))]).catch(() => undefined);
    clearTimeout(timer);
  }
  client.close();
}

/**
 * Connects (with STARTTLS as configured), logs in, and checks that the server accepts the From
 * Address as sender for the support address: MAIL FROM + RCPT TO, then RSET. Many servers (Postfix
 * by default) only refuse an unauthorised sender or relay at RCPT TO, so stopping at login would
 * pass settings that cannot send. DATA is never sent: no message can come out of a test.
 * Never throws.
 */
export async function probeSmtp(settings: SmtpForm & SmtpSettings, opts: { recipient: string; timeoutMs?: number }): Promise<ProbeResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const startedAt = Date.now();
  const mode = resolveTlsMode('smtp', settings);
  let conn: SMTPConnection | undefined;
  let outcome: Outcome;
  try {
    const { auth, ...options } = smtpConnectionOptions(settings, { timeoutMs });
    const login = smtpLogin(auth);
    const check = envelopeCheck(settings.fromAddress, opts.recipient);
    const c = (conn = new SMTPConnection({
      ...options,
      // after QUIT or a failure, give the server one second to close its side, then destroy
      socketCloseTimeout: 1_000,
      customAuth: { [ENVELOPE_CHECK]: check.handler },
    }));
    // nodemailer reports most failures as an 'error' event (no callback follows), some through
    // the callback. The listener also keeps a late 'error' from crashing the process.
    const broken = new Promise<never>((_, reject) => {
      c.on('error', reject);
      c.once('end', () => reject(closedError(c.lastServerResponse)));
    });
    broken.catch(() => undefined);
    const step = (run: (done: (err?: Error | null) => void) => void) =>
      Promise.race([new Promise<void>((resolve, reject) => run((err) => (err ? reject(err) : resolve()))), broken]);

    await withDeadline(
      timeoutMs,
      (async () => {
        await step((done) => c.connect(done));
        await step((done) => c.login(login, done));
        await step((done) => c.login({ method: ENVELOPE_CHECK }, done));
        const refusal = check.refusal();
        if (refusal) throw refusal;
      })(),
      () => c.close(),
    );
    outcome = {
      ok: true,
      summary: `Logged in over ${OVER[mode]}; the server accepts mail from ${settings.fromAddress} to ${opts.recipient} (checked up to RCPT TO, nothing was sent)`,
    };
  } catch (err) {
    outcome = { ok: false, err };
  } finally {
    if (conn) await closeSmtp(conn);
  }
  if (outcome.ok) return outcome;
  const ctx: MailErrorContext = {
    protocol: 'smtp',
    host: settings.host,
    port: settings.port,
    fromAddress: settings.fromAddress,
    oauth: Boolean(settings.tokens),
  };
  return failure('smtp', mapSmtpError(outcome.err, ctx), settings, startedAt + timeoutMs);
}

async function closeSmtp(conn: SMTPConnection): Promise<void> {
  if (conn.stage === 'connected' && !conn.destroyed) {
    const ended = new Promise((r) => conn.once('end', r));
    conn.quit();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ended, new Promise((r) => (timer = setTimeout(r, GOODBYE_MS)))]);
    clearTimeout(timer);
  }
  conn.close();
}

/**
 * MAIL FROM / RCPT TO / RSET without DATA. SMTPConnection has no public command for that: send()
 * always goes on to DATA (with PIPELINING it even sends DATA together with MAIL FROM and RCPT TO),
 * and its envelope methods are private. Its one public way to hold a dialogue over the already
 * authenticated connection is a custom authentication handler, which gets `sendCommand()`. So
 * after the real login, a second login() with this made-up method name runs the envelope check
 * through that documented API. It always resolve()s and keeps the server's refusal aside: a
 * reject() would be relabelled as an authentication failure by nodemailer.
 */
const ENVELOPE_CHECK = 'X-AUXILIUM-ENVELOPE-CHECK';

function envelopeCheck(from: string, to: string) {
  let refusal: Error | undefined;
  const handler: SMTPConnectionCustomAuthHandler = async ({ sendCommand }) => {
    if (/[\r\n<>]/.test(from + to)) {
      refusal = envelopeError('Invalid sender or recipient', '', 'API');
      return;
    }
    const mail = await sendCommand(`MAIL FROM:<${from}>`);
    if (mail.status < 200 || mail.status > 299) {
      refusal = envelopeError('Mail command failed', mail.response, 'MAIL FROM');
      return; // no transaction was opened, nothing to reset
    }
    const rcpt = await sendCommand(`RCPT TO:<${to}>`);
    if (rcpt.status < 200 || rcpt.status > 299) refusal = envelopeError('Recipient command failed', rcpt.response, 'RCPT TO');
    // RSET drops the transaction; the server forgets the envelope and nothing is queued.
    await sendCommand('RSET');
  };
  return { handler, refusal: () => refusal };
}

/** Shaped like nodemailer's own envelope errors, so mapSmtpError treats both alike. */
function envelopeError(message: string, response: string, command: string): Error {
  const responseCode = Number(/^\d{3}/.exec(response)?.[0] ?? 0);
  return Object.assign(new Error(response ? `${message}: ${response}` : message), {
    code: 'EENVELOPE',
    command,
    ...(response ? { response, responseCode } : {}),
  });
}

/** The socket closed without nodemailer reporting an error, e.g. after a 421 to our own command. */
function closedError(lastServerResponse: string | false): Error {
  const response = typeof lastServerResponse === 'string' && /^[45]\d\d/.test(lastServerResponse) ? lastServerResponse : '';
  return Object.assign(new Error('Connection closed unexpectedly'), {
    code: 'ECONNECTION',
    command: 'CONN',
    ...(response ? { response, responseCode: Number(response.slice(0, 3)) } : {}),
  });
}

/**
 * Rejects with our own timeout when the work takes longer than `ms`, after calling `giveUp` (which
 * closes the connection, so nothing stays open). The timeout is settled before `giveUp` runs, so
 * the rejections that closing causes cannot overtake it.
 */
async function withDeadline<T>(ms: number, work: Promise<T>, giveUp: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(deadlineError(ms));
      giveUp();
    }, ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined);
  }
}

async function failure(protocol: Protocol, error: MailError, settings: ImapForm | SmtpForm, deadline: number): Promise<ProbeResult> {
  const safe = redact(error, settings.password);
  const remaining = deadline - Date.now();
  if (safe.code !== 'CERTIFICATE_INVALID' || remaining <= 0) return { ok: false, error: safe };
  try {
    const certificate = await fetchServerCertificate(protocol, settings, { timeoutMs: remaining });
    return { ok: false, error: safe, certificate };
  } catch {
    return { ok: false, error: safe };
  }
}

/** Servers do not echo passwords, but a detail string must never carry one, whoever wrote it. */
function redact(error: MailError, password: string): MailError {
  if (password.length < 3) return error;
  const hide = (s: string) => s.split(password).join('[password]');
  return { ...error, message: hide(error.message), ...(error.detail ? { detail: hide(error.detail) } : {}) };
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
