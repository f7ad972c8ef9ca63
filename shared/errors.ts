import { z } from 'zod';
import { domainOf } from './sender-authentication';

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
  'SENDER_NOT_AUTHENTICATED',
  'RATE_LIMITED',
  'RECIPIENT_DEFERRED',
  'CONNECTION_LOST',
  'SENT_FOLDER_NOT_FOUND',
  'SENT_COPY_REFUSED',
  'SERVER_ERROR',
  'NO_SENT_FOLDER',
  'IMPORT_NOT_STORED',
  'OAUTH_SIGN_IN_EXPIRED',
  'OAUTH_CONSENT_REQUIRED',
  'OAUTH_MFA_REQUIRED',
  'OAUTH_APP_NOT_FOUND',
  'OAUTH_CLIENT_INVALID',
  'OAUTH_BLOCKED_BY_ADMIN',
  'OAUTH_TOKEN_REFUSED',
  'OAUTH_PROVIDER_UNREACHABLE',
  'OAUTH_SIGN_IN_FAILED',
]);
export type MailErrorCode = z.infer<typeof mailErrorCodeSchema>;

export const appErrorCodeSchema = z.enum(['VALIDATION_FAILED', 'NOT_FOUND', 'KEYCHAIN_UNAVAILABLE', 'UNKNOWN_CHANNEL', 'INTERNAL']);
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
  return z.discriminatedUnion('ok', [z.object({ ok: z.literal(true), value }), z.object({ ok: z.literal(false), error: appErrorSchema })]);
}

/** Thrown on the main side; the router turns it into `{ ok: false, error }`. */
export class AppFailure extends Error {
  constructor(readonly error: AppError) {
    super(error.message);
    this.name = 'AppFailure';
  }
}

/** Something the call names (a conversation, a reply, an agent…) is gone, e.g. deleted in another window. */
export function notFound(what: string): AppFailure {
  return new AppFailure({
    code: 'NOT_FOUND',
    message: `This ${what} no longer exists.`,
    hint: 'It may have been deleted in another window.',
    retryable: false,
  });
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
  /** The channel signs in with OAuth 2.0: a refused login is about the token, not a password. */
  oauth?: boolean;
}

type Entry = {
  message: (c: MailErrorContext) => string;
  cause: (c: MailErrorContext) => string;
  fix: (c: MailErrorContext) => string;
  retryable: boolean;
};

const PROTOCOL_NAME = { imap: 'IMAP', smtp: 'SMTP' } as const;

