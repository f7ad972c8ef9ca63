import type {
  Address,
  Attachment,
  ConversationBin,
  ConversationStatus,
  ConversationSummary,
  InboxCounts,
  InboxView,
  Message,
  MessageKind,
  StatusFilter,
} from '../../../shared/conversation';
import type { SyncCursor, MailboxPosition } from './sync-cursor';
import type Database from 'better-sqlite3';
import type { Db } from './database';
import { summarise } from './conversation-summary';
import { ftsQuery, participantsText } from './fts';
import { readAddresses } from './json-column';
import { deliveryColumn, deliveryFromJson } from './outbox-repo';
import { THREAD_ORDER } from './thread-order';

/** SQL for conversations, messages, attachments, search, sync cursors and routing state. */

interface ConversationRow {
  id: number;
  channel_id: string;
  subject: string;
  customer_name: string;
  customer_address: string;
  status: ConversationStatus;
  assignee_id: number | null;
  token: string;
  last_message_at: string;
  snippet: string;
  unread: number;
  message_count: number;
  bin: ConversationBin | null;
  /** From REPLY_COUNTS (absent in queries that do not ask). */
  failed_replies?: number;
  queued_replies?: number;
  /** From MAILBOX_MOVE: JSON of the move to the server's Trash or Junk folder still to be made. */
  mailbox_move?: string | null;
}

/** The per-row reply state the list shows; the outbox is small and indexed by conversation. */
const REPLY_COUNTS = `(SELECT count(*) FROM outbox o WHERE o.conversation_id = c.id AND o.state = 'failed') AS failed_replies,
  (SELECT count(*) FROM outbox o WHERE o.conversation_id = c.id AND o.state IN ('queued', 'sending')) AS queued_replies`;
/** The row's move of its customer mail to the server's Trash or Junk folder, while one is waiting. */
const MAILBOX_MOVE = `(SELECT json_object('folder', mm.folder, 'error', mm.error, 'nextAttemptAt', mm.next_attempt_at)
  FROM mailbox_moves mm WHERE mm.conversation_id = c.id) AS mailbox_move`;
const HAS_FAILED_REPLY = `EXISTS (SELECT 1 FROM outbox o WHERE o.conversation_id = c.id AND o.state = 'failed')`;

const CUSTOMER_MATCH = 'lower(c.customer_address) = lower(@address) AND c.id <> @excludeId';
/** A customer's conversations, newest first (exported so a test can check SQLite's plan for it). */
export const CUSTOMER_PAGE = `FROM conversations c WHERE ${CUSTOMER_MATCH} ORDER BY c.last_message_at DESC, c.id DESC LIMIT @limit`;

interface MessageRow {
  id: number;
  conversation_id: number;
  direction: Message['direction'];
  kind: MessageKind;
  subject: string;
  from_name: string;
  from_address: string;
  to_json: string;
  cc_json: string;
  bcc_json: string | null;
  forward_of: number | null;
  reply_to_json: string | null;
  date: string;
  text: string;
  html: string | null;
  parse_error: string | null;
  author_agent_id: number | null;
  sent_by: string | null;
  answered_on_server: number;
  /** An agent reply's outbox state (see outbox-repo.ts deliveryColumn). */
  delivery_json?: string | null;
}

interface AttachmentRow {
  id: number;
  message_id: number;
  filename: string;
  content_type: string;
  size: number;
  inline: number;
}

export interface ConversationRecord extends ConversationSummary {
  token: string;
}

export interface NewConversation {
  channelId: string;
  subject: string;
  customer: Address;
  assigneeId: number | null;
  token: string;
  at: string;
  /** Open unless said otherwise (mail nobody needs to answer arrives closed). */
  status?: ConversationStatus;
  /** Starts in a bin (a sender marked as spam); in the queues when absent. */
  bin?: ConversationBin;
}

export interface NewMessage {
  conversationId: number;
  channelId: string;
  direction: Message['direction'];
  kind: MessageKind;
  /** Set for inbound mail: where it was fetched from. */
  source?: { mailbox: string; uidValidity: string; uid: number };
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  dedupeKey: string | null;
  subject: string;
  from: Address;
  to: Address[];
  cc: Address[];
  /** An agent's reply: the Bcc they chose. */
  bcc?: Address[];
  /** A forward: the message it forwards. */
  forwardOf?: number | null;
  /** Inbound mail as parsed; undefined when not known (unreadable mail, our own replies). */
  replyTo?: Address[];
  date: string;
  /** When it reached us (see migration 8); `date` when not given. */
  arrivedAt?: string;
  text: string;
  html: string | null;
  parseError: string | null;
  raw: Buffer | null;
  rawPath: string | null;
  size: number;
  authorAgentId: number | null;
  /** For a note: the team event that carries it, so it is stored once on every desktop. */
  teamEventId?: string;
  /** For a reply found in the mailbox: the agent named in its X-Auxilium-Agent header. */
  sentBy?: string | null;
  /** Inbound mail flagged \\Answered on the server when it was imported. */
  answeredOnServer?: boolean;
  createdAt: string;
  attachments: { filename: string; contentType: string; size: number; contentId: string | null; inline: boolean; path: string }[];
}

