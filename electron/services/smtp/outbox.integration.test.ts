import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { simpleParser, type ParsedMail } from 'mailparser';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { call, channelFor, marker, waitFor } from '../../../test/support/core';
import { cleanupsAfterAll } from '../../../test/support/cleanups';
import type { ChannelForm } from '../../../shared/channel';
import type { Message } from '../../../shared/conversation';
import {
  DEFERRED_RECIPIENT,
  deferRecipients,
  DMARC_STRICT_RECIPIENT,
  deliver,
  imapServers,
  startPostfix,
  stopPostfix,
  withImapSession,
  type MailStackInfo,
  type MailUser,
} from '../../../test/mailstack/mailstack';
import { tempDir, testKeychainService } from '../../../test/support/temp';
import { createCore, type Core, type CoreConfig } from '../../core/create-core';
import { searchUids } from '../imap/search';

// Agent replies end to end: the customer's mail arrives through Postfix and the core's own watcher,
// the reply goes through the router, the outbox worker sends it through the real Postfix, and the
// test reads what arrived in the customer's real mailbox over IMAP. Behaviour is awaited by
// polling with generous timeouts; nothing here asserts timing.

const stack = inject('mailstack');
const { support, customer, cc } = stack.users;
/** Dovecot, then Cyrus: the Sent copy and the crash-recovery lookup in Sent run against both. */
const servers = imapServers(stack);
const REPO = resolve(import.meta.dirname, '../../..');
const WAIT_MS = 30_000;
/** Short backoff so retry tests do not wait minutes; the production defaults are in pacing.ts. */
const OUTBOX: CoreConfig['outbox'] = { backoff: { baseMs: 400, capMs: 1_500, minMs: 200 }, timeoutMs: 5_000 };

const onCleanup = cleanupsAfterAll();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function supportForm(inbox: Partial<ChannelForm['inbox']> = {}, s: MailStackInfo = stack): ChannelForm {
  const f = channelFor(s, s.users.support, { initialImport: 'none', markSeenOnServer: false, signature: 'Acme Support Team\nacme.test', ...inbox });
  return { ...f, name: 'Support', smtp: { ...f.smtp, fromName: 'Acme Support' } };
}

function readOnly(dataDir: string): Database.Database {
  return new Database(join(dataDir, 'auxilium.sqlite'), { readonly: true, fileMustExist: true });
}

/** Every message in a user's mailbox (on the user's own server) whose Message-ID header contains `messageId`, parsed. */
async function messagesWithId(user: MailUser, mailbox: string, messageId: string): Promise<{ uid: number; flags: string[]; parsed: ParsedMail }[]> {
  const server = servers.find((v) => Object.values(v.users).includes(user)) ?? stack;
  return withImapSession(server, user, async (client) => {
    const lock = await client.getMailboxLock(mailbox, { readOnly: true });
    try {
      const uids = await searchUids(client, { header: { 'message-id': messageId } });
      if (uids.length === 0) return [];
      const out: { uid: number; flags: string[]; parsed: ParsedMail }[] = [];
      for await (const msg of client.fetch(uids.join(','), { uid: true, flags: true, source: true }, { uid: true })) {
        out.push({ uid: msg.uid, flags: [...(msg.flags ?? [])], parsed: await simpleParser(msg.source!) });
      }
      return out;
    } finally {
      lock.release();
    }
  });
}

/** Every folder of the user's mailbox that holds a message with this Message-ID, with its flags: where a message went that left INBOX. */
async function foldersHolding(user: MailUser, messageId: string): Promise<Record<string, string[][]>> {
  const server = servers.find((v) => Object.values(v.users).includes(user)) ?? stack;
  return withImapSession(server, user, async (client) => {
    const out: Record<string, string[][]> = {};
    for (const folder of await client.list()) {
      const lock = await client.getMailboxLock(folder.path, { readOnly: true });
      try {
        const uids = await searchUids(client, { header: { 'message-id': messageId } });
        if (uids.length === 0) continue;
        for await (const m of client.fetch(uids.join(','), { uid: true, flags: true }, { uid: true })) (out[folder.path] ??= []).push([...(m.flags ?? [])]);
      } catch (err) {
        out[folder.path] = [[`search failed: ${(err as Error).message}`]];
      } finally {
        lock.release();
      }
    }
    return out;
  });
}

interface Env {
  /** The mail stack as seen through the IMAP server of this channel's users. */
  stack: MailStackInfo;
  core: Core;
  dataDir: string;
  keychainService: string;
  channelId: string;
  db: Database.Database;
}

async function startEnv(prefix: string, inbox: Partial<ChannelForm['inbox']> = {}, s: MailStackInfo = stack): Promise<Env> {
  const dir = tempDir(prefix);
  onCleanup(dir.remove);
  const keychainService = testKeychainService();
  const core = createCore({ dataDir: dir.path, version: '0.0.0-test', keychainService, outbox: OUTBOX });
  onCleanup(() => core.stop());
  await core.start();
  const channel = await call(core, 'channels:create', supportForm(inbox, s));
  await waitFor('the channel to connect', async () => {
    const c = (await call(core, 'channels:list', {})).find((x) => x.id === channel.id);
    return c?.status.state === 'connected' ? true : undefined;
  });
  onCleanup(async () => void (await core.router.handle('channels:delete', { id: channel.id })));
  const db = readOnly(dir.path);
  onCleanup(() => void db.close());
  return { stack: s, core, dataDir: dir.path, keychainService, channelId: channel.id, db };
}

/** The customer writes in; resolves with the conversation and the Message-ID of their mail. */
async function customerWritesIn(env: Env, mark: string, headers?: Record<string, string>): Promise<{ id: number; subject: string; messageId: string }> {
  const subject = `Where is my order ${mark}?`;
  const { customer, support } = env.stack.users;
  await deliver(env.stack, { from: customer.address, to: support.address, subject, text: `Order ${mark} has not arrived.`, headers });
  const conversation = await waitFor(`a conversation for ${mark}`, async () => {
    const page = await call(env.core, 'conversations:list', { view: 'all', channelId: env.channelId, limit: 500 });
    return page.items.find((c) => c.subject.includes(mark));
  });
  const row = env.db
    .prepare("SELECT message_id FROM messages WHERE conversation_id = ? AND direction = 'inbound' ORDER BY id LIMIT 1")
    .get(conversation.id) as {
    message_id: string;
  };
  return { id: conversation.id, subject, messageId: row.message_id };
}

