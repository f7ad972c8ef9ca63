import type { ConversationBin } from '../../../shared/conversation';
import type { Db } from './database';

/** Where a conversation's customer mail goes on the server: the Trash folder, or the Junk folder. */
export type MoveFolder = 'trash' | 'junk';

export interface MailboxMove {
  conversationId: number;
  channelId: string;
  folder: MoveFolder;
  attempts: number;
  /** The bin the conversation must still be in for the move to happen. */
  bin: ConversationBin | null;
}

export interface MessageToMove {
  id: number;
  mailbox: string;
  uidValidity: string;
  uid: number;
  messageId: string | null;
}

/** SQL for moves of customer mail to the server's Trash or Junk folder, queued until they are made. */
export class MoveRepo {
  constructor(private readonly db: Db) {}

  /** Queues (or re-queues, due now) the move of a conversation's customer mail. */
  enqueue(conversationId: number, folder: MoveFolder, at: string): void {
    this.db
      .prepare(
        `INSERT INTO mailbox_moves (conversation_id, channel_id, folder, next_attempt_at, created_at)
         SELECT id, channel_id, @folder, @at, @at FROM conversations WHERE id = @conversationId
         ON CONFLICT (conversation_id) DO UPDATE SET folder = excluded.folder, next_attempt_at = excluded.next_attempt_at, error = NULL, attempts = 0`,
      )
      .run({ conversationId, folder, at });
  }

  /** The conversation was restored (or said not to be spam) before its move was made. */
  cancel(conversationId: number): boolean {
    return this.db.prepare('DELETE FROM mailbox_moves WHERE conversation_id = ?').run(conversationId).changes > 0;
  }

  channelOf(conversationId: number): string | undefined {
    const row = this.db.prepare('SELECT channel_id FROM conversations WHERE id = ?').get(conversationId) as { channel_id: string } | undefined;
    return row?.channel_id;
  }

  /** Moves of a channel that are due by `now`, oldest first. */
  due(channelId: string, now: string): MailboxMove[] {
    return this.db
      .prepare(
        `SELECT m.conversation_id AS conversationId, m.channel_id AS channelId, m.folder, m.attempts, c.bin
           FROM mailbox_moves m JOIN conversations c ON c.id = m.conversation_id
           WHERE m.channel_id = ? AND m.next_attempt_at <= ? ORDER BY m.created_at, m.conversation_id`,
      )
      .all(channelId, now) as MailboxMove[];
  }

  /** When the channel's next waiting move is due; undefined when none waits. */
  nextDue(channelId: string): string | undefined {
    const row = this.db.prepare('SELECT min(next_attempt_at) AS at FROM mailbox_moves WHERE channel_id = ?').get(channelId) as { at: string | null };
    return row.at ?? undefined;
  }

  channelsWaiting(): string[] {
    return (this.db.prepare('SELECT DISTINCT channel_id FROM mailbox_moves').all() as { channel_id: string }[]).map((row) => row.channel_id);
  }

  failed(conversationId: number, error: string, nextAttemptAt: string): void {
    this.db
      .prepare('UPDATE mailbox_moves SET attempts = attempts + 1, error = ?, next_attempt_at = ? WHERE conversation_id = ?')
      .run(error, nextAttemptAt, conversationId);
  }

  done(conversationId: number): void {
    this.cancel(conversationId);
  }

  /** The conversation's customer mail still in the mailbox it was fetched from (the channel's inbox). */
  messagesToMove(conversationId: number, mailbox: string): MessageToMove[] {
    return this.db
      .prepare(
        `SELECT id, mailbox, uid_validity AS uidValidity, uid, message_id AS messageId FROM messages
         WHERE conversation_id = ? AND direction = 'inbound' AND mailbox = ? AND uid IS NOT NULL ORDER BY id`,
      )
      .all(conversationId, mailbox) as MessageToMove[];
  }

  /** The message is in `folder` now; its UID there when the server said (COPYUID), else unknown. */
  moved(messageId: number, folder: string, uidValidity: string | null, uid: number | null): void {
    this.db.prepare('UPDATE messages SET mailbox = ?, uid_validity = ?, uid = ? WHERE id = ?').run(folder, uidValidity, uid, messageId);
  }
}
