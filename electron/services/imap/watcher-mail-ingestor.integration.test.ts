import { randomBytes, X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { defaultChannelForm } from '../../../shared/channel';
import type { ImapFlow } from 'imapflow';
import { withImapSession } from '../../../test/mailstack/mailstack';
import { tempDir } from '../../../test/support/temp';
import type { ChannelWithSecrets } from '../channels/channel-service';
import { channelRecord, openHarness, type Harness } from '../../../test/support/mail-harness';
import { MailboxWatcher, type WatcherStatus } from './watcher';

// The watcher with the real SQLite ingestor (parse, thread, store) against the real Dovecot: the
// contract seen from both sides, where the other suite uses a stand-in ingestor.
const stack = inject('mailstack');
const support = stack.users.support;
const trusted = { pem: stack.certPem, fingerprint256: new X509Certificate(stack.certPem).fingerprint256 };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function channel(mailbox: string): ChannelWithSecrets {
  const form = defaultChannelForm();
  return {
    ...form,
    id: `ch-${randomBytes(4).toString('hex')}`,
    name: 'Support',
    supportAddress: support.address,
    imap: {
      host: stack.host,
      port: stack.imap.implicitTls,
      username: support.user,
      password: support.password,
      tls: true,
      tlsMode: 'implicit',
      trustedCertificate: trusted,
      mailbox,
    },
    smtp: { ...form.smtp, host: stack.host, username: support.user, password: support.password, fromAddress: support.address },
    inbox: { ...form.inbox, initialImport: 'all', pollIntervalSeconds: 1 },
  };
}

function message(subject: string): string {
  return [
    'From: Carol Customer <carol@example.com>',
    `To: ${support.address}`,
    `Subject: ${subject}`,
    `Message-ID: <${randomBytes(8).toString('hex')}@example.com>`,
    'Date: Tue, 24 Nov 2026 10:00:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `About ${subject}`,
    '',
  ].join('\r\n');
}

function withSupport<T>(fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  return withImapSession(stack, support, fn);
}

function start(ch: ChannelWithSecrets, h: Harness): { watcher: MailboxWatcher; statuses: WatcherStatus[] } {
  const statuses: WatcherStatus[] = [];
  const watcher = new MailboxWatcher(ch, (s) => statuses.push(s), { ingestor: h.ingestor, backoff: { baseMs: 100, capMs: 1_000, minMs: 50 } });
  cleanups.push(() => watcher.stop());
  watcher.start();
  return { watcher, statuses };
}

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('MailboxWatcher with the SQLite ingestor', () => {
  it('imports a mailbox into conversations, survives a UIDVALIDITY change without duplicates, and resumes after a restart', async () => {
    const raws = Array.from({ length: 12 }, (_, i) => message(`order ${i}`));
    const mailbox = `Real-${randomBytes(3).toString('hex')}`;
    await withSupport(async (c) => {
      await c.mailboxCreate(mailbox);
      for (const raw of raws) await c.append(mailbox, raw, []);
    });
    const ch = channel(mailbox);
    const dir = tempDir('auxilium-watcher-');
    cleanups.push(dir.remove);
    let h = openHarness(dir.path, { channel: channelRecord(ch.id, { initialImport: 'all' }) });
    const close = () => h.close();
    cleanups.push(close);
    // Every conversation, whatever its status: an "import all" backlog arrives closed.
    const all = () => h.store.list({ view: 'all', meAgentId: null, channelId: ch.id, limit: 1 }).total;

    let w = start(ch, h);
    await until('12 conversations', () => all() === 12 && h.ingestor.cursor(ch.id, mailbox)?.backfillBelowUid === null);
    const before = h.ingestor.cursor(ch.id, mailbox)!;
    expect(h.store.counts(null, ch.id).all).toBe(0);

    await withSupport(async (c) => {
      await c.mailboxDelete(mailbox);
      await c.mailboxCreate(mailbox);
      for (const raw of raws) await c.append(mailbox, raw, []);
    });
    await until('the resync', () => {
      const cursor = h.ingestor.cursor(ch.id, mailbox);
      return !!cursor && cursor.uidValidity !== before.uidValidity && cursor.backfillBelowUid === null;
    });
    expect(all()).toBe(12);

    // Stop watcher and store, append while down, reopen both: the new mail arrives once.
    await w.watcher.stop();
    await h.close();
    await withSupport((c) => c.append(mailbox, message('while down'), []));
    h = openHarness(dir.path, { channel: channelRecord(ch.id, { initialImport: 'all' }) });
    w = start(ch, h);
    await until('the 13th conversation', () => all() === 13);
    await until('connected', () => w.statuses.at(-1)?.state === 'connected');
    expect(all()).toBe(13);
    expect(w.statuses.every((s) => s.state !== 'retrying')).toBe(true);
  });
});
