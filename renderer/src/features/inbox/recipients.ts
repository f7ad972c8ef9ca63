import type { ConversationSummary, Message } from '../../../../shared/conversation';
import { replyRecipients as recipientsOf, type Recipients } from '../../../../shared/reply-recipients';

/**
 * Who a reply goes to, as the composer previews it: the same rule the main side sends by
 * (shared/reply-recipients.ts), applied to the message the reply answers.
 */

export type { Recipients };

/**
 * The message a reply answers: the newest inbound one from a person, else any newest inbound one
 * (the main side picks it the same way in SQL, OutboxRepo.parentOf).
 */
export function replyTarget(messages: readonly Message[]): Message | null {
  const inbound = messages
    .filter((m) => m.direction === 'inbound')
    .sort((a, b) => b.date.localeCompare(a.date) || b.id - a.id);
  return inbound.find((m) => m.kind === 'normal') ?? inbound[0] ?? null;
}

export function replyRecipients(
  mode: 'reply' | 'reply-all',
  conversation: Pick<ConversationSummary, 'customer'>,
  messages: readonly Message[],
  ownAddresses: readonly string[],
): Recipients {
  return recipientsOf(mode, conversation.customer, replyTarget(messages), ownAddresses);
}
