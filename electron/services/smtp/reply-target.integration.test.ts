import { describe, expect, inject, it } from 'vitest';
import { call, channelFor, marker, waitFor } from '../../../test/support/core';
import { cleanupsAfterAll } from '../../../test/support/cleanups';
import type { ConversationDetail, ConversationSummary, Message } from '../../../shared/conversation';
import { deliver } from '../../../test/mailstack/mailstack';
import { tempDir, testKeychainService } from '../../../test/support/temp';
import { createCore, type Core } from '../../core/create-core';

// A reply never goes to the wrong person: real mail through Postfix and Dovecot into the core's own
// watcher, and a real reply through the router. "other" plays a stranger who knows the thread's
// Message-ID and token (e.g. from a forwarded mail) and dates their mail far in the future.

const stack = inject('mailstack');
const { support, customer, cc, other } = stack.users;
const onCleanup = cleanupsAfterAll();
const FAR_FUTURE = 'Mon, 01 Jan 2099 00:00:00 +0000';

async function startCore(): Promise<{ core: Core; channelId: string }> {
  const dir = tempDir('auxilium-reply-target-');
  onCleanup(dir.remove);
  const core = createCore({ dataDir: dir.path, version: '0.0.0-test', keychainService: testKeychainService() });
  onCleanup(() => core.stop());
  await core.start();
  const channel = await call(core, 'channels:create', channelFor(stack, support, { initialImport: 'none', markSeenOnServer: false }));
  onCleanup(async () => void (await core.router.handle('channels:delete', { id: channel.id })));
  await waitFor('the channel to connect', async () => {
    const c = (await call(core, 'channels:list', {})).find((x) => x.id === channel.id);
    return c?.status.state === 'connected' ? true : undefined;
  });
  return { core, channelId: channel.id };
}

async function conversationsWith(core: Core, channelId: string, mark: string): Promise<ConversationSummary[]> {
  const page = await call(core, 'conversations:list', { view: 'all', channelId, limit: 500 });
  return page.items.filter((c) => c.subject.includes(mark));
}

async function detail(core: Core, id: number): Promise<ConversationDetail> {
  return call(core, 'conversations:get', { id });
}

/** Waits until the conversation holds a message whose text contains `word`. */
async function arrived(core: Core, id: number, word: string): Promise<Message> {
  return waitFor(`mail containing ${word}`, async () => (await detail(core, id)).messages.find((m) => m.text.includes(word)));
}

describe('who a reply goes to, with real mail', () => {
  it("keeps a stranger out of a thread whose Message-ID and token they know, and answers the customer's latest mail by arrival", async () => {
    const { core, channelId } = await startCore();
    const mark = marker();
    const customerMessageId = `first.${mark}@customer.test`;
    await deliver(stack, {
      from: customer.address,
      to: support.address,
      subject: `Broken hinge ${mark}`,
      text: `first ${mark}`,
      headers: { Cc: cc.address, 'Message-ID': `<${customerMessageId}>` },
    });
    const conversation = await waitFor('the conversation', async () => (await conversationsWith(core, channelId, mark))[0]);
    await arrived(core, conversation.id, `first ${mark}`);
    const ack = await call(core, 'conversations:send-reply', { id: conversation.id, mode: 'reply', text: `ack ${mark}`, undoSeconds: 0 });
    const token = /\[#(\w+)\]/.exec(ack.subject)?.[1];
    expect(token).toBeTruthy();

    // The stranger names the thread every way a header can, asks for replies to themselves, and
    // dates the mail in the future.
    await deliver(stack, {
      from: other.address,
      to: support.address,
      subject: `Re: Broken hinge ${mark} [#${token}]`,
      text: `hijack ${mark}`,
      headers: {
        'In-Reply-To': `<${customerMessageId}>`,
        References: `<${customerMessageId}> <aux.${token}.abc@acme.test>`,
        'Reply-To': other.address,
        Date: FAR_FUTURE,
      },
    });
    const strangers = await waitFor('the stranger’s own conversation', async () => {
      const list = await conversationsWith(core, channelId, mark);
      return list.find((c) => c.id !== conversation.id);
    });
    expect(strangers.customer.address).toBe(other.address);
    expect((await detail(core, conversation.id)).messages.some((m) => m.text.includes(`hijack ${mark}`))).toBe(false);

    // Someone copied on the thread writes with a future Date; then the customer writes again.
    await deliver(stack, {
      from: cc.address,
      to: support.address,
      subject: `Re: Broken hinge ${mark}`,
      text: `copied ${mark}`,
      headers: { 'In-Reply-To': `<${customerMessageId}>`, Date: FAR_FUTURE, 'Reply-To': cc.address },
    });
    await arrived(core, conversation.id, `copied ${mark}`);
    await deliver(stack, {
      from: customer.address,
      to: support.address,
      subject: `Re: Broken hinge ${mark}`,
      text: `again ${mark}`,
      headers: { 'In-Reply-To': `<${customerMessageId}>` },
    });
    await arrived(core, conversation.id, `again ${mark}`);

    const reply = await call(core, 'conversations:send-reply', { id: conversation.id, mode: 'reply', text: `answer ${mark}`, undoSeconds: 0 });
    expect(reply.to.map((a) => a.address)).toEqual([customer.address]);
  });
});
