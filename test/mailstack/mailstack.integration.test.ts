import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deliver,
  DMARC_STRICT_RECIPIENT,
  imapClient,
  imapServers,
  startMailStack,
  startOwnCyrus,
  waitForMessages,
  withImapSession,
  type MailStack,
  type MailUser,
} from './mailstack.js';

const START_TIMEOUT = 60_000;

let stack: MailStack;

beforeAll(async () => {
  stack = await startMailStack({ cyrus: true });
}, START_TIMEOUT);

afterAll(async () => {
  await stack?.stop();
  if (stack) await rm(stack.dir, { recursive: true, force: true });
}, START_TIMEOUT);

function imap(user: MailUser, opts: Partial<ImapFlowOptions>): ImapFlow {
  const client = new ImapFlow({
    host: stack.host,
    port: stack.imap.implicitTls,
    secure: true,
    auth: { user: user.user, pass: user.password },
    logger: false,
    ...opts,
  });
  // An unhandled 'error' event would take the test worker down.
  client.on('error', () => undefined);
  return client;
}

async function loginWorks(client: ImapFlow): Promise<boolean> {
  await client.connect();
  const secure = client.secureConnection;
  await client.logout();
  return secure;
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
}

async function send(
  port: number,
  sender: MailUser,
  to: string,
  opts: { secure?: boolean; ignoreTLS?: boolean; requireTLS?: boolean } = {},
): Promise<SmtpError | undefined> {
  const transport = nodemailer.createTransport({
    host: stack.host,
    port,
    secure: opts.secure ?? false,
    ignoreTLS: opts.ignoreTLS,
    requireTLS: opts.requireTLS,
    auth: { user: sender.user, pass: sender.password },
    tls: { ca: stack.certPem },
  });
  try {
    await transport.sendMail({ from: sender.address, to, subject: 'probe', text: 'probe' });
    return undefined;
  } catch (err) {
    return err as SmtpError;
  } finally {
    transport.close();
  }
}

