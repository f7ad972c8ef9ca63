import { describe, expect, it } from 'vitest';
import type { Message } from '../../../../shared/conversation';
import { answeredWithoutReply } from './answered';
import { testMessage } from './test-message';

function message(id: number, direction: Message['direction'], extra: Partial<Message> = {}): Message {
  return testMessage({ id, direction, from: { name: '', address: 'carol@example.com' }, date: `2026-11-20T09:00:0${id}.000Z`, ...extra });
}

const failed = { state: 'failed' as const, error: null, attempts: 1, nextAttemptAt: null, refused: [], filing: null };

describe('answeredWithoutReply', () => {
  it('names customer mail flagged \\Answered that no reply follows', () => {
    expect([...answeredWithoutReply([message(1, 'inbound', { answeredOnServer: true })])]).toEqual([1]);
  });

  it('says nothing once a reply follows, from this desktop or found in Sent', () => {
    expect(answeredWithoutReply([message(1, 'inbound', { answeredOnServer: true }), message(2, 'outbound')]).size).toBe(0);
    // A later unanswered-looking message is judged on its own.
    const later = answeredWithoutReply([
      message(1, 'inbound', { answeredOnServer: true }),
      message(2, 'outbound'),
      message(3, 'inbound', { answeredOnServer: true }),
    ]);
    expect([...later]).toEqual([3]);
  });

  it('does not count a note or a reply that failed as the answer', () => {
    const ids = answeredWithoutReply([message(1, 'inbound', { answeredOnServer: true }), message(2, 'note'), message(3, 'outbound', { delivery: failed })]);
    expect([...ids]).toEqual([1]);
  });

  it('ignores customer mail that is not flagged', () => {
    expect(answeredWithoutReply([message(1, 'inbound')]).size).toBe(0);
  });
});
