import { describe, expect, it } from 'vitest';
import type { TeamEvent } from '../../../shared/team-events';
import { snapshotSchema, teamEventSchema } from '../../../shared/team-events';
import { effectiveBin, effectiveStatus, emptyState, fold, mergeSeed, nothingTouched, type OrderedEvent } from './fold';

let n = 0;
function id(): string {
  n += 1;
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

const at = (second: number) => new Date(Date.UTC(2026, 11, 3, 8, 0, second)).toISOString();
const base = (second = 0) => ({ v: 1 as const, id: id(), at: at(second), by: 'alice@example.com' });
const C = 'id:first@customer.example';

function ordered(events: TeamEvent[]): OrderedEvent[] {
  return events.map((event, i) => ({ uid: i + 1, serverAt: at(i), event }));
}

describe('the team fold', () => {
  it("status and assignee: the last write in folder order wins, whatever the authors' clocks say", () => {
    const events: TeamEvent[] = [
      { ...base(50), type: 'status.changed', conversation: C, status: 'closed' },
      { ...base(10), type: 'status.changed', conversation: C, status: 'pending' },
      { ...base(0), type: 'assignee.changed', conversation: C, assignee: 'bob@example.com' },
      { ...base(0), type: 'assignee.changed', conversation: C, assignee: null },
    ];
    const state = fold(ordered(events));
    expect(state.conversations[C]?.status?.value).toBe('pending');
    expect(state.conversations[C]?.assignee?.value).toBeNull();
  });

  it('notes append in folder order and an event appended twice counts once', () => {
    const note: TeamEvent = { ...base(), type: 'note.added', conversation: C, authorName: 'Alice', text: 'first' };
    const close: TeamEvent = { ...base(), type: 'status.changed', conversation: C, status: 'closed' };
    const reopen: TeamEvent = { ...base(), type: 'status.changed', conversation: C, status: 'open' };
    // `close` was appended again after `reopen` (its first answer was lost): the repeat changes nothing.
    const state = fold(ordered([note, close, reopen, note, close, { ...base(), type: 'note.added', conversation: C, authorName: 'Bob', text: 'second' }]));
    expect(state.conversations[C]?.notes.map((x) => x.text)).toEqual(['first', 'second']);
    expect(state.conversations[C]?.status?.value).toBe('open');
  });

  it('the first round-robin proposal wins; a manual assignment before or after takes precedence', () => {
    const proposals: TeamEvent[] = [
      { ...base(), type: 'conversation.routed', conversation: C, assignee: 'carol@example.com' },
      { ...base(), type: 'conversation.routed', conversation: C, assignee: 'dan@example.com' },
    ];
    expect(fold(ordered(proposals)).conversations[C]?.assignee).toMatchObject({ value: 'carol@example.com', routed: true });
    const manualAfter = fold(ordered([...proposals, { ...base(), type: 'assignee.changed', conversation: C, assignee: 'erin@example.com' }]));
    expect(manualAfter.conversations[C]?.assignee?.value).toBe('erin@example.com');
    const manualBefore = fold(ordered([{ ...base(), type: 'assignee.changed', conversation: C, assignee: 'erin@example.com' }, ...proposals]));
    expect(manualBefore.conversations[C]?.assignee?.value).toBe('erin@example.com');
  });

  it("pending local changes apply after the folder's events, and vanish into them once read back", () => {
    const mine: TeamEvent = { ...base(), type: 'status.changed', conversation: C, status: 'closed' };
    const theirs: TeamEvent = { ...base(), type: 'status.changed', conversation: C, status: 'pending' };
    expect(fold(ordered([theirs]), [mine]).conversations[C]?.status?.value).toBe('closed');
    // Read back after theirs: the same result, and the pending copy is a no-op.
    expect(fold(ordered([theirs, mine]), [mine]).conversations[C]?.status?.value).toBe('closed');
    // Read back before theirs: theirs wins on every desktop, this one included.
    expect(fold(ordered([mine, theirs]), [mine]).conversations[C]?.status?.value).toBe('pending');
  });

  it('agents: added, renamed, moved to a new address and removed', () => {
    const state = fold(
      ordered([
        { ...base(), type: 'agent.saved', email: 'alice@example.com', name: 'Alice' },
        { ...base(), type: 'agent.saved', email: 'bob@example.com', name: 'Bob' },
        { ...base(), type: 'agent.saved', email: 'alice@example.com', name: 'Alice A.' },
        { ...base(), type: 'agent.saved', email: 'bob@new.example.com', name: 'Bob', previousEmail: 'bob@example.com' },
        { ...base(), type: 'agent.removed', email: 'alice@example.com' },
      ]),
    );
    expect(state.agents['alice@example.com']).toMatchObject({ name: 'Alice A.', removed: true });
    expect(state.agents['bob@example.com']).toMatchObject({ removed: true, movedTo: 'bob@new.example.com' });
    expect(state.agents['bob@new.example.com']).toMatchObject({ name: 'Bob', removed: false });
  });

  it('every order of the same seeds merges to the same state', () => {
    const a = fold(
      ordered([
        { ...base(), type: 'status.changed', conversation: C, status: 'closed' },
        { ...base(), type: 'note.added', conversation: C, authorName: 'A', text: 'a' },
      ]),
    );
    const later = ordered([
      { ...base(), type: 'status.changed', conversation: C, status: 'pending' },
      { ...base(), type: 'note.added', conversation: C, authorName: 'B', text: 'b' },
    ]);
    const b = fold(later.map((e) => ({ ...e, serverAt: at(30 + e.uid) })));
    const ab = fold([]);
    mergeSeed(ab, a, nothingTouched());
    mergeSeed(ab, b, nothingTouched());
    const ba = fold([]);
    mergeSeed(ba, b, nothingTouched());
    mergeSeed(ba, a, nothingTouched());
    mergeSeed(ba, a, nothingTouched());
    expect(ab.conversations).toEqual(ba.conversations);
    expect(ab.conversations[C]?.status?.value).toBe('pending');
    expect(ab.conversations[C]?.notes.map((x) => x.text).sort()).toEqual(['a', 'b']);
  });

  const mail = (second: number, count = 1) => ({ second: at(second).slice(0, 19), count });

  it('without what the agent had seen (older events): customer mail after the change reopens; before does not', () => {
    const status = { value: 'closed' as const, event: 'e', at: at(30) };
    expect(effectiveStatus(status, mail(29))).toBe('closed');
    expect(effectiveStatus(status, mail(30))).toBe('closed');
    expect(effectiveStatus(status, mail(31))).toBe('open');
    expect(effectiveStatus({ ...status, value: 'pending' }, mail(31))).toBe('open');
    expect(effectiveStatus(status, null)).toBe('closed');
    expect(effectiveStatus(undefined, mail(31))).toBeUndefined();
  });

  it('with what the agent had seen: only customer mail beyond it reopens, even in the same second or when the change is appended late', () => {
    // Closed having seen the customer's one mail of :20; appended at :40 after a time offline.
    const status = { value: 'closed' as const, event: 'e', at: at(40), seen: mail(20) };
    expect(effectiveStatus(status, mail(20))).toBe('closed');
    // A second customer mail in that same second, or a later one: the agent never saw it.
    expect(effectiveStatus(status, mail(20, 2))).toBe('open');
    expect(effectiveStatus(status, mail(30))).toBe('open');
    // Closed before any customer mail was known: any customer mail reopens it.
    expect(effectiveStatus({ ...status, seen: null }, mail(1))).toBe('open');
    // The fold keeps what the event says was seen.
    const state = fold([{ uid: 1, serverAt: at(40), event: { ...base(), type: 'status.changed', conversation: C, status: 'closed', seen: mail(20) } }]);
    expect(state.conversations[C]?.status).toMatchObject({ value: 'closed', seen: mail(20) });
  });

  it('the schema refuses malformed events rather than guessing', () => {
    expect(teamEventSchema.safeParse({ ...base(), type: 'status.changed', conversation: C, status: 'deleted' }).success).toBe(false);
    expect(teamEventSchema.safeParse({ ...base(), type: 'status.changed', conversation: '42', status: 'closed' }).success).toBe(false);
    expect(teamEventSchema.safeParse({ ...base(), id: 'not-a-uuid', type: 'agent.removed', email: 'a@example.com' }).success).toBe(false);
    expect(teamEventSchema.safeParse({ ...base(), type: 'agent.saved', email: 'A@Example.com', name: 'A' }).data).toMatchObject({ email: 'a@example.com' });
  });

  it('deleted and spam: the last write in folder order wins; new customer mail brings a deleted one back, never a spam one', () => {
    const seen = { second: '2026-12-03T08:00:00', count: 1 };
    const events: TeamEvent[] = [
      { ...base(), type: 'conversation.binned', conversation: C, bin: 'spam', seen },
      { ...base(), type: 'conversation.binned', conversation: C, bin: 'deleted', seen },
    ];
    const bin = fold(ordered(events)).conversations[C]?.bin;
    expect(bin?.value).toBe('deleted');
    expect(effectiveBin(bin, seen)).toBe('deleted');
    expect(effectiveBin(bin, { second: '2026-12-03T08:00:00', count: 2 })).toBeNull();
    expect(effectiveBin(bin, { second: '2026-12-03T09:00:00', count: 1 })).toBeNull();
    const spam = fold(ordered([...events, { ...base(), type: 'conversation.binned', conversation: C, bin: 'spam', seen }])).conversations[C]?.bin;
    expect(effectiveBin(spam, { second: '2026-12-03T09:00:00', count: 1 })).toBe('spam');
    const restored = fold(ordered([...events, { ...base(), type: 'conversation.binned', conversation: C, bin: null, seen }])).conversations[C]?.bin;
    expect(effectiveBin(restored, seen)).toBeNull();
    expect(effectiveBin(undefined, seen)).toBeUndefined();
  });

  it('saved replies: the last write per reply wins in folder order, a removal too; seeds merge by server time', () => {
    const R = 'reply-1';
    const events: TeamEvent[] = [
      { ...base(), type: 'saved-reply.saved', reply: R, name: 'Refund', body: 'v1' },
      { ...base(), type: 'saved-reply.saved', reply: 'reply-2', name: 'Hello', body: 'Hi there' },
      { ...base(), type: 'saved-reply.saved', reply: R, name: 'Refund', body: 'v2' },
    ];
    expect(fold(ordered(events)).savedReplies[R]).toMatchObject({ body: 'v2', removed: false });
    const removed = fold(ordered([...events, { ...base(), type: 'saved-reply.removed', reply: R }]));
    expect(removed.savedReplies[R]?.removed).toBe(true);
    expect(removed.savedReplies['reply-2']).toMatchObject({ name: 'Hello', removed: false });
    // Saved again after the removal: back.
    expect(
      fold(
        ordered([
          ...events,
          { ...base(), type: 'saved-reply.removed', reply: R },
          { ...base(), type: 'saved-reply.saved', reply: R, name: 'Refund', body: 'v3' },
        ]),
      ).savedReplies[R],
    ).toMatchObject({ body: 'v3', removed: false });

    const older = { ...emptyState(), savedReplies: { [R]: { name: 'Refund', body: 'old', removed: false, event: 'a', at: at(1) } } };
    const newer = { ...emptyState(), savedReplies: { [R]: { name: 'Refund', body: '', removed: true, event: 'b', at: at(5) } } };
    for (const [first, second] of [
      [older, newer],
      [newer, older],
    ] as const) {
      const state = emptyState();
      mergeSeed(state, first, nothingTouched());
      mergeSeed(state, second, nothingTouched());
      expect(state.savedReplies[R]?.removed).toBe(true);
    }
  });

  it('reads snapshots written before saved replies were shared', () => {
    const old = { v: 1, type: 'snapshot', id: id(), at: at(0), upTo: 4, uidValidity: '7', seed: false, state: { conversations: {}, agents: {}, recent: [] } };
    expect(snapshotSchema.parse(old).state.savedReplies).toEqual({});
  });
});