/** The channel's sending domain, from its From Address. */
function fromDomain(c: MailErrorContext): string {
  return c.fromAddress ? domainOf(c.fromAddress) : 'your sending domain';
}

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
  SENDER_NOT_AUTHENTICATED: {
    message: () => 'Sending domain not authenticated',
    cause: (c) =>
      `The receiving server could not verify that ${fromDomain(c)} allows this server to send its mail: SPF, DKIM or DMARC for ${fromDomain(c)} failed or is missing.`,
    fix: (c) => `Add or fix the DNS records (SPF, DKIM, DMARC) of ${fromDomain(c)}; the channel's card names each record. Then Retry.`,
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
    cause: () =>
      'The server took the connection but asked to try this address again later: greylisting, a full or busy mailbox, or a temporary problem on the recipient’s side.',
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
  NO_SENT_FOLDER: {
    message: () => 'No Sent folder on the server: replies sent from other mail clients are not shown',
    cause: () => 'The server marks no folder as Sent, and the channel names none, so there is nowhere to look for replies the team sent.',
    fix: () => 'Create a folder named Sent, or choose the folder your sent mail goes to in the channel settings (Sent folder). The app looks again by itself.',
    retryable: true,
  },
  IMPORT_NOT_STORED: {
    message: () => 'Could not store imported mail',
    cause: () => 'The mail was read from the server, but this computer could not save it: the disk may be full, or the data folder cannot be written to.',
    fix: () => 'Free up disk space and check that the data folder can be written to. The import carries on by itself; nothing is lost on the server.',
    retryable: true,
  },
  OAUTH_SIGN_IN_EXPIRED: {
    message: () => 'Sign-in is no longer valid',
    cause: () =>
      'The provider no longer accepts the stored sign-in: it was revoked, the password was changed, access for the app was removed, or it expired (Google: invalid_grant; apps in "Testing" status lose it after 7 days).',
    fix: () => 'Click Sign in again and sign in with the mailbox account. Replies wait in the outbox until then; imported mail stays.',
    retryable: false,
  },
  OAUTH_CONSENT_REQUIRED: {
    message: () => 'The app is not allowed to use this mailbox yet (consent required)',
    cause: () => 'Nobody has consented to the permissions the app registration asks for (Microsoft AADSTS65001), or the consent was withdrawn.',
    fix: () =>
      'Sign in again and accept the permissions, or have an administrator grant admin consent: Microsoft Entra admin center › App registrations › your app › API permissions › Grant admin consent.',
    retryable: false,
  },
  OAUTH_MFA_REQUIRED: {
    message: () => 'Multi-factor authentication is required',
    cause: () => 'A Conditional Access policy asks for a second factor before it gives out tokens (Microsoft AADSTS50076 / AADSTS50079).',
    fix: () => 'Click Sign in again and complete the multi-factor prompt in the browser (set it up first if asked).',
    retryable: false,
  },
  OAUTH_APP_NOT_FOUND: {
    message: () => 'The app registration was not found in this tenant',
    cause: () => 'The client ID does not belong to an app in the tenant you entered, or the app was deleted (Microsoft AADSTS700016).',
    fix: () =>
      'Copy the Application (client) ID and the Directory (tenant) ID from the app’s Overview page in the Microsoft Entra admin center, and check the app is not deleted.',
    retryable: false,
  },
  OAUTH_CLIENT_INVALID: {
    message: () => 'The client ID or client secret was refused',
    cause: () =>
      'The provider does not know this client, or the secret is wrong or expired (Microsoft AADSTS7000215 invalid secret, AADSTS7000222 expired secret; invalid_client).',
    fix: () =>
      'Check the client ID. Create a new client secret in the app registration (Microsoft: Certificates & secrets; Google: Credentials) and paste its value, not its ID.',
    retryable: false,
  },
  OAUTH_BLOCKED_BY_ADMIN: {
    message: () => 'Your administrator blocks this app',
    cause: () => 'The Google Workspace (or Microsoft 365) administrator does not allow this app to access mail (Google: admin_policy_enforced).',
    fix: () =>
      'Ask the administrator to allow the app: Google Admin console › Security › Access and data control › API controls › Manage third-party app access › trust the client ID.',
    retryable: false,
  },
  OAUTH_TOKEN_REFUSED: {
    message: (c) => `The ${PROTOCOL_NAME[c.protocol]} server refused the access token`,
    cause: (c) =>
      `The sign-in worked, but the mail server did not accept its token for this mailbox: the app registration lacks the mail permission (Microsoft: IMAP.AccessAsUser.All / SMTP.Send, or IMAP.AccessAsApp / SMTP.SendAsApp for app-only; Google: https://mail.google.com/), ${
        c.protocol === 'smtp' ? 'SMTP AUTH is disabled for the mailbox' : 'IMAP is disabled for the mailbox'
      }, the username is not the signed-in mailbox, or (app-only) the app was not given access to this mailbox in Exchange.`,
    fix: (c) =>
      `Check the username is the mailbox address you signed in with and the app’s permissions. Microsoft 365: enable ${
        c.protocol === 'smtp' ? 'Authenticated SMTP' : 'IMAP'
      } for the mailbox in the Microsoft 365 admin center; for app-only access register the service principal in Exchange (New-ServicePrincipal) and grant it the mailbox (Add-MailboxPermission). The server’s answer is below.`,
    retryable: false,
  },
  OAUTH_PROVIDER_UNREACHABLE: {
    message: () => 'The sign-in service could not be reached',
    cause: () => 'The provider’s token or discovery endpoint did not answer: no network, a proxy or firewall, or a wrong issuer URL.',
    fix: () =>
      'Check this computer is online; for another provider, check the issuer URL (its /.well-known/openid-configuration must open in a browser). The app tries again by itself.',
    retryable: true,
  },
  OAUTH_SIGN_IN_FAILED: {
    message: () => 'Sign-in did not complete',
    cause: () => 'The browser sign-in was cancelled, access was denied, it timed out, or the provider reported an error (below).',
    fix: () =>
      'Click Sign in and complete the provider’s pages, accepting the permissions the app asks for. If the provider names an error below, it says what to change.',
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
