import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { ChannelNotice } from '../../../shared/channel';
import { imapServers, withImapSession, type MailStackInfo, type MailUser } from '../../../test/mailstack/mailstack';
import { channelFor, marker } from '../../../test/support/core';
import { tempDir } from '../../../test/support/temp';
import type { ChannelWithSecrets } from '../channels/channel-service';
import { settingsWithoutPasswords, type ChannelRecord } from '../store/channel-repo';
import { openDatabase } from '../store/database';
import { MailStore } from '../store/mail-store';
import { OutboxRepo } from '../store/outbox-repo';
import { RawStore } from '../store/raw-store';
import { ReplyDelivery } from './delivery';

// The IMAP side of a sent reply (ReplyDelivery.finishOnServer) against the real Dovecot and Cyrus of
// test/mailstack. A TCP relay on 127.0.0.1 stands between the delivery and the server only to count
// the IMAP sessions it opens; every byte goes to the real server unchanged.

const stack = inject('mailstack');
const servers = imapServers(stack);

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Forwards connections on a port of its own to `port`, counting them. */
async function countingRelay(port: number): Promise<{ port: number; sessions: () => number }> {
  let sessions = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sessions += 1;
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as { port: number }).port, sessions: () => sessions };
}

function customerMail(mark: string, s: MailStackInfo): Buffer {
  const { customer, support } = s.users;
  return Buffer.from(
    `From: ${customer.address}\r\nTo: ${support.address}\r\nSubject: Order ${mark}\r\nMessage-ID: <c.${mark}@example.com>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\nWhere is order ${mark}?\r\n`,
  );
}

function replyMail(mark: string, s: MailStackInfo): Buffer {
  const { customer, support } = s.users;
  return Buffer.from(
    `From: ${support.address}\r\nTo: ${customer.address}\r\nSubject: Re: Order ${mark}\r\nMessage-ID: <r.${mark}@acme.test>\r\nIn-Reply-To: <c.${mark}@example.com>\r\nDate: Tue, 01 Dec 2026 11:00:00 +0000\r\n\r\nIt ships today.\r\n`,
  );
}

/** Message-IDs (without brackets) and flags of what `folder` holds with this Message-ID. */
async function flagsOf(s: MailStackInfo, folder: string, messageId: string, user: MailUser = s.users.support): Promise<string[][]> {
  return withImapSession(s, user, async (client) => {
    const lock = await client.getMailboxLock(folder, { readOnly: true });
    try {
      const uids = await client.search({ header: { 'message-id': messageId } }, { uid: true });
      if (!Array.isArray(uids) || uids.length === 0) return [];
      const out: string[][] = [];
      for await (const m of client.fetch(uids.join(','), { uid: true, flags: true }, { uid: true })) out.push([...(m.flags ?? [])]);
      return out;
    } finally {
      lock.release();
    }
  });
}

/**
 * A sent reply in a fresh database whose customer message is really in the support mailbox's INBOX
 * of `s`, and a ReplyDelivery that reaches the server through `imapPort` (a relay, or a closed port).
 */
async function sentReply(s: MailStackInfo, o: { imapPort?: number; sentFolder?: string; uidValidity?: string; user?: MailUser } = {}) {
  const mark = marker();
  const user = o.user ?? s.users.support;
  const appended = await withImapSession(s, user, (client) => client.append('INBOX', customerMail(mark, s)));
  if (!appended || !appended.uid) throw new Error('the server did not say where it put the customer mail');
  const dir = tempDir('auxilium-delivery-');
  cleanups.push(dir.remove);
  const db = openDatabase(':memory:');
  cleanups.push(() => db.close());
  const store = new MailStore(db);
  const repo = new OutboxRepo(db, store);
  const at = '2026-12-01T10:00:00.000Z';
  const conversationId = store.createConversation({
    channelId: 'ch1',
    subject: `Order ${mark}`,
    customer: { name: '', address: s.users.customer.address },
    assigneeId: null,
    token: mark.toUpperCase(),
    at,
  });
  const message = (direction: 'inbound' | 'outbound', messageId: string, source?: { mailbox: string; uidValidity: string; uid: number }) =>
    store.insertMessage(
      {
        conversationId,
        channelId: 'ch1',
        direction,
        kind: 'normal',
        ...(source ? { source } : {}),
        messageId,
        inReplyTo: null,
        references: [],
        dedupeKey: null,
        subject: `Order ${mark}`,
        from: { name: '', address: s.users.customer.address },
        to: [],
        cc: [],
        date: at,
        text: 'text',
        html: null,
        parseError: null,
        raw: null,
        rawPath: null,
        size: 1,
        authorAgentId: null,
        createdAt: at,
        attachments: [],
      },
      { at, unread: false, reopen: false, summary: true },
    );
  const parentId = message('inbound', `c.${mark}@example.com`, {
    mailbox: 'INBOX',
    uidValidity: o.uidValidity ?? String(appended.uidValidity),
    uid: appended.uid,
  });
  const messageId = message('outbound', `r.${mark}@acme.test`);
  repo.insert({ messageId, channelId: 'ch1', conversationId, bodyText: 'It ships today.', parentId, nextAttemptAt: at, createdAt: at });

  const form = channelFor(s, user, o.sentFolder !== undefined ? { sentFolder: o.sentFolder } : {});
  const secrets: ChannelWithSecrets = { ...form, id: 'ch1', imap: { ...form.imap, port: o.imapPort ?? form.imap.port } };
  const channel: ChannelRecord = {
    id: 'ch1',
    name: 'Support',
    type: 'email',
    enabled: true,
    supportAddress: s.users.support.address,
    ...settingsWithoutPasswords(form),
    createdAt: at,
    updatedAt: at,
  };
  const notices: (ChannelNotice | null)[] = [];
  const warnings: string[] = [];
  const log = { info: () => undefined, warn: (_: object, msg?: string) => void warnings.push(msg ?? ''), error: () => undefined, debug: () => undefined };
  const delivery = new ReplyDelivery({
    repo,
    raw: new RawStore(dir.path),
    log: log as never,
    now: () => new Date(at),
    timeoutMs: 10_000,
    notice: (_, kind, notice) => void (kind === 'sent-copy-failed' && notices.push(notice)),
  });
  return { mark, repo, delivery, channel, secrets, messageId, copy: { headerMessageId: `r.${mark}@acme.test`, raw: replyMail(mark, s) }, notices, warnings };
}