export interface ListQuery {
  view: InboxView;
  meAgentId: number | null;
  status?: StatusFilter | undefined;
  channelId?: string | undefined;
  query?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

export interface ConversationPage {
  items: ConversationSummary[];
  nextCursor: string | null;
  total: number;
}

function toSummary(row: ConversationRow): ConversationRecord {
  return {
    id: row.id,
    channelId: row.channel_id,
    subject: row.subject,
    customer: { name: row.customer_name, address: row.customer_address },
    status: row.status,
    assigneeId: row.assignee_id,
    lastMessageAt: row.last_message_at,
    snippet: row.snippet,
    unread: row.unread === 1,
    messageCount: row.message_count,
    failedReplies: row.failed_replies ?? 0,
    queuedReplies: row.queued_replies ?? 0,
    ...(row.bin ? { bin: row.bin } : {}),
    ...(row.mailbox_move ? { mailboxMove: JSON.parse(row.mailbox_move) as NonNullable<ConversationSummary['mailboxMove']> } : {}),
    token: row.token,
  };
}

function encodeCursor(row: ConversationRow): string {
  return Buffer.from(JSON.stringify([row.last_message_at, row.id])).toString('base64url');
}

/** A cursor the app did not make (or from an older version) starts from the top rather than failing. */
function decodeCursor(cursor: string | undefined): [string, number] | null {
  if (!cursor) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && typeof value[0] === 'string' && Number.isInteger(value[1])) return [value[0], value[1] as number];
  } catch {
    // fall through
  }
  return null;
}

/**
 * A search row's rowid is conversationId << FTS_SLOT_BITS | a slot numbered within the
 * conversation, so matching conversations come straight from the index. 2^20 messages per
 * conversation is far beyond any real thread.
 */
const FTS_SLOT_BITS = 20;
const FTS_SLOTS = 2 ** FTS_SLOT_BITS;
const MANY_HITS = 1000;

