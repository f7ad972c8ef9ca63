import { describe, expect, it } from 'vitest';
import type { MailErrorCode, MailErrorContext } from '../../../shared/errors';
import { deadlineError, mapAppendError, mapImapError, mapSmtpError } from './map-error';

// Error objects shaped exactly as imapflow 2.x / nodemailer 10.x / Node 20 produce them: the
// captured ones were printed from real failures against Dovecot/Postfix, the others are copied
// from the libraries' source (the file that builds each is named).
const err = (message: string, props: Record<string, unknown> = {}) => Object.assign(new Error(message), props);

const imapCtx: MailErrorContext = { protocol: 'imap', host: 'imap.example.com', port: 993, mailbox: 'INBOX' };
const smtpCtx: MailErrorContext = { protocol: 'smtp', host: 'smtp.example.com', port: 465, fromAddress: 'support@example.com' };

const nodeCertErrors = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  CERT_HAS_EXPIRED: 'certificate has expired',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate',
};
const altnames = () =>
  err("Hostname/IP does not match certificate's altnames: Host: imap.example.com. is not in the cert's altnames: DNS:other.example.com", {
    reason: "Host: imap.example.com. is not in the cert's altnames: DNS:other.example.com",
    host: 'imap.example.com',
    code: 'ERR_TLS_CERT_ALTNAME_INVALID',
  });
const wrongVersion = (extra: Record<string, unknown> = {}) =>
  err('80DCC177267F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n', {
    library: 'SSL routines',
    reason: 'wrong version number',
    code: 'ERR_SSL_WRONG_VERSION_NUMBER',
    ...extra,
  });

