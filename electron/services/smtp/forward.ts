import { chmod, constants, copyFile, mkdir, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { extname, join } from 'node:path';
import type { Address } from '../../../shared/conversation';
import type { ChosenRecipients } from '../../../shared/recipient-list';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../file-modes';
import { withSignature, type ReplyHeaders, type Signatures } from './reply-headers';
import { outboundFolder } from './reply-attachments';
import type { StoredAttachment } from '../store/outbox-repo';

/**
 * A forward: one message of a conversation sent on to someone outside it (a colleague, a supplier),
 * with the agent's text on top. It is a new mail, not part of the customer's thread: no In-Reply-To
 * or References (they would hand the customer's Message-IDs to a third party), and the subject
 * drops the conversation token. Its recipients never become participants of the conversation
 * (MailStore.isParticipant skips forwards), so their answers start a conversation of their own
 * instead of joining, or taking over, the customer's.
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

/**
 * Copies the forwarded message's files next to reply attachments, so the forward owns its copies:
 * an Undo hands them to the draft, where removing one deletes only the copy, never the original's.
 */
export async function copyForwardedFiles(attachmentsDir: string, files: readonly StoredAttachment[]): Promise<StoredAttachment[]> {
  if (files.length === 0) return [];
  const folder = outboundFolder(attachmentsDir);
  await mkdir(folder, { recursive: true, mode: PRIVATE_DIR_MODE });
  const copies: StoredAttachment[] = [];
  try {
    for (const file of files) {
      const ext = extname(file.path);
      const path = join(folder, `${randomUUID()}${/^\.[A-Za-z0-9]{1,10}$/.test(ext) ? ext : ''}`);
      await copyFile(file.path, path, constants.COPYFILE_EXCL);
      copies.push({ ...file, path });
      await chmod(path, PRIVATE_FILE_MODE);
    }
  } catch (error) {
    await Promise.all(copies.map((c) => rm(c.path, { force: true })));
    throw error;
  }
  return copies;
}