function headerMessageId(env: Env, messageId: number): string {
  return (env.db.prepare('SELECT message_id FROM messages WHERE id = ?').get(messageId) as { message_id: string }).message_id;
}

function tokenOf(env: Env, conversationId: number): string {
  return (env.db.prepare('SELECT token FROM conversations WHERE id = ?').get(conversationId) as { token: string }).token;
}

async function waitForDelivery(
  core: Core,
  conversationId: number,
  messageId: number,
  test: (m: Message) => boolean,
  what: string,
  timeoutMs = WAIT_MS,
): Promise<Message> {
  return waitFor(
    what,
    async () => {
      const detail = await call(core, 'conversations:get', { id: conversationId });
      const message = detail.messages.find((m) => m.id === messageId);
      return message && test(message) ? message : undefined;
    },
    timeoutMs,
  );
}

describe('agent replies through the real mail stack', () => {
  let env: Env;

  beforeAll(async () => {
    env = await startEnv('auxilium-outbox-');
  });

  it('undo within the undo window: nothing is sent and the text comes back', async () => {
    const mark = marker();
    const first = await customerWritesIn(env, mark);
    await call(env.core, 'drafts:save', { conversationId: first.id, text: `Draft ${mark}` });
    expect(await call(env.core, 'drafts:get', { conversationId: first.id })).toEqual({ text: `Draft ${mark}`, attachments: [] });
    const reply = await call(env.core, 'conversations:send-reply', { id: first.id, mode: 'reply', text: `Undo me ${mark}`, undoSeconds: 3 });
    expect(await call(env.core, 'drafts:get', { conversationId: first.id })).toEqual({ text: '', attachments: [] });
    const ourId = headerMessageId(env, reply.id);
    expect(await call(env.core, 'outbox:cancel', { messageId: reply.id })).toEqual({ text: `Undo me ${mark}`, attachments: [] });
    const detail = await call(env.core, 'conversations:get', { id: first.id });
    expect(detail.messages.map((m) => m.direction)).toEqual(['inbound']);
    await sleep(4_500);
    expect(await messagesWithId(customer, 'INBOX', ourId)).toHaveLength(0);
    expect(await messagesWithId(support, 'Sent', ourId)).toHaveLength(0);
  });

  it('a permanent rejection (relay denied) fails with the mapped message and is not retried; retry tries again; cancel gives the text back', async () => {
    const mark = marker();
    // The customer asks for answers at an outside domain, which this Postfix refuses to relay to.
    const first = await customerWritesIn(env, mark, { 'Reply-To': stack.relayDeniedRecipient });
    // The composer previews the same address the reply goes to: the message carries its Reply-To.
    const opened = await call(env.core, 'conversations:get', { id: first.id });
    expect(opened.messages[0]!.replyTo.map((a) => a.address)).toEqual([stack.relayDeniedRecipient]);
    const reply = await call(env.core, 'conversations:send-reply', { id: first.id, mode: 'reply', text: `Relay ${mark}`, undoSeconds: 0 });
    expect(reply.to.map((a) => a.address)).toEqual([stack.relayDeniedRecipient]);
    const failed = await waitForDelivery(env.core, first.id, reply.id, (m) => m.delivery?.state === 'failed', 'the reply to fail');
    expect(failed.delivery).toMatchObject({
      state: 'failed',
      attempts: 1,
      nextAttemptAt: null,
      error: { code: 'RELAY_DENIED', message: 'Relay access denied', retryable: false },
    });
    expect(failed.delivery!.error!.cause).not.toBe('');
    expect(failed.delivery!.error!.fix).not.toBe('');
    expect(failed.delivery!.error!.detail).toMatch(/Relay access denied/);
    // Well past the longest backoff: still one attempt.
    await sleep(2_500);
    expect((await waitForDelivery(env.core, first.id, reply.id, () => true, 'the reply')).delivery).toMatchObject({ state: 'failed', attempts: 1 });

    const retried = await call(env.core, 'outbox:retry', { messageId: reply.id });
    expect(retried.delivery?.state).toBe('queued');
    await waitForDelivery(env.core, first.id, reply.id, (m) => m.delivery?.state === 'failed' && m.delivery.attempts === 2, 'the retry to fail again');

    expect(await call(env.core, 'outbox:cancel', { messageId: reply.id })).toEqual({ text: `Relay ${mark}`, attachments: [] });
    const detail = await call(env.core, 'conversations:get', { id: first.id });
    expect(detail.messages.map((m) => m.direction)).toEqual(['inbound']);
    const refused = await env.core.router.handle('outbox:cancel', { messageId: reply.id });
    expect(refused).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it("a refusal over the From domain's DMARC (550 5.7.26) puts the DNS records on the channel's card until a reply goes out again", async () => {
    const card = async () => (await call(env.core, 'channels:list', {})).find((c) => c.id === env.channelId)!;
    const mark = marker();
    // Postfix answers for a customer's server that checks sender authentication (see DMARC_STRICT_RECIPIENT).
    const first = await customerWritesIn(env, mark, { 'Reply-To': DMARC_STRICT_RECIPIENT });
    const reply = await call(env.core, 'conversations:send-reply', { id: first.id, mode: 'reply', text: `DMARC ${mark}`, undoSeconds: 0 });
    const failed = await waitForDelivery(env.core, first.id, reply.id, (m) => m.delivery?.state === 'failed', 'the reply to fail');
    expect(failed.delivery!.error).toMatchObject({ code: 'SENDER_NOT_AUTHENTICATED', retryable: false, detail: expect.stringMatching(/^550 5\.7\.26 /) });
    expect(failed.delivery!.error!.fix).toContain('auxilium.test');
    const notice = await waitFor('the notice on the card', async () => (await card()).notices.find((n) => n.kind === 'sender-not-authenticated'));
    expect(notice).toMatchObject({ domain: 'auxilium.test', checks: ['spf', 'dkim', 'dmarc'], error: { code: 'SENDER_NOT_AUTHENTICATED' } });

    // A reply the server takes again (here: to a customer whose server does not check) clears it.
    const other = await customerWritesIn(env, `${mark}-ok`);
    const sent = await call(env.core, 'conversations:send-reply', { id: other.id, mode: 'reply', text: `Fine ${mark}`, undoSeconds: 0 });
    await waitForDelivery(env.core, other.id, sent.id, (m) => m.delivery?.state === 'sent', 'the other reply to go out');
    expect((await card()).notices.filter((n) => n.kind === 'sender-not-authenticated')).toEqual([]);
  });

  it('a reply the customer’s server defers (4xx at RCPT TO) waits without holding up replies to other customers', async () => {
    const mark = marker();
    const deferred = await customerWritesIn(env, `${mark}-a`, { 'Reply-To': DEFERRED_RECIPIENT });
    const other = await customerWritesIn(env, `${mark}-b`);
    const first = await call(env.core, 'conversations:send-reply', { id: deferred.id, mode: 'reply', text: `Deferred ${mark}`, undoSeconds: 0 });
    const waiting = await waitForDelivery(
      env.core,
      deferred.id,
      first.id,
      (m) => m.delivery?.state === 'queued' && m.delivery.error != null,
      'the first reply to be deferred',
    );
    expect(waiting.delivery).toMatchObject({ state: 'queued', error: { code: 'RECIPIENT_DEFERRED', retryable: true } });
    expect(waiting.delivery!.error!.detail).toMatch(/^450 4\.2\.0 <deferred@auxilium\.test>/);

    // Written later, to another customer: it goes out while the first one is still waiting.
    const second = await call(env.core, 'conversations:send-reply', { id: other.id, mode: 'reply', text: `Not held ${mark}`, undoSeconds: 0 });
    await waitForDelivery(env.core, other.id, second.id, (m) => m.delivery?.state === 'sent', 'the second reply to go out');
    const ourId = headerMessageId(env, second.id);
    await waitFor('the second reply in the customer’s INBOX', async () => ((await messagesWithId(customer, 'INBOX', ourId)).length > 0 ? true : undefined));
    // Meanwhile the first one is retried, and never given up on.
    const still = await waitForDelivery(
      env.core,
      deferred.id,
      first.id,
      (m) => m.delivery?.state === 'queued' && (m.delivery.attempts ?? 0) >= 2,
      'the first reply to be tried again',
    );
    expect(still.delivery).toMatchObject({ state: 'queued', error: { code: 'RECIPIENT_DEFERRED' } });

    // Taken back, so it does not keep retrying in the tests that follow.
    await call(env.core, 'outbox:cancel', { messageId: first.id });
  });

  it('a reply all the server takes for the customer but refuses for two Cc shows it was sent, and who did not get it and why', async () => {
    const mark = marker();
    const first = await customerWritesIn(env, mark, { Cc: `${DEFERRED_RECIPIENT}, ${stack.relayDeniedRecipient}` });
    const reply = await call(env.core, 'conversations:send-reply', { id: first.id, mode: 'reply-all', text: `To all ${mark}`, undoSeconds: 0 });
    expect(reply.cc.map((a) => a.address)).toEqual([DEFERRED_RECIPIENT, stack.relayDeniedRecipient]);
    const sent = await waitForDelivery(env.core, first.id, reply.id, (m) => m.delivery?.state === 'sent', 'the reply to be sent');
    expect(sent.delivery!.refused.map((r) => [r.address, r.error.code])).toEqual([
      [DEFERRED_RECIPIENT, 'RECIPIENT_DEFERRED'],
      [stack.relayDeniedRecipient, 'RELAY_DENIED'],
    ]);
    expect(sent.delivery!.refused[1]!.error.detail).toMatch(/Relay access denied/);
    const ourId = headerMessageId(env, reply.id);
    await waitFor('the reply in the customer’s INBOX', async () => ((await messagesWithId(customer, 'INBOX', ourId)).length > 0 ? true : undefined));
  });

  it('sends a reply all again to a Cc the server deferred, once it takes mail again, and to nobody else', async () => {
    const mark = marker();
    await deferRecipients(stack, [cc.address]);
    onCleanup(() => deferRecipients(stack, []));
    const first = await customerWritesIn(env, mark, { Cc: cc.address });
    const reply = await call(env.core, 'conversations:send-reply', { id: first.id, mode: 'reply-all', text: `Greylisted ${mark}`, undoSeconds: 0 });
    const sent = await waitForDelivery(
      env.core,
      first.id,
      reply.id,
      (m) => m.delivery?.state === 'sent' && m.delivery.refused.length > 0,
      'the reply to be sent',
    );
    expect(sent.delivery!.refused).toMatchObject([{ address: cc.address, error: { code: 'RECIPIENT_DEFERRED', retryable: true } }]);

    // The deferral ends, as greylisting does after a few minutes.
    await deferRecipients(stack, []);
    await waitForDelivery(env.core, first.id, reply.id, (m) => m.delivery?.refused.length === 0, 'the Cc to take the reply');
    const ourId = headerMessageId(env, reply.id);
    await waitFor('the reply in the Cc’s INBOX', async () => ((await messagesWithId(cc, 'INBOX', ourId)).length > 0 ? true : undefined));
    await sleep(1_000);
    expect(await messagesWithId(cc, 'INBOX', ourId)).toHaveLength(1);
    expect(await messagesWithId(customer, 'INBOX', ourId)).toHaveLength(1);
  });

  it('with Postfix stopped the reply stays queued with the connection error, and goes out exactly once when Postfix is back', async () => {
    const mark = marker();
    const first = await customerWritesIn(env, mark);
    await stopPostfix(stack);
    let restarted = false;
    onCleanup(async () => void (restarted || (await startPostfix(stack))));
    const reply = await call(env.core, 'conversations:send-reply', { id: first.id, mode: 'reply', text: `Offline ${mark}`, undoSeconds: 0 });
    const waiting = await waitForDelivery(
      env.core,
      first.id,
      reply.id,
      (m) => m.delivery?.state === 'queued' && (m.delivery.attempts ?? 0) >= 2,
      'a second failed attempt while Postfix is down',
    );
    expect(waiting.delivery!.error).toMatchObject({ code: 'CONNECTION_REFUSED', retryable: true });
    expect(waiting.delivery!.error!.fix).toMatch(/port/);
    expect(waiting.delivery!.nextAttemptAt).not.toBeNull();
    // A cancel would still be allowed here; not used, the reply must go out.

    await startPostfix(stack);
    restarted = true;
    await waitForDelivery(env.core, first.id, reply.id, (m) => m.delivery?.state === 'sent', 'the reply to be sent after Postfix is back');
    const ourId = headerMessageId(env, reply.id);
    await waitFor('the reply in the customer’s INBOX', async () => ((await messagesWithId(customer, 'INBOX', ourId)).length > 0 ? true : undefined));
    await sleep(1_000);
    expect(await messagesWithId(customer, 'INBOX', ourId)).toHaveLength(1);
    expect(await messagesWithId(support, 'Sent', ourId)).toHaveLength(1);
  });

  it('holds replies while the channel is disabled and sends them once it is enabled again', async () => {
    const mark = marker();
    const first = await customerWritesIn(env, mark);
    await call(env.core, 'channels:set-enabled', { id: env.channelId, enabled: false });
    let enabled = false;
    try {
      const reply = await call(env.core, 'conversations:send-reply', { id: first.id, mode: 'reply', text: `Held ${mark}`, undoSeconds: 0 });
      const ourId = headerMessageId(env, reply.id);
      await sleep(2_000);
      const held = await waitForDelivery(env.core, first.id, reply.id, () => true, 'the held reply');
      expect(held.delivery?.state).toBe('queued');
      expect(await messagesWithId(customer, 'INBOX', ourId)).toHaveLength(0);

      await call(env.core, 'channels:set-enabled', { id: env.channelId, enabled: true });
      enabled = true;
      await waitForDelivery(env.core, first.id, reply.id, (m) => m.delivery?.state === 'sent', 'the reply to be sent once enabled');
      await waitFor('the reply in the customer’s INBOX', async () => ((await messagesWithId(customer, 'INBOX', ourId)).length > 0 ? true : undefined));
      await sleep(500);
      expect(await messagesWithId(customer, 'INBOX', ourId)).toHaveLength(1);
    } finally {
      if (!enabled) await call(env.core, 'channels:set-enabled', { id: env.channelId, enabled: true });
    }
  });
});

describe.each(servers)('a reply and its Sent copy on $server', (s) => {
  const { support, customer } = s.users;
  let env: Env;

  beforeAll(async () => {
    env = await startEnv(`auxilium-outbox-${s.server}-`, {}, s);
  });

  it('sends a reply that threads in the customer’s mailbox, files it in Sent, flags the original \\Answered, and threads the answer back', async () => {
    const mark = marker();
    const first = await customerWritesIn(env, mark);
    const states: string[] = [];
    const off = env.core.events.on('conversations:changed', (p) => {
      if (!p.ids.includes(first.id)) return;
      const row = env.db.prepare('SELECT state FROM outbox WHERE conversation_id = ?').get(first.id) as { state: string } | undefined;
      if (row && states.at(-1) !== row.state) states.push(row.state);
    });
    onCleanup(off);

    const reply = await call(env.core, 'conversations:send-reply', { id: first.id, mode: 'reply', text: `Your order ${mark} ships today.`, undoSeconds: 0 });
    expect(reply.delivery).toMatchObject({ state: 'queued', attempts: 0 });
    expect(reply.direction).toBe('outbound');
    const sent = await waitForDelivery(env.core, first.id, reply.id, (m) => m.delivery?.state === 'sent', 'the reply to be sent');
    expect(sent.delivery).toMatchObject({ state: 'sent', error: null, attempts: 1, nextAttemptAt: null });
    off();
    expect(states).toEqual(['queued', 'sending', 'sent']);

    const ourId = headerMessageId(env, reply.id);
    const token = tokenOf(env, first.id);
    const arrived = await waitFor('the reply in the customer’s INBOX', async () => {
      const found = await messagesWithId(customer, 'INBOX', ourId);
      return found.length > 0 ? found : undefined;
    });
    await sleep(500);
    const copies = await messagesWithId(customer, 'INBOX', ourId);
    expect(copies).toHaveLength(1);
    const mail = arrived[0]!.parsed;
    expect(mail.messageId).toBe(`<${ourId}>`);
    expect(mail.from?.value).toEqual([{ name: 'Acme Support', address: support.address }]);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((a) => a.address) : []).toEqual([customer.address]);
    expect(mail.inReplyTo).toBe(`<${first.messageId}>`);
    expect(mail.references).toBe(`<${first.messageId}>`);
    expect(mail.subject).toBe(`Re: ${first.subject} [#${token}]`);
    expect(mail.headers.has('auto-submitted')).toBe(false);
    expect(mail.text).toContain(`Your order ${mark} ships today.\n\n-- \nAcme Support Team`);

    // One copy in the support mailbox's Sent folder (the server marks it \Sent), read.
    const filed = await messagesWithId(support, s.sentFolder, ourId);
    expect(filed).toHaveLength(1);
    expect(filed[0]!.flags).toContain('\\Seen');

    // The customer's message is \Answered.
    // What was seen last, so a timeout says whether the app gave up, is retrying, or flagged something else.
    let seen = '';
    const original = await waitFor('\\Answered on the original', async () => {
      const [m] = await messagesWithId(support, 'INBOX', first.messageId);
      const row = env.db.prepare('SELECT answered_at, answer_attempts FROM outbox WHERE message_id = ?').get(reply.id);
      seen = JSON.stringify({ onServer: m ? { uid: m.uid, flags: m.flags } : null, outbox: row });
      return m?.flags.includes('\\Answered') ? m : undefined;
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}; last seen: ${seen}; the message is now in: ${JSON.stringify(await foldersHolding(support, first.messageId))}`);
    });
    expect(original.flags).toContain('\\Answered');

    // The customer answers our reply: it joins the same conversation.
    await deliver(s, {
      from: customer.address,
      to: support.address,
      subject: `Re: ${first.subject} [#${token}]`,
      text: `Thanks, ${mark} arrived.`,
      headers: { 'In-Reply-To': `<${ourId}>`, References: `<${first.messageId}> <${ourId}>` },
    });
    const detail = await waitFor('the customer’s answer in the conversation', async () => {
      const d = await call(env.core, 'conversations:get', { id: first.id });
      return d.messages.length >= 3 ? d : undefined;
    });
    expect(detail.messages.map((m) => m.direction)).toEqual(['inbound', 'outbound', 'inbound']);
    expect(detail.messages[2]!.text).toContain(`Thanks, ${mark} arrived.`);
    const page = await call(env.core, 'conversations:list', { view: 'all', channelId: env.channelId, limit: 500 });
    expect(page.items.filter((c) => c.subject.includes(mark))).toHaveLength(1);
  });

  describe('a crash between SMTP acceptance and marking the reply sent', () => {
    it('sends a reply again when it was left in sending but is not in the Sent folder (the crash came before acceptance)', async () => {
      const env = await startEnv(`auxilium-outbox-uncertain-${s.server}-`, {}, s);
      const first = await customerWritesIn(env, marker());
      const reply = await call(env.core, 'conversations:send-reply', { id: first.id, mode: 'reply', text: 'Never left', undoSeconds: 30 });
      await env.core.stop();
      // As if the process died right after recording the attempt, before the SMTP transaction.
      const rw = new Database(join(env.dataDir, 'auxilium.sqlite'));
      rw.prepare("UPDATE outbox SET state = 'sending', attempts = 1, last_attempt_at = ?, next_attempt_at = ? WHERE message_id = ?").run(
        new Date().toISOString(),
        new Date().toISOString(),
        reply.id,
      );
      rw.close();
      const ourId = headerMessageId(env, reply.id);

      const again = createCore({ dataDir: env.dataDir, version: '0.0.0-test', keychainService: env.keychainService, outbox: OUTBOX });
      onCleanup(() => again.stop());
      onCleanup(async () => void (await again.router.handle('channels:delete', { id: env.channelId })));
      await again.start();
      const sent = await waitForDelivery(again, first.id, reply.id, (m) => m.delivery?.state === 'sent', 'the uncertain reply to be sent');
      expect(sent.delivery).toMatchObject({ state: 'sent', attempts: 2 });
      await waitFor('the reply in the customer’s INBOX', async () => ((await messagesWithId(customer, 'INBOX', ourId)).length > 0 ? true : undefined));
      await sleep(1_000);
      expect(await messagesWithId(customer, 'INBOX', ourId)).toHaveLength(1);
      expect(await messagesWithId(support, s.sentFolder, ourId)).toHaveLength(1);
    });

    it('sends exactly one copy: the restarted core finds the reply in the Sent folder', async () => {
      const env = await startEnv(`auxilium-outbox-crash-${s.server}-`, {}, s);
      const mark = marker();
      const first = await customerWritesIn(env, mark);
      await env.core.stop();

      const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'test/support/outbox-core-child.ts')], {
        cwd: REPO,
        env: { ...process.env, AUX_CHILD_DATA_DIR: env.dataDir, AUX_CHILD_KEYCHAIN: env.keychainService, AUX_CHILD_CONVERSATION: String(first.id) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      onCleanup(() => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')));
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
      const code = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
      expect(code, output).toBe(1);

      const row = env.db
        .prepare('SELECT o.message_id AS id, o.state, o.attempts, m.message_id AS header FROM outbox o JOIN messages m ON m.id = o.message_id')
        .get() as {
        id: number;
        state: string;
        attempts: number;
        header: string;
      };
      expect(row).toMatchObject({ state: 'sending', attempts: 1 });
      // The server did accept it.
      await waitFor('the reply in the customer’s INBOX', async () => ((await messagesWithId(customer, 'INBOX', row.header)).length > 0 ? true : undefined));

      const again = createCore({ dataDir: env.dataDir, version: '0.0.0-test', keychainService: env.keychainService, outbox: OUTBOX });
      onCleanup(() => again.stop());
      onCleanup(async () => void (await again.router.handle('channels:delete', { id: env.channelId })));
      await again.start();
      const sent = await waitForDelivery(again, first.id, row.id, (m) => m.delivery?.state === 'sent', 'the interrupted reply to be marked sent');
      expect(sent.delivery).toMatchObject({ state: 'sent', attempts: 1 });
      await sleep(1_500);
      expect(await messagesWithId(customer, 'INBOX', row.header)).toHaveLength(1);
      expect(await messagesWithId(support, s.sentFolder, row.header)).toHaveLength(1);
    });
  });
});

describe('the per-channel send rate', () => {
  it('queues replies over the limit instead of failing them', async () => {
    const env = await startEnv('auxilium-outbox-rate-', { sendRatePerMinute: 1 });
    const a = await customerWritesIn(env, marker());
    const b = await customerWritesIn(env, marker());
    const first = await call(env.core, 'conversations:send-reply', { id: a.id, mode: 'reply', text: 'First', undoSeconds: 0 });
    const second = await call(env.core, 'conversations:send-reply', { id: b.id, mode: 'reply', text: 'Second', undoSeconds: 0 });
    await waitForDelivery(env.core, a.id, first.id, (m) => m.delivery?.state === 'sent', 'the first reply to be sent');
    const waiting = await waitForDelivery(
      env.core,
      b.id,
      second.id,
      (m) => m.delivery?.state === 'queued' && Date.parse(m.delivery.nextAttemptAt ?? '') > Date.now() + 30_000,
      'the second reply to wait for the next minute',
    );
    expect(waiting.delivery).toMatchObject({ state: 'queued', attempts: 0, error: null });
    await sleep(2_000);
    expect((await waitForDelivery(env.core, b.id, second.id, () => true, 'the second reply')).delivery).toMatchObject({
      state: 'queued',
      attempts: 0,
      error: null,
    });
    // Still queued, so the agent can take it back.
    expect(await call(env.core, 'outbox:cancel', { messageId: second.id })).toEqual({ text: 'Second', attachments: [] });
  });
});

describe('attachments on replies', () => {
  let env: Env;
  const photo = {
    filename: 'kettle photo.jpg',
    contentType: 'image/jpeg',
    bytes: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(300_000)]),
  };
  const invoice = { filename: 'Rechnung März.pdf', contentType: 'application/pdf', bytes: Buffer.from(`%PDF-1.4\n${randomBytes(2_000).toString('hex')}`) };
  const attach = (conversationId: number, f: typeof photo) =>
    call(env.core, 'drafts:add-attachment', { conversationId, filename: f.filename, contentType: f.contentType, content: f.bytes.toString('base64') });
  const listedAs = (f: typeof photo) => ({ id: expect.any(Number), filename: f.filename, contentType: f.contentType, size: f.bytes.length });
  const outboundFiles = () => {
    const dir = join(env.dataDir, 'attachments', 'outbound');
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  };
  const draftRows = (conversationId: number) => env.db.prepare('SELECT count(*) AS n FROM draft_attachments WHERE conversation_id = ?').get(conversationId);

  beforeAll(async () => {
    env = await startEnv('auxilium-outbox-attach-');
  });

  it('files attached to a draft survive a restart, reach the customer byte for byte with the reply, are in the Sent copy, and leave the draft', async () => {
    const mark = marker();
    const first = await customerWritesIn(env, mark);
    const attached = [await attach(first.id, photo), await attach(first.id, invoice)];
    expect(attached).toEqual([listedAs(photo), listedAs(invoice)]);
    await call(env.core, 'drafts:save', { conversationId: first.id, text: `Draft ${mark}` });

    // A restart: the core stops, and a new one opens the same data folder.
    await env.core.stop();
    const again = createCore({ dataDir: env.dataDir, version: '0.0.0-test', keychainService: env.keychainService, outbox: OUTBOX });
    onCleanup(() => again.stop());
    onCleanup(async () => void (await again.router.handle('channels:delete', { id: env.channelId })));
    await again.start();
    env = { ...env, core: again };
    expect(await call(env.core, 'drafts:get', { conversationId: first.id })).toEqual({ text: `Draft ${mark}`, attachments: attached });

    const reply = await call(env.core, 'conversations:send-reply', {
      id: first.id,
      mode: 'reply',
      text: `Here are the **photo** and the invoice ${mark}`,
      undoSeconds: 0,
    });
    expect(reply.attachments.map((a) => [a.filename, a.size])).toEqual([
      [photo.filename, photo.bytes.length],
      [invoice.filename, invoice.bytes.length],
    ]);
    expect(await call(env.core, 'drafts:get', { conversationId: first.id })).toEqual({ text: '', attachments: [] });
    expect(draftRows(first.id)).toEqual({ n: 0 });
    await waitForDelivery(env.core, first.id, reply.id, (m) => m.delivery?.state === 'sent', 'the reply to be sent');
    const ourId = headerMessageId(env, reply.id);

    const [received] = await waitFor('the reply in the customer’s INBOX', async () => {
      const found = await messagesWithId(customer, 'INBOX', ourId);
      return found.length > 0 ? found : undefined;
    });
    const [filed] = await messagesWithId(support, 'Sent', ourId);
    for (const copy of [received!, filed!]) {
      // The text as typed, and an HTML alternative with the formatting.
      expect(copy.parsed.text).toContain(`Here are the **photo** and the invoice ${mark}`);
      expect(copy.parsed.html).toContain('Here are the <strong>photo</strong> and the invoice');
      expect(copy.parsed.attachments.map((a) => [a.filename, a.contentType])).toEqual([
        [photo.filename, photo.contentType],
        [invoice.filename, invoice.contentType],
      ]);
      expect(copy.parsed.attachments[0]!.content.equals(photo.bytes)).toBe(true);
      expect(copy.parsed.attachments[1]!.content.equals(invoice.bytes)).toBe(true);
    }

    // The sent reply in the conversation lists both, and each downloads as the file that was sent.
    const detail = await call(env.core, 'conversations:get', { id: first.id });
    const sent = detail.messages.find((m) => m.id === reply.id)!;
    expect(sent.attachments.map((a) => a.filename)).toEqual([photo.filename, invoice.filename]);
    expect(readFileSync(env.core.attachmentFile(sent.attachments[0]!.id)!.path).equals(photo.bytes)).toBe(true);
    // The files live on disk, not inside SQLite.
    const row = env.db.prepare('SELECT count(*) AS n FROM attachments WHERE message_id = ? AND path LIKE ?').get(reply.id, `${env.dataDir}%`) as { n: number };
    expect(row.n).toBe(2);
  });

  it('refuses a file that would take the draft over 25 MB in total, naming the file and the limit, and stores nothing of it', async () => {
    const mark = marker();
    const first = await customerWritesIn(env, mark);
    const before = outboundFiles();
    const big = (filename: string) => ({
      conversationId: first.id,
      filename,
      contentType: 'application/octet-stream',
      content: Buffer.alloc(13 * 1024 * 1024, 7).toString('base64'),
    });
    const kept = await call(env.core, 'drafts:add-attachment', big('first.iso'));
    const result = await env.core.router.handle('drafts:add-attachment', big('second.iso'));
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: 'VALIDATION_FAILED',
        retryable: false,
        message: '“second.iso” would bring the attachments to 26 MB; a reply can carry at most 25 MB in total.',
      },
    });
    expect(await call(env.core, 'drafts:get', { conversationId: first.id })).toEqual({ text: '', attachments: [kept] });
    expect(outboundFiles()).toHaveLength(before.length + 1);

    // Removing it takes it off the draft and deletes its file.
    expect(await call(env.core, 'drafts:remove-attachment', { id: kept.id })).toEqual({});
    expect(await call(env.core, 'drafts:get', { conversationId: first.id })).toEqual({ text: '', attachments: [] });
    expect(outboundFiles()).toEqual(before);
  });

  it('Undo puts the files back into the draft (the same files, nothing copied) and sends nothing; sent again, they go out', async () => {
    const mark = marker();
    const first = await customerWritesIn(env, mark);
    await attach(first.id, photo);
    await attach(first.id, invoice);
    const files = outboundFiles();
    const reply = await call(env.core, 'conversations:send-reply', { id: first.id, mode: 'reply', text: `Undo with files ${mark}`, undoSeconds: 3 });
    expect((await call(env.core, 'drafts:get', { conversationId: first.id })).attachments).toEqual([]);
    const ourId = headerMessageId(env, reply.id);

    const back = await call(env.core, 'outbox:cancel', { messageId: reply.id });
    expect(back).toEqual({ text: `Undo with files ${mark}`, attachments: [listedAs(photo), listedAs(invoice)] });
    expect(await call(env.core, 'drafts:get', { conversationId: first.id })).toEqual({ text: '', attachments: back.attachments });
    expect(outboundFiles()).toEqual(files);
    expect(env.db.prepare('SELECT count(*) AS n FROM attachments WHERE message_id = ?').get(reply.id)).toEqual({ n: 0 });
    await sleep(4_500);
    expect(await messagesWithId(customer, 'INBOX', ourId)).toHaveLength(0);

    const again = await call(env.core, 'conversations:send-reply', { id: first.id, mode: 'reply', text: `Sent after all ${mark}`, undoSeconds: 0 });
    const [received] = await waitFor('the second reply in the customer’s INBOX', async () => {
      const found = await messagesWithId(customer, 'INBOX', headerMessageId(env, again.id));
      return found.length > 0 ? found : undefined;
    });
    expect(received!.parsed.attachments.map((a) => a.filename)).toEqual([photo.filename, invoice.filename]);
    expect(received!.parsed.attachments[0]!.content.equals(photo.bytes)).toBe(true);
    expect(draftRows(first.id)).toEqual({ n: 0 });
  });
});