const imapCases: [string, unknown, MailErrorCode, string?][] = [
  // captured: Dovecot, wrong password (lib/commands/authenticate.js)
  [
    'AUTHENTICATE refused',
    err('Command failed', {
      response: '2 NO [AUTHENTICATIONFAILED] Authentication failed.',
      responseStatus: 'NO',
      executedCommand: '2 AUTHENTICATE PLAIN',
      responseText: 'Authentication failed.',
      serverResponseCode: 'AUTHENTICATIONFAILED',
      authenticationFailed: true,
    }),
    'AUTH_FAILED',
    'Authentication failed.',
  ],
  // Gmail's LOGIN refusal (lib/commands/login.js)
  [
    'LOGIN refused',
    err('Command failed', {
      responseStatus: 'NO',
      responseText: 'Invalid credentials (Failure)',
      serverResponseCode: 'AUTHENTICATIONFAILED',
      authenticationFailed: true,
    }),
    'AUTH_FAILED',
  ],
  // errors.js AuthenticationFailure
  ['no usable mechanism', err('No matching authentication method', { authenticationFailed: true }), 'AUTH_FAILED'],
  [
    'PRIVACYREQUIRED (TLS off where the server wants it)',
    err('Command failed', {
      responseStatus: 'NO',
      responseText: 'Plaintext authentication disallowed on non-secure (SSL/TLS) connections.',
      serverResponseCode: 'PRIVACYREQUIRED',
      authenticationFailed: true,
    }),
    'TLS_REQUIRED',
  ],
  // captured: Node's connect error, passed through by imapflow's _connectErrorHandler
  [
    'ECONNREFUSED',
    err('connect ECONNREFUSED 127.0.0.1:993', { errno: -111, code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port: 993 }),
    'CONNECTION_REFUSED',
    'connect ECONNREFUSED 127.0.0.1:993',
  ],
  [
    'ENOTFOUND',
    err('getaddrinfo ENOTFOUND imap.example.invalid', { errno: -3008, code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'imap.example.invalid' }),
    'HOST_NOT_FOUND',
  ],
  ['EAI_AGAIN (no DNS)', err('getaddrinfo EAI_AGAIN imap.example.com', { errno: -3001, code: 'EAI_AGAIN', syscall: 'getaddrinfo' }), 'HOST_NOT_FOUND'],
  // connection-deadline.js, imap-flow.js
  ['CONNECT_TIMEOUT', err('Failed to establish connection in required time', { code: 'CONNECT_TIMEOUT', details: { connectionTimeout: 90000 } }), 'TIMEOUT'],
  [
    'GREETING_TIMEOUT with the TLS hint',
    err('Failed to receive greeting from server in required time. Maybe should use TLS?', { code: 'GREETING_TIMEOUT', details: { greetingTimeout: 16000 } }),
    'TIMEOUT',
  ],
  ['UPGRADE_TIMEOUT (also tlsFailed)', err('Failed to upgrade connection in required time', { code: 'UPGRADE_TIMEOUT', tlsFailed: true }), 'TIMEOUT'],
  ['ETIMEOUT', err('Socket timeout', { code: 'ETIMEOUT' }), 'TIMEOUT'],
  ['ETIMEDOUT', err('connect ETIMEDOUT 192.0.2.1:993', { errno: -110, code: 'ETIMEDOUT', syscall: 'connect' }), 'TIMEOUT'],
  ['our deadline', deadlineError(15000), 'TIMEOUT'],
  // captured: implicit TLS against Dovecot's plaintext port
  ['TLS on a plaintext port', wrongVersion(), 'TLS_HANDSHAKE_FAILED', 'wrong version number'],
  [
    'TLS socket closed early',
    err('Client network socket disconnected before secure TLS connection was established', { code: 'ECONNRESET' }),
    'TLS_HANDSHAKE_FAILED',
  ],
  // imap-flow.js _failSTARTTLS
  ['no STARTTLS offered', err('Server does not support STARTTLS', { tlsFailed: true }), 'STARTTLS_UNAVAILABLE'],
  ['STARTTLS after PREAUTH', err('STARTTLS is not possible after a PREAUTH greeting', { tlsFailed: true }), 'STARTTLS_UNAVAILABLE'],
  [
    'STARTTLS injection',
    err('Server sent data after the STARTTLS response and before the TLS handshake; possible plaintext-injection attack', {
      code: 'STARTTLS_INJECTION',
      tlsFailed: true,
    }),
    'TLS_HANDSHAKE_FAILED',
  ],
  ['handshake failure during STARTTLS', wrongVersion({ tlsFailed: true }), 'TLS_HANDSHAKE_FAILED'],
  // captured: STARTTLS to Dovecot with an untrusted self-signed certificate
  [
    'self-signed over STARTTLS',
    err('self-signed certificate', { code: 'DEPTH_ZERO_SELF_SIGNED_CERT', tlsFailed: true }),
    'CERTIFICATE_INVALID',
    'self-signed certificate',
  ],
  ...Object.entries(nodeCertErrors).map(([code, message]): [string, unknown, MailErrorCode] => [code, err(message, { code }), 'CERTIFICATE_INVALID']),
  ['host name mismatch', altnames(), 'CERTIFICATE_INVALID'],
  // imap-flow.js, MS365 throttling
  [
    'ETHROTTLE',
    err('Command failed', {
      responseStatus: 'BAD',
      responseText: 'Request is throttled. Suggested Backoff Time: 92415 milliseconds',
      code: 'ETHROTTLE',
      throttleReset: 92415,
      throttleWaited: 92415,
    }),
    'RATE_LIMITED',
  ],
  [
    'BYE: too many connections',
    err('Unexpected close', { code: 'ClosedAfterConnectTLS', reason: 'Maximum number of connections from user+IP exceeded (mail_max_userip_connections=10)' }),
    'RATE_LIMITED',
  ],
  // captured: EXAMINE of a missing mailbox on Dovecot (imap-flow.js mailboxOpen sets mailboxMissing)
  [
    'missing mailbox',
    err('Command failed', {
      response: "8 NO Mailbox doesn't exist: Nope (0.001 + 0.000 secs).",
      responseStatus: 'NO',
      executedCommand: '8 EXAMINE Nope',
      responseText: "Mailbox doesn't exist: Nope (0.001 + 0.000 secs).",
      mailboxMissing: true,
    }),
    'MAILBOX_NOT_FOUND',
    "Mailbox doesn't exist: Nope (0.001 + 0.000 secs).",
  ],
  [
    'missing mailbox, NONEXISTENT code',
    err('Command failed', {
      responseStatus: 'NO',
      executedCommand: '4 SELECT Archive',
      responseText: 'Unknown Mailbox: Archive',
      serverResponseCode: 'NONEXISTENT',
    }),
    'MAILBOX_NOT_FOUND',
  ],
  ['NoConnection', err('Connection not available', { code: 'NoConnection', rejectedFrom: 'execClosed', command: 'SELECT' }), 'CONNECTION_LOST'],
  ['EConnectionClosed', err('Connection closed', { code: 'EConnectionClosed', command: 'FETCH' }), 'CONNECTION_LOST'],
  ['closed after greeting', err('Unexpected close', { code: 'ClosedAfterConnectText' }), 'CONNECTION_LOST'],
  ['ECONNRESET', err('read ECONNRESET', { errno: -104, code: 'ECONNRESET', syscall: 'read' }), 'CONNECTION_LOST'],
  [
    'unknown NO',
    err('Command failed', { responseStatus: 'NO', executedCommand: '5 ID NIL', responseText: 'Server is confused' }),
    'SERVER_ERROR',
    'Server is confused',
  ],
  ['not even an Error', 'boom', 'SERVER_ERROR'],
];

