import type { Address } from '../../../shared/conversation';
import type { ChosenRecipients } from '../../../shared/recipient-list';
import { withSignature, type ReplyHeaders, type Signatures } from './reply-headers';

/**
 * A forward: one message of a conversation sent on to someone outside it (a colleague, a supplier),
 * with the agent's text on top. It is a new mail, not part of the customer's thread: no In-Reply-To
 * or References (they would hand the customer's Message-IDs to a third party), and the subject
 * drops the conversation token. Its recipients never become participants of the conversation
 * (MailStore.isParticipant skips forwards), so their answers start a conversation of their own
 * instead of joining, or taking over, the customer's. The forwarded message's files go with it
 * from where they are stored (OutboxRepo.outgoing), never copied: an Undo has nothing to give back.
 */

/** The forwarded message, as stored. */
export interface ForwardedMessage {
  from: Address;
  to: Address[];
  cc: Address[];
  subject: string;
  date: string;
  text: string;
}

export interface ForwardInput {
  original: ForwardedMessage;
  from: Address;
  recipients: ChosenRecipients;
  text: string;
  signatures: Signatures;
}

const FORWARD_PREFIX = /^\s*(?:fwd?|wg|tr|rv)\s*:\s*/i;
const SUBJECT_TOKEN = /\s*\[#[A-Za-z0-9]{6,16}\]/g;

/** "Fwd: " + the subject, never "Fwd: Fwd:", without the conversation token. */
export function forwardSubject(subject: string): string {
  let base = subject.replace(SUBJECT_TOKEN, '').trim();
  while (FORWARD_PREFIX.test(base)) base = base.replace(FORWARD_PREFIX, '');
  return `Fwd: ${base}`.trimEnd();
}

function addressLine(addresses: readonly Address[]): string {
  return addresses.map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join(', ');
}

/** The block mail programs put above a forwarded message, then its text as it came. */
export function forwardedBlock(original: ForwardedMessage): string {
  const lines = [
    '---------- Forwarded message ----------',
    `From: ${addressLine([original.from])}`,
    `Date: ${new Date(original.date).toUTCString()}`,
    `Subject: ${original.subject}`,
    `To: ${addressLine(original.to)}`,
  ];
  if (original.cc.length > 0) lines.push(`Cc: ${addressLine(original.cc)}`);
  return `${lines.join('\n')}\n\n${original.text.replace(/\s+$/, '')}`;
}

export function buildForward(input: ForwardInput): ReplyHeaders {
  const top = withSignature(input.text, input.signatures);
  return {
    from: input.from,
    to: input.recipients.to,
    cc: input.recipients.cc,
    bcc: input.recipients.bcc,
    subject: forwardSubject(input.original.subject),
    inReplyTo: null,
    references: [],
    text: top === '' ? forwardedBlock(input.original) : `${top}\n\n${forwardedBlock(input.original)}`,
  };
}
