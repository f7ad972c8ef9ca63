import { describeMailError, type MailError, type MailErrorCode, type MailErrorContext } from '../../../shared/errors';
import { isOAuthFailure } from '../oauth/oauth-failure';
import { failedSenderChecks } from '../../../shared/sender-authentication';

/**
 * Turns what imapflow and nodemailer throw into the user-facing MailError. The shapes are the
 * libraries' own (see their source): imapflow passes Node's socket/TLS errors through unchanged and
 * adds `authenticationFailed`, `tlsFailed`, `serverResponseCode`, `responseText`; nodemailer
 * overwrites `code` with its category (ESOCKET, ETLS, EAUTH, ...) and keeps Node's code in
 * `originalCode` and the server's reply in `response`/`responseCode`.
 *
 * Each table is ordered: the first row whose test matches wins. Certificate problems come first
 * because both libraries also mark them as TLS failures.
 */

/** Our own overall deadline (the probe gave up), reported like the libraries' timeouts. */
export const DEADLINE_CODE = 'AUXILIUM_DEADLINE';

export function deadlineError(timeoutMs: number): Error {
  return Object.assign(new Error(`No complete answer within ${timeoutMs} ms`), { code: DEADLINE_CODE });
}

/** What the mapping looks at, read defensively from whatever was thrown. */
interface Signal {
  code: string;
  originalCode: string;
  message: string;
  /** The server's own words: SMTP reply, IMAP response text, or the reason of a BYE. */
  server: string;
  command: string;
  responseCode: number;
  serverResponseCode: string;
  responseStatus: string;
  authenticationFailed: boolean;
  tlsFailed: boolean;
  mailboxMissing: boolean;
  /** imapflow: the decoded JSON a server sent back to a refused OAUTHBEARER/XOAUTH2 login. */
  oauthError: string;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function readSignal(err: unknown): Signal {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as Record<string, unknown>;
  const response = e.response;
  return {
    code: str(e.code),
    originalCode: str(e.originalCode),
    message: str(e.message),
    server: str(e.responseText) || (typeof response === 'string' ? response : '') || str(e.reason),
    // nodemailer: 'MAIL FROM'; imapflow: the logged command line "3 EXAMINE INBOX" (passwords masked)
    command: str(e.command) || str(e.executedCommand).replace(/^\S+\s+/, ''),
    responseCode: typeof e.responseCode === 'number' ? e.responseCode : 0,
    serverResponseCode: str(e.serverResponseCode).toUpperCase(),
    responseStatus: str(e.responseStatus).toUpperCase(),
    authenticationFailed: e.authenticationFailed === true,
    tlsFailed: e.tlsFailed === true,
    mailboxMissing: e.mailboxMissing === true,
    oauthError: typeof e.oauthError === 'object' && e.oauthError !== null ? JSON.stringify(e.oauthError) : '',
  };
}

const hasCode = (s: Signal, ...codes: string[]) => codes.includes(s.code) || codes.includes(s.originalCode);

// Node's X.509 verification codes (https://nodejs.org/api/tls.html#x509-certificate-error-codes)
// plus the host name check. nodemailer's STARTTLS path keeps only the text, hence the messages.
const CERT_CODES = [
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
];
const CERT_TEXT =
  /self[- ]signed certificate|certificate has expired|certificate is not yet valid|certificate (?:signature failure|revoked|rejected|untrusted)|unable to verify the first certificate|unable to get (?:local )?issuer certificate|does not match certificate's altnames|unable to verify leaf signature/i;
const isCertificateError = (s: Signal) => hasCode(s, ...CERT_CODES) || CERT_TEXT.test(s.message);

// OpenSSL's words for "the other side is not speaking TLS" or "we could not agree on TLS".
const TLS_TEXT =
  /wrong version number|packet length too long|unknown protocol|http request|handshake failure|tlsv1 alert|sslv3 alert|no protocols available|unsupported protocol|disconnected before secure TLS connection/i;
const isTlsError = (s: Signal) => s.code.startsWith('ERR_SSL_') || s.originalCode.startsWith('ERR_SSL_') || TLS_TEXT.test(s.message);

const TIMEOUT_CODES = [DEADLINE_CODE, 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'ETIMEOUT', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH'];
const DNS_CODES = ['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EDNS'];
const RATE_TEXT = /\brate\b|rate.?limit|too many|too much mail|throttl|maximum number of connections/i;
const RELAY_TEXT = /relay|not owned by user|not (?:allowed|authori[sz]ed|permitted) to send|sendasdenied/i;

type Row = [MailErrorCode, (s: Signal) => boolean];

const IMAP_ROWS: Row[] = [
  ['CERTIFICATE_INVALID', isCertificateError],
  // Before the TLS rows: imapflow also marks a STARTTLS upgrade that timed out as tlsFailed.
  // GREETING_TIMEOUT's "Maybe should use TLS?" stays a timeout: a silent server says the same,
  // and TIMEOUT's fix already points at the TLS/SSL switch.
  ['TIMEOUT', (s) => hasCode(s, ...TIMEOUT_CODES)],
  ['RATE_LIMITED', (s) => s.code === 'ETHROTTLE' || s.serverResponseCode === 'LIMIT' || RATE_TEXT.test(s.server)],
  // Dovecot: "NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure connections":
  // not a wrong password but TLS off where the server insists on it.
  ['TLS_REQUIRED', (s) => s.serverResponseCode === 'PRIVACYREQUIRED'],
  ['AUTH_FAILED', (s) => s.authenticationFailed || ['AUTHENTICATIONFAILED', 'AUTHORIZATIONFAILED', 'EXPIRED'].includes(s.serverResponseCode)],
  ['STARTTLS_UNAVAILABLE', (s) => s.tlsFailed && /does not support STARTTLS|STARTTLS is not possible|can not start TLS/i.test(s.message)],
  ['TLS_HANDSHAKE_FAILED', (s) => s.tlsFailed || s.code === 'STARTTLS_INJECTION' || isTlsError(s)],
  ['CONNECTION_REFUSED', (s) => hasCode(s, 'ECONNREFUSED')],
  ['HOST_NOT_FOUND', (s) => hasCode(s, ...DNS_CODES)],
  [
    'MAILBOX_NOT_FOUND',
    // imapflow checks a refused SELECT/EXAMINE with LIST and sets mailboxMissing when it is absent
    (s) =>
      s.mailboxMissing ||
      s.serverResponseCode === 'NONEXISTENT' ||
      (s.responseStatus === 'NO' && /^(SELECT|EXAMINE|STATUS)\b/i.test(s.command) && /exist|not found|no such|unknown/i.test(s.server)),
  ],
  [
    'CONNECTION_LOST',
    (s) => hasCode(s, 'NoConnection', 'EConnectionClosed', 'ClosedAfterConnectText', 'ClosedAfterConnectTLS', 'StateLogout', 'ECONNRESET', 'EPIPE'),
  ],
];

const SMTP_ROWS: Row[] = [
  ['CERTIFICATE_INVALID', isCertificateError],
  // requireTLS: nodemailer sends STARTTLS even when EHLO did not offer it, the server refuses it.
  [
    'STARTTLS_UNAVAILABLE',
    (s) => (s.code === 'ETLS' && s.command === 'STARTTLS' && s.responseCode > 0) || /HELO does not support required STARTTLS/i.test(s.message),
  ],
  // "530 5.7.0 Must issue a STARTTLS command first", "538 Encryption required": TLS off where the
  // server insists on it — the TLS setting is what needs changing, not the password.
  ['TLS_REQUIRED', (s) => (s.responseCode === 530 || s.responseCode === 538) && /starttls|tls|ssl|encrypt/i.test(s.server)],
  ['TLS_HANDSHAKE_FAILED', (s) => s.code === 'ETLS' || isTlsError(s)],
  ['CONNECTION_REFUSED', (s) => hasCode(s, 'ECONNREFUSED') || /ECONNREFUSED/.test(s.message)],
  ['HOST_NOT_FOUND', (s) => hasCode(s, ...DNS_CODES)],
  ['TIMEOUT', (s) => hasCode(s, ...TIMEOUT_CODES)],
  // Before the rate row: Postfix's soft variant is "454 4.7.1 <x>: Relay access denied".
  ['RELAY_DENIED', (s) => s.responseCode >= 400 && RELAY_TEXT.test(s.server)],
  // A 4xx about one address (greylisting, a full mailbox), not about us sending too much.
  ['RECIPIENT_DEFERRED', (s) => s.command === 'RCPT TO' && s.responseCode >= 400 && s.responseCode < 500 && !RATE_TEXT.test(s.server)],
  ['RATE_LIMITED', (s) => [421, 450, 451, 452].includes(s.responseCode) || (s.responseCode >= 400 && RATE_TEXT.test(s.server))],
  ['AUTH_FAILED', (s) => hasCode(s, 'EAUTH', 'ENOAUTH', 'EOAUTH2') || s.responseCode === 535 || s.responseCode === 534],
  // A refusal that names SPF, DKIM or DMARC (or their RFC 7372 codes): fixed in the From domain's DNS.
  ['SENDER_NOT_AUTHENTICATED', (s) => s.responseCode >= 500 && failedSenderChecks(s.server).length > 0],
  ['MESSAGE_REJECTED', (s) => s.code === 'EMESSAGE' || (s.responseCode >= 500 && (s.code === 'EENVELOPE' || /^(MAIL FROM|RCPT TO|DATA)$/.test(s.command)))],
  ['CONNECTION_LOST', (s) => hasCode(s, 'ECONNECTION', 'ECONNRESET', 'EPIPE')],
];

function mapWith(rows: Row[], err: unknown, ctx: MailErrorContext): MailError {
  // No token to log in with: the provider's answer decides (nodemailer passes it on as EAUTH).
  const oauth = oauthFailureIn(err);
  if (oauth) return describeMailError(oauth.oauthCode, ctx, oauth.detail);
  const s = readSignal(err);
  const code = rows.find(([, test]) => test(s))?.[0] ?? 'SERVER_ERROR';
  // A fresh token was refused (connect helpers retry once): not a password problem.
  const mapped = code === 'AUTH_FAILED' && ctx.oauth ? 'OAUTH_TOKEN_REFUSED' : code;
  return describeMailError(mapped, ctx, detailOf(s));
}

function oauthFailureIn(err: unknown) {
  if (isOAuthFailure(err)) return err;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return isOAuthFailure(cause) ? cause : undefined;
}

/**
 * The server's verbatim reply when there is one, else the library's (or TLS library's) message. A
 * failed XOAUTH2/OAUTHBEARER answer carries base64 JSON ({"status":"401","schemes":"bearer",...},
 * RFC 7628 §3.2.2); it is shown decoded.
 */
function detailOf(s: Signal): string | undefined {
  const text = (s.server || s.message).trim();
  if (!text) return undefined;
  const challenge = s.oauthError || decodeSaslJson(text);
  return (challenge ? `${text} — the server said: ${challenge}` : text).slice(0, 1000);
}

export function decodeSaslJson(text: string): string | undefined {
  for (const word of text.match(/[A-Za-z0-9+/]{16,}={0,2}/g) ?? []) {
    const decoded = Buffer.from(word, 'base64').toString('utf8');
    if (!/^\s*\{/.test(decoded)) continue;
    try {
      return JSON.stringify(JSON.parse(decoded));
    } catch {
      // not JSON after all
    }
  }
  return undefined;
}

export function mapImapError(err: unknown, ctx: MailErrorContext): MailError {
  return mapWith(IMAP_ROWS, err, ctx);
}

export function mapSmtpError(err: unknown, ctx: MailErrorContext): MailError {
  return mapWith(SMTP_ROWS, err, ctx);
}

/**
 * A failed APPEND of a sent reply's copy into `ctx.mailbox`. Connection, login and TLS problems map
 * as everywhere; a refusal of the APPEND itself names the folder and keeps the server's words.
 * [TRYCREATE] (RFC 3501) is the server's "no such folder" for APPEND.
 */
export function mapAppendError(err: unknown, ctx: MailErrorContext): MailError {
  const mapped = mapImapError(err, ctx);
  if (mapped.code !== 'SERVER_ERROR' && mapped.code !== 'MAILBOX_NOT_FOUND') return mapped;
  const s = readSignal(err);
  const missing =
    mapped.code === 'MAILBOX_NOT_FOUND' || s.serverResponseCode === 'TRYCREATE' || /does ?n[o']t exist|not found|no such|unknown mailbox/i.test(s.server);
  return describeMailError(missing ? 'SENT_FOLDER_NOT_FOUND' : 'SENT_COPY_REFUSED', ctx, detailOf(s));
}
