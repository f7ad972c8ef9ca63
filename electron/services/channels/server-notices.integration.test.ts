import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Channel, ChannelForm } from '../../../shared/channel';
import type { ConversationSummary, Message } from '../../../shared/conversation';
import { deliver, deliverByLmtp, imapServers, startOwnCyrus, withImapSession, type MailStackInfo } from '../../../test/mailstack/mailstack';
import { cleanupsAfterAll } from '../../../test/support/cleanups';
import { call, channelFor, marker, waitFor } from '../../../test/support/core';
import { tempDir, testKeychainService } from '../../../test/support/temp';
import { createCore, type Core } from '../../core/create-core';

// What a channel's card says about servers that differ from Dovecot, each a real Cyrus IMAP server
// of its own: one that has no Sent folder, one whose IDLE does not push (no idled). Replies go out
// through the stack's Postfix as the stack's support user; customer mail reaches Cyrus over LMTP.

const stack = inject('mailstack');
const onCleanup = cleanupsAfterAll();

/** A channel whose mailbox is `server`'s support user, sending through the stack's Postfix. */
function form(server: MailStackInfo, inbox: Partial<ChannelForm['inbox']>): ChannelForm {
  const f = channelFor(server, server.users.support, { initialImport: 'none', ...inbox });
  const sender = stack.users.support;
  return { ...f, smtp: { ...f.smtp, port: stack.smtp.implicitTls, username: sender.user, password: sender.password } };
}

async function startCore(prefix: string): Promise<Core> {
  const dir = tempDir(prefix);
  onCleanup(dir.remove);
  const core = createCore({ dataDir: dir.path, version: '0.0.0-test', keychainService: testKeychainService() });
  onCleanup(() => core.stop());
  await core.start();
  return core;
}

async function connectedChannel(core: Core, values: ChannelForm): Promise<Channel> {
  const created = await call(core, 'channels:create', values);
  onCleanup(async () => void (await core.router.handle('channels:delete', { id: created.id })));
  await waitFor('the channel to connect', async () => ((await card(core, created.id)).status.state === 'connected' ? true : undefined));
  return created;
}

async function card(core: Core, id: string): Promise<Channel> {
  return (await call(core, 'channels:list', {})).find((c) => c.id === id)!;
}

async function conversationFor(core: Core, channelId: string, mark: string): Promise<ConversationSummary> {
  return waitFor(`a conversation for ${mark}`, async () => {
    const page = await call(core, 'conversations:list', { view: 'all', channelId, limit: 500 });
    return page.items.find((c) => c.subject.includes(mark));
  });
}

async function replySent(core: Core, conversationId: number, text: string): Promise<Message> {
  const reply = await call(core, 'conversations:send-reply', { id: conversationId, mode: 'reply', text, undoSeconds: 0 });
  return waitFor('the reply to be sent', async () => {
    const detail = await call(core, 'conversations:get', { id: conversationId });
    const m = detail.messages.find((x) => x.id === reply.id);
    return m?.delivery?.state === 'sent' ? m : undefined;
  });
}

describe('a server without a Sent folder', () => {
  let server: Awaited<ReturnType<typeof startOwnCyrus>>;

  beforeAll(async () => {
    server = await startOwnCyrus(stack, { idled: true, sentFolder: false });
  });
  afterAll(async () => server?.stop());

  it('is said on the card instead of counting copies as filed; "Create a Sent folder" makes one and files the next reply there', async () => {
    const core = await startCore('auxilium-no-sent-');
    const channel = await connectedChannel(core, form(server, {}));
    const support = server.users.support;
    const mark = marker();
    await deliverByLmtp(server, { from: stack.users.customer.address, to: support.address, subject: `Question ${mark}`, text: 'Hello,\nwhere is it?' });
    const conversation = await conversationFor(core, channel.id, mark);

    await replySent(core, conversation.id, `First answer ${mark}`);
    const before = await waitFor('the no-Sent-folder notice', async () => {
      const c = await card(core, channel.id);
      return c.notices.some((n) => n.kind === 'no-sent-folder') ? c : undefined;
    });
    expect(before.notices).toEqual([{ kind: 'no-sent-folder' }]);
    await withImapSession(server, support, async (client) => {
      expect((await client.list()).map((f) => f.path)).not.toContain('INBOX.Sent');
    });

    const updated = await call(core, 'channels:create-sent-folder', { id: channel.id });
    expect(updated.inbox.sentFolder).toBe('INBOX.Sent');
    expect(updated.notices).toEqual([]);

    const second = await replySent(core, conversation.id, `Second answer ${mark}`);
    expect(second.delivery?.filing).toBeNull();
    const filed = await withImapSession(server, support, async (client) => {
      const lock = await client.getMailboxLock('INBOX.Sent', { readOnly: true });
      try {
        return await client.search({ body: `Second answer ${mark}` }, { uid: true });
      } finally {
        lock.release();
      }
    });
    expect(filed).toHaveLength(1);
    expect((await card(core, channel.id)).notices).toEqual([]);
  });
});

describe('IDLE that does not push', () => {
  let silent: Awaited<ReturnType<typeof startOwnCyrus>>;

  beforeAll(async () => {
    // Without idled, Cyrus looks for new mail in IDLE only every imapidlepoll: here, never within the test.
    silent = await startOwnCyrus(stack, { idled: false, idlePollSeconds: 3600, sentFolder: true });
  });
  afterAll(async () => silent?.stop());

  it('is said on the card once polls keep finding mail IDLE said nothing about', async () => {
    const core = await startCore('auxilium-idle-silent-');
    const channel = await connectedChannel(core, form(silent, { pollIntervalSeconds: 10 }));
    for (const n of [1, 2]) {
      const mark = marker();
      await deliverByLmtp(silent, { from: stack.users.customer.address, to: silent.users.support.address, subject: `Mail ${n} ${mark}`, text: 'Hello' });
      await conversationFor(core, channel.id, mark);
    }
    const shown = await waitFor('the IDLE notice', async () => {
      const c = await card(core, channel.id);
      return c.notices.length > 0 ? c : undefined;
    });
    expect(shown.notices).toEqual([{ kind: 'idle-silent', pollSeconds: 10 }]);
  }, 90_000);

  it('is not said for a server that pushes (Cyrus with idled)', async () => {
    const pushing = imapServers(stack)[1]!;
    const core = await startCore('auxilium-idle-pushing-');
    const values = channelFor(pushing, pushing.users.other, { initialImport: 'none', pollIntervalSeconds: 10 });
    const channel = await connectedChannel(core, values);
    for (const n of [1, 2, 3]) {
      const mark = marker();
      await deliver(pushing, { from: pushing.users.customer.address, to: pushing.users.other.address, subject: `Pushed ${n} ${mark}`, text: 'Hello' });
      await conversationFor(core, channel.id, mark);
    }
    expect((await card(core, channel.id)).notices).toEqual([]);
  });
});
