import { simpleParser } from 'mailparser';
import type { Address } from '../../../shared/conversation';
import { readRaw } from '../store/raw-store';
import type { MailStore } from '../store/mail-store';

/**
 * Reply-To of inbound mail that has none stored: imported before the column existed, or not
 * parsed at import. Read from the raw headers the first time its conversation is opened or
 * answered, then kept in messages.reply_to_json: the composer shows it and the sender uses it.
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