// nodemailer overwrites code with its category and keeps Node's in originalCode (_formatError).
const smtpCases: [string, unknown, MailErrorCode, string?][] = [
  // captured: Postfix + Dovecot SASL, wrong password
  [
    'EAUTH 535',
    err('Invalid login: 535 5.7.8 Error: authentication failed: (reason unavailable)', {
      code: 'EAUTH',
      response: '535 5.7.8 Error: authentication failed: (reason unavailable)',
      responseCode: 535,
      permanent: true,
      command: 'AUTH PLAIN',
    }),
    'AUTH_FAILED',
    '535 5.7.8 Error: authentication failed: (reason unavailable)',
  ],
  [
    'Gmail app password required',
    err('Invalid login: 534-5.7.9 Application-specific password required.', {
      code: 'EAUTH',
      response: '534-5.7.9 Application-specific password required.',
      responseCode: 534,
      command: 'AUTH PLAIN',
    }),
    'AUTH_FAILED',
  ],
  ['missing credentials', err('Missing credentials for "PLAIN"', { code: 'EAUTH', command: 'API' }), 'AUTH_FAILED'],
  [
    'Gmail: too many logins',
    err('Invalid login: 454 4.7.0 Too many login attempts, please try again later.', {
      code: 'EAUTH',
      response: '454 4.7.0 Too many login attempts, please try again later.',
      responseCode: 454,
      command: 'AUTH PLAIN',
    }),
    'RATE_LIMITED',
  ],
  // captured: TLS off against Postfix submission with smtpd_tls_security_level=encrypt
  [
    'STARTTLS required by server',
    err('Invalid login: 530 5.7.0 Must issue a STARTTLS command first', {
      code: 'EAUTH',
      response: '530 5.7.0 Must issue a STARTTLS command first',
      responseCode: 530,
      command: 'AUTH PLAIN',
    }),
    'TLS_REQUIRED',
  ],
  // captured
  [
    'ESOCKET ECONNREFUSED',
    err('connect ECONNREFUSED 127.0.0.1:465', {
      errno: -111,
      code: 'ESOCKET',
      syscall: 'connect',
      address: '127.0.0.1',
      port: 465,
      originalCode: 'ECONNREFUSED',
      command: 'CONN',
    }),
    'CONNECTION_REFUSED',
  ],
  // shared/index.js resolveHostname -> _onError(err, 'EDNS')
  [
    'EDNS',
    err('queryA ENOTFOUND smtp.example.invalid', {
      errno: undefined,
      code: 'EDNS',
      originalCode: 'ENOTFOUND',
      syscall: 'queryA',
      hostname: 'smtp.example.invalid',
      command: 'CONN',
    }),
    'HOST_NOT_FOUND',
  ],
  // smtp-connection timeoutError() -> _onError(err, 'ETIMEDOUT')
  ['greeting timeout', err('Greeting never received', { timeoutType: 'GREETING_TIMEOUT', code: 'ETIMEDOUT', command: 'CONN' }), 'TIMEOUT'],
  ['connection timeout', err('Connection timeout', { timeoutType: 'CONNECT_TIMEOUT', code: 'ETIMEDOUT', command: 'CONN' }), 'TIMEOUT'],
  ['STARTTLS upgrade timeout', err('TLS handshake timed out', { timeoutType: 'UPGRADE_TIMEOUT', code: 'ETIMEDOUT', command: 'CONN' }), 'TIMEOUT'],
  ['our deadline', deadlineError(2000), 'TIMEOUT'],
  // captured: implicit TLS against the STARTTLS port
  [
    'implicit TLS on the STARTTLS port',
    wrongVersion({ code: 'ESOCKET', originalCode: 'ERR_SSL_WRONG_VERSION_NUMBER', command: 'CONN' }),
    'TLS_HANDSHAKE_FAILED',
  ],
  [
    'ETLS handshake',
    err('Error initiating TLS - Client network socket disconnected before secure TLS connection was established', { code: 'ETLS', command: 'STARTTLS' }),
    'TLS_HANDSHAKE_FAILED',
  ],
  // captured: STARTTLS against a listener that offers none
  [
    'STARTTLS refused',
    err('Error upgrading connection with STARTTLS: 502 5.5.1 Error: command not implemented', {
      code: 'ETLS',
      response: '502 5.5.1 Error: command not implemented',
      responseCode: 502,
      permanent: true,
      command: 'STARTTLS',
    }),
    'STARTTLS_UNAVAILABLE',
    '502 5.5.1 Error: command not implemented',
  ],
  [
    'EHLO refused with requireTLS',
    err('EHLO failed but HELO does not support required STARTTLS. response=500 5.5.2 Error: bad syntax: 500 5.5.2 Error: bad syntax', {
      code: 'ECONNECTION',
      response: '500 5.5.2 Error: bad syntax',
      responseCode: 500,
      command: 'EHLO',
    }),
    'STARTTLS_UNAVAILABLE',
  ],
  // captured: both implicit TLS and STARTTLS report an untrusted certificate as ESOCKET
  [
    'ESOCKET self-signed',
    err('self-signed certificate', { code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT', command: 'CONN' }),
    'CERTIFICATE_INVALID',
    'self-signed certificate',
  ],
  ...Object.entries(nodeCertErrors).map(([code, message]): [string, unknown, MailErrorCode] => [
    `ESOCKET ${code}`,
    err(message, { code: 'ESOCKET', originalCode: code, command: 'CONN' }),
    'CERTIFICATE_INVALID',
  ]),
  // _upgradeConnection throwing: only the text survives
  ['ETLS expired', err('Error initiating TLS - certificate has expired', { code: 'ETLS', command: 'STARTTLS' }), 'CERTIFICATE_INVALID'],
  [
    'ETLS altnames',
    err("Error initiating TLS - Hostname/IP does not match certificate's altnames: Host: smtp.example.com. is not in the cert's altnames: DNS:mx.example.net", {
      code: 'ETLS',
      command: 'STARTTLS',
    }),
    'CERTIFICATE_INVALID',
  ],
  // captured: Postfix reject_unauth_destination, via the probe's RCPT TO (same shape as _actionRCPT)
  [
    'relay denied at RCPT TO',
    err('Recipient command failed: 554 5.7.1 <someone@elsewhere.example>: Relay access denied', {
      code: 'EENVELOPE',
      command: 'RCPT TO',
      response: '554 5.7.1 <someone@elsewhere.example>: Relay access denied',
      responseCode: 554,
    }),
    'RELAY_DENIED',
    '554 5.7.1 <someone@elsewhere.example>: Relay access denied',
  ],
  // _envelopeError in send()
  [
    'all recipients rejected, relay',
    err("Can't send mail - all recipients were rejected: 454 4.7.1 <a@b.example>: Relay access denied", {
      code: 'EENVELOPE',
      response: '454 4.7.1 <a@b.example>: Relay access denied',
      responseCode: 454,
      permanent: false,
      command: 'RCPT TO',
      rejected: ['a@b.example'],
      rejectedErrors: [],
    }),
    'RELAY_DENIED',
  ],
  [
    'sender not owned by the login',
    err('Mail command failed: 553 5.7.1 <ceo@example.com>: Sender address rejected: not owned by user support@example.com', {
      code: 'EENVELOPE',
      response: '553 5.7.1 <ceo@example.com>: Sender address rejected: not owned by user support@example.com',
      responseCode: 553,
      command: 'MAIL FROM',
    }),
    'RELAY_DENIED',
  ],
  // captured: Postfix check_recipient_access answering 450 for one address (as greylisting does)
  [
    'one recipient deferred',
    err(
      "Can't send mail - all recipients were rejected: 450 4.2.0 <deferred@auxilium.test>: Recipient address rejected: Mailbox temporarily unavailable, try again later",
      {
        code: 'EENVELOPE',
        response: '450 4.2.0 <deferred@auxilium.test>: Recipient address rejected: Mailbox temporarily unavailable, try again later',
        responseCode: 450,
        command: 'RCPT TO',
      },
    ),
    'RECIPIENT_DEFERRED',
  ],
  // captured: unknown support address in Postfix's virtual domain
  [
    'unknown recipient',
    err('Recipient command failed: 550 5.1.1 <nobody@auxilium.test>: Recipient address rejected: User unknown in virtual mailbox table', {
      code: 'EENVELOPE',
      command: 'RCPT TO',
      response: '550 5.1.1 <nobody@auxilium.test>: Recipient address rejected: User unknown in virtual mailbox table',
      responseCode: 550,
    }),
    'MESSAGE_REJECTED',
  ],
  [
    'EMESSAGE after DATA',
    err('Message failed: 550 5.7.1 Message rejected by content policy', {
      code: 'EMESSAGE',
      response: '550 5.7.1 Message rejected by content policy',
      responseCode: 550,
      command: 'DATA',
    }),
    'MESSAGE_REJECTED',
  ],
  ['EMESSAGE too big', err('Message size larger than allowed 10240000', { code: 'EMESSAGE', command: 'MAIL FROM' }), 'MESSAGE_REJECTED'],
  // Refusals about the From domain's SPF/DKIM/DMARC, in the receiving servers' words (Gmail, Microsoft, postfix-policyd-spf)
  [
    'Gmail 5.7.26 DMARC after DATA',
    err("Message failed: 550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy.", {
      code: 'EMESSAGE',
      response:
        "550-5.7.26 Unauthenticated email from example.com is not accepted due to\n550-5.7.26 domain's DMARC policy. Please contact the administrator of\n550 5.7.26 example.com domain if this was a legitimate mail.",
      responseCode: 550,
      command: 'DATA',
    }),
    'SENDER_NOT_AUTHENTICATED',
  ],
  [
    'Microsoft 5.7.23 SPF at RCPT TO',
    err("Can't send mail - all recipients were rejected: 550 5.7.23 The message was rejected because of Sender Policy Framework violation", {
      code: 'EENVELOPE',
      response: '550 5.7.23 The message was rejected because of Sender Policy Framework violation',
      responseCode: 550,
      command: 'RCPT TO',
    }),
    'SENDER_NOT_AUTHENTICATED',
  ],
  [
    'policyd-spf 5.7.23 at RCPT TO',
    err(
      "Can't send mail - all recipients were rejected: 550 5.7.23 <carol@example.org>: Recipient address rejected: Message rejected due to: SPF fail - not authorized.",
      {
        code: 'EENVELOPE',
        response:
          '550 5.7.23 <carol@example.org>: Recipient address rejected: Message rejected due to: SPF fail - not authorized. Please see http://www.openspf.net/Why?s=mfrom;id=support@example.com',
        responseCode: 550,
        command: 'RCPT TO',
      },
    ),
    'SENDER_NOT_AUTHENTICATED',
  ],
  // Exchange without SMTP login: "not authenticated" here is about signing in, not about DNS.
  [
    'Exchange 530 5.7.57 anonymous',
    err('Mail command failed: 530 5.7.57 Client not authenticated to send mail. [AM0PR01CA0001.eurprd01.prod.exchangelabs.com]', {
      code: 'EENVELOPE',
      response: '530 5.7.57 Client not authenticated to send mail.',
      responseCode: 530,
      command: 'MAIL FROM',
    }),
    'MESSAGE_REJECTED',
  ],
  // captured: Postfix smtpd_client_message_rate_limit
  [
    '450 too much mail',
    err('Mail command failed: 450 4.7.1 Error: too much mail from 127.0.0.1', {
      code: 'EENVELOPE',
      command: 'MAIL FROM',
      response: '450 4.7.1 Error: too much mail from 127.0.0.1',
      responseCode: 450,
    }),
    'RATE_LIMITED',
  ],
  [
    '421 at greeting',
    err(
      'Invalid greeting. response=421 4.7.0 mx.example.com Error: too many connections from 192.0.2.1: 421 4.7.0 mx.example.com Error: too many connections from 192.0.2.1',
      {
        code: 'EPROTOCOL',
        response: '421 4.7.0 mx.example.com Error: too many connections from 192.0.2.1',
        responseCode: 421,
        command: 'CONN',
      },
    ),
    'RATE_LIMITED',
  ],
  ['ECONNECTION closed', err('Connection closed unexpectedly', { code: 'ECONNECTION', command: 'CONN' }), 'CONNECTION_LOST'],
  [
    'ESOCKET ECONNRESET',
    err('read ECONNRESET', { errno: -104, code: 'ESOCKET', syscall: 'read', originalCode: 'ECONNRESET', command: 'CONN' }),
    'CONNECTION_LOST',
  ],
  [
    'not an SMTP server',
    err('Invalid greeting. response=* OK Dovecot ready.: * OK Dovecot ready.', { code: 'EPROTOCOL', response: '* OK Dovecot ready.', command: 'CONN' }),
    'SERVER_ERROR',
    '* OK Dovecot ready.',
  ],
];

describe('mapImapError', () => {
  it.each(imapCases)('%s', (_name, error, code, detail) => {
    const mapped = mapImapError(error, imapCtx);
    expect(mapped.code).toBe(code);
    if (detail) expect(mapped.detail).toBe(detail);
  });

  it('names the port and host in the user-facing message', () => {
    const refused = err('connect ECONNREFUSED 127.0.0.1:993', { code: 'ECONNREFUSED' });
    expect(mapImapError(refused, imapCtx).message).toBe('Connection refused on port 993');
    expect(mapImapError(err('x', { code: 'ENOTFOUND' }), imapCtx).message).toContain('imap.example.com');
    expect(mapImapError(err('x', { mailboxMissing: true, responseStatus: 'NO' }), imapCtx).message).toContain('"INBOX"');
  });
});

describe('mapSmtpError', () => {
  it.each(smtpCases)('%s', (_name, error, code, detail) => {
    const mapped = mapSmtpError(error, smtpCtx);
    expect(mapped.code).toBe(code);
    if (detail) expect(mapped.detail).toBe(detail);
  });

  it('says which port refused, with the cause and fix from the catalogue', () => {
    const mapped = mapSmtpError(err('connect ECONNREFUSED 127.0.0.1:465', { code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' }), smtpCtx);
    expect(mapped.message).toBe('Connection refused on port 465');
    expect(mapped.fix).toMatch(/587/);
    expect(mapped.retryable).toBe(true);
  });
});

describe('mapAppendError (filing a sent reply’s copy)', () => {
  const ctx = { protocol: 'imap' as const, host: 'imap.example.com', port: 993, mailbox: 'INBOX.Sent' };
  // What imapflow throws for a tagged NO to APPEND: the generic message, the server's words beside it.
  const refused = (responseText: string, serverResponseCode?: string) =>
    Object.assign(new Error('Command failed'), {
      responseStatus: 'NO',
      responseText,
      serverResponseCode,
      executedCommand: '7 APPEND INBOX.Sent (\\Seen) {812}',
    });

  it('names the folder and keeps the server’s words when the server refuses the message', () => {
    const e = mapAppendError(refused('Message contains bare newlines'), ctx);
    expect(e.code).toBe('SENT_COPY_REFUSED');
    expect(e.message).toBe('The server refused to file the copy in "INBOX.Sent"');
    expect(e.detail).toBe('Message contains bare newlines');
    expect(e.fix).toMatch(/choose another Sent folder/);
  });

  it('says the folder does not exist for [TRYCREATE]', () => {
    const e = mapAppendError(refused("Mailbox doesn't exist: INBOX.Sent", 'TRYCREATE'), ctx);
    expect(e.code).toBe('SENT_FOLDER_NOT_FOUND');
    expect(e.message).toBe('The Sent folder "INBOX.Sent" does not exist');
  });

  it('keeps login and connection problems as they map everywhere', () => {
    expect(mapAppendError(Object.assign(new Error('auth'), { authenticationFailed: true }), ctx).code).toBe('AUTH_FAILED');
    expect(mapAppendError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), ctx).code).toBe('CONNECTION_REFUSED');
  });
});
