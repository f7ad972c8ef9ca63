import { z } from 'zod';
import type { DraftAttachment } from '../../../shared/attachments';
import type { Address, Delivery } from '../../../shared/conversation';
import { mailErrorSchema, type MailError } from '../../../shared/errors';
import { replyTarget } from '../../../shared/reply-recipients';
import type { Db } from './database';
import type { MailStore } from './mail-store';
import { messageIdListSchema, readAddresses, readJsonColumn } from './json-column';
import { THREAD_ORDER } from './thread-order';

/** SQL for the outbox (agent replies on their way out) and drafts. Tables: migrations 4 and 6. */

export type OutboxState = Delivery['state'];

/**
 * Failed attempts of the three things a sent reply may still need, counted apart: its Sent copy,
 * \Answered on the customer's message, and sending to recipients the server deferred.
 */
export interface FollowUpFailures {
  filing: number;
  answer: number;
  deferred: number;
}

/** A kind of follow-up that failed this often is given up (at most 5 minutes apart: some hours). */
export const FOLLOW_UP_LIMIT = 100;

export const NO_FAILURES: FollowUpFailures = { filing: 0, answer: 0, deferred: 0 };

export interface OutboxRow {
  messageId: number;
  channelId: string;
  conversationId: number;
  state: OutboxState;
  bodyText: string;
  parentId: number | null;
  attempts: number;
  nextAttemptAt: string;
  lastAttemptAt: string | null;
  acceptedAt: string | null;
  error: MailError | null;
  filedAt: string | null;
  answeredAt: string | null;
  /** When to try what is outstanding (Sent copy, \Answered, deferred recipients) again; null when nothing is. */
  followUpAt: string | null;
  /** Failed attempts so far of each kind of follow-up, each with its own backoff and limit. */
  followUpFailures: FollowUpFailures;
  /** Recipients the server refused while accepting the reply for the others. */
  refused: Delivery['refused'];
}

interface RawOutboxRow {
  message_id: number;
  channel_id: string;
  conversation_id: number;
  state: OutboxState;
  body_text: string;
  parent_id: number | null;
  attempts: number;
  next_attempt_at: string;
  last_attempt_at: string | null;
  accepted_at: string | null;
  error_json: string | null;
  filed_at: string | null;
  answered_at: string | null;
  followup_at: string | null;
  filing_attempts: number;
  answer_attempts: number;
  deferred_attempts: number;
  refused_json: string | null;
}