describe('a Sent copy that could not be filed', () => {
  it('is filed later, once the folder is there, without sending the reply again', async () => {
    const mark = marker();
    const folder = `Filed-${mark}`;
    // The channel files into a folder that does not exist yet: appending to it fails.
    const env = await startEnv('auxilium-outbox-file-later-', { sentFolder: folder });
    const first = await customerWritesIn(env, mark);
    const reply = await call(env.core, 'conversations:send-reply', { id: first.id, mode: 'reply', text: `File me later ${mark}`, undoSeconds: 0 });
    await waitForDelivery(env.core, first.id, reply.id, (m) => m.delivery?.state === 'sent', 'the reply to be sent');
    const ourId = headerMessageId(env, reply.id);
    await waitFor('the reply in the customer’s INBOX', async () => ((await messagesWithId(customer, 'INBOX', ourId)).length > 0 ? true : undefined));
    const pending = env.db.prepare('SELECT filed_at, followup_at FROM outbox WHERE message_id = ?').get(reply.id) as {
      filed_at: string | null;
      followup_at: string | null;
    };
    expect(pending.filed_at).toBeNull();
    expect(pending.followup_at).not.toBeNull();

    // The reply says so, with the folder and the server's own words; so does the channel's card.
    const shown = await waitForDelivery(env.core, first.id, reply.id, (m) => m.delivery?.filing != null, 'the filing problem on the reply');
    expect(shown.delivery).toMatchObject({ state: 'sent', filing: { folder, retrying: true, error: { code: 'SENT_FOLDER_NOT_FOUND' } } });
    expect(shown.delivery!.filing!.error.message).toContain(folder);
    expect(shown.delivery!.filing!.error.detail).toMatch(/TRYCREATE|doesn't exist/i);
    const card = (await call(env.core, 'channels:list', {})).find((c) => c.id === env.channelId)!;
    expect(card.notices).toEqual([
      expect.objectContaining({ kind: 'sent-copy-failed', folder, error: expect.objectContaining({ code: 'SENT_FOLDER_NOT_FOUND' }) }),
    ]);
    // The log names the folder and keeps what the server answered, not just "Command failed".
    const log = readFileSync(join(env.dataDir, 'logs', 'auxilium.log'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('could not file the copy'));
    expect(log.length).toBeGreaterThan(0);
    expect(JSON.parse(log[0]!)).toMatchObject({ folder, response: expect.stringMatching(/doesn't exist/i) });
    // A few retries fail while the folder is missing.
    await waitFor('a second failed filing attempt', () => {
      const row = env.db.prepare('SELECT filing_attempts AS n FROM outbox WHERE message_id = ?').get(reply.id) as { n: number };
      return row.n >= 2 ? true : undefined;
    });
    // \Answered was set in the session that first tried the copy: its own count never moved.
    expect(
      env.db.prepare('SELECT answer_attempts, deferred_attempts, answered_at IS NOT NULL AS answered FROM outbox WHERE message_id = ?').get(reply.id),
    ).toEqual({
      answer_attempts: 0,
      deferred_attempts: 0,
      answered: 1,
    });

    await withImapSession(stack, support, async (client) => {
      await client.mailboxCreate(folder);
    });
    onCleanup(() =>
      withImapSession(stack, support, async (c) => {
        await c.mailboxDelete(folder).catch(() => undefined);
      }),
    );

    await waitFor('the copy in the folder', async () => ((await messagesWithId(support, folder, ourId)).length > 0 ? true : undefined));
    await waitFor('the follow-up to be done', () => {
      const row = env.db.prepare('SELECT filed_at, followup_at FROM outbox WHERE message_id = ?').get(reply.id) as {
        filed_at: string | null;
        followup_at: string | null;
      };
      return row.filed_at !== null && row.followup_at === null ? true : undefined;
    });
    await sleep(2_000);
    const [copy, ...more] = await messagesWithId(support, folder, ourId);
    expect(more).toHaveLength(0);
    expect(copy!.parsed.text).toContain(`File me later ${mark}`);
    expect(copy!.flags).toContain('\\Seen');
    // Sent exactly once: filing again never meant sending again.
    expect(await messagesWithId(customer, 'INBOX', ourId)).toHaveLength(1);
    const detail = await call(env.core, 'conversations:get', { id: first.id });
    expect(detail.messages.find((m) => m.id === reply.id)!.delivery).toMatchObject({ state: 'sent', attempts: 1, filing: null });
    const after = (await call(env.core, 'channels:list', {})).find((c) => c.id === env.channelId)!;
    expect(after.notices).toEqual([]);
  });
});

describe('recipients the agent chose, forwards and signatures', () => {
  let env: Env;
  const { other } = stack.users;

  beforeAll(async () => {
    env = await startEnv('auxilium-outbox-compose-');
    const grace = await call(env.core, 'agents:save', { name: 'Grace', email: 'grace@acme.test' });
    await call(env.core, 'settings:set-me', { agentId: grace.id });
    await call(env.core, 'agents:set-signature', { id: grace.id, signature: 'Grace Hopper\nSupport lead' });
  });

  it('delivers to exactly the To, Cc and Bcc the agent chose; the Bcc is in nobody’s headers; the agent’s signature sits above the channel’s', async () => {
    const mark = marker();
    const first = await customerWritesIn(env, mark);
    const recipients = {
      to: [{ name: 'Carol', address: customer.address }],
      cc: [{ name: 'Cc person', address: cc.address }],
      bcc: [{ name: 'Quiet', address: other.address }],
    };
    const reply = await call(env.core, 'conversations:send-reply', { id: first.id, mode: 'reply', text: `Chosen ${mark}`, undoSeconds: 0, recipients });
    expect({ to: reply.to, cc: reply.cc, bcc: reply.bcc }).toEqual(recipients);
    await waitForDelivery(env.core, first.id, reply.id, (m) => m.delivery?.state === 'sent', 'the reply to be sent');
    const ourId = headerMessageId(env, reply.id);
    for (const user of [customer, cc, other]) {
      const [copy] = await waitFor(`the reply in ${user.address}’s INBOX`, async () => {
        const found = await messagesWithId(user, 'INBOX', ourId);
        return found.length > 0 ? found : undefined;
      });
      expect(copy!.parsed.headers.has('bcc')).toBe(false);
      expect(copy!.parsed.to).toMatchObject({ value: [{ address: customer.address }] });
      expect(copy!.parsed.cc).toMatchObject({ value: [{ address: cc.address }] });
      expect(JSON.stringify(copy!.parsed.headerLines)).not.toContain(other.address);
      expect(copy!.parsed.text).toContain(`Chosen ${mark}\n\n-- \nGrace Hopper\nSupport lead\n\nAcme Support Team\nacme.test`);
    }
    const [filed] = await waitFor('the Sent copy', async () => {
      const found = await messagesWithId(support, 'Sent', ourId);
      return found.length > 0 ? found : undefined;
    });
    expect(JSON.stringify(filed!.parsed.headerLines)).not.toContain(other.address);
  });

  it('refuses addresses that are not email addresses, and a reply without a To, before anything is queued', async () => {
    const mark = marker();
    const first = await customerWritesIn(env, mark);
    const bad = await env.core.router.handle('conversations:send-reply', {
      id: first.id,
      mode: 'reply',
      text: `Bad ${mark}`,
      undoSeconds: 0,
      recipients: { to: [{ name: '', address: customer.address }], cc: [{ name: '', address: 'not an address' }], bcc: [] },
    });
    expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(JSON.stringify(bad)).toContain('“not an address” is not an email address');
    const noTo = await env.core.router.handle('conversations:send-reply', {
      id: first.id,
      mode: 'reply',
      text: `No To ${mark}`,
      undoSeconds: 0,
      recipients: { to: [], cc: [{ name: '', address: cc.address }], bcc: [] },
    });
    expect(noTo).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    const detail = await call(env.core, 'conversations:get', { id: first.id });
    expect(detail.messages.map((m) => m.direction)).toEqual(['inbound']);
  });

  it('forwards a customer message with its attachment to a third party: Fwd subject, the forwarded block, no threading; their answer stays out of the conversation', async () => {
    const mark = marker();
    const receipt = {
      filename: `receipt ${mark}.pdf`,
      contentType: 'application/pdf',
      content: Buffer.from(`%PDF-1.4\n${randomBytes(3_000).toString('hex')}`),
    };
    const subject = `Warranty claim ${mark}`;
    await deliver(env.stack, { from: customer.address, to: support.address, subject, text: `My receipt for ${mark} is attached.`, attachments: [receipt] });
    const conversation = await waitFor(`a conversation for ${mark}`, async () => {
      const page = await call(env.core, 'conversations:list', { view: 'all', channelId: env.channelId, limit: 500 });
      return page.items.find((c) => c.subject.includes(mark));
    });
    const original = (await call(env.core, 'conversations:get', { id: conversation.id })).messages[0]!;
    expect(original.attachments.map((a) => a.filename)).toEqual([receipt.filename]);
    const statusBefore = conversation.status;

    const forward = await call(env.core, 'conversations:send-reply', {
      id: conversation.id,
      mode: 'forward',
      text: `Can you check this claim? ${mark}`,
      undoSeconds: 0,
      forwardOf: original.id,
      recipients: { to: [{ name: 'Workshop', address: other.address }], cc: [], bcc: [] },
    });
    expect(forward.forwardOf).toBe(original.id);
    expect(forward.subject).toBe(`Fwd: ${subject}`);
    await waitForDelivery(env.core, conversation.id, forward.id, (m) => m.delivery?.state === 'sent', 'the forward to be sent');
    const ourId = headerMessageId(env, forward.id);
    const [copy] = await waitFor('the forward in the third party’s INBOX', async () => {
      const found = await messagesWithId(other, 'INBOX', ourId);
      return found.length > 0 ? found : undefined;
    });
    const parsed = copy!.parsed;
    expect(parsed.subject).toBe(`Fwd: ${subject}`);
    expect(parsed.inReplyTo).toBeUndefined();
    expect(parsed.references).toBeUndefined();
    expect(parsed.text).toContain(`Can you check this claim? ${mark}\n\n-- \nGrace Hopper`);
    expect(parsed.text).toContain('---------- Forwarded message ----------');
    expect(parsed.text).toMatch(new RegExp(`From: .*${customer.address}`));
    expect(parsed.text).toContain(`Subject: ${subject}`);
    expect(parsed.text).toContain(`My receipt for ${mark} is attached.`);
    expect(parsed.attachments.map((a) => a.filename)).toEqual([receipt.filename]);
    expect(parsed.attachments[0]!.content.equals(receipt.content)).toBe(true);
    // Nobody else got it; the conversation is not answered by a forward.
    expect(await messagesWithId(customer, 'INBOX', ourId)).toHaveLength(0);
    expect((await call(env.core, 'conversations:get', { id: conversation.id })).conversation.status).toBe(statusBefore);

    // The third party answers the forward: that is not the customer writing, so it never joins
    // (and never becomes the address the next reply goes to).
    await deliver(env.stack, {
      from: other.address,
      to: support.address,
      subject: `Re: Fwd: ${subject}`,
      text: `Claim ${mark} approved.`,
      headers: { 'In-Reply-To': ourId.startsWith('<') ? ourId : `<${ourId}>` },
    });
    await waitFor('the answer in a conversation of its own', async () => {
      const page = await call(env.core, 'conversations:list', { view: 'all', channelId: env.channelId, limit: 500, status: 'active' });
      return page.items.find((c) => c.id !== conversation.id && c.subject.includes(mark));
    });
    const after = await call(env.core, 'conversations:get', { id: conversation.id });
    expect(after.messages.map((m) => m.direction)).toEqual(['inbound', 'outbound']);
    expect(after.messages.some((m) => m.text.includes(`Claim ${mark} approved`))).toBe(false);
  });
});
