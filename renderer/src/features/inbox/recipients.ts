import type { Address, ConversationSummary, Message } from '../../../../shared/conversation';

/**
 * Who a reply goes to, as the composer previews it, by the main side's rules (reply-headers.ts):
 * To is the conversation's customer (already their Reply-To when the first mail had one); Reply all
 * also keeps everyone else the customer's latest mail was addressed to, as Cc, except our own
 * addresses. The one case it cannot see: a later mail with a different Reply-To (Message has no
 * Reply-To field), where the main side answers that address.
 */

export interface Recipients {
  to: Address[];
  cc: Address[];
}

function key(address: Address): string {
  return address.address.trim().toLowerCase();
}

/** The message a reply answers: the newest inbound one from a person, else any newest inbound one. */
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
  const target = replyTarget(messages);
  const customer = conversation.customer.address ? conversation.customer : (target?.from ?? conversation.customer);
  const to = customer.address ? [customer] : [];
  if (mode === 'reply' || !target) return { to, cc: [] };
  const skip = new Set([...ownAddresses.map((a) => a.trim().toLowerCase()).filter(Boolean), ...to.map(key)]);
  const cc: Address[] = [];
  for (const address of [...target.to, ...target.cc]) {
    const k = key(address);
    if (!k || skip.has(k)) continue;
    skip.add(k);
    cc.push(address);
  }
  return { to, cc };
}
