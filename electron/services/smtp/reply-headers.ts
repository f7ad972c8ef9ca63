import type { Address } from '../../../shared/conversation';
import type { ChosenRecipients } from '../../../shared/recipient-list';
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
  /** To, Cc and Bcc as the agent edited them in the composer; without, the defaults of `mode`. */
  chosen?: ChosenRecipients | undefined;
  /** The sending agent's own signature, then the channel's. */
  signatures: Signatures;
}

export interface Signatures {
  agent: string;
  channel: string;
}

export interface ReplyHeaders {
  from: Address;
  to: Address[];
  cc: Address[];
  /** Delivered to, never named in the headers. */
  bcc: Address[];
  subject: string;
  /** Without angle brackets, as stored. */
  inReplyTo: string | null;
  /** Oldest first, without angle brackets. */
  references: string[];
  /** What is sent: the agent's text and the signatures below a "-- " line. */
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

/** The text, then below the "-- " line the agent's own signature above the channel's (each when set). */
export function withSignature(text: string, signatures: Signatures): string {
  const body = text.replace(/\s+$/, '');
  const parts = [signatures.agent, signatures.channel].map((sig) => sig.replace(/\s+$/, '')).filter((sig) => sig.trim() !== '');
  if (parts.length === 0) return body;
  const block = `-- \n${parts.join('\n\n')}`;
  return body === '' ? block : `${body}\n\n${block}`;
}

export function buildReplyHeaders(input: ReplyInput): ReplyHeaders {
  const parent = input.parent;
  const { to, cc, bcc } = input.chosen ?? { ...replyRecipients(input.mode, input.conversation.customer, parent, input.ownAddresses), bcc: [] };
  return {
    from: input.from,
    to,
    cc,
    bcc,
    subject: replySubject(input.conversation.subject, input.conversation.token),
    inReplyTo: normalizeMessageId(parent?.messageId),
    references: replyReferences(parent),
    text: withSignature(input.text, input.signatures),
  };
}
