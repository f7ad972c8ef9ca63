import type { Address } from './conversation';

/**
 * Who an agent's reply goes to: the one rule, used by the main side when it sends and by the
 * composer when it shows To and Cc.
 *
 * To: the Reply-To of the customer's message being answered when it had one, else the
 * conversation's customer. Reply all keeps everyone else that message was addressed to, as Cc.
 * Our own addresses are never recipients, and nobody appears twice.
 */

export interface AnsweredMessage {
  to: Address[];
  cc: Address[];
  replyTo: Address[];
}

export interface Recipients {
  to: Address[];
  cc: Address[];
}

const key = (address: string) => address.trim().toLowerCase();

function uniqueAddresses(list: readonly Address[], exclude: Set<string>): Address[] {
  const seen = new Set(exclude);
  const out: Address[] = [];
  for (const a of list) {
    const k = key(a.address);
    if (!k.includes('@') || seen.has(k)) continue;
    seen.add(k);
    out.push({ name: a.name, address: a.address.trim() });
  }
  return out;
}

export function replyRecipients(
  mode: 'reply' | 'reply-all',
  customer: Address,
  answered: AnsweredMessage | null,
  ownAddresses: readonly string[],
): Recipients {
  const own = new Set(ownAddresses.map(key).filter(Boolean));
  const replyTo = answered ? uniqueAddresses(answered.replyTo, own) : [];
  const to = replyTo.length > 0 ? replyTo : uniqueAddresses([customer], own);
  const cc = mode === 'reply-all' && answered ? uniqueAddresses([...answered.to, ...answered.cc], new Set([...own, ...to.map((a) => key(a.address))])) : [];
  return { to, cc };
}
