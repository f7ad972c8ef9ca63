import type { InboxSettings } from '../../../shared/channel';
import type { MailboxPosition, SyncCursor } from '../store/sync-cursor';

/**
 * Where a mailbox's sync starts, from the cursor stored for it and what the server says of the
 * mailbox now (RFC 4549 §4.1): the stored cursor while its UIDVALIDITY holds; on the first sync,
 * everything already there is old mail, imported per the channel's choice; after a UIDVALIDITY
 * change, the old window is fetched again (ingest recognises what it holds by content).
 */

const DAY_MS = 24 * 60 * 60_000;
const INITIAL_IMPORT_DAYS = 14;

export interface CursorPlan {
  cursor: SyncCursor;
  /** 'first': no cursor was stored; 'resync': UIDVALIDITY changed. Either way the cursor is new and must be stored. */
  fresh: 'first' | 'resync' | null;
}

export function planCursor(o: {
  /** The mailbox as opened now, with its UIDVALIDITY. */
  position: MailboxPosition;
  stored: SyncCursor | undefined;
  /** UIDNEXT of the mailbox as opened now. */
  uidNext: number | undefined;
  initialImport: InboxSettings['initialImport'];
  now: Date;
}): CursorPlan {
  const { position, stored } = o;
  if (stored && stored.uidValidity === position.uidValidity) return { cursor: stored, fresh: null };
  const lastUid = Math.max(0, (o.uidNext ?? 1) - 1);
  if (!stored) {
    return {
      fresh: 'first',
      cursor: {
        ...position,
        lastUid,
        backfillBelowUid: o.initialImport === 'none' ? null : lastUid + 1,
        // For 'none' the date still matters: after a UIDVALIDITY change, what arrived since the
        // first sync is imported again (and recognised by content), but nothing older.
        backfillSince:
          o.initialImport === 'all' ? null : new Date(o.now.getTime() - (o.initialImport === '14-days' ? INITIAL_IMPORT_DAYS * DAY_MS : 0)).toISOString(),
      },
    };
  }
  // UIDs start over. Everything in the old window is fetched again; ingest recognises what it
  // already holds by content, so nothing is duplicated and nothing that arrived in between is lost.
  return { fresh: 'resync', cursor: { ...position, lastUid, backfillBelowUid: lastUid + 1, backfillSince: stored.backfillSince } };
}
