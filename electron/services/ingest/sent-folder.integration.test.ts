import { join } from 'node:path';
import Database from 'better-sqlite3';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import type { ChannelForm } from '../../../shared/channel';
import type { ConversationSummary, Message } from '../../../shared/conversation';
import { deliver, withImapSession } from '../../../test/mailstack/mailstack';
import { call, channelFor, marker, waitFor } from '../../../test/support/core';
import { tempDir, testKeychainService } from '../../../test/support/temp';
import { createCore, type Core } from '../../core/create-core';

// Sent mail is part of the conversation: each desktop (a core with its own data folder) watches
// the mailbox's Sent folder too, so a reply sent from another desktop or from any mail client shows
// in the conversation, and threads in whatever order the mail is read. Real Dovecot and Postfix;
// behaviour is awaited by polling.

const stack = inject('mailstack');
const { support, customer } = stack.users;
const WAIT_MS = 30_000;

interface Desktop {
  core: Core;
  channelId: string;
  db: Database.Database;
}

/** A desktop with the support mailbox as its channel, closed when the test ends (its IMAP sessions too). */
async function desktop(prefix: string, form: Partial<ChannelForm['inbox']> = {}, imapMailbox?: string, sentWatched = true): Promise<Desktop> {
  const dir = tempDir(prefix);
  const core = createCore({ dataDir: dir.path, version: '0.0.0-test', keychainService: testKeychainService() });
  let channelId: string | undefined;
  let db: Database.Database | undefined;
  onTestFinished(async () => {
    if (channelId) await core.router.handle('channels:delete', { id: channelId });
    await core.stop();
    db?.close();
    await dir.remove();
  });
  await core.start();
  const base = channelFor(stack, support, { initialImport: 'none', ...form });
  const values: ChannelForm = { ...base, imap: { ...base.imap, mailbox: imapMailbox ?? base.imap.mailbox } };
  const channel = await call(core, 'channels:create', values);
  channelId = channel.id;
  // Both sessions are up: the inbox, and the Sent folder's line on the card.
  await waitFor(
    'the inbox and the Sent folder to be watched',
    async () => {
      const c = (await call(core, 'channels:list', {})).find((x) => x.id === channel.id);
      return c?.status.state === 'connected' && c.status.sent?.watched === sentWatched ? true : undefined;
    },
    WAIT_MS,
  );
  db = new Database(join(dir.path, 'auxilium.sqlite'), { readonly: true, fileMustExist: true });
  return { core, channelId: channel.id, db };
}

async function conversationsWith(d: Desktop, mark: string): Promise<ConversationSummary[]> {
  const page = await call(d.core, 'conversations:list', { view: 'all', channelId: d.channelId, query: mark, limit: 50 });
  return page.items;
}

/** The one conversation about `mark`, once it has `count` messages. */
async function thread(d: Desktop, mark: string, count: number, what: string): Promise<Message[]> {
  return waitFor(
    what,
    async () => {
      const found = await conversationsWith(d, mark);
      if (found.length !== 1) return undefined;
      const detail = await call(d.core, 'conversations:get', { id: found[0]!.id });
      return detail.messages.length === count ? detail.messages : undefined;
    },
    WAIT_MS,
  );
}

/** UIDs in a folder of the support mailbox whose Message-ID header contains `messageId`. */
async function uidsIn(folder: string, messageId: string): Promise<number[]> {
  return withImapSession(stack, support, async (client) => {
    const lock = await client.getMailboxLock(folder, { readOnly: true });
    try {
      const found = await client.search({ header: { 'message-id': messageId } }, { uid: true });
      return Array.isArray(found) ? found : [];
    } finally {
      lock.release();
    }
  });
}

/** Waits until a desktop has read its Sent folder past the message with this Message-ID. */
async function sentImportedPast(d: Desktop, messageId: string): Promise<void> {
  const [uid] = await waitFor(`${messageId} in Sent`, async () => {
    const uids = await uidsIn('Sent', messageId);
    return uids.length > 0 ? uids : undefined;
  });
  await waitFor(`the desktop to read Sent past UID ${uid}`, () => {
    const row = d.db.prepare("SELECT last_uid FROM sync_cursors WHERE channel_id = ? AND mailbox = 'Sent'").get(d.channelId) as
      { last_uid: number } | undefined;
    return row && row.last_uid >= uid! ? true : undefined;
  });
}

