import type { Message } from '../../../../shared/conversation';

/**
 * For tests (unit tests here and the e2e stand-in inbox): a stored message as the renderer gets it,
 * plain customer mail with nothing special about it. Each test overrides what it is about.
 */
export function testMessage(extra: Partial<Message> = {}): Message {
  return {
    id: 1,
    conversationId: 1,
    direction: 'inbound',
    kind: 'normal',
    from: { name: 'Carol', address: 'carol@example.com' },
    to: [],
    cc: [],
    replyTo: [],
    subject: 'Hi',
    date: '2026-11-20T09:00:00.000Z',
    text: '',
    html: null,
    attachments: [],
    parseError: null,
    authorAgentId: null,
    sentBy: null,
    answeredOnServer: false,
    delivery: null,
    ...extra,
  };
}
