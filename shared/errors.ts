import { z } from 'zod';

/**
 * Every failure crosses the IPC boundary as data (Electron keeps only `message` of a thrown error).
 * Mail errors carry what went wrong, the likely cause and the fix, following the product guide's
 * troubleshooting tables.
 */

export const mailErrorCodeSchema = z.enum([
  'AUTH_FAILED',
  'CONNECTION_REFUSED',
  'HOST_NOT_FOUND',
  'TIMEOUT',
  'TLS_HANDSHAKE_FAILED',
  'STARTTLS_UNAVAILABLE',
  'TLS_REQUIRED',
  'CERTIFICATE_INVALID',
  'MAILBOX_NOT_FOUND',
  'RELAY_DENIED',
  'MESSAGE_REJECTED',
  'RATE_LIMITED',
  'RECIPIENT_DEFERRED',
  'CONNECTION_LOST',
  'SENT_FOLDER_NOT_FOUND',
  'SENT_COPY_REFUSED',
  'SERVER_ERROR',
]);
export type MailErrorCode = z.infer<typeof mailErrorCodeSchema>;

export const appErrorCodeSchema = z.enum([
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'KEYCHAIN_UNAVAILABLE',
  'UNKNOWN_CHANNEL',
  'INTERNAL',
]);
export type AppErrorCode = z.infer<typeof appErrorCodeSchema>;

export const fieldErrorSchema = z.object({ path: z.string(), message: z.string() });

export const appErrorSchema = z.object({
  code: z.union([appErrorCodeSchema, mailErrorCodeSchema]),
  message: z.string(),
  hint: z.string().optional(),
  retryable: z.boolean(),
  /** For VALIDATION_FAILED: one entry per invalid field, path like "imap.port". */
  fields: z.array(fieldErrorSchema).optional(),
});
export type AppError = z.infer<typeof appErrorSchema>;

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppError };

export function resultSchema<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), value }),
    z.object({ ok: z.literal(false), error: appErrorSchema }),
  ]);
}

/** Thrown on the main side; the router turns it into `{ ok: false, error }`. */
export class AppFailure extends Error {
  constructor(readonly error: AppError) {
    super(error.message);
    this.name = 'AppFailure';
  }
}

export const mailErrorSchema = z.object({
  code: mailErrorCodeSchema,
  /** Short and specific, e.g. "Connection refused on port 465". */
  message: z.string(),
  cause: z.string(),
  fix: z.string(),
  /** What the server or the TLS library said, verbatim, for the admin who wants detail. */
  detail: z.string().optional(),
  /** Temporary failures (network, throttling) are worth retrying as they are; the others need a change. */
  retryable: z.boolean(),
});
export type MailError = z.infer<typeof mailErrorSchema>;

export interface MailErrorContext {
  protocol: 'imap' | 'smtp';
  host: string;
  port: number;
  mailbox?: string;
  fromAddress?: string;
}

type Entry = {
  message: (c: MailErrorContext) => string;
  cause: (c: MailErrorContext) => string;
  fix: (c: MailErrorContext) => string;
  retryable: boolean;
};

const PROTOCOL_NAME = { imap: 'IMAP', smtp: 'SMTP' } as const;

