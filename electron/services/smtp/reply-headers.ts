import type { Address } from '../../../shared/conversation';
import { normalizeMessageId, subjectWithToken } from '../ingest/threading';

/**
 * Pure rules for an agent's reply: who it goes to, its subject, its threading headers and its body.
 * No I/O here, so every rule is unit-tested (reply-headers.test.ts).
 */

/** The customer's message a reply answers, as stored. Message-IDs are stored without angle brackets. */
export interface ParentMessage {
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  from: Address;
  to: Address[];
  cc: Address[];
  /** Reply-To of the parent, when it had one. */
  replyTo: Address[];
}

export interface ReplyInput {
  mode: 'reply' | 'reply-all';
  conversation: { subject: string; token: string; customer: Address };
  parent: ParentMessage | null;
  from: Address;
  /** Every address of the channel (support address, From Address, login): never a recipient of our own reply. */
  ownAddresses: string[];
  text: string;
  signature: string;
}

export interface ReplyHeaders {
  from: Address;
  to: Address[];
  cc: Address[];
  subject: string;
  /** Without angle brackets, as stored. */
  inReplyTo: string | null;
  /** Oldest first, without angle brackets. */
  references: string[];
  /** What is sent: the agent's text and the signature below a "-- " line. */
  text: string;
}

// "Re:", "RE:", "Re[2]:", "Re(2):", "AW:", "SV:", "Antw:", "Odp:", "RIF:", "VS:", "Fwd" is not a reply prefix.
const REPLY_PREFIX = /^\s*(?:re|aw|sv|vs|antw|odp|rif|r)\s*(?:\[\d+\]|\(\d+\))?\s*:\s*/i;

/** "Re: " + the subject, never "Re: Re:", always with the conversation token for threading. */
export function replySubject(subject: string, token: string): string {
  let base = subject.trim();
  while (REPLY_PREFIX.test(base)) base = base.replace(REPLY_PREFIX, '');
  return subjectWithToken(`Re: ${base}`.trimEnd(), token);
}

/** RFC 5322 §3.6.4: the parent's References (or its single In-Reply-To) followed by its Message-ID. */
export function replyReferences(parent: ParentMessage | null): string[] {
  if (!parent) return [];
  const chain = parent.references.length > 0 ? [...parent.references] : parent.inReplyTo ? [parent.inReplyTo] : [];
  if (parent.messageId) chain.push(parent.messageId);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of chain) {
    const id = normalizeMessageId(raw);
    if (!id || seen.has(id)) continue;
    seen.add(id);
    out.push(id);
  }
  return out;
}

export function withSignature(text: string, signature: string): string {
  const body = text.replace(/\s+$/, '');
  const sig = signature.replace(/\s+$/, '');
  return sig.trim() === '' ? body : `${body}\n\n-- \n${sig}`;
}

const key = (address: string) => address.trim().toLowerCase();

function uniqueAddresses(list: Address[], exclude: Set<string>): Address[] {
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

export function buildReplyHeaders(input: ReplyInput): ReplyHeaders {
  const own = new Set(input.ownAddresses.map(key));
  const parent = input.parent;
  // The customer: Reply-To of their last message if it had one, else the conversation's customer.
  const replyTo = parent ? uniqueAddresses(parent.replyTo, own) : [];
  const to = replyTo.length > 0 ? replyTo : uniqueAddresses([input.conversation.customer], own);
  const cc =
    input.mode === 'reply-all' && parent
      ? uniqueAddresses([...parent.to, ...parent.cc], new Set([...own, ...to.map((a) => key(a.address))]))
      : [];
  return {
    from: input.from,
    to,
    cc,
    subject: replySubject(input.conversation.subject, input.conversation.token),
    inReplyTo: normalizeMessageId(parent?.messageId),
    references: replyReferences(parent),
    text: withSignature(input.text, input.signature),
  };
}