/** The Message-ID (without brackets) of the newest mail in the customer's inbox whose subject has `mark`. */
async function customerReceived(mark: string): Promise<{ messageId: string; subject: string; references: string }> {
  return waitFor(`mail about ${mark} in the customer's inbox`, () =>
    withImapSession(stack, customer, async (client) => {
      const lock = await client.getMailboxLock('INBOX', { readOnly: true });
      try {
        const uids = await client.search({ subject: mark }, { uid: true });
        if (!Array.isArray(uids) || uids.length === 0) return undefined;
        const msg = await client.fetchOne(String(Math.max(...uids)), { envelope: true, headers: ['references'] }, { uid: true });
        if (!msg || !msg.envelope?.messageId) return undefined;
        const references =
          msg.headers
            ?.toString()
            .replace(/^references:\s*/i, '')
            .replace(/\r?\n\s*/g, ' ')
            .trim() ?? '';
        return { messageId: msg.envelope.messageId, subject: msg.envelope.subject ?? '', references };
      } finally {
        lock.release();
      }
    }),
  );
}

describe('replies in the Sent folder, on every desktop', () => {
  it("shows desktop A's reply on desktop B, labelled with A's agent, and threads the customer's answer there; A shows it once", async () => {
    const a = await desktop('auxilium-sent-a-');
    const b = await desktop('auxilium-sent-b-');
    const agent = await call(a.core, 'agents:save', { name: 'Zoë Agent', email: 'zoe@acme.test' });
    await call(a.core, 'settings:set-me', { agentId: agent.id });
    const mark = marker();

    await deliver(stack, { from: customer.address, to: support.address, subject: `Printer ${mark} broken`, text: `My printer ${mark} is broken.` });
    await thread(a, mark, 1, 'the customer mail on A');
    await thread(b, mark, 1, 'the customer mail on B');

    const conversationA = (await conversationsWith(a, mark))[0]!;
    const reply = await call(a.core, 'conversations:send-reply', {
      id: conversationA.id,
      mode: 'reply',
      text: `Try turning ${mark} off and on.`,
      undoSeconds: 0,
    });

    // B: A's reply, in the same conversation, as an outgoing reply that names A's agent.
    const onB = await thread(b, mark, 2, "A's reply on B");
    expect(onB[1]).toMatchObject({ direction: 'outbound', sentBy: 'Zoë Agent <zoe@acme.test>', delivery: null });
    expect(onB[1]!.text).toContain(`Try turning ${mark} off and on.`);

    // The customer answers A's reply from their mail client.
    const received = await customerReceived(mark);
    await deliver(stack, {
      from: customer.address,
      to: support.address,
      subject: `Re: ${received.subject}`,
      text: `Did that, ${mark} still broken.`,
      headers: {
        'In-Reply-To': `<${received.messageId.replace(/^<|>$/g, '')}>`,
        References: `${received.references} <${received.messageId.replace(/^<|>$/g, '')}>`.trim(),
      },
    });
    const answeredOnB = await thread(b, mark, 3, "the customer's answer on B, in the same conversation");
    expect(answeredOnB.map((m) => m.direction)).toEqual(['inbound', 'outbound', 'inbound']);

    // A: its own reply once, although A has read the copy in Sent too.
    const replyMessageId = (a.db.prepare('SELECT message_id FROM messages WHERE id = ?').get(reply.id) as { message_id: string }).message_id;
    await sentImportedPast(a, replyMessageId);
    const onA = await thread(a, mark, 3, 'the answer on A');
    expect(onA.filter((m) => m.direction === 'outbound').map((m) => m.id)).toEqual([reply.id]);
    expect(onA[1]!.delivery?.state).toBe('sent');
  });

  it("keeps a third party's answer to desktop A's forward out of the customer's conversation on desktop B too", async () => {
    const { other } = stack.users;
    const a = await desktop('auxilium-sent-fwd-a-');
    const b = await desktop('auxilium-sent-fwd-b-');
    const mark = marker();
    await deliver(stack, { from: customer.address, to: support.address, subject: `Claim ${mark}`, text: `Please help with claim ${mark}.` });
    await thread(a, mark, 1, 'the customer mail on A');
    await thread(b, mark, 1, 'the customer mail on B');

    const conversationA = (await conversationsWith(a, mark))[0]!;
    const original = (await call(a.core, 'conversations:get', { id: conversationA.id })).messages[0]!;
    const forward = await call(a.core, 'conversations:send-reply', {
      id: conversationA.id,
      mode: 'forward',
      text: `Workshop, see ${mark}`,
      undoSeconds: 0,
      forwardOf: original.id,
      recipients: { to: [{ name: '', address: other.address }], cc: [], bcc: [] },
    });
    const forwardId = (a.db.prepare('SELECT message_id FROM messages WHERE id = ?').get(forward.id) as { message_id: string }).message_id;
    await sentImportedPast(b, forwardId);

    // The third party answers the forward, threading headers and all.
    await deliver(stack, {
      from: other.address,
      to: support.address,
      subject: `Re: Fwd: Claim ${mark}`,
      text: `Workshop answer ${mark}.`,
      headers: { 'In-Reply-To': `<${forwardId}>`, References: `<${forwardId}>` },
    });
    for (const d of [a, b]) {
      // The workshop's answer is a conversation with the workshop (on B, A's forward joins it there).
      const answer = await waitFor('the answer in a conversation of its own', async () => {
        const found = await conversationsWith(d, mark);
        return found.find((c) => c.customer.address === other.address);
      });
      const customerConversation = (await conversationsWith(d, mark)).find((c) => c.customer.address === customer.address)!;
      expect(answer.id).not.toBe(customerConversation.id);
      const messages = (await call(d.core, 'conversations:get', { id: customerConversation.id })).messages;
      expect(messages.filter((m) => m.direction === 'inbound').map((m) => m.from.address)).toEqual([customer.address]);
      // The next reply there still goes to the customer.
      expect(messages.some((m) => m.text.includes(`Workshop answer ${mark}`))).toBe(false);
    }
  });

  it('shows a reply sent from an ordinary mail client, with its copy appended to Sent, on every desktop', async () => {
    const a = await desktop('auxilium-client-a-');
    const b = await desktop('auxilium-client-b-');
    const mark = marker();
    await deliver(stack, { from: customer.address, to: support.address, subject: `Invoice ${mark}`, text: `Where is invoice ${mark}?` });
    await thread(a, mark, 1, 'the customer mail on A');
    await thread(b, mark, 1, 'the customer mail on B');
    const question = await waitFor('the question in the support inbox', async () => {
      const row = a.db.prepare("SELECT message_id FROM messages WHERE subject LIKE ? AND direction = 'inbound'").get(`%${mark}%`) as
        { message_id: string } | undefined;
      return row?.message_id;
    });

    // What Thunderbird does: send over SMTP, then APPEND the same bytes to Sent.
    const raw = await new MailComposer({
      from: `Teammate <${support.address}>`,
      to: customer.address,
      subject: `Re: Invoice ${mark}`,
      text: `Invoice ${mark} is attached now.`,
      inReplyTo: `<${question}>`,
      references: [`<${question}>`],
    })
      .compile()
      .build();
    const transport = nodemailer.createTransport({
      host: stack.host,
      port: stack.smtp.starttls,
      secure: false,
      requireTLS: true,
      auth: { user: support.user, pass: support.password },
      tls: { ca: stack.certPem },
    });
    try {
      await transport.sendMail({ envelope: { from: support.address, to: [customer.address] }, raw });
    } finally {
      transport.close();
    }
    await withImapSession(stack, support, (client) => client.append('Sent', raw, ['\\Seen']));

    for (const d of [a, b]) {
      const messages = await thread(d, mark, 2, 'the reply from the mail client');
      expect(messages[1]).toMatchObject({ direction: 'outbound', sentBy: null, delivery: null });
      expect(messages[1]!.text).toContain(`Invoice ${mark} is attached now.`);
    }
  });
});