export class MailStore {
  /** Statements with fixed SQL, compiled once: ingest runs the same few per message, thousands of times. */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Db) {}

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `fn` in one SQLite transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ---- sync cursors ----

  cursor(channelId: string, mailbox: string): SyncCursor | undefined {
    const row = this.prepare('SELECT * FROM sync_cursors WHERE channel_id = ? AND mailbox = ?').get(channelId, mailbox) as
      | { channel_id: string; mailbox: string; uid_validity: string; last_uid: number; backfill_below_uid: number | null; backfill_since: string | null }
      | undefined;
    return (
      row && {
        channelId: row.channel_id,
        mailbox: row.mailbox,
        uidValidity: row.uid_validity,
        lastUid: row.last_uid,
        backfillBelowUid: row.backfill_below_uid,
        backfillSince: row.backfill_since,
      }
    );
  }

  saveCursor(cursor: SyncCursor): void {
    this.prepare(
      `INSERT INTO sync_cursors (channel_id, mailbox, uid_validity, last_uid, backfill_below_uid, backfill_since)
         VALUES (@channelId, @mailbox, @uidValidity, @lastUid, @backfillBelowUid, @backfillSince)
         ON CONFLICT (channel_id, mailbox) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid,
           backfill_below_uid = excluded.backfill_below_uid, backfill_since = excluded.backfill_since`,
    ).run(cursor);
  }

  /**
   * Moves the cursor of a mailbox. lastUid only grows, so a late batch never rewinds it. A cursor for
   * another UIDVALIDITY is left alone: that batch was fetched before a resync and must not move it.
   */
  moveCursor(position: MailboxPosition, move: { advanceTo?: number; backfillBelow?: number | null }): void {
    const current = this.cursor(position.channelId, position.mailbox);
    if (!current) {
      this.saveCursor({ ...position, lastUid: move.advanceTo ?? 0, backfillBelowUid: move.backfillBelow ?? null, backfillSince: null });
      return;
    }
    if (current.uidValidity !== position.uidValidity) return;
    this.saveCursor({
      ...current,
      lastUid: move.advanceTo !== undefined ? Math.max(current.lastUid, move.advanceTo) : current.lastUid,
      backfillBelowUid: move.backfillBelow !== undefined ? move.backfillBelow : current.backfillBelowUid,
    });
  }

  // ---- lookups for ingest ----

  /** Stored, or parked until its conversation is known. */
  hasUid(position: MailboxPosition, uid: number): boolean {
    const args = [position.channelId, position.mailbox, position.uidValidity, uid];
    return (
      this.prepare('SELECT 1 FROM messages WHERE channel_id = ? AND mailbox = ? AND uid_validity = ? AND uid = ?').get(...args) !== undefined ||
      this.prepare('SELECT 1 FROM parked_messages WHERE channel_id = ? AND mailbox = ? AND uid_validity = ? AND uid = ?').get(...args) !== undefined
    );
  }

  hasDedupeKey(channelId: string, key: string): boolean {
    return (
      this.prepare('SELECT 1 FROM messages WHERE channel_id = ? AND dedupe_key = ?').get(channelId, key) !== undefined ||
      this.prepare('SELECT 1 FROM parked_messages WHERE channel_id = ? AND dedupe_key = ?').get(channelId, key) !== undefined
    );
  }

  /** Our own sent mail with this Message-ID, when it is already stored. */
  hasOutbound(channelId: string, messageId: string): boolean {
    return this.prepare("SELECT 1 FROM messages WHERE channel_id = ? AND message_id = ? AND direction = 'outbound'").get(channelId, messageId) !== undefined;
  }

  conversationByMessageId(channelId: string, messageId: string): number | undefined {
    const row = this.prepare('SELECT conversation_id FROM messages WHERE channel_id = ? AND message_id = ? ORDER BY id LIMIT 1').get(channelId, messageId) as
      { conversation_id: number } | undefined;
    return row?.conversation_id;
  }

  /** Stored messages that name `messageId` in In-Reply-To or References: their conversation and sender. */
  referencing(channelId: string, messageId: string): { conversationId: number; fromAddress: string }[] {
    return this.prepare(
      `SELECT DISTINCT m.conversation_id AS conversationId, m.from_address AS fromAddress FROM message_refs r
         JOIN messages m ON m.id = r.message_id WHERE r.channel_id = ? AND r.ref_id = ? ORDER BY m.id`,
    ).all(channelId, messageId) as { conversationId: number; fromAddress: string }[];
  }

  conversationOf(messageId: number): number | undefined {
    const row = this.prepare('SELECT conversation_id FROM messages WHERE id = ?').get(messageId) as { conversation_id: number } | undefined;
    return row?.conversation_id;
  }

  conversationByToken(channelId: string, token: string): number | undefined {
    const row = this.prepare('SELECT id FROM conversations WHERE token = ? AND channel_id = ?').get(token, channelId) as { id: number } | undefined;
    return row?.id;
  }

  isParticipant(conversationId: number, address: string): boolean {
    const row = this.prepare(
      `SELECT 1 FROM conversations c WHERE c.id = @id AND (lower(c.customer_address) = @address OR EXISTS (
           SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.direction <> 'note' AND m.forward_of IS NULL AND (
             lower(m.from_address) = @address
             OR EXISTS (SELECT 1 FROM json_each(m.to_json) j WHERE lower(j.value ->> 'address') = @address)
             OR EXISTS (SELECT 1 FROM json_each(m.cc_json) j WHERE lower(j.value ->> 'address') = @address))))`,
    ).get({ id: conversationId, address: address.toLowerCase() });
    return row !== undefined;
  }

  // ---- writes ----

  createConversation(input: NewConversation): number {
    const result = this.prepare(
      `INSERT INTO conversations (channel_id, subject, customer_name, customer_address, status, assignee_id, token,
           last_message_at, snippet, unread, message_count, created_at, bin)
         VALUES (@channelId, @subject, @name, @address, @status, @assigneeId, @token, @at, '', 0, 0, @at, @bin)`,
    ).run({ ...input, status: input.status ?? 'open', name: input.customer.name, address: input.customer.address, bin: input.bin ?? null });
    return Number(result.lastInsertRowid);
  }

  /** Inserts a message with its attachments and search entry, and updates its conversation's summary. */
  insertMessage(message: NewMessage, effect: { at: string; unread: boolean; reopen: boolean; summary: boolean }): number {
    // The conversation's next free search slot (a missing conversation fails on the foreign key). A
    // reply taken back frees its slot together with its search row (removeMessage).
    const { ftsRowid } = this.prepare('SELECT coalesce(max(fts_rowid) + 1, ?) AS ftsRowid FROM messages WHERE conversation_id = ?').get(
      message.conversationId * FTS_SLOTS,
      message.conversationId,
    ) as { ftsRowid: number };
    const result = this.prepare(
      `INSERT INTO messages (conversation_id, channel_id, direction, kind, mailbox, uid_validity, uid, message_id, in_reply_to,
           "references", dedupe_key, subject, from_name, from_address, to_json, cc_json, bcc_json, reply_to_json, date, arrived_at, text, html, parse_error, raw, raw_path,
           size, author_agent_id, sent_by, answered_on_server, team_event_id, forward_of, fts_rowid, created_at)
         VALUES (@conversationId, @channelId, @direction, @kind, @mailbox, @uidValidity, @uid, @messageId, @inReplyTo,
           @references, @dedupeKey, @subject, @fromName, @fromAddress, @to, @cc, @bcc, @replyTo, @date, @arrivedAt, @text, @html, @parseError, @raw, @rawPath,
           @size, @authorAgentId, @sentBy, @answeredOnServer, @teamEventId, @forwardOf, @ftsRowid, @createdAt)`,
    ).run({
      ...message,
      mailbox: message.source?.mailbox ?? null,
      uidValidity: message.source?.uidValidity ?? null,
      uid: message.source?.uid ?? null,
      references: JSON.stringify(message.references),
      fromName: message.from.name,
      fromAddress: message.from.address,
      to: JSON.stringify(message.to),
      cc: JSON.stringify(message.cc),
      bcc: message.bcc?.length ? JSON.stringify(message.bcc) : null,
      forwardOf: message.forwardOf ?? null,
      replyTo: message.replyTo ? JSON.stringify(message.replyTo) : null,
      arrivedAt: message.arrivedAt ?? message.date,
      teamEventId: message.teamEventId ?? null,
      sentBy: message.sentBy ?? null,
      answeredOnServer: message.answeredOnServer ? 1 : 0,
      ftsRowid,
    });
    const id = Number(result.lastInsertRowid);
    const insertRef = this.prepare('INSERT INTO message_refs (message_id, channel_id, ref_id) VALUES (?, ?, ?)');
    for (const ref of new Set([message.inReplyTo, ...message.references])) if (ref) insertRef.run(id, message.channelId, ref);
    const insertAttachment = this.prepare(
      `INSERT INTO attachments (message_id, filename, content_type, size, content_id, inline, path)
       VALUES (@messageId, @filename, @contentType, @size, @contentId, @inline, @path)`,
    );
    for (const attachment of message.attachments) insertAttachment.run({ ...attachment, messageId: id, inline: attachment.inline ? 1 : 0 });
    this.prepare('INSERT INTO messages_fts (rowid, subject, participants, body) VALUES (?, ?, ?, ?)').run(
      ftsRowid,
      message.subject,
      participantsText([message.from, ...message.to, ...message.cc]),
      message.text,
    );
    this.prepare(
      `UPDATE conversations SET
           message_count = message_count + 1,
           unread = CASE WHEN @unread THEN 1 ELSE unread END,
           status = CASE WHEN @reopen THEN 'open' ELSE status END,
           -- The customer wrote again: a deleted conversation is back (their mail is never missed); spam stays spam.
           bin = CASE WHEN @reopen AND bin = 'deleted' THEN NULL ELSE bin END
         WHERE id = @id`,
    ).run({ id: message.conversationId, unread: effect.unread ? 1 : 0, reopen: effect.reopen ? 1 : 0 });
    if (effect.summary) summarise(this.db, message.conversationId, effect.at, message.text);
    return id;
  }

  /**
   * An agent's reply went out at `at`: in the thread it takes its place then (a reply that waited
   * in the outbox comes after mail that arrived meanwhile), it keeps the bytes it was sent as, when
   * they were kept, and only now moves its conversation up and gives it its snippet.
   */
  replySent(messageId: number, at: string, raw?: { blob: Buffer | null; path: string | null; size: number }): void {
    if (raw) this.prepare('UPDATE messages SET raw = ?, raw_path = ?, size = ? WHERE id = ?').run(raw.blob, raw.path, raw.size, messageId);
    const message = this.prepare('UPDATE messages SET arrived_at = ? WHERE id = ? RETURNING conversation_id, text').get(at, messageId) as
      { conversation_id: number; text: string } | undefined;
    if (message) summarise(this.db, message.conversation_id, at, message.text);
  }

  /**
   * Removes a message that never left (a reply taken back): its search row, the message with its
   * attachment rows (ON DELETE CASCADE; the files stay), and its place in the conversation's count.
   * The search slot it frees is taken again by the next message stored (insertMessage).
   */
  removeMessage(messageId: number): void {
    const row = this.prepare('DELETE FROM messages WHERE id = ? RETURNING conversation_id, fts_rowid').get(messageId) as
      { conversation_id: number; fts_rowid: number } | undefined;
    if (!row) return;
    this.prepare('DELETE FROM messages_fts WHERE rowid = ?').run(row.fts_rowid);
    this.prepare('UPDATE conversations SET message_count = message_count - 1 WHERE id = ?').run(row.conversation_id);
  }

  // ---- joining threads that arrived out of order ----

  /**
   * A customer message that turns out to be the first of its conversation (it was read after its
   * replies) gives the conversation its subject, "Printer" rather than "Re: Printer".
   */
  retitleIfFirst(messageId: number): void {
    this.prepare(
      `UPDATE conversations SET subject = m.subject FROM messages m
       WHERE m.id = @id AND conversations.id = m.conversation_id AND m.direction = 'inbound' AND NOT EXISTS (
         SELECT 1 FROM messages o WHERE o.conversation_id = m.conversation_id AND o.id <> m.id AND o.arrived_at < m.arrived_at)`,
    ).run({ id: messageId });
  }

  /**
   * Makes one conversation of two: the one whose first message arrived first keeps its id, token,
   * subject and customer; the other's messages, replies on their way, draft and search rows move
   * to it, and it is deleted. Returns the id that remains.
   */
  mergeConversations(a: number, b: number): { kept: number; removed: number } {
    const firstArrival = (id: number) =>
      (this.prepare('SELECT min(arrived_at) AS at FROM messages WHERE conversation_id = ?').get(id) as { at: string | null }).at ?? '9999';
    const [kept, removed] = [a, b].sort((x, y) => firstArrival(x).localeCompare(firstArrival(y)) || x - y) as [number, number];
    const keep = this.prepare('SELECT * FROM conversations WHERE id = ?').get(kept) as ConversationRow;
    const gone = this.prepare('SELECT * FROM conversations WHERE id = ?').get(removed) as ConversationRow;

    // Search rows carry the conversation in their rowid: each moved message gets a slot of the one kept.
    let slot = (
      this.prepare('SELECT coalesce(max(fts_rowid) + 1, ?) AS next FROM messages WHERE conversation_id = ?').get(kept * FTS_SLOTS, kept) as { next: number }
    ).next;
    const moving = this.prepare(
      'SELECT id, fts_rowid, subject, from_name, from_address, to_json, cc_json, text FROM messages WHERE conversation_id = ? ORDER BY id',
    ).all(removed) as {
      id: number;
      fts_rowid: number;
      subject: string;
      from_name: string;
      from_address: string;
      to_json: string;
      cc_json: string;
      text: string;
    }[];
    for (const m of moving) {
      this.prepare('DELETE FROM messages_fts WHERE rowid = ?').run(m.fts_rowid);
      const participants = participantsText([
        { name: m.from_name, address: m.from_address },
        ...(JSON.parse(m.to_json) as Address[]),
        ...(JSON.parse(m.cc_json) as Address[]),
      ]);
      this.prepare('INSERT INTO messages_fts (rowid, subject, participants, body) VALUES (?, ?, ?, ?)').run(slot, m.subject, participants, m.text);
      this.prepare('UPDATE messages SET conversation_id = ?, fts_rowid = ? WHERE id = ?').run(kept, slot, m.id);
      slot += 1;
    }
    this.prepare('UPDATE outbox SET conversation_id = ? WHERE conversation_id = ?').run(kept, removed);
    this.prepare('UPDATE draft_attachments SET conversation_id = ? WHERE conversation_id = ?').run(kept, removed);
    // A draft survives only where the kept conversation has none worth keeping.
    this.prepare(`DELETE FROM drafts WHERE conversation_id = ? AND text = ''`).run(kept);
    this.prepare('UPDATE OR IGNORE drafts SET conversation_id = ? WHERE conversation_id = ?').run(kept, removed);
    const later = gone.last_message_at > keep.last_message_at;
    this.prepare(
      `UPDATE conversations SET message_count = @count, last_message_at = @at, snippet = @snippet, unread = @unread,
         status = @status, assignee_id = @assignee WHERE id = @id`,
    ).run({
      id: kept,
      count: keep.message_count + gone.message_count,
      at: later ? gone.last_message_at : keep.last_message_at,
      snippet: later ? gone.snippet : keep.snippet,
      unread: keep.unread || gone.unread ? 1 : 0,
      // Still waiting for the team if either part was.
      status: keep.status === 'open' || gone.status === 'open' ? 'open' : keep.status,
      assignee: keep.assignee_id ?? gone.assignee_id,
    });
    this.prepare('DELETE FROM conversations WHERE id = ?').run(removed);
    return { kept, removed };
  }

  /** Keeps Sent mail whose conversation is not known yet (see migration 9), with its references. */
  park(message: Omit<NewMessage, 'conversationId'> & { source: NonNullable<NewMessage['source']> }, at: string): number {
    const { raw, ...rest } = message;
    const result = this.prepare(
      `INSERT INTO parked_messages (channel_id, message_id, dedupe_key, mailbox, uid_validity, uid, message_json, raw, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      message.channelId,
      message.messageId,
      message.dedupeKey,
      message.source.mailbox,
      message.source.uidValidity,
      message.source.uid,
      JSON.stringify(rest),
      raw,
      at,
    );
    const id = Number(result.lastInsertRowid);
    const insertRef = this.prepare('INSERT INTO parked_refs (parked_id, channel_id, ref_id) VALUES (?, ?, ?)');
    for (const ref of new Set([message.inReplyTo, ...message.references])) if (ref) insertRef.run(id, message.channelId, ref);
    return id;
  }

  /** Parked mail that names `messageId`, or that one of `references` names. */
  parkedLinkedTo(
    channelId: string,
    messageId: string | null,
    references: string[],
  ): { id: number; refersToIt: boolean; message: Omit<NewMessage, 'conversationId'> }[] {
    const rows = this.prepare(
      `SELECT p.id, p.message_json, p.raw, EXISTS (SELECT 1 FROM parked_refs r WHERE r.parked_id = p.id AND r.ref_id = @id) AS refers
       FROM parked_messages p WHERE p.channel_id = @channel AND (
         p.id IN (SELECT parked_id FROM parked_refs WHERE channel_id = @channel AND ref_id = @id)
         OR p.message_id IN (SELECT value FROM json_each(@refs)))
       ORDER BY p.id`,
    ).all({ channel: channelId, id: messageId, refs: JSON.stringify(references) }) as {
      id: number;
      message_json: string;
      raw: Buffer | null;
      refers: number;
    }[];
    return rows.map((row) => ({
      id: row.id,
      refersToIt: row.refers === 1,
      message: { ...(JSON.parse(row.message_json) as Omit<NewMessage, 'conversationId' | 'raw'>), raw: row.raw },
    }));
  }

  unpark(id: number): void {
    this.prepare('DELETE FROM parked_messages WHERE id = ?').run(id);
  }

  // ---- flags read from the server ----

  /** Records \\Answered of inbound mail by UID; returns the conversations whose messages changed. */
  setAnswered(position: MailboxPosition, flags: { uid: number; answered: boolean }[]): number[] {
    const update = this.prepare(
      `UPDATE messages SET answered_on_server = ? WHERE channel_id = ? AND mailbox = ? AND uid_validity = ? AND uid = ?
       AND answered_on_server <> ? RETURNING conversation_id`,
    );
    const changed = new Set<number>();
    for (const { uid, answered } of flags) {
      const value = answered ? 1 : 0;
      for (const row of update.all(value, position.channelId, position.mailbox, position.uidValidity, uid, value) as { conversation_id: number }[]) {
        changed.add(row.conversation_id);
      }
    }
    return [...changed];
  }

  setStatus(id: number, status: ConversationStatus): boolean {
    return this.prepare('UPDATE conversations SET status = ? WHERE id = ?').run(status, id).changes > 0;
  }

  /**
   * Into a bin or (null) back into the queues. Marking spam remembers the customer's address for
   * the channel, and "Not spam" forgets it; false when the conversation does not exist.
   */
  setBin(id: number, bin: ConversationBin | null): boolean {
    return this.transaction(() => {
      const before = this.prepare('SELECT channel_id, customer_address, bin FROM conversations WHERE id = ?').get(id) as
        { channel_id: string; customer_address: string; bin: ConversationBin | null } | undefined;
      if (!before) return false;
      this.prepare('UPDATE conversations SET bin = ? WHERE id = ?').run(bin, id);
      const address = before.customer_address.toLowerCase();
      if (bin === 'spam' && address) this.prepare('INSERT OR IGNORE INTO spam_senders (channel_id, address) VALUES (?, ?)').run(before.channel_id, address);
      else if (before.bin === 'spam') this.prepare('DELETE FROM spam_senders WHERE channel_id = ? AND address = ?').run(before.channel_id, address);
      return true;
    });
  }

  /** A sender whose conversation was marked as spam here or by the team. */
  isSpamSender(channelId: string, address: string): boolean {
    return this.prepare('SELECT 1 FROM spam_senders WHERE channel_id = ? AND address = ?').get(channelId, address.toLowerCase()) !== undefined;
  }

  assign(id: number, agentId: number | null): boolean {
    return this.prepare('UPDATE conversations SET assignee_id = ? WHERE id = ?').run(agentId, id).changes > 0;
  }

  /** The note a team event carries, when it is stored here. */
  noteByTeamEvent(eventId: string): number | undefined {
    const row = this.prepare('SELECT id FROM messages WHERE team_event_id = ?').get(eventId) as { id: number } | undefined;
    return row?.id;
  }

  /** Marks conversations read or unread (a bulk action); returns the ids that exist. Read state is this desktop's own. */
  setUnread(ids: readonly number[], unread: boolean): number[] {
    const update = this.prepare('UPDATE conversations SET unread = ? WHERE id = ?');
    return this.transaction(() => ids.filter((id) => update.run(unread ? 1 : 0, id).changes > 0));
  }

  /** True when the conversation was unread. */
  markRead(id: number): boolean {
    return this.prepare('UPDATE conversations SET unread = 0 WHERE id = ? AND unread = 1').run(id).changes > 0;
  }

  // ---- routing ----

  lastRoutedAgent(channelId: string): number | null {
    const row = this.prepare('SELECT last_agent_id FROM routing_state WHERE channel_id = ?').get(channelId) as { last_agent_id: number | null } | undefined;
    return row?.last_agent_id ?? null;
  }

  setLastRoutedAgent(channelId: string, agentId: number): void {
    this.prepare(
      'INSERT INTO routing_state (channel_id, last_agent_id) VALUES (?, ?) ON CONFLICT (channel_id) DO UPDATE SET last_agent_id = excluded.last_agent_id',
    ).run(channelId, agentId);
  }

  // ---- reads ----

  conversation(id: number): ConversationRecord | undefined {
    const row = this.prepare(`SELECT c.*, ${REPLY_COUNTS}, ${MAILBOX_MOVE} FROM conversations c WHERE c.id = ?`).get(id) as ConversationRow | undefined;
    return row && toSummary(row);
  }

  messages(conversationId: number): Message[] {
    const rows = this.prepare(
      `SELECT id, conversation_id, direction, kind, subject, from_name, from_address, to_json, cc_json, bcc_json, forward_of, reply_to_json, date, text, html, parse_error,
           author_agent_id, sent_by, answered_on_server, ${deliveryColumn('messages')} FROM messages WHERE conversation_id = ? ORDER BY ${THREAD_ORDER}`,
    ).all(conversationId) as MessageRow[];
    const attachments = this.prepare(
      `SELECT a.id, a.message_id, a.filename, a.content_type, a.size, a.inline FROM attachments a
         JOIN messages m ON m.id = a.message_id WHERE m.conversation_id = ? ORDER BY a.id`,
    ).all(conversationId) as AttachmentRow[];
    const byMessage = new Map<number, Attachment[]>();
    for (const a of attachments) {
      const list = byMessage.get(a.message_id) ?? [];
      list.push({ id: a.id, filename: a.filename, contentType: a.content_type, size: a.size, inline: a.inline === 1 });
      byMessage.set(a.message_id, list);
    }
    return rows.map((row) => this.toMessage(row, byMessage.get(row.id) ?? []));
  }

  message(id: number): Message | undefined {
    const row = this.prepare(`SELECT *, ${deliveryColumn('messages')} FROM messages WHERE id = ?`).get(id) as MessageRow | undefined;
    if (!row) return undefined;
    const attachments = (this.prepare('SELECT * FROM attachments WHERE message_id = ? ORDER BY id').all(id) as AttachmentRow[]).map((a) => ({
      id: a.id,
      filename: a.filename,
      contentType: a.content_type,
      size: a.size,
      inline: a.inline === 1,
    }));
    return this.toMessage(row, attachments);
  }

  /** Inbound messages of a conversation whose Reply-To has not been read from their raw headers yet. */
  replyToUnread(conversationId: number): { id: number; raw: Buffer | null; rawPath: string | null }[] {
    return this.prepare(`SELECT id, raw, raw_path AS rawPath FROM messages WHERE conversation_id = ? AND direction = 'inbound' AND reply_to_json IS NULL`).all(
      conversationId,
    ) as { id: number; raw: Buffer | null; rawPath: string | null }[];
  }

  /** Inbound messages of any conversation whose Reply-To has not been read yet, by id after `afterId`. */
  replyToUnreadAfter(afterId: number, limit: number): { id: number; conversationId: number; raw: Buffer | null; rawPath: string | null }[] {
    return this.prepare(
      `SELECT id, conversation_id AS conversationId, raw, raw_path AS rawPath FROM messages
       WHERE id > ? AND direction = 'inbound' AND reply_to_json IS NULL ORDER BY id LIMIT ?`,
    ).all(afterId, limit) as { id: number; conversationId: number; raw: Buffer | null; rawPath: string | null }[];
  }

  setReplyTo(messageId: number, replyTo: Address[]): void {
    this.prepare('UPDATE messages SET reply_to_json = ? WHERE id = ?').run(JSON.stringify(replyTo), messageId);
  }

  raw(messageId: number): { raw: Buffer | null; rawPath: string | null } | undefined {
    const row = this.prepare('SELECT raw, raw_path FROM messages WHERE id = ?').get(messageId) as { raw: Buffer | null; raw_path: string | null } | undefined;
    return row && { raw: row.raw, rawPath: row.raw_path };
  }

  /** One page, newest activity first, by keyset (never OFFSET: deep pages stay as fast as the first). */
  list(query: ListQuery): ConversationPage {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (query.view === 'mine') {
      if (query.meAgentId === null) where.push('0');
      else {
        where.push('c.assignee_id = @me');
        params.me = query.meAgentId;
      }
    } else if (query.view === 'unassigned') where.push('c.assignee_id IS NULL');
    else if (query.view === 'failed') where.push(HAS_FAILED_REPLY);
    if (query.view === 'spam' || query.view === 'deleted') {
      // A bin lists everything in it, whatever the status.
      where.push('c.bin = @bin');
      params.bin = query.view;
    } else {
      where.push('c.bin IS NULL');
      if (query.status === 'active') where.push("c.status IN ('open', 'pending')");
      else if (query.status) {
        where.push('c.status = @status');
        params.status = query.status;
      }
    }
    if (query.channelId) {
      where.push('c.channel_id = @channelId');
      params.channelId = query.channelId;
    }
    // Blank search text searches nothing; text with nothing searchable in it matches nothing.
    const searching = (query.query ?? '').trim() !== '';
    const match = searching ? ftsQuery(query.query!) : null;
    if (searching && match === null) where.push('0');
    let matchAt = -1;
    if (match) {
      where.push(`c.id IN (SELECT rowid >> ${FTS_SLOT_BITS} FROM messages_fts WHERE messages_fts MATCH @match)`);
      matchAt = where.length - 1;
      params.match = match;
    }
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT count(*) AS n FROM conversations c ${filter}`).get(params) as { n: number }).n;

    const after = decodeCursor(query.cursor);
    const pageWhere = [...where];
    // Few hits: look them up by id and sort them. Many hits: walk the inbox order and stop after one
    // page; the unary + keeps SQLite from choosing the id lookup, which would sort every hit.
    if (matchAt >= 0 && total > MANY_HITS) pageWhere[matchAt] = `+${pageWhere[matchAt]}`;
    if (after) {
      pageWhere.push('(c.last_message_at < @afterAt OR (c.last_message_at = @afterAt AND c.id < @afterId))');
      params.afterAt = after[0];
      params.afterId = after[1];
    }
    const rows = this.db
      .prepare(
        `SELECT c.*, ${REPLY_COUNTS}, ${MAILBOX_MOVE} FROM conversations c ${pageWhere.length ? `WHERE ${pageWhere.join(' AND ')}` : ''}
         ORDER BY c.last_message_at DESC, c.id DESC LIMIT @limit`,
      )
      .all({ ...params, limit: query.limit + 1 }) as ConversationRow[];
    const more = rows.length > query.limit;
    const page = more ? rows.slice(0, query.limit) : rows;
    const last = page.at(-1);
    return {
      items: page.map((row) => {
        const { token: _token, ...summary } = toSummary(row);
        return summary;
      }),
      nextCursor: more && last ? encodeCursor(last) : null,
      total,
    };
  }

  /**
   * For the sidebar: open conversations per view (the work still to do), unread ones among open and
   * pending per view, and conversations with a failed reply.
   */
  /**
   * The conversations of the customer with this address (any case, any channel), newest first,
   * without `excludeId` (the one being read). Served by the conversations_customer index.
   */
  byCustomer(address: string, excludeId: number | null, limit: number): { items: ConversationSummary[]; total: number } {
    const params = { address, excludeId: excludeId ?? -1, limit };
    const total = (this.prepare(`SELECT count(*) AS n FROM conversations c WHERE ${CUSTOMER_MATCH}`).get(params) as { n: number }).n;
    const rows = this.prepare(`SELECT c.*, ${REPLY_COUNTS} ${CUSTOMER_PAGE}`).all(params) as ConversationRow[];
    return {
      items: rows.map((row) => {
        const { token: _token, ...summary } = toSummary(row);
        return summary;
      }),
      total,
    };
  }

  counts(meAgentId: number | null, channelId?: string): InboxCounts {
    const row = this.prepare(
      `SELECT coalesce(sum(status = 'open'), 0) AS all_,
           coalesce(sum(status = 'open' AND assignee_id IS NULL), 0) AS unassigned,
           coalesce(sum(status = 'open' AND assignee_id IS NOT NULL AND assignee_id = @me), 0) AS mine,
           coalesce(sum(unread = 1), 0) AS unread_all,
           coalesce(sum(unread = 1 AND assignee_id IS NULL), 0) AS unread_unassigned,
           coalesce(sum(unread = 1 AND assignee_id IS NOT NULL AND assignee_id = @me), 0) AS unread_mine
         FROM conversations WHERE status IN ('open', 'pending') AND bin IS NULL AND (@channelId IS NULL OR channel_id = @channelId)`,
    ).get({ me: meAgentId, channelId: channelId ?? null }) as Record<string, number>;
    const bins = this.prepare(
      `SELECT coalesce(sum(bin = 'spam'), 0) AS spam, coalesce(sum(bin = 'deleted'), 0) AS deleted
         FROM conversations WHERE bin IS NOT NULL AND (@channelId IS NULL OR channel_id = @channelId)`,
    ).get({ channelId: channelId ?? null }) as { spam: number; deleted: number };
    const failed = this.prepare(
      `SELECT count(DISTINCT o.conversation_id) AS n FROM outbox o JOIN conversations c ON c.id = o.conversation_id
         WHERE o.state = 'failed' AND c.bin IS NULL AND (@channelId IS NULL OR c.channel_id = @channelId)`,
    ).get({ channelId: channelId ?? null }) as { n: number };
    return {
      mine: row.mine!,
      unassigned: row.unassigned!,
      all: row.all_!,
      unread: { mine: row.unread_mine!, unassigned: row.unread_unassigned!, all: row.unread_all! },
      failed: failed.n,
      spam: bins.spam,
      deleted: bins.deleted,
    };
  }

  private toMessage(row: MessageRow, attachments: Attachment[]): Message {
    return {
      id: row.id,
      conversationId: row.conversation_id,
      direction: row.direction,
      kind: row.kind,
      from: { name: row.from_name, address: row.from_address },
      to: readAddresses(row.to_json, 'To addresses'),
      cc: readAddresses(row.cc_json, 'Cc addresses'),
      bcc: readAddresses(row.bcc_json, 'Bcc addresses'),
      forwardOf: row.forward_of,
      replyTo: readAddresses(row.reply_to_json, 'Reply-To addresses'),
      subject: row.subject,
      date: row.date,
      text: row.text,
      html: row.html,
      attachments,
      parseError: row.parse_error,
      authorAgentId: row.author_agent_id,
      sentBy: row.sent_by,
      answeredOnServer: row.answered_on_server === 1,
      // Replies carry their outbox state (outbox-repo.ts); everything else has none.
      delivery: deliveryFromJson(row.delivery_json),
    };
  }

  /** A message's inline parts that have a Content-ID, for its HTML's `cid:` pictures. */
  inlineParts(messageId: number): { contentId: string; contentType: string; path: string; size: number }[] {
    return this.db
      .prepare(
        `SELECT content_id AS contentId, content_type AS contentType, path, size FROM attachments
         WHERE message_id = ? AND inline = 1 AND content_id IS NOT NULL ORDER BY id`,
      )
      .all(messageId) as { contentId: string; contentType: string; path: string; size: number }[];
  }

  /** One attachment's file on disk and the name it came with, for downloads. */
  attachmentFile(id: number): { path: string; filename: string; contentType: string; size: number } | undefined {
    return this.db.prepare('SELECT path, filename, content_type AS contentType, size FROM attachments WHERE id = ?').get(id) as
      { path: string; filename: string; contentType: string; size: number } | undefined;
  }
}