describe.each(servers)('a sent reply on the IMAP server ($server)', (s) => {
  it('files the Sent copy and flags the customer message \\Answered in one session', async () => {
    const relay = await countingRelay(s.imap.implicitTls);
    const r = await sentReply(s, { imapPort: relay.port });
    expect(await r.delivery.finishOnServer(r.messageId, r.channel, r.secrets, r.copy)).toEqual({ filed: true, answered: true });
    expect(relay.sessions()).toBe(1);
    const [filed, ...more] = await flagsOf(s, s.sentFolder, `r.${r.mark}@acme.test`);
    expect(more).toEqual([]);
    expect(filed).toContain('\\Seen');
    expect((await flagsOf(s, 'INBOX', `c.${r.mark}@example.com`))[0]).toContain('\\Answered');
    expect(r.repo.get(r.messageId)!.answeredAt).not.toBeNull();

    // Done is done: asked again (a follow-up after a crash), it opens no session at all.
    expect(await r.delivery.finishOnServer(r.messageId, r.channel, r.secrets, null)).toEqual({ filed: true, answered: true });
    expect(relay.sessions()).toBe(1);
  });

  it('sets \\Answered in the same session although the server refused the copy, and says why the copy is not filed', async () => {
    const relay = await countingRelay(s.imap.implicitTls);
    const folder = `Missing-${marker()}`;
    const r = await sentReply(s, { imapPort: relay.port, sentFolder: folder });
    expect(await r.delivery.finishOnServer(r.messageId, r.channel, r.secrets, r.copy)).toEqual({ filed: false, answered: true });
    expect(relay.sessions()).toBe(1);
    expect((await flagsOf(s, 'INBOX', `c.${r.mark}@example.com`))[0]).toContain('\\Answered');
    expect(r.notices).toEqual([
      expect.objectContaining({ kind: 'sent-copy-failed', folder, error: expect.objectContaining({ code: 'SENT_FOLDER_NOT_FOUND' }) }),
    ]);
    expect(r.warnings).toEqual(['outbox: could not file the copy in the Sent folder']);
  });

  it('leaves a customer message alone whose mailbox was renumbered (its UID may name another message now)', async () => {
    const r = await sentReply(s, { uidValidity: '1' });
    expect(await r.delivery.finishOnServer(r.messageId, r.channel, r.secrets, null)).toEqual({ filed: true, answered: true });
    expect((await flagsOf(s, 'INBOX', `c.${r.mark}@example.com`))[0]).not.toContain('\\Answered');
    expect(r.repo.get(r.messageId)!.answeredAt).toBeNull();
  });
});

describe('a sent reply whose \\Answered the server refuses (Cyrus, without the right to write flags)', () => {
  const cyrus = servers.find((v) => v.server === 'cyrus')!;
  const user = cyrus.users.other;

  /** SETACL on the user's own INBOX (RFC 4314; imapflow has no method for it, so the raw command). */
  async function rights(value: string): Promise<void> {
    await withImapSession(cyrus, user, async (client) => {
      const exec = (client as unknown as { exec(command: string, attributes: unknown[]): Promise<{ next(): void }> }).exec.bind(client);
      (
        await exec('SETACL', [
          { type: 'ATOM', value: 'INBOX' },
          { type: 'STRING', value: user.user },
          { type: 'STRING', value },
        ])
      ).next();
    });
  }

  it('counts it as failed, says so in the log and tries again later, instead of taking it as done', async () => {
    const r = await sentReply(cyrus, { user });
    // Everything but 'w': Cyrus then answers the STORE with NO (imapflow reports that as false).
    await rights('lrsipkxtecda');
    try {
      expect(await r.delivery.finishOnServer(r.messageId, r.channel, r.secrets, null)).toEqual({ filed: true, answered: false });
      expect(r.warnings).toEqual(['outbox: could not flag the customer message \\Answered']);
      expect(r.repo.get(r.messageId)!.answeredAt).toBeNull();
    } finally {
      await rights('lrswipkxtecdan');
    }
    // Tried again once the server takes it.
    expect(await r.delivery.finishOnServer(r.messageId, r.channel, r.secrets, null)).toEqual({ filed: true, answered: true });
    expect((await flagsOf(cyrus, 'INBOX', `c.${r.mark}@example.com`, user))[0]).toContain('\\Answered');
  });
});

describe('a sent reply when the IMAP server cannot be reached', () => {
  it('fails both steps, and the reply says why its copy is not filed', async () => {
    const r = await sentReply(stack, { imapPort: stack.closed });
    expect(await r.delivery.finishOnServer(r.messageId, r.channel, r.secrets, r.copy)).toEqual({ filed: false, answered: false });
    expect(r.notices).toEqual([expect.objectContaining({ kind: 'sent-copy-failed', error: expect.objectContaining({ code: 'CONNECTION_REFUSED' }) })]);
    expect(r.warnings).toEqual(['outbox: could not file the copy in the Sent folder', 'outbox: could not flag the customer message \\Answered']);
    expect(r.repo.get(r.messageId)!.answeredAt).toBeNull();
  });
});
