import { describe, expect, it } from 'vitest';
import type { SyncCursor } from '../store/sync-cursor';
import { planCursor } from './cursor-plan';

const NOW = new Date('2026-12-01T12:00:00.000Z');
const position = { channelId: 'ch1', mailbox: 'INBOX', uidValidity: '7', role: 'inbox' as const };

describe('planCursor', () => {
  it('keeps the stored cursor while UIDVALIDITY holds', () => {
    const stored: SyncCursor = { ...position, lastUid: 40, backfillBelowUid: 12, backfillSince: '2026-11-17T12:00:00.000Z' };
    expect(planCursor({ position, stored, uidNext: 90, initialImport: '14-days', now: NOW })).toEqual({ cursor: stored, fresh: null });
  });

  it('on the first sync, takes what is there as old mail, imported per the channel’s choice', () => {
    const first = (initialImport: 'none' | '14-days' | 'all') => planCursor({ position, stored: undefined, uidNext: 51, initialImport, now: NOW });
    expect(first('14-days')).toEqual({ fresh: 'first', cursor: { ...position, lastUid: 50, backfillBelowUid: 51, backfillSince: '2026-11-17T12:00:00.000Z' } });
    expect(first('all')).toEqual({ fresh: 'first', cursor: { ...position, lastUid: 50, backfillBelowUid: 51, backfillSince: null } });
    // Nothing old, but the instant is kept for a later resync.
    expect(first('none')).toEqual({ fresh: 'first', cursor: { ...position, lastUid: 50, backfillBelowUid: null, backfillSince: NOW.toISOString() } });
    // An empty mailbox (or a server that gives no UIDNEXT) starts at 0.
    expect(planCursor({ position, stored: undefined, uidNext: undefined, initialImport: 'all', now: NOW }).cursor).toMatchObject({
      lastUid: 0,
      backfillBelowUid: 1,
    });
  });

  it('after a UIDVALIDITY change fetches the old window again, from the top of the renumbered mailbox', () => {
    const stored: SyncCursor = { ...position, uidValidity: '6', lastUid: 400, backfillBelowUid: null, backfillSince: '2026-11-01T00:00:00.000Z' };
    expect(planCursor({ position, stored, uidNext: 31, initialImport: '14-days', now: NOW })).toEqual({
      fresh: 'resync',
      cursor: { ...position, lastUid: 30, backfillBelowUid: 31, backfillSince: '2026-11-01T00:00:00.000Z' },
    });
  });
});
