/**
 * Where the sync of each watched mailbox stands. The store keeps it; the watcher plans its fetches
 * from it and ingest moves it in the same transaction as the mail it stores.
 */

/** What a watched mailbox holds: customer mail (the inbox) or mail the team sent (the Sent folder). */
export type MailboxRole = 'inbox' | 'sent';

export interface MailboxPosition {
  channelId: string;
  mailbox: string;
  uidValidity: string;
  /** Absent means 'inbox'. */
  role?: MailboxRole;
}

/** Where a channel's mailbox sync stands, kept in SQLite beside the imported messages. */
export interface SyncCursor extends MailboxPosition {
  /** Every UID up to and including this one has been imported (or deliberately skipped). */
  lastUid: number;
  /**
   * The initial import of older mail runs newest first, downwards; this is the lowest UID it has
   * reached (null when finished or never needed). A restart resumes below it.
   */
  backfillBelowUid: number | null;
  /**
   * An ISO instant: only mail on or after it is part of the initial import (null = all mail). For
   * "import none" it is the first sync itself, so a later UIDVALIDITY change re-fetches only mail
   * from then on.
   */
  backfillSince: string | null;
}