/** A 7-message thread already in the mailbox: the customer's 1, 3, 5, 7 in `inbox`, support's 2, 4, 6 in `sent`. */
async function seedThread(mark: string, inbox: string, sent: string): Promise<void> {
  const ids = [1, 2, 3, 4, 5, 6, 7].map((n) => `<${mark}.${n}@thread.test>`);
  const start = Date.now() - 7 * 60 * 60_000;
  onTestFinished(() =>
    withImapSession(stack, support, async (client) => {
      for (const folder of [inbox, sent]) await client.mailboxDelete(folder).catch(() => undefined);
    }),
  );
  await withImapSession(stack, support, async (client) => {
    await client.mailboxCreate(inbox);
    await client.mailboxCreate(sent);
    for (const [i, id] of ids.entries()) {
      const fromSupport = i % 2 === 1;
      const raw = await new MailComposer({
        from: fromSupport ? `Support <${support.address}>` : `Carol <${customer.address}>`,
        to: fromSupport ? customer.address : support.address,
        subject: i === 0 ? `Scanner ${mark}` : `Re: Scanner ${mark}`,
        text: `step ${i + 1} of ${mark}`,
        messageId: id,
        date: new Date(start + i * 60 * 60_000),
        ...(i > 0 ? { inReplyTo: ids[i - 1], references: ids.slice(0, i) } : {}),
      })
        .compile()
        .build();
      await client.append(fromSupport ? sent : inbox, raw, ['\\Seen'], new Date(start + i * 60 * 60_000));
    }
  });
}

