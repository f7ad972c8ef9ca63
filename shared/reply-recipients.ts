import type { Address } from './conversation';

/**
 * Who an agent's reply goes to: the one rule, used by the main side when it sends and by the
 * composer when it shows To and Cc.
 *
 * To: the Reply-To of the customer's message being answered when it had one, else the
 * conversation's customer. Reply all keeps everyone else that message was addressed to, as Cc.
 * Our own addresses are never recipients, and nobody appears twice.
 */

/** What picking the answered message needs to know of each message of a thread. */
export interface ThreadEntry {
  id: number;
  direction: string;
  kind: string;
}

/**
 * The message a reply answers: the newest inbound mail from a person, else the newest inbound mail
 * of any kind. Newest means last in thread order (the order mail reached us, as the thread shows
 * it), never the sender's Date header: a sender who dates a mail in the future must not stay the
 * one every later reply goes to. The main side reads the thread in that order (THREAD_ORDER) and
 * the composer gets the messages in it.
 */
export function replyTarget<T extends ThreadEntry>(messagesInThreadOrder: readonly T[]): T | null {
  const inbound = messagesInThreadOrder.filter((m) => m.direction === 'inbound');
  return inbound.findLast((m) => m.kind === 'normal') ?? inbound.at(-1) ?? null;
}

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

export function replyRecipients(mode: 'reply' | 'reply-all', customer: Address, answered: AnsweredMessage | null, ownAddresses: readonly string[]): Recipients {
  const own = new Set(ownAddresses.map(key).filter(Boolean));
  const replyTo = answered ? uniqueAddresses(answered.replyTo, own) : [];
  const to = replyTo.length > 0 ? replyTo : uniqueAddresses([customer], own);
  const cc = mode === 'reply-all' && answered ? uniqueAddresses([...answered.to, ...answered.cc], new Set([...own, ...to.map((a) => key(a.address))])) : [];
  return { to, cc };
}
