import { describe, expect, it } from 'vitest';
import type { ParsedMessage } from '../types';
import { classify } from './index';

const ctx = { ownAddresses: ['Support@Example.org'] };

function message(headers: Record<string, string>, overrides: Partial<ParsedMessage> = {}): ParsedMessage {
  return {
    messageId: '<m1@customer.example>',
    inReplyTo: null,
    references: [],
    subject: 'Where is my order?',
    from: { name: 'Customer', address: 'customer@customer.example' },
    replyTo: [],
    to: [{ name: '', address: 'support@example.org' }],
    cc: [],
    date: null,
    text: '',
    html: null,
    attachments: [],
    headers,
    bounceOf: [],
    ...overrides,
  };
}

const ours = { from: { name: 'Support', address: 'support@example.org' }, messageId: '<aux.T0K3N.r4nd0m@example.org>' };

describe('classify', () => {
  it('treats ordinary customer mail as normal', () => {
    expect(classify(message({ subject: 'Where is my order?' }), ctx)).toBe('normal');
    expect(classify(message({ 'auto-submitted': 'no' }), ctx)).toBe('normal');
  });

  describe('own', () => {
    it('is our address with our Message-ID marker', () => {
      expect(classify(message({}, ours), ctx)).toBe('own');
    });
    it('is not our address alone (another client sending as the support address)', () => {
      expect(classify(message({}, { ...ours, messageId: '<abc@example.org>' }), ctx)).toBe('normal');
    });
    it('is not our marker from someone else (a customer quoting our Message-ID cannot spoof it)', () => {
      expect(classify(message({}, { messageId: ours.messageId }), ctx)).toBe('normal');
    });
    it('checks the Message-ID domain when it is known', () => {
      expect(classify(message({}, ours), { ...ctx, ownMessageIdDomain: 'EXAMPLE.org' })).toBe('own');
      expect(classify(message({}, ours), { ...ctx, ownMessageIdDomain: 'other.example' })).toBe('normal');
    });
    it('is anything carrying our conversation header', () => {
      expect(classify(message({ 'x-auxilium-conversation': 'T0K3N' }), ctx)).toBe('own');
    });
    it('wins over every other kind', () => {
      expect(classify(message({ 'auto-submitted': 'auto-generated', 'list-id': '<l.example>', 'return-path': '<>' }, ours), ctx)).toBe('own');
    });
  });

  describe('bounce', () => {
    it('is a delivery-status report', () => {
      expect(classify(message({ 'content-type': 'multipart/report; report-type=delivery-status; boundary="x"' }), ctx)).toBe('bounce');
      expect(classify(message({ 'content-type': 'multipart/report; report-type="delivery-status"' }), ctx)).toBe('bounce');
    });
    it('is not another kind of report (read receipts)', () => {
      expect(classify(message({ 'content-type': 'multipart/report; report-type=disposition-notification' }), ctx)).toBe('normal');
    });
    it('is mail from MAILER-DAEMON or postmaster', () => {
      expect(classify(message({}, { from: { name: 'Mail Delivery System', address: 'MAILER-DAEMON@mx.example' } }), ctx)).toBe('bounce');
      expect(classify(message({}, { from: { name: '', address: 'postmaster@mx.example' } }), ctx)).toBe('bounce');
    });
    it('is mail with an empty Return-Path, from the header or the envelope', () => {
      expect(classify(message({ 'return-path': '<>' }), ctx)).toBe('bounce');
      expect(classify(message({ 'return-path': '<customer@customer.example>' }), { ...ctx, returnPath: '<>' })).toBe('bounce');
      expect(classify(message({ 'return-path': '<customer@customer.example>' }), ctx)).toBe('normal');
      expect(classify(message({}), { ...ctx, returnPath: null })).toBe('normal');
    });
    it('wins over auto-reply and list', () => {
      expect(classify(message({ 'return-path': '<>', 'auto-submitted': 'auto-replied', 'list-id': '<l.example>' }), ctx)).toBe('bounce');
    });
  });

  describe('auto-reply', () => {
    it.each([
      ['auto-submitted', 'auto-replied'],
      ['auto-submitted', 'auto-generated'],
      ['auto-submitted', 'Auto-Notified (vacation)'],
      ['x-autoreply', 'yes'],
      ['x-autorespond', 'Vacation'],
      ['x-auto-response-suppress', 'All'],
      ['x-auto-response-suppress', 'DR, OOF, AutoReply'],
      ['precedence', 'auto_reply'],
    ])('is %s: %s', (name, value) => {
      expect(classify(message({ [name]: value }), ctx)).toBe('auto-reply');
    });
    it('is not X-Auto-Response-Suppress with other values on its own', () => {
      expect(classify(message({ 'x-auto-response-suppress': 'DR, RN' }), ctx)).toBe('normal');
    });
    it('takes an out-of-office subject only together with a header signal', () => {
      expect(classify(message({}, { subject: 'Automatic reply: Your ticket' }), ctx)).toBe('normal');
      expect(classify(message({}, { subject: 'Out of Office' }), ctx)).toBe('normal');
      expect(classify(message({ 'x-auto-response-suppress': 'DR' }, { subject: 'Automatic reply: Your ticket' }), ctx)).toBe('auto-reply');
      expect(classify(message({ precedence: 'bulk' }, { subject: 'Out of Office: back Monday' }), ctx)).toBe('auto-reply');
    });
    it('wins over list', () => {
      expect(classify(message({ 'auto-submitted': 'auto-generated', 'list-id': '<l.example>' }), ctx)).toBe('auto-reply');
    });
  });

  describe('list', () => {
    it.each([
      ['list-id', 'Announcements <announce.example.com>'],
      ['list-unsubscribe', '<mailto:unsubscribe@example.com>'],
      ['precedence', 'bulk'],
      ['precedence', 'List'],
      ['precedence', 'junk'],
      ['x-loop', 'support@example.org'],
    ])('is %s: %s', (name, value) => {
      expect(classify(message({ [name]: value }), ctx)).toBe('list');
    });
    it('is not other Precedence values', () => {
      expect(classify(message({ precedence: 'first-class' }), ctx)).toBe('normal');
    });
  });
});