describe('IMAP', () => {
  it('logs in over plaintext on the plain port', async () => {
    const secure = await loginWorks(imap(stack.users.support, { port: stack.imap.plain, secure: false, doSTARTTLS: false }));
    expect(secure).toBe(false);
  });

  it('logs in after STARTTLS', async () => {
    const client = imap(stack.users.support, {
      port: stack.imap.starttls,
      secure: false,
      doSTARTTLS: true,
      tls: { ca: stack.certPem },
    });
    expect(await loginWorks(client)).toBe(true);
  });

  it('logs in over implicit TLS, verifying the certificate for 127.0.0.1', async () => {
    const client = imap(stack.users.customer, { tls: { ca: stack.certPem } });
    expect(await loginWorks(client)).toBe(true);
  });

  it('rejects an unknown self-signed certificate by default', async () => {
    const err = await imap(stack.users.support, {})
      .connect()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((err as { code?: string }).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('reports a wrong password as authenticationFailed', async () => {
    const wrong = { ...stack.users.support, password: 'not-the-password' };
    const err = await imap(wrong, { tls: { ca: stack.certPem } })
      .connect()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toMatchObject({ authenticationFailed: true });
  });

  it('has random passwords and user === address', () => {
    const { support, customer, other } = stack.users;
    expect(support.user).toBe('support@auxilium.test');
    expect(new Set([support.password, customer.password, other.password]).size).toBe(3);
    for (const u of [support, customer, other]) expect(u.user).toBe(u.address);
  });
});

describe('SMTP', () => {
  it('delivers a submitted message into the recipient INBOX via LMTP', async () => {
    await deliver(stack, {
      from: stack.users.customer.address,
      to: stack.users.support.address,
      subject: 'Printer on fire',
      text: 'Please help.',
      headers: { 'X-Test': 'mailstack' },
    });
    await waitForMessages(stack, stack.users.support, 'INBOX', 1, 15_000);

    const maildirNew = path.join(stack.dir, 'mail', stack.users.support.user, 'Maildir', 'new');
    expect(readdirSync(maildirNew)).toHaveLength(1);

    const client = imap(stack.users.support, { tls: { ca: stack.certPem } });
    await client.connect();
    const lock = await client.getMailboxLock('INBOX');
    try {
      const msg = await client.fetchOne('*', { envelope: true, headers: ['x-test'] });
      expect(msg && msg.envelope?.subject).toBe('Printer on fire');
      expect(msg && msg.headers?.toString()).toMatch(/X-Test: mailstack/i);
    } finally {
      lock.release();
      await client.logout();
    }
  });

  it('accepts AUTH without TLS on the plain port', async () => {
    expect(await send(stack.smtp.plain, stack.users.other, stack.users.other.address, { ignoreTLS: true })).toBeUndefined();
  });

  it('does not offer STARTTLS on the plain port', async () => {
    const err = await send(stack.smtp.plain, stack.users.other, stack.users.other.address, { requireTLS: true });
    expect(err?.code).toBe('ETLS');
  });

  it('sends over STARTTLS and over implicit TLS', async () => {
    expect(await send(stack.smtp.starttls, stack.users.other, stack.users.other.address, { requireTLS: true })).toBeUndefined();
    expect(await send(stack.smtp.implicitTls, stack.users.other, stack.users.other.address, { secure: true })).toBeUndefined();
  });

  it('requires TLS before AUTH on the STARTTLS port', async () => {
    const err = await send(stack.smtp.starttls, stack.users.other, stack.users.other.address, { ignoreTLS: true });
    expect(err?.responseCode).toBe(530);
    expect(err?.response).toMatch(/STARTTLS/);
  });

  it('refuses submission without login', async () => {
    const transport = nodemailer.createTransport({
      host: stack.host,
      port: stack.smtp.starttls,
      requireTLS: true,
      tls: { ca: stack.certPem },
    });
    const err = (await transport.sendMail({ from: stack.users.other.address, to: stack.users.support.address, subject: 'x', text: 'x' }).then(
      () => undefined,
      (e: unknown) => e,
    )) as SmtpError | undefined;
    transport.close();
    expect(err?.code).toBe('EENVELOPE');
    expect(err?.response).not.toMatch(/Relay access denied/);
  });

  it('says the real "Relay access denied" for an outside domain, even when authenticated', async () => {
    const err = await send(stack.smtp.starttls, stack.users.support, stack.relayDeniedRecipient, { requireTLS: true });
    expect(err?.code).toBe('EENVELOPE');
    expect(err?.responseCode).toBe(554);
    expect(err?.response).toMatch(/Relay access denied/);
  });

  it("refuses mail to the DMARC-strict recipient with Gmail's 550 5.7.26, even when authenticated", async () => {
    const err = await send(stack.smtp.starttls, stack.users.support, DMARC_STRICT_RECIPIENT, { requireTLS: true });
    expect(err?.code).toBe('EENVELOPE');
    expect(err?.responseCode).toBe(550);
    expect(err?.response).toMatch(
      /^550 5\.7\.26 <strict@auxilium\.test>: Recipient address rejected: Unauthenticated email from auxilium\.test .*DMARC policy/,
    );
  });

  it('rejects every message with a permanent 5xx on the rejecting port', async () => {
    const err = await send(stack.smtp.rejecting, stack.users.support, stack.users.customer.address);
    expect(err?.code).toBe('EMESSAGE');
    expect(err?.responseCode).toBe(550);
    expect(err?.response).not.toMatch(/Relay access denied/);
  });

  it('refuses a second message in a short window with a 4xx on the rate-limited port', async () => {
    const first = await send(stack.smtp.rateLimited, stack.users.support, stack.users.customer.address);
    expect(first).toBeUndefined();
    const second = await send(stack.smtp.rateLimited, stack.users.support, stack.users.customer.address);
    expect(second?.responseCode).toBeGreaterThanOrEqual(421);
    expect(second?.responseCode).toBeLessThan(500);
  });
});

describe('Cyrus IMAP beside Dovecot', () => {
  const cyrus = (): MailStack => imapServers(stack)[1] as MailStack;

  it('logs in over plaintext, STARTTLS and implicit TLS, checking the password', async () => {
    const c = cyrus();
    const user = c.users.support;
    expect(user.user).toBe('support@cyrus.test');
    expect(await loginWorks(imap(user, { port: c.imap.plain, secure: false, doSTARTTLS: false }))).toBe(false);
    expect(await loginWorks(imap(user, { port: c.imap.starttls, secure: false, doSTARTTLS: true, tls: { ca: stack.certPem } }))).toBe(true);
    expect(await loginWorks(imap(user, { port: c.imap.implicitTls, tls: { ca: stack.certPem } }))).toBe(true);
    const wrong = { ...user, password: 'not-the-password' };
    const err = await imap(wrong, { port: c.imap.implicitTls, tls: { ca: stack.certPem } })
      .connect()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toMatchObject({ authenticationFailed: true });
  });

  it('has INBOX.Sent marked \\Sent, and refuses a message with bare newlines', async () => {
    const c = cyrus();
    await withImapSession(c, c.users.other, async (client) => {
      const sent = (await client.list()).find((f) => f.specialUse === '\\Sent');
      expect(sent?.path).toBe(c.sentFolder);
      expect(c.sentFolder).toBe('INBOX.Sent');
      const err = await client.append(c.sentFolder, 'Subject: x\n\nline 1\nline 2\n').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as { responseText?: string }).responseText).toMatch(/bare newlines/);
    });
  });

  it('keeps apart the INBOXes of two users it creates in the same second', async () => {
    // A server of its own, so both users log in for the first time here, at once: Cyrus creates
    // their INBOXes then. Before the spool was named by mailbox, the two shared one folder.
    const own = await startOwnCyrus(stack, { idled: true, sentFolder: true });
    const clients = [imapClient(own, own.users.other), imapClient(own, own.users.cc)];
    try {
      await Promise.all(clients.map((client) => client.connect()));
      await clients[0]!.append('INBOX', `From: a@example.com\r\nTo: ${own.users.other.address}\r\nSubject: for other only\r\n\r\nhi\r\n`);
      const counts: (number | undefined)[] = [];
      for (const client of clients) {
        const status = await client.status('INBOX', { messages: true });
        counts.push(status ? status.messages : undefined);
      }
      expect(counts).toEqual([1, 0]);
    } finally {
      await Promise.all(clients.map((client) => client.logout().catch(() => client.close())));
      await own.stop();
    }
  });

  it('receives mail submitted to Postfix for its domain', async () => {
    const c = cyrus();
    await deliver(c, { from: c.users.customer.address, to: c.users.support.address, subject: 'To Cyrus', text: 'Hello\nthere' });
    expect(await waitForMessages(c, c.users.support, 'INBOX', 1)).toBe(1);
  });
});

describe('other ports', () => {
  it('LMTP answers with a 220 greeting', async () => {
    const greeting = await new Promise<string>((resolve, reject) => {
      const s = net.connect(stack.lmtp, stack.host);
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString());
      });
      s.once('error', reject);
    });
    expect(greeting).toMatch(/^220 /);
  });

  it('the silent port accepts a connection and never speaks', async () => {
    const received = await new Promise<number>((resolve, reject) => {
      let bytes = 0;
      const s = net.connect(stack.silent, stack.host);
      s.on('data', (d) => {
        bytes += d.length;
      });
      s.once('error', reject);
      s.once('connect', () =>
        setTimeout(() => {
          s.destroy();
          resolve(bytes);
        }, 1_000),
      );
    });
    expect(received).toBe(0);
  });

  it('the closed port refuses connections', async () => {
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const s = net.connect(stack.closed, stack.host);
      s.once('connect', () => {
        s.destroy();
        resolve(new Error('connected'));
      });
      s.once('error', resolve);
    });
    expect(err.code).toBe('ECONNREFUSED');
  });
});

