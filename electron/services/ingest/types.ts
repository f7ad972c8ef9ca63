import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { MailboxPosition, SyncCursor } from '../store/sync-cursor';

/**
 * The seam between the mailbox watcher (which fetches) and ingest (which parses, threads, routes
 * and stores). The watcher never parses; ingest never talks IMAP.
 */

/** One message as fetched from the server, by UID. */
export interface FetchedMessage {
  uid: number;
  /** RFC822.SIZE from the server, known before the body is read. */
  size: number;
  /** The message exactly as the server holds it. Large messages arrive as a stream, small ones as a Buffer. */
  source: Buffer | Readable;
  internalDate?: Date;
  /** The message carries \\Answered on the server (read with FLAGS; never changed by reading). */
  answered?: boolean;
}

export interface IngestOutcome {
  /** Conversations created by this batch. */
  created: number[];
  /** Conversations that received a message (including the created ones). */
  touched: number[];
  /** Messages that were already held (same UID, or the same message seen again) and skipped. */
  duplicates: number;
  /** Messages kept raw because parsing failed or took too long. */
  unparsed: number;
}

export interface Ingestor {
  /** The cursor for a mailbox, or undefined when it has never been synced. */
  cursor(channelId: string, mailbox: string): SyncCursor | undefined;
  /**
   * Stores the cursor for a mailbox. Used on first sync and when UIDVALIDITY changes (then UIDs
   * start over; already-imported messages are recognised by content, so nothing is duplicated).
   */
  resetCursor(cursor: SyncCursor): void;
  /**
   * Parses, threads, routes and stores a batch, and moves the cursor in the SAME SQLite
   * transaction: `lastUid` to `advanceTo` (new mail) or `backfillBelowUid` to `backfillBelow`
   * (initial import). A crash at any point neither loses nor duplicates a message. Idempotent:
   * importing the same UIDs again changes nothing. An empty batch only moves the cursor (the
   * watcher uses `ingest([], { backfillBelow: null })` to mark an initial import as finished).
   */
  ingest(position: MailboxPosition, messages: FetchedMessage[], move: { advanceTo?: number; backfillBelow?: number | null }): Promise<IngestOutcome>;
  /**
   * True when a batch may be handed over before the previous one of the same mailbox has finished:
   * batches are then stored strictly in the order they were handed over, and one whose predecessor
   * failed stores nothing and fails too. Without it, the watcher waits for each batch to finish.
   */
  readonly keepsOrder?: boolean;
  /** Called as a sync begins, so slow set-up (starting parser workers) overlaps connecting. */
  warm?(): void;
  /** \\Answered of messages already imported, as the server has it now. */
  updateFlags?(position: MailboxPosition, flags: { uid: number; answered: boolean }[]): void;
}

export const parsedAddressSchema = z.object({ name: z.string(), address: z.string() });
export type ParsedAddress = z.infer<typeof parsedAddressSchema>;

export const parsedAttachmentSchema = z.object({
  filename: z.string(),
  contentType: z.string(),
  size: z.number(),
  /** Content-ID without angle brackets, for cid: references from the HTML body. */
  contentId: z.string().nullable(),
  inline: z.boolean(),
  /** The decoded content, written to a file by the parser so large attachments never sit in memory. */
  path: z.string(),
});
export type ParsedAttachment = z.infer<typeof parsedAttachmentSchema>;

/** What the parser (running in a worker thread) extracts from one raw message; its replies are parsed against this. */
export const parsedMessageSchema = z.object({
  messageId: z.string().nullable(),
  inReplyTo: z.string().nullable(),
  references: z.array(z.string()),
  subject: z.string(),
  from: parsedAddressSchema.nullable(),
  replyTo: z.array(parsedAddressSchema),
  to: z.array(parsedAddressSchema),
  cc: z.array(parsedAddressSchema),
  /** The Date header, or null when missing or unreadable. */
  date: z.string().nullable(),
  text: z.string(),
  html: z.string().nullable(),
  attachments: z.array(parsedAttachmentSchema),
  /** Header names lower-cased, values as strings, for loop detection (auto-submitted, list-id, …). */
  headers: z.record(z.string(), z.string()),
  /** multipart/report; report-type=delivery-status: the Message-ID(s) of the original it reports on. */
  bounceOf: z.array(z.string()),
});
export type ParsedMessage = z.infer<typeof parsedMessageSchema>;
