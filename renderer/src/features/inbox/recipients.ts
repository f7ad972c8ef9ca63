import type { Address, ConversationSummary, Message } from '../../../../shared/conversation';
import { replyRecipients as recipientsOf, replyTarget, type Recipients } from '../../../../shared/reply-recipients';

/**
 * Who a reply goes to, as the composer previews it: the same rules the main side sends by
 * (shared/reply-recipients.ts), applied to the thread's messages in the order the thread shows them.
 */

export type { Recipients };
export { replyTarget };

export function replyRecipients(
  mode: 'reply' | 'reply-all',
  conversation: Pick<ConversationSummary, 'customer'>,
  messagesInThreadOrder: readonly Message[],
  ownAddresses: readonly string[],
): Recipients {
  return recipientsOf(mode, conversation.customer, replyTarget(messagesInThreadOrder), ownAddresses);
}

/** The To addresses that are not the conversation's customer (a Reply-To elsewhere), for the composer to point out. */
export function notTheCustomer(recipients: Recipients, customer: Address): Address[] {
  const customerKey = customer.address.trim().toLowerCase();
  return recipients.to.filter((address) => address.address.trim().toLowerCase() !== customerKey);
}