describe('lifecycle', () => {
  function masterPids(dir: string): number[] {
    return [path.join(dir, 'dovecot', 'run', 'master.pid'), path.join(dir, 'postfix-queue', 'pid', 'master.pid'), path.join(dir, 'cyrus', 'master.pid')]
      .filter((f) => existsSync(f))
      .map((f) => Number(readFileSync(f, 'utf8').trim()));
  }
  function running(pid: number): boolean {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
    } catch {
      return false;
    }
  }
  function refused(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
    });
  }

  it(
    'replaces a stack left running in the same dir, and stop() leaves nothing running',
    async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'auxilium-mailstack-reuse-'));
      const first = await startMailStack({ dir, cyrus: true });
      const firstPids = masterPids(dir);
      expect(firstPids).toHaveLength(3);

      const second = await startMailStack({ dir, cyrus: true });
      for (const pid of firstPids) expect(running(pid)).toBe(false);
      const secondPids = masterPids(dir);
      expect(await waitForMessages(second, second.users.support, 'INBOX', 0, 5_000)).toBe(0);

      await second.stop();
      for (const pid of secondPids) expect(running(pid)).toBe(false);
      for (const port of [
        second.imap.plain,
        second.imap.implicitTls,
        second.smtp.starttls,
        second.lmtp,
        second.silent,
        second.cyrus!.imap.implicitTls,
        second.cyrus!.lmtp,
      ]) {
        expect(await refused(port)).toBe(true);
      }
      // first.stop() after its processes were replaced must not fail.
      await first.stop();
      await rm(dir, { recursive: true, force: true });
    },
    START_TIMEOUT,
  );
});
