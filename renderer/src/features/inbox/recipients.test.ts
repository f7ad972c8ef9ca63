import { describe, expect, it } from 'vitest';
import type { Message } from '../../../../shared/conversation';
import { notTheCustomer, replyRecipients, replyTarget } from './recipients';
import { testMessage } from './test-message';

function message(extra: Partial<Message>): Message {
  return testMessage({ to: [{ name: 'Support', address: 'support@acme.test' }], ...extra });
}

const conversation = { customer: { name: 'Carol', address: 'carol@example.com' } };

describe('replyRecipients', () => {
  const mail = message({
    to: [
      { name: 'Support', address: 'Support@Acme.test' },
      { name: 'Dave', address: 'dave@example.com' },
    ],
    cc: [
      { name: 'Boss', address: 'boss@example.com' },
      { name: '', address: 'carol@example.com' },
    ],
  });

  it('replies to the sender only', () => {
    expect(replyRecipients('reply', conversation, [mail], ['support@acme.test'])).toEqual({
      to: [{ name: 'Carol', address: 'carol@example.com' }],
      cc: [],
    });
  });

  it('keeps the others as Cc on reply all, without our own address or the sender twice', () => {
    expect(replyRecipients('reply-all', conversation, [mail], ['support@acme.test']).cc).toEqual([
      { name: 'Dave', address: 'dave@example.com' },
      { name: 'Boss', address: 'boss@example.com' },
    ]);
  });

  it('answers the newest mail from a person, not an auto-reply or our own reply', () => {
    const older = message({ id: 1, date: '2026-11-20T09:00:00.000Z' });
    const newer = message({ id: 2, date: '2026-11-20T10:00:00.000Z', from: { name: 'Carol', address: 'carol@home.example' } });
    const auto = message({ id: 3, date: '2026-11-20T11:00:00.000Z', kind: 'auto-reply', from: { name: '', address: 'noreply@x.example' } });
    const ours = message({ id: 4, date: '2026-11-20T12:00:00.000Z', direction: 'outbound' });
    expect(replyTarget([older, newer, auto, ours])?.id).toBe(2);
  });

  it('answers the mail that arrived last, whatever its Date header claims', () => {
    const customer = message({ id: 1, date: '2026-11-20T09:00:00.000Z' });
    // Arrived earlier (listed first), dated far in the future, with a Reply-To of its own.
    const futureDated = message({ id: 2, date: '2099-01-01T00:00:00.000Z', replyTo: [{ name: '', address: 'mallory@evil.test' }] });
    const customerAgain = message({ id: 3, date: '2026-11-21T09:00:00.000Z' });
    expect(replyTarget([customer, futureDated, customerAgain])?.id).toBe(3);
    expect(replyRecipients('reply', conversation, [customer, futureDated, customerAgain], ['support@acme.test']).to).toEqual([conversation.customer]);
  });

  it("points out To addresses that are not the conversation's customer", () => {
    const elsewhere = message({ replyTo: [{ name: 'Someone', address: 'someone@else.example' }] });
    const recipients = replyRecipients('reply', conversation, [elsewhere], ['support@acme.test']);
    expect(notTheCustomer(recipients, conversation.customer)).toEqual([{ name: 'Someone', address: 'someone@else.example' }]);
    expect(notTheCustomer(replyRecipients('reply', conversation, [message({})], []), { name: '', address: 'CAROL@example.com' })).toEqual([]);
  });

  it("goes to the conversation's customer (their Reply-To), not the From of the latest mail", () => {
    const viaReplyTo = { customer: { name: '', address: 'carol@home.example' } };
    expect(replyRecipients('reply', viaReplyTo, [mail], ['support@acme.test']).to).toEqual([viaReplyTo.customer]);
  });

  it("follows the Reply-To of the customer's latest mail, as the main side sends", () => {
    const first = message({ id: 1, date: '2026-11-20T09:00:00.000Z' });
    const later = message({ id: 2, date: '2026-11-20T10:00:00.000Z', replyTo: [{ name: 'Carol at home', address: 'carol@home.example' }] });
    const own = ['support@acme.test'];
    expect(replyRecipients('reply', conversation, [first, later], own)).toEqual({ to: [{ name: 'Carol at home', address: 'carol@home.example' }], cc: [] });
  });

  it('never previews our own address as a recipient, even as a Reply-To', () => {
    const mail = message({ replyTo: [{ name: 'Support', address: 'SUPPORT@acme.test' }] });
    expect(replyRecipients('reply', conversation, [mail], ['support@acme.test']).to).toEqual([conversation.customer]);
  });

  it('falls back to the conversation customer when there is no inbound mail', () => {
    expect(replyRecipients('reply-all', conversation, [], []).to).toEqual([conversation.customer]);
  });
});
