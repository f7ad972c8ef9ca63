import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import type { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { describe, expect, inject, it } from 'vitest';
import { defaultChannelForm, type ChannelForm, type ImapForm, type SmtpForm } from '../../../shared/channel';
import type { MailErrorCode } from '../../../shared/errors';
import type { ProbeResult } from '../../../shared/contract';
import { createImapClient, imapClientOptions } from '../imap/connect';
import { smtpConnectionOptions } from '../smtp/connect';
import { mapSmtpError } from '../mail-errors/map-error';
import { probeImap, probeSmtp } from './probe';
import { testConnection } from './index';

// Every error here is produced for real by the Dovecot/Postfix of test/mailstack, on 127.0.0.1.
// Not covered here: "host not found". Resolving any name, even one under .invalid, would send a
// query to this machine's nameserver (10.255.255.53), so it is covered by map-error.test.ts.
const stack = inject('mailstack');
const support = stack.users.support;
const trusted = { pem: stack.certPem, fingerprint256: new X509Certificate(stack.certPem).fingerprint256 };

function imapForm(o: Partial<ImapForm> = {}): ImapForm {
  return {
    host: stack.host,
    port: stack.imap.implicitTls,
    username: support.user,
    password: support.password,
    tls: true,
    // The test ports are random, so implicit TLS is chosen explicitly (auto only means it on 993).
    tlsMode: 'implicit',
    trustedCertificate: trusted,
    mailbox: 'INBOX',
    ...o,
  };
}

function smtpForm(o: Partial<SmtpForm> = {}): SmtpForm {
  return {
    host: stack.host,
    port: stack.smtp.starttls,
    username: support.user,
    password: support.password,
    tls: true,
    tlsMode: 'auto', // not 465, so STARTTLS
    trustedCertificate: trusted,
    fromName: 'Auxilium Support',
    fromAddress: support.address,
    ...o,
  };
}

function channel(imap: Partial<ImapForm> = {}, smtp: Partial<SmtpForm> = {}, supportAddress = support.address): ChannelForm {
  return { ...defaultChannelForm(), name: 'Support', imap: imapForm(imap), smtp: smtpForm(smtp), supportAddress };
}

const toSupport = { recipient: support.address };

function expectFailure(result: ProbeResult, code: MailErrorCode) {
  expect(result.ok, JSON.stringify(result)).toBe(false);
  if (result.ok) throw new Error('unreachable');
  expect(result.error.code, JSON.stringify(result.error)).toBe(code);
  // No password may travel in a result, whatever failed.
  for (const u of Object.values(stack.users)) expect(JSON.stringify(result)).not.toContain(u.password);
  return result;
}

function expectOk(result: ProbeResult): string {
  expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
  return result.ok ? result.summary : '';
}

/** A server that accepts TCP and never says a word, and tells when its connection is closed. */
async function silentServer() {
  let closed!: () => void;
  const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => closed());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connectionClosed,
    connections: () => sockets.size,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function within<T>(ms: number, p: Promise<T>): Promise<T | 'not in time'> {
  return Promise.race([p, new Promise<'not in time'>((r) => setTimeout(() => r('not in time'), ms))]);
}

describe('probeImap against Dovecot', () => {
  it('logs in and opens INBOX over implicit TLS, STARTTLS and plaintext', async () => {
    expect(expectOk(await probeImap(imapForm()))).toMatch(/^Logged in and opened INBOX \(\d+ messages?\) over implicit TLS$/);
    expect(expectOk(await probeImap(imapForm({ port: stack.imap.starttls, tlsMode: 'auto' })))).toMatch(/over STARTTLS$/);
    expect(expectOk(await probeImap(imapForm({ port: stack.imap.plain, tls: false, trustedCertificate: null })))).toMatch(/over an unencrypted connection$/);
  });

  it('changes nothing in the mailbox (EXAMINE): flags, \\Recent and count stay as they were', async () => {
    const other = imapForm({ username: stack.users.other.user, password: stack.users.other.password });
    await withClient(other, (c) => c.append('INBOX', 'From: a@example.com\r\nTo: other@auxilium.test\r\nSubject: unread\r\n\r\nhi\r\n', []));
    const flagsBefore = await listFlags(other);
    expect(flagsBefore.at(-1)).toEqual(['\\Recent']);
    expect(expectOk(await probeImap(other))).toContain(`(${flagsBefore.length} message`);
    // A read-write SELECT would have taken \Recent away from every later session.
    expect(await listFlags(other)).toEqual(flagsBefore);
  });

  it('reports a wrong password as authentication failed', async () => {
    const r = expectFailure(await probeImap(imapForm({ password: 'not-the-password' })), 'AUTH_FAILED');
    expect(r.error.message).toBe('Authentication failed');
    expect(r.error.detail).toMatch(/Authentication failed/i);
  });

  it('reports a closed port as connection refused on that port', async () => {
    const r = expectFailure(await probeImap(imapForm({ port: stack.closed })), 'CONNECTION_REFUSED');
    expect(r.error.message).toBe(`Connection refused on port ${stack.closed}`);
  });

  it('reports implicit TLS against the plaintext/STARTTLS port as a TLS handshake failure', async () => {
    const r = expectFailure(await probeImap(imapForm({ port: stack.imap.plain, tlsMode: 'implicit' })), 'TLS_HANDSHAKE_FAILED');
    expect(r.error.message).toBe(`TLS handshake failure on port ${stack.imap.plain}`);
    expect(r.error.detail).toMatch(/wrong version number/);
  });

  it.each([
    ['implicit TLS', { port: stack.imap.implicitTls, tlsMode: 'implicit' as const }],
    ['STARTTLS', { port: stack.imap.starttls, tlsMode: 'starttls' as const }],
  ])('over %s: an untrusted self-signed certificate fails with the certificate shown, and passes once trusted', async (_mode, where) => {
    const r = expectFailure(await probeImap(imapForm({ ...where, trustedCertificate: null })), 'CERTIFICATE_INVALID');
    expect(r.error.message).toBe('Certificate verify failed');
    expect(r.error.detail).toMatch(/self-signed certificate/);
    expect(r.certificate).toMatchObject({ fingerprint256: trusted.fingerprint256, subject: 'CN=localhost', issuer: 'CN=localhost' });
    expect(r.certificate?.pem).toContain('BEGIN CERTIFICATE');
    expect(r.certificate?.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(Date.parse(r.certificate?.validTo ?? '')).toBeGreaterThan(Date.now());

    const cert = r.certificate!;
    expectOk(await probeImap(imapForm({ ...where, trustedCertificate: { pem: cert.pem, fingerprint256: cert.fingerprint256 } })));
  });

  it('gives up on a silent server with a timeout', async () => {
    const started = Date.now();
    const r = expectFailure(await probeImap(imapForm({ port: stack.silent }), { timeoutMs: 2000 }), 'TIMEOUT');
    expect(r.error.message).toBe(`Connection timeout: ${stack.host} did not answer on port ${stack.silent}`);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('closes its connection to a silent server when it gives up', async () => {
    const silent = await silentServer();
    try {
      expectFailure(await probeImap(imapForm({ port: silent.port, tlsMode: 'starttls' }), { timeoutMs: 1500 }), 'TIMEOUT');
      expect(await within(3000, silent.connectionClosed)).not.toBe('not in time');
    } finally {
      await silent.close();
    }
  });

  it('reports a missing mailbox by name', async () => {
    const r = expectFailure(await probeImap(imapForm({ mailbox: 'Support Queue' })), 'MAILBOX_NOT_FOUND');
    expect(r.error.message).toBe('Mailbox "Support Queue" does not exist');
  });
});

async function withClient<T>(form: ImapForm, work: (c: ImapFlow) => Promise<T>): Promise<T> {
  // IMAP4rev1 so that \Recent is reported at all.
  const client = createImapClient({ ...imapClientOptions(form, { timeoutMs: 10_000 }), disableIMAP4rev2: true });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.logout();
  }
}

/** Flags of every INBOX message, read in a fresh read-only session. */
function listFlags(form: ImapForm): Promise<string[][]> {
  return withClient(form, async (client) => {
    await client.mailboxOpen('INBOX', { readOnly: true });
    const flags: string[][] = [];
    for await (const m of client.fetch('1:*', { flags: true })) flags.push([...(m.flags ?? [])].sort());
    return flags;
  });
}

describe('probeSmtp against Postfix', () => {
  it('logs in and checks the envelope over STARTTLS, implicit TLS and plaintext', async () => {
    expect(expectOk(await probeSmtp(smtpForm(), toSupport))).toMatch(/^Logged in over STARTTLS; the server accepts mail from support@/);
    expect(expectOk(await probeSmtp(smtpForm({ port: stack.smtp.implicitTls, tlsMode: 'implicit' }), toSupport))).toMatch(/over implicit TLS/);
    expect(expectOk(await probeSmtp(smtpForm({ port: stack.smtp.plain, tls: false, trustedCertificate: null }), toSupport))).toMatch(
      /over an unencrypted connection/,
    );
  });

  it('reports a wrong password as authentication failed', async () => {
    const r = expectFailure(await probeSmtp(smtpForm({ password: 'not-the-password' }), toSupport), 'AUTH_FAILED');
    expect(r.error.detail).toMatch(/^535 /);
  });

  it('reports a closed port as connection refused on that port', async () => {
    const r = expectFailure(await probeSmtp(smtpForm({ port: stack.closed }), toSupport), 'CONNECTION_REFUSED');
    expect(r.error.message).toBe(`Connection refused on port ${stack.closed}`);
  });

  it('reports implicit TLS against the STARTTLS port as a TLS handshake failure', async () => {
    const r = expectFailure(await probeSmtp(smtpForm({ tlsMode: 'implicit' }), toSupport), 'TLS_HANDSHAKE_FAILED');
    expect(r.error.message).toBe(`TLS handshake failure on port ${stack.smtp.starttls}`);
  });

  it('refuses to go on unencrypted when the server offers no STARTTLS', async () => {
    const r = expectFailure(await probeSmtp(smtpForm({ port: stack.smtp.plain, tlsMode: 'starttls' }), toSupport), 'STARTTLS_UNAVAILABLE');
    expect(r.error.message).toBe(`The server on port ${stack.smtp.plain} does not offer STARTTLS`);
  });

  it('says the TLS setting is wrong when TLS is off and the server insists on it', async () => {
    const r = expectFailure(await probeSmtp(smtpForm({ tls: false }), toSupport), 'TLS_REQUIRED');
    expect(r.error.message).toBe(`The server on port ${stack.smtp.starttls} requires TLS/SSL`);
    expect(r.error.detail).toMatch(/STARTTLS/);
  });

  it.each([
    ['STARTTLS', { port: stack.smtp.starttls, tlsMode: 'starttls' as const }],
    ['implicit TLS', { port: stack.smtp.implicitTls, tlsMode: 'implicit' as const }],
  ])('over %s: an untrusted self-signed certificate fails with the certificate shown, and passes once trusted', async (_mode, where) => {
    const r = expectFailure(await probeSmtp(smtpForm({ ...where, trustedCertificate: null }), toSupport), 'CERTIFICATE_INVALID');
    expect(r.error.message).toBe('Certificate verify failed');
    expect(r.certificate).toMatchObject({ fingerprint256: trusted.fingerprint256, subject: 'CN=localhost' });

    const cert = r.certificate!;
    expectOk(await probeSmtp(smtpForm({ ...where, trustedCertificate: { pem: cert.pem, fingerprint256: cert.fingerprint256 } }), toSupport));
  });

  it('gives up on a silent server with a timeout', async () => {
    const r = expectFailure(await probeSmtp(smtpForm({ port: stack.silent }), { ...toSupport, timeoutMs: 2000 }), 'TIMEOUT');
    expect(r.error.message).toContain(`port ${stack.silent}`);
  });

  it('closes its connection to a silent server when it gives up', async () => {
    const silent = await silentServer();
    try {
      expectFailure(await probeSmtp(smtpForm({ port: silent.port }), { ...toSupport, timeoutMs: 1500 }), 'TIMEOUT');
      expect(silent.connections()).toBe(1);
      expect(await within(3000, silent.connectionClosed)).not.toBe('not in time');
    } finally {
      await silent.close();
    }
  });

  it('reports relay access denied when the support address is on a domain this server does not serve', async () => {
    // A realistic slip: the support address is at another domain (say the company's old one), and
    // the submission server will only deliver to the domains it hosts.
    const r = expectFailure(await probeSmtp(smtpForm(), { recipient: stack.relayDeniedRecipient }), 'RELAY_DENIED');
    expect(r.error.message).toBe('Relay access denied');
    expect(r.error.detail).toMatch(/^554 5\.7\.1 .*Relay access denied/);
  });

  it('reports a recipient the server refuses (5xx, not relay) as message rejected', async () => {
    const r = expectFailure(await probeSmtp(smtpForm(), { recipient: 'nobody@auxilium.test' }), 'MESSAGE_REJECTED');
    expect(r.error.message).toBe('Message rejected');
    expect(r.error.detail).toMatch(/^550 5\.1\.1 .*User unknown/);
  });

  it('never sends DATA: the listener that rejects every message still passes the probe', async () => {
    expectOk(await probeSmtp(smtpForm({ port: stack.smtp.rejecting, tls: false, trustedCertificate: null }), toSupport));
  });

  it('maps a real message rejection after DATA (the sender path) to message rejected', async () => {
    const { auth, ...options } = smtpConnectionOptions(smtpForm({ port: stack.smtp.rejecting, tls: false }), { timeoutMs: 10_000 });
    const transport = nodemailer.createTransport({ ...options, auth });
    try {
      const err = await transport
        .sendMail({ from: support.address, to: support.address, subject: 'rejected', text: 'this one is refused at end of data' })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toMatchObject({ code: 'EMESSAGE', responseCode: 550 });
      const mapped = mapSmtpError(err, { protocol: 'smtp', host: stack.host, port: stack.smtp.rejecting });
      expect(mapped.code).toBe('MESSAGE_REJECTED');
      expect(mapped.detail).toMatch(/Message rejected by content policy/);
    } finally {
      transport.close();
    }
  });

  it('reports the rate limit when the server throttles MAIL FROM', async () => {
    const form = smtpForm({ port: stack.smtp.rateLimited, tls: false, trustedCertificate: null });
    // The listener allows one MAIL FROM per minute: the first probe may pass (or already be
    // limited if another test used the listener), the second is limited for sure.
    const first = await probeSmtp(form, toSupport);
    if (!first.ok) expectFailure(first, 'RATE_LIMITED');
    const r = expectFailure(await probeSmtp(form, toSupport), 'RATE_LIMITED');
    expect(r.error.message).toBe('Rate limit exceeded');
    expect(r.error.detail).toMatch(/^450 4\.7\.1 .*too much mail/);
    expect(r.error.retryable).toBe(true);
  });
});

describe('testConnection', () => {
  it('passes both probes for working settings', async () => {
    const result = await testConnection(channel());
    expectOk(result.imap);
    expectOk(result.smtp);
  });

  it('reports IMAP and SMTP independently: one failing never hides the other', async () => {
    const smtpBroken = await testConnection(channel({}, { password: 'wrong-smtp-password' }));
    expectOk(smtpBroken.imap);
    expectFailure(smtpBroken.smtp, 'AUTH_FAILED');

    const imapBroken = await testConnection(channel({ port: stack.closed }));
    expectFailure(imapBroken.imap, 'CONNECTION_REFUSED');
    expectOk(imapBroken.smtp);
  });

  it('uses the support address as the RCPT TO of the SMTP check', async () => {
    const result = await testConnection(channel({}, {}, stack.relayDeniedRecipient));
    expectOk(result.imap);
    expectFailure(result.smtp, 'RELAY_DENIED');
  });

  it('leaves no socket open behind it', async () => {
    // The test worker talks to vitest over IPC, not TCP: once earlier tests' sockets are gone,
    // every TCP/TLS socket that is still open afterwards belongs to the probes.
    const openSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TLSWrap').length;
    const settle = async (ms: number) => {
      const deadline = Date.now() + ms;
      while (openSockets() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return openSockets();
    };
    expect(await settle(5000)).toBe(0);
    await testConnection(channel());
    await testConnection(channel({ password: 'wrong' }, { port: stack.smtp.implicitTls, tlsMode: 'implicit', trustedCertificate: null }));
    expect(await settle(3000)).toBe(0);
  });
});
