import { describe, expect, it } from 'vitest';
import { buildReplyHeaders, replyReferences, replySubject, withSignature, type ParentMessage, type ReplyInput } from './reply-headers';

const parent = (overrides: Partial<ParentMessage> = {}): ParentMessage => ({
  messageId: 'c2@customer.example',
  inReplyTo: null,
  references: [],
  from: { name: 'Carol', address: 'carol@customer.example' },
  to: [{ name: 'Support', address: 'support@acme.test' }],
  cc: [],
  replyTo: [],
  ...overrides,
});

const input = (overrides: Partial<ReplyInput> = {}): ReplyInput => ({
  mode: 'reply',
  conversation: { subject: 'Where is my order?', token: 'ABCD2345', customer: { name: 'Carol', address: 'carol@customer.example' } },
  parent: parent(),
  from: { name: 'Acme Support', address: 'support@acme.test' },
  ownAddresses: ['support@acme.test', 'Help@Acme.test'],
  text: 'It ships today.',
  signatures: { agent: '', channel: '' },
  ...overrides,
});

describe('replySubject', () => {
  it('adds one "Re: " and the conversation token', () => {
    expect(replySubject('Where is my order?', 'ABCD2345')).toBe('Re: Where is my order? [#ABCD2345]');
  });
  it('never says "Re: Re:", whatever prefixes the subject already has', () => {
    expect(replySubject('Re: Where is my order?', 'ABCD2345')).toBe('Re: Where is my order? [#ABCD2345]');
    expect(replySubject('RE: AW: re[2]: Order', 'ABCD2345')).toBe('Re: Order [#ABCD2345]');
    expect(replySubject('Sv:Order', 'ABCD2345')).toBe('Re: Order [#ABCD2345]');
  });
  it('keeps a token that is already there and leaves words that merely start like a prefix alone', () => {
    expect(replySubject('Re: Order [#ABCD2345]', 'ABCD2345')).toBe('Re: Order [#ABCD2345]');
    expect(replySubject('Reorder please', 'ABCD2345')).toBe('Re: Reorder please [#ABCD2345]');
  });
});

describe('replyReferences (RFC 5322 3.6.4)', () => {
  it("is the parent's References followed by its Message-ID", () => {
    expect(replyReferences(parent({ references: ['a@x', 'b@x'], inReplyTo: 'b@x' }))).toEqual(['a@x', 'b@x', 'c2@customer.example']);
  });
  it("falls back to the parent's In-Reply-To when it has no References", () => {
    expect(replyReferences(parent({ inReplyTo: '<b@x>' }))).toEqual(['b@x', 'c2@customer.example']);
  });
  it('drops duplicates and brackets, and is empty without a parent', () => {
    expect(replyReferences(parent({ references: ['<a@x>', 'a@x', 'c2@customer.example'] }))).toEqual(['a@x', 'c2@customer.example']);
    expect(replyReferences(null)).toEqual([]);
  });
});

describe('withSignature', () => {
  it('appends the signature below a "-- " line', () => {
    expect(withSignature('Hello\n\n', { agent: '', channel: 'Acme Support\nacme.test\n' })).toBe('Hello\n\n-- \nAcme Support\nacme.test');
  });
  it("puts the agent's own signature above the channel's", () => {
    expect(withSignature('Hello', { agent: 'Grace\nSupport lead', channel: 'Acme Support' })).toBe('Hello\n\n-- \nGrace\nSupport lead\n\nAcme Support');
    expect(withSignature('Hello', { agent: 'Grace', channel: ' ' })).toBe('Hello\n\n-- \nGrace');
  });
  it('leaves the text alone without a signature', () => {
    expect(withSignature('Hello', { agent: '', channel: '  ' })).toBe('Hello');
  });
});

describe('buildReplyHeaders', () => {
  it('answers the customer with In-Reply-To the last message and the From of the channel', () => {
    const h = buildReplyHeaders(input({ signatures: { agent: '', channel: 'Acme' } }));
    expect(h.from).toEqual({ name: 'Acme Support', address: 'support@acme.test' });
    expect(h.to).toEqual([{ name: 'Carol', address: 'carol@customer.example' }]);
    expect(h.cc).toEqual([]);
    expect(h.bcc).toEqual([]);
    expect(h.inReplyTo).toBe('c2@customer.example');
    expect(h.references).toEqual(['c2@customer.example']);
    expect(h.subject).toBe('Re: Where is my order? [#ABCD2345]');
    expect(h.text).toBe('It ships today.\n\n-- \nAcme');
  });

  it("goes to the Reply-To of the customer's last message when it has one", () => {
    const h = buildReplyHeaders(input({ parent: parent({ replyTo: [{ name: 'Orders', address: 'orders@customer.example' }] }) }));
    expect(h.to.map((a) => a.address)).toEqual(['orders@customer.example']);
  });

  it("reply-all keeps the last message's To and Cc, minus our own addresses and the customer", () => {
    const p = parent({
      to: [
        { name: 'Support', address: 'SUPPORT@acme.test' },
        { name: 'Dan', address: 'dan@customer.example' },
      ],
      cc: [
        { name: 'Help', address: 'help@acme.test' },
        { name: 'Carol again', address: 'Carol@customer.example' },
        { name: 'Eve', address: 'eve@partner.example' },
        { name: 'Dan', address: 'dan@customer.example' },
      ],
    });
    expect(buildReplyHeaders(input({ mode: 'reply-all', parent: p })).cc).toEqual([
      { name: 'Dan', address: 'dan@customer.example' },
      { name: 'Eve', address: 'eve@partner.example' },
    ]);
    expect(buildReplyHeaders(input({ mode: 'reply', parent: p })).cc).toEqual([]);
  });

  it('works without a parent message (no threading headers) and never sends to ourselves', () => {
    const h = buildReplyHeaders(input({ parent: null }));
    expect(h.inReplyTo).toBeNull();
    expect(h.references).toEqual([]);
    expect(h.to.map((a) => a.address)).toEqual(['carol@customer.example']);
    const self = buildReplyHeaders(
      input({ parent: null, conversation: { subject: 's', token: 'ABCD2345', customer: { name: '', address: 'support@acme.test' } } }),
    );
    expect(self.to).toEqual([]);
  });

  it('sends to exactly the To, Cc and Bcc the agent chose, threaded like any reply', () => {
    const chosen = {
      to: [{ name: 'Carol', address: 'carol@customer.example' }],
      cc: [{ name: '', address: 'finance@customer.example' }],
      bcc: [{ name: 'Lead', address: 'lead@acme.test' }],
    };
    const h = buildReplyHeaders(input({ chosen }));
    expect({ to: h.to, cc: h.cc, bcc: h.bcc }).toEqual(chosen);
    expect(h.inReplyTo).toBe('c2@customer.example');
  });
});
