import type { Address } from '../../../shared/conversation';
import { replyRecipients } from '../../../shared/reply-recipients';
import { normalizeMessageId, subjectWithToken } from '../ingest/threading';
import type { ParentRecord } from '../store/outbox-repo';

/**
 * Pure rules for an agent's reply: who it goes to, its subject, its threading headers and its body.
 * No I/O here, so every rule is unit-tested (reply-headers.test.ts).
 */

/** The customer's message a reply answers, as stored. */
export type ParentMessage = Omit<ParentRecord, 'id'>;

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

export function buildReplyHeaders(input: ReplyInput): ReplyHeaders {
  const parent = input.parent;
  const { to, cc } = replyRecipients(input.mode, input.conversation.customer, parent, input.ownAddresses);
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
