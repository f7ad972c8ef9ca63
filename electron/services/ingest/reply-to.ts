import { simpleParser } from 'mailparser';
import type { Address } from '../../../shared/conversation';
import { readRaw } from '../store/raw-store';
import type { MailStore } from '../store/mail-store';

/**
 * Reply-To of inbound mail, kept in messages.reply_to_json: the composer shows it and the sender
 * uses it. Mail that could not be parsed has it read from its raw headers at import; mail imported
 * before the column existed has it read once, at the first start (fillMissingReplyTo), and before
 * a reply to it is written (ensureReplyTo).
 */

const HEADER_LIMIT = 256 * 1024;

/** Reply-To from a stored message's header block; empty when it has none or cannot be read. */
export async function readReplyTo(raw: { raw: Buffer | null; rawPath: string | null }): Promise<Address[]> {
  try {
    const { bytes } = await readRaw(raw, HEADER_LIMIT);
    const text = bytes.toString('latin1');
    const end = text.search(/\r?\n\r?\n/);
    const headers = end >= 0 ? text.slice(0, end) : text;
    const parsed = await simpleParser(`${headers}\r\n\r\n`, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
    const replyTo = parsed.replyTo;
    const objects = replyTo ? (Array.isArray(replyTo) ? replyTo : [replyTo]) : [];
    return objects.flatMap((o) => o.value).flatMap((a) => (a.address ? [{ name: a.name ?? '', address: a.address }] : []));
  } catch {
    return [];
  }
}

/** Reads and stores Reply-To for the conversation's inbound messages that do not have it yet. */
export async function ensureReplyTo(store: MailStore, conversationId: number): Promise<void> {
  for (const message of store.replyToUnread(conversationId)) {
    store.setReplyTo(message.id, await readReplyTo(message));
  }
}

const FILL_BATCH = 200;

/**
 * Reads and stores Reply-To for every inbound message that does not have it yet, a batch at a time
 * until none is left or `stopped()` says so. Returns the conversations whose messages changed.
 */
export async function fillMissingReplyTo(store: MailStore, stopped: () => boolean = () => false): Promise<number[]> {
  const changed = new Set<number>();
  let after = 0;
  while (!stopped()) {
    const batch = store.replyToUnreadAfter(after, FILL_BATCH);
    if (batch.length === 0) break;
    for (const message of batch) {
      if (stopped()) break;
      store.setReplyTo(message.id, await readReplyTo(message));
      changed.add(message.conversationId);
    }
    after = batch.at(-1)!.id;
  }
  return [...changed];
}