function parseError(json: string | null): MailError | null {
  if (!json) return null;
  try {
    const parsed = mailErrorSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

const refusedSchema = z.array(z.object({ address: z.string(), error: mailErrorSchema }));

function parseRefused(json: string | null): Delivery['refused'] {
  return json ? readJsonColumn(refusedSchema, json, 'refused recipients') : [];
}

function fromRow(row: RawOutboxRow): OutboxRow {
  return {
    messageId: row.message_id,
    channelId: row.channel_id,
    conversationId: row.conversation_id,
    state: row.state,
    bodyText: row.body_text,
    parentId: row.parent_id,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    acceptedAt: row.accepted_at,
    error: parseError(row.error_json),
    filedAt: row.filed_at,
    answeredAt: row.answered_at,
    followUpAt: row.followup_at,
    followUpFailures: { filing: row.filing_attempts, answer: row.answer_attempts, deferred: row.deferred_attempts },
    refused: parseRefused(row.refused_json),
  };
}

/**
 * SQL that yields a message's delivery as one JSON text (NULL when it has no outbox row), for the
 * message queries in MailStore; `alias` names the messages table in that query.
 */
export function deliveryColumn(alias: string): string {
  return `(SELECT json_object('state', o.state, 'error', o.error_json, 'attempts', o.attempts, 'nextAttemptAt', o.next_attempt_at, 'refused', o.refused_json,
       'filing', CASE WHEN o.filed_at IS NULL THEN o.filing_json END, 'retrying', o.followup_at IS NOT NULL AND o.filing_attempts < ${FOLLOW_UP_LIMIT})
     FROM outbox o WHERE o.message_id = ${alias}.id) AS delivery_json`;
}

const deliveryColumnSchema = z.object({
  state: z.enum(['queued', 'sending', 'sent', 'failed']),
  error: z.string().nullable(),
  attempts: z.number(),
  nextAttemptAt: z.string(),
  refused: z.string().nullable(),
  filing: z.string().nullable(),
  retrying: z.number(),
});

const filingProblemSchema = z.object({ folder: z.string(), error: mailErrorSchema });

/** The delivery of a message from `deliveryColumn`'s JSON. */
export function deliveryFromJson(json: string | null | undefined): Delivery | null {
  if (!json) return null;
  const value = readJsonColumn(deliveryColumnSchema, json, 'delivery state');
  const filing = value.filing === null ? null : readJsonColumn(filingProblemSchema, value.filing, 'filing problem');
  return {
    state: value.state,
    error: parseError(value.error),
    attempts: value.attempts,
    nextAttemptAt: value.state === 'queued' ? value.nextAttemptAt : null,
    refused: parseRefused(value.refused),
    filing: filing && { ...filing, retrying: value.retrying === 1 },
  };
}

/** Why a sent reply's copy is not in the Sent folder yet. */
export type FilingProblem = z.infer<typeof filingProblemSchema>;

/** The customer's message a reply answers, with what the reply needs from it. Message-IDs are stored without angle brackets. */
export interface ParentRecord {
  id: number;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  from: Address;
  to: Address[];
  cc: Address[];
  /** Reply-To as stored (ensureReplyTo reads it from the headers first). */
  replyTo: Address[];
}

/** Everything the sender needs to build the MIME of a queued reply. */
export interface OutgoingRecord {
  messageId: number;
  channelId: string;
  conversationId: number;
  token: string;
  headerMessageId: string;
  inReplyTo: string | null;
  references: string[];
  subject: string;
  from: Address;
  to: Address[];
  cc: Address[];
  /** Delivered to, never named in the headers. */
  bcc: Address[];
  text: string;
  /** Files the agent attached, then (a forward) the forwarded message's, on disk. */
  attachments: AttachmentFile[];
  /** The agent who wrote it, named in the reply so other desktops can say who sent it. */
  agent: { name: string; email: string } | null;
}

export interface AttachmentFile {
  filename: string;
  contentType: string;
  path: string;
}

export type StoredAttachment = AttachmentFile & { size: number };

/** A file attached to a draft, with where it is on disk. */
export type DraftFile = DraftAttachment & { path: string };

export interface NewOutboxRow {
  messageId: number;
  channelId: string;
  conversationId: number;
  bodyText: string;
  parentId: number | null;
  nextAttemptAt: string;
  createdAt: string;
}

/**
 * The outbox and drafts tables are this repo's; the messages and conversations tables are
 * MailStore's, which it asks when a reply goes out or is taken back.
 */
export class OutboxRepo {
  constructor(
    private readonly db: Db,
    private readonly store: MailStore,
  ) {}

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** The message a reply answers (shared/reply-recipients.ts replyTarget), picked from the thread in its order. */
  parentOf(conversationId: number): ParentRecord | undefined {
    const thread = this.db.prepare(`SELECT id, direction, kind FROM messages WHERE conversation_id = ? ORDER BY ${THREAD_ORDER}`).all(conversationId) as {
      id: number;
      direction: string;
      kind: string;
    }[];
    const target = replyTarget(thread);
    if (!target) return undefined;
    const row = this.db
      .prepare(
        `SELECT id, message_id, in_reply_to, "references", from_name, from_address, to_json, cc_json, reply_to_json
         FROM messages WHERE id = ?`,
      )
      .get(target.id) as
      | {
          id: number;
          message_id: string | null;
          in_reply_to: string | null;
          references: string;
          from_name: string;
          from_address: string;
          to_json: string;
          cc_json: string;
          reply_to_json: string | null;
        }
      | undefined;
    return (
      row && {
        id: row.id,
        messageId: row.message_id,
        inReplyTo: row.in_reply_to,
        references: readJsonColumn(messageIdListSchema, row.references, 'References'),
        from: { name: row.from_name, address: row.from_address },
        to: readAddresses(row.to_json, 'To addresses'),
        cc: readAddresses(row.cc_json, 'Cc addresses'),
        replyTo: readAddresses(row.reply_to_json, 'Reply-To addresses'),
      }
    );
  }

  insert(row: NewOutboxRow): void {
    this.db
      .prepare(
        `INSERT INTO outbox (message_id, channel_id, conversation_id, state, body_text, parent_id, attempts, next_attempt_at, created_at)
         VALUES (@messageId, @channelId, @conversationId, 'queued', @bodyText, @parentId, 0, @nextAttemptAt, @createdAt)`,
      )
      .run(row);
  }

  get(messageId: number): OutboxRow | undefined {
    const row = this.db.prepare('SELECT * FROM outbox WHERE message_id = ?').get(messageId) as RawOutboxRow | undefined;
    return row && fromRow(row);
  }

  /**
   * Per conversation, the oldest reply still on its way (queued, or left in 'sending'), oldest
   * first: a conversation's replies leave in the order they were written, so a later one never
   * overtakes one in backoff, while one customer's deferred reply does not hold up the others.
   */
  heads(): OutboxRow[] {
    const rows = this.db
      .prepare(
        `SELECT o.* FROM outbox o WHERE o.message_id IN (
           SELECT min(message_id) FROM outbox WHERE state IN ('queued', 'sending') GROUP BY conversation_id)
         ORDER BY o.message_id`,
      )
      .all() as RawOutboxRow[];
    return rows.map(fromRow);
  }

  outgoing(messageId: number): OutgoingRecord | undefined {
    const row = this.db
      .prepare(
        `SELECT m.id, m.channel_id, m.conversation_id, c.token, m.message_id, m.in_reply_to, m."references", m.subject,
           m.from_name, m.from_address, m.to_json, m.cc_json, m.bcc_json, m.text, m.forward_of, a.name AS agent_name, a.email AS agent_email
         FROM messages m JOIN conversations c ON c.id = m.conversation_id LEFT JOIN agents a ON a.id = m.author_agent_id WHERE m.id = ?`,
      )
      .get(messageId) as
      | {
          id: number;
          channel_id: string;
          conversation_id: number;
          token: string;
          message_id: string;
          in_reply_to: string | null;
          references: string;
          subject: string;
          from_name: string;
          from_address: string;
          to_json: string;
          cc_json: string;
          bcc_json: string | null;
          text: string;
          forward_of: number | null;
          agent_name: string | null;
          agent_email: string | null;
        }
      | undefined;
    return (
      row && {
        messageId: row.id,
        channelId: row.channel_id,
        conversationId: row.conversation_id,
        token: row.token,
        headerMessageId: row.message_id,
        inReplyTo: row.in_reply_to,
        references: readJsonColumn(messageIdListSchema, row.references, 'References'),
        subject: row.subject,
        from: { name: row.from_name, address: row.from_address },
        to: readAddresses(row.to_json, 'To addresses'),
        cc: readAddresses(row.cc_json, 'Cc addresses'),
        bcc: readAddresses(row.bcc_json, 'Bcc addresses'),
        text: row.text,
        // A forward takes the forwarded message's files along, from where they are stored.
        attachments: [...this.attachments(row.id), ...(row.forward_of === null ? [] : this.attachments(row.forward_of))],
        agent: row.agent_name !== null && row.agent_email !== null ? { name: row.agent_name, email: row.agent_email } : null,
      }
    );
  }

  /** The files attached to a reply, in the order the agent added them. */
  attachments(messageId: number): AttachmentFile[] {
    return this.db
      .prepare('SELECT filename, content_type AS contentType, path FROM attachments WHERE message_id = ? ORDER BY id')
      .all(messageId) as AttachmentFile[];
  }

  /** A message's files with their sizes, e.g. the ones a forward takes along. */
  files(messageId: number): StoredAttachment[] {
    return this.db
      .prepare('SELECT filename, content_type AS contentType, path, size FROM attachments WHERE message_id = ? ORDER BY id')
      .all(messageId) as StoredAttachment[];
  }

  /** The bytes a reply was sent as (kept by markSent), for filing its Sent copy later. */
  sentCopy(messageId: number): { raw: Buffer | null; rawPath: string | null } | undefined {
    const row = this.db.prepare('SELECT raw, raw_path FROM messages WHERE id = ?').get(messageId) as
      { raw: Buffer | null; raw_path: string | null } | undefined;
    return row && { raw: row.raw, rawPath: row.raw_path };
  }

  /** Where the customer's message lives on the server, for \Answered. */
  source(messageId: number): { mailbox: string; uidValidity: string; uid: number } | undefined {
    const row = this.db.prepare('SELECT mailbox, uid_validity, uid FROM messages WHERE id = ?').get(messageId) as
      { mailbox: string | null; uid_validity: string | null; uid: number | null } | undefined;
    if (!row || row.mailbox === null || row.uid_validity === null || row.uid === null) return undefined;
    return { mailbox: row.mailbox, uidValidity: row.uid_validity, uid: row.uid };
  }

  /**
   * Recorded BEFORE the SMTP transaction starts: if the app dies before `markSent`, the row is
   * found in 'sending' at the next start and treated as uncertain. False when the row is no longer
   * queued (cancelled meanwhile).
   */
  markSending(messageId: number, at: string): boolean {
    return (
      this.db
        .prepare(`UPDATE outbox SET state = 'sending', attempts = attempts + 1, last_attempt_at = ? WHERE message_id = ? AND state = 'queued'`)
        .run(at, messageId).changes > 0
    );
  }

  /**
   * Accepted by the server. Keeps the bytes that were sent as the message's raw copy (inline, or a
   * file when large) and updates the inbox summary. `filed`: the Sent copy is done (filed, or
   * there was nowhere to file it).
   */
  markSent(
    messageId: number,
    at: string,
    extra: {
      raw?: { blob: Buffer | null; path: string | null; size: number };
      filed: boolean;
      /** Recipients the server refused while accepting the reply for the others. */
      refused?: Delivery['refused'];
      /** When to try what is left (Sent copy, \Answered, deferred recipients), set with "sent" so a crash cannot lose it. */
      followUpAt?: string | null;
      /** What failed on the way (counted with followUpAt). */
      failures?: FollowUpFailures;
    },
  ): void {
    this.transaction(() => {
      this.db
        .prepare(
          `UPDATE outbox SET state = 'sent', accepted_at = @at, error_json = NULL, filed_at = CASE WHEN @filed THEN @at ELSE filed_at END,
             refused_json = @refused,
             followup_at = coalesce(@followUpAt, followup_at),
             filing_attempts = CASE WHEN @followUpAt IS NULL THEN filing_attempts ELSE @filing END,
             answer_attempts = CASE WHEN @followUpAt IS NULL THEN answer_attempts ELSE @answer END,
             deferred_attempts = CASE WHEN @followUpAt IS NULL THEN deferred_attempts ELSE @deferred END
           WHERE message_id = @id`,
        )
        .run({
          id: messageId,
          at,
          filed: extra.filed ? 1 : 0,
          refused: extra.refused?.length ? JSON.stringify(extra.refused) : null,
          followUpAt: extra.followUpAt ?? null,
          ...(extra.failures ?? NO_FAILURES),
        });
      this.store.replySent(messageId, at, extra.raw);
    });
  }

  /** Back in the queue after a temporary failure (or an uncertain attempt that could not be checked yet). */
  markQueued(messageId: number, nextAttemptAt: string, error: MailError | null, state: 'queued' | 'sending' = 'queued'): void {
    this.db
      .prepare('UPDATE outbox SET state = ?, next_attempt_at = ?, error_json = ? WHERE message_id = ?')
      .run(state, nextAttemptAt, error ? JSON.stringify(error) : null, messageId);
  }

  markFailed(messageId: number, error: MailError): void {
    this.db.prepare(`UPDATE outbox SET state = 'failed', error_json = ? WHERE message_id = ?`).run(JSON.stringify(error), messageId);
  }

  markAnswered(messageId: number, at: string): void {
    this.db.prepare('UPDATE outbox SET answered_at = ? WHERE message_id = ?').run(at, messageId);
  }

  /** The recipients still refused after delivering to deferred ones again. */
  setRefused(messageId: number, refused: Delivery['refused']): void {
    this.db.prepare('UPDATE outbox SET refused_json = ? WHERE message_id = ?').run(refused.length > 0 ? JSON.stringify(refused) : null, messageId);
  }

  /** The Sent copy is done (filed, or there is nowhere to file it). */
  markFiled(messageId: number, at: string): void {
    this.db.prepare('UPDATE outbox SET filed_at = ?, filing_json = NULL WHERE message_id = ?').run(at, messageId);
  }

  /** The copy could not be filed: why, for the reply's delivery line. */
  setFilingProblem(messageId: number, problem: FilingProblem): void {
    this.db.prepare('UPDATE outbox SET filing_json = ? WHERE message_id = ?').run(JSON.stringify(problem), messageId);
  }

  /** Sent replies with a Sent copy, \\Answered or deferred recipients still outstanding, the soonest due first. */
  followUps(): OutboxRow[] {
    const rows = this.db
      .prepare(`SELECT * FROM outbox WHERE followup_at IS NOT NULL AND state = 'sent' ORDER BY followup_at, message_id`)
      .all() as RawOutboxRow[];
    return rows.map(fromRow);
  }

  /** When to try what is outstanding again, with the failures of each kind so far; null: nothing left to do. */
  scheduleFollowUp(messageId: number, at: string | null, failures: FollowUpFailures): void {
    this.db
      .prepare(
        'UPDATE outbox SET followup_at = @at, filing_attempts = @filing, answer_attempts = @answer, deferred_attempts = @deferred WHERE message_id = @id',
      )
      .run({ id: messageId, at, ...failures });
  }

  /** Replies of a channel that wait out a backoff after a failed attempt become due now; returns how many. */
  wakeWaiting(channelId: string, at: string): number {
    return this.db
      .prepare(
        `UPDATE outbox SET next_attempt_at = @at WHERE channel_id = @channelId AND state = 'queued' AND error_json IS NOT NULL AND next_attempt_at > @at`,
      )
      .run({ channelId, at }).changes;
  }

  /** A failed (or waiting) reply goes back to the front of the queue. False when it is sending or sent. */
  retryNow(messageId: number, at: string): boolean {
    return (
      this.db.prepare(`UPDATE outbox SET state = 'queued', next_attempt_at = ? WHERE message_id = ? AND state IN ('queued', 'failed')`).run(at, messageId)
        .changes > 0
    );
  }

  /**
   * Removes a reply that has not left: its outbox row, its message and its search entry. Its
   * attachments go back to the conversation's draft (the files stay where they are), dated when
   * the reply was written so they come before files attached since. Returns the agent's text and
   * those attachments, or undefined when it is sending or sent (or gone).
   */
  cancel(messageId: number): { text: string; conversationId: number; attachments: DraftAttachment[] } | undefined {
    return this.transaction(() => {
      const row = this.get(messageId);
      if (!row || (row.state !== 'queued' && row.state !== 'failed')) return undefined;
      const message = this.db.prepare('SELECT conversation_id, created_at FROM messages WHERE id = ?').get(messageId) as
        { conversation_id: number; created_at: string } | undefined;
      const files = this.db
        .prepare('SELECT filename, content_type AS contentType, size, path FROM attachments WHERE message_id = ? ORDER BY id')
        .all(messageId) as StoredAttachment[];
      const attachments = message ? files.map((f) => this.addDraftAttachment(message.conversation_id, f, message.created_at)) : [];
      this.db.prepare('DELETE FROM outbox WHERE message_id = ?').run(messageId);
      // Its attachment rows go with the message; the draft has them now.
      if (message) this.store.removeMessage(messageId);
      return { text: row.bodyText, conversationId: row.conversationId, attachments };
    });
  }

  // ---- drafts ----

  draft(conversationId: number): string {
    const row = this.db.prepare('SELECT text FROM drafts WHERE conversation_id = ?').get(conversationId) as { text: string } | undefined;
    return row?.text ?? '';
  }

  /** The files attached to a conversation's draft, in the order they were attached. */
  draftAttachments(conversationId: number): DraftFile[] {
    return this.db
      .prepare(
        `SELECT id, filename, content_type AS contentType, size, path FROM draft_attachments
         WHERE conversation_id = ? ORDER BY created_at, id`,
      )
      .all(conversationId) as DraftFile[];
  }

  addDraftAttachment(conversationId: number, file: StoredAttachment, at: string): DraftAttachment {
    const { lastInsertRowid } = this.db
      .prepare(
        `INSERT INTO draft_attachments (conversation_id, filename, content_type, size, path, created_at)
         VALUES (@conversationId, @filename, @contentType, @size, @path, @at)`,
      )
      .run({ conversationId, filename: file.filename, contentType: file.contentType, size: file.size, path: file.path, at });
    return { id: Number(lastInsertRowid), filename: file.filename, contentType: file.contentType, size: file.size };
  }

  /** Takes a file off its draft; returns where it is (the caller deletes it), or undefined when it is not on a draft. */
  removeDraftAttachment(id: number): string | undefined {
    const row = this.db.prepare('DELETE FROM draft_attachments WHERE id = ? RETURNING path').get(id) as { path: string } | undefined;
    return row?.path;
  }

  /** The draft's files became a reply's attachments (sendReply, in the same transaction). */
  clearDraftAttachments(conversationId: number): void {
    this.db.prepare('DELETE FROM draft_attachments WHERE conversation_id = ?').run(conversationId);
  }

  /** '' deletes the draft's text; its files are kept. */
  saveDraft(conversationId: number, text: string, at: string): void {
    if (text === '') {
      this.db.prepare('DELETE FROM drafts WHERE conversation_id = ?').run(conversationId);
      return;
    }
    this.db
      .prepare(
        `INSERT INTO drafts (conversation_id, text, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (conversation_id) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at`,
      )
      .run(conversationId, text, at);
  }
}