describe('a thread already in the mailbox when the channel is created', () => {
  for (const initialImport of ['14-days', 'all'] as const) {
    it(`imports as one conversation in the right order (import ${initialImport})`, async () => {
      const mark = marker();
      const inbox = `Thread-${mark}`;
      const sent = `ThreadSent-${mark}`;
      await seedThread(mark, inbox, sent);
      const d = await desktop(`auxilium-thread-${initialImport}-`, { initialImport, sentFolder: sent }, inbox);
      const messages = await thread(d, mark, 7, 'all seven messages in one conversation');
      expect(messages.map((m) => m.text.trim())).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => `step ${n} of ${mark}`));
      expect(messages.map((m) => m.direction)).toEqual(['inbound', 'outbound', 'inbound', 'outbound', 'inbound', 'outbound', 'inbound']);
      const conversations = await conversationsWith(d, mark);
      expect(conversations).toHaveLength(1);
      // Named after the customer's first mail, although it was read last.
      expect(conversations[0]!.subject).toBe(`Scanner ${mark}`);
      expect(d.db.prepare('SELECT count(*) AS n FROM parked_messages').get()).toEqual({ n: 0 });
    });
  }
});

describe('customer mail answered outside Auxilium', () => {
  it('reads \\Answered set on the server by another mail client', async () => {
    const d = await desktop('auxilium-answered-');
    const mark = marker();
    await deliver(stack, { from: customer.address, to: support.address, subject: `Refund ${mark}`, text: `Refund ${mark} please.` });
    const [question] = await thread(d, mark, 1, 'the customer mail');
    expect(question!.answeredOnServer).toBe(false);
    const messageId = (d.db.prepare('SELECT message_id FROM messages WHERE id = ?').get(question!.id) as { message_id: string }).message_id;
    const [uid] = await uidsIn('INBOX', messageId);
    // Someone answers from their phone: the phone's client flags the customer's mail \Answered.
    await withImapSession(stack, support, async (client) => {
      const lock = await client.getMailboxLock('INBOX');
      try {
        await client.messageFlagsAdd(String(uid), ['\\Answered'], { uid: true });
      } finally {
        lock.release();
      }
    });
    await waitFor('the desktop to show the message as answered', async () => {
      const [found] = await thread(d, mark, 1, 'the customer mail');
      return found!.answeredOnServer ? true : undefined;
    });
  });
});

describe('a mailbox without the Sent folder the channel names', () => {
  it('still watches the inbox, and the card says the Sent folder is not watched', async () => {
    const mark = marker();
    const d = await desktop('auxilium-nosent-', { sentFolder: `Missing-${mark}` }, undefined, false);
    const card = (await call(d.core, 'channels:list', {})).find((c) => c.id === d.channelId)!;
    expect(card.status.sent).toMatchObject({ watched: false });
    expect(card.status.sent!.message).toMatch(/retrying/);
    await deliver(stack, { from: customer.address, to: support.address, subject: `Still here ${mark}`, text: `Inbox ${mark} works.` });
    await thread(d, mark, 1, 'the customer mail, imported by the inbox session');
  });
});