/** The troubleshooting table, one row per error, in the guide's words where the guide has them. */
export const MAIL_ERRORS: Record<MailErrorCode, Entry> = {
  AUTH_FAILED: {
    message: () => 'Authentication failed',
    cause: () => 'Wrong username or password, or the provider refuses password sign-in for this account.',
    fix: (c) =>
      'Double-check the username and password. For Gmail, use an app-specific password from myaccount.google.com/apppasswords, not your regular Google password. ' +
      (c.protocol === 'smtp'
        ? 'For Microsoft 365, SMTP AUTH may be disabled: ask your admin to enable it, or switch to OAuth.'
        : 'For Microsoft 365, basic authentication may be disabled by your admin.'),
    retryable: false,
  },
  CONNECTION_REFUSED: {
    message: (c) => `Connection refused on port ${c.port}`,
    cause: (c) => `Nothing at ${c.host} accepts ${PROTOCOL_NAME[c.protocol]} connections on port ${c.port}: the port is wrong or a firewall blocks it.`,
    fix: (c) =>
      c.protocol === 'imap'
        ? 'Verify the port: IMAP uses 993 (TLS/SSL on) or 143 (STARTTLS). Make sure your network allows outbound connections on that port.'
        : 'Verify the port: SMTP uses 587 (STARTTLS) or 465 (implicit TLS). Make sure your network allows outbound connections on that port.',
    retryable: true,
  },
  HOST_NOT_FOUND: {
    message: (c) => `Host not found: ${c.host}`,
    cause: () => 'The host name does not resolve: a typo, or no network/DNS.',
    fix: () => 'Check the spelling of the host name (e.g. imap.gmail.com) and that this computer is online.',
    retryable: true,
  },
  TIMEOUT: {
    message: (c) => `Connection timeout: ${c.host} did not answer on port ${c.port}`,
    cause: () => 'A DNS or network issue, a firewall that silently drops the connection, or a port that expects a different TLS setting.',
    fix: () =>
      'Verify that the host name resolves and that no proxy or firewall blocks the connection. If the port is right, check the TLS/SSL switch: port 993/465 expect it on.',
    retryable: true,
  },
  TLS_HANDSHAKE_FAILED: {
    message: (c) => `TLS handshake failure on port ${c.port}`,
    cause: () => 'TLS mismatch: the TLS/SSL setting does not match what the server expects on this port.',
    fix: () =>
      'Port 993/465 expect implicit TLS (toggle on). Port 143/587 use STARTTLS – also toggle TLS/SSL on. If you use an unusual port, set TLS mode to match the server.',
    retryable: false,
  },
  STARTTLS_UNAVAILABLE: {
    message: (c) => `The server on port ${c.port} does not offer STARTTLS`,
    cause: () => 'TLS/SSL is on, but the server did not offer to upgrade the connection, so the app refused to send your password unencrypted.',
    fix: (c) =>
      `Use the server's TLS port instead (${c.protocol === 'imap' ? '993' : '465'} with TLS/SSL on). Turn TLS/SSL off only if you accept that the password travels unencrypted.`,
    retryable: false,
  },
  TLS_REQUIRED: {
    message: (c) => `The server on port ${c.port} requires TLS/SSL`,
    cause: () => 'TLS/SSL is off, but the server refuses to log in over an unencrypted connection.',
    fix: (c) =>
      `Turn TLS/SSL on. Port ${c.protocol === 'imap' ? '143' : '587'} then uses STARTTLS; port ${c.protocol === 'imap' ? '993' : '465'} uses implicit TLS.`,
    retryable: false,
  },
  CERTIFICATE_INVALID: {
    message: () => 'Certificate verify failed',
    cause: () => "The server's certificate is self-signed, expired, or issued for a different host name.",
    fix: (c) =>
      `Ensure your mail server has a valid, trusted TLS certificate for ${c.host}. If this is your own server and you recognise the certificate shown below, you may trust it for this channel.`,
    retryable: false,
  },
  MAILBOX_NOT_FOUND: {
    message: (c) => `Mailbox "${c.mailbox ?? ''}" does not exist`,
    cause: () => 'The login worked, but the server has no folder by that name.',
    fix: () => 'Leave Mailbox as INBOX unless you want to watch another folder, and check its exact name (folder names can be case-sensitive).',
    retryable: false,
  },
  RELAY_DENIED: {
    message: () => 'Relay access denied',
    cause: (c) =>
      `The server will not deliver mail from ${c.fromAddress ?? 'the From Address'} for this account: the From Address is not authorized, or the Support Address is on a domain this server will not send to.`,
    fix: () =>
      'Ensure the From Address matches an address your SMTP server is authorized to send from (usually the account address itself or one of its aliases), and that the Support Address is correct.',
    retryable: false,
  },
  MESSAGE_REJECTED: {
    message: () => 'Message rejected',
    cause: () => 'The server refused the message or its sender, often because of an SPF/DKIM/DMARC failure or a policy on the From Address.',
    fix: () => 'Configure DNS records (SPF, DKIM, DMARC) for your sending domain and check that the From Address is allowed on this account.',
    retryable: false,
  },
  RATE_LIMITED: {
    message: () => 'Rate limit exceeded',
    cause: () => 'Too many connections or messages: your provider is throttling this account.',
    fix: () => 'Wait a few minutes and try again. If it keeps happening, space out sends or ask your provider for a higher limit.',
    retryable: true,
  },
  RECIPIENT_DEFERRED: {
    message: () => 'The recipient’s address was deferred for now',
    cause: () => 'The server took the connection but asked to try this address again later: greylisting, a full or busy mailbox, or a temporary problem on the recipient’s side.',
    fix: () => 'Usually nothing: such refusals pass within minutes. If it lasts for hours, check the address with the customer another way.',
    retryable: true,
  },
  CONNECTION_LOST: {
    message: (c) => `The connection to ${c.host} was closed unexpectedly`,
    cause: () => 'The server or the network dropped the connection.',
    fix: () => 'Try again. If it keeps happening, check the port and TLS/SSL setting and the server status.',
    retryable: true,
  },
  SENT_FOLDER_NOT_FOUND: {
    message: (c) => `The Sent folder "${c.mailbox ?? ''}" does not exist`,
    cause: () => 'The reply was sent, but the folder set as Sent folder in the channel settings is not on the server, so its copy could not be filed there.',
    fix: () =>
      'Create the folder in your mail program, or choose an existing folder as Sent folder in the channel settings (leave it empty to use the folder the server marks as Sent). The copy is filed by itself once the folder is there.',
    retryable: true,
  },
  SENT_COPY_REFUSED: {
    message: (c) => `The server refused to file the copy in "${c.mailbox ?? ''}"`,
    cause: () =>
      'The reply was sent, but the server did not accept its copy into the Sent folder: the mailbox may be over its quota, the folder read-only, or the server refuses the message as it is. Its own words are below.',
    fix: () =>
      'Read the server response below: free up space in the mailbox, or choose another Sent folder in the channel settings. The copy is filed by itself once the server takes it.',
    retryable: true,
  },
  SERVER_ERROR: {
    message: (c) => `The ${PROTOCOL_NAME[c.protocol]} server refused the request`,
    cause: () => 'The server answered with an error the app does not recognise; its exact words are below.',
    fix: () => 'Read the server response below; if it is unclear, show it to your mail administrator.',
    retryable: false,
  },
};

export function describeMailError(code: MailErrorCode, context: MailErrorContext, detail?: string): MailError {
  const entry = MAIL_ERRORS[code];
  return {
    code,
    message: entry.message(context),
    cause: entry.cause(context),
    fix: entry.fix(context),
    retryable: entry.retryable,
    ...(detail ? { detail } : {}),
  };
}
