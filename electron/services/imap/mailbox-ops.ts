import type { ImapFlow } from 'imapflow';
import { AppFailure } from '../../../shared/errors';
import { mapImapError } from '../mail-errors/map-error';
import { appendMessage } from './append';
import { connectImap, createImapClient, type ImapSettings } from './connect';
import { searchUids } from './search';

/**
 * What the outbox does over IMAP, each in a short session of its own (never the watcher's): find a
 * sent reply in the Sent folder by its Message-ID, file a copy there, and flag the customer's
 * message \Answered.
 */

export interface SentCopy {
  /** The channel's sentFolder setting: '' = the folder marked \Sent, 'none' = the provider files copies itself, else a folder name. */
  sentFolder: string;
}

const TIMEOUT_MS = 20_000;

export async function withImap<T>(settings: ImapSettings, fn: (client: ImapFlow) => Promise<T>): Promise<T> {
  let failure: Error | undefined;
  const client = await connectImap(settings, { timeoutMs: TIMEOUT_MS }, (options) => createImapClient(options, (err) => (failure ??= err)));
  try {
    const result = await fn(client);
    if (failure) throw failure;
    return result;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/**
 * The folder marked \Sent (RFC 6154 SPECIAL-USE, or imapflow's well-known names), else Gmail's
 * own name for it, if the server has one.
 */
export async function specialUseSent(client: ImapFlow): Promise<string | undefined> {
  const folders = await client.list();
  return (folders.find((f) => f.specialUse === '\\Sent') ?? folders.find((f) => f.path === '[Gmail]/Sent Mail'))?.path;
}

/**
 * Where copies are filed by us: the configured name, or the \Sent folder. Undefined for 'none' or
 * when the server has no Sent folder.
 */
export async function fileFolder(client: ImapFlow, copy: SentCopy): Promise<string | undefined> {
  if (copy.sentFolder === 'none') return undefined;
  if (copy.sentFolder !== '') return copy.sentFolder;
  return specialUseSent(client);
}

/**
 * Where a sent reply would be found: our filing folder, or, with 'none', the \Sent folder the
 * provider files into itself (Gmail, Microsoft 365).
 */
export async function lookupFolder(client: ImapFlow, copy: SentCopy): Promise<string | undefined> {
  return copy.sentFolder === 'none' ? specialUseSent(client) : fileFolder(client, copy);
}

/**
 * Creates a folder named Sent in the personal namespace (INBOX.Sent where the server keeps every
 * folder under INBOX) and returns its full name, for a server that has no Sent folder.
 */
export async function createSentFolder(settings: ImapSettings): Promise<string> {
  try {
    return await withImap(settings, async (client) => (await client.mailboxCreate('Sent')).path);
  } catch (err) {
    const e = mapImapError(err, { protocol: 'imap', host: settings.host, port: settings.port, mailbox: 'Sent' });
    throw new AppFailure({
      code: e.code,
      message: `The Sent folder could not be created: ${e.message}`,
      hint: e.detail ? `${e.fix} The server said: ${e.detail}` : e.fix,
      retryable: e.retryable,
    });
  }
}

/** SEARCH HEADER Message-ID in one folder. `messageId` without angle brackets. */
export async function hasMessageId(client: ImapFlow, folder: string, messageId: string): Promise<boolean> {
  const lock = await client.getMailboxLock(folder, { readOnly: true });
  try {
    return (await searchUids(client, { header: { 'message-id': messageId } })).length > 0;
  } finally {
    lock.release();
  }
}

/** Files the exact bytes that were sent, marked read, unless a copy with this Message-ID is already there. */
export async function fileCopy(client: ImapFlow, folder: string, messageId: string, raw: Buffer): Promise<void> {
  if (await hasMessageId(client, folder, messageId)) return;
  await appendMessage(client, folder, raw, ['\\Seen']);
}

/**
 * \Answered on the customer's message, only while its mailbox still has the UIDVALIDITY the UID
 * belongs to ('renumbered' otherwise: the UID may name another message now). Throws when the
 * server did not take the flag: imapflow answers a refused STORE with false, not an error.
 */
export async function flagAnswered(client: ImapFlow, source: { mailbox: string; uidValidity: string; uid: number }): Promise<'flagged' | 'renumbered'> {
  const lock = await client.getMailboxLock(source.mailbox);
  try {
    const mailbox = client.mailbox;
    if (!mailbox) throw Object.assign(new Error(`The mailbox ${source.mailbox} could not be opened`), { code: 'NoConnection' });
    if (mailbox.uidValidity.toString() !== source.uidValidity) return 'renumbered';
    if (!(await client.messageFlagsAdd(String(source.uid), ['\\Answered'], { uid: true }))) {
      throw Object.assign(new Error(`The server did not set \\Answered on message ${source.uid} in ${source.mailbox}`), { code: 'StoreFailed' });
    }
    return 'flagged';
  } finally {
    lock.release();
  }
}
