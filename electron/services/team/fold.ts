import type { ConversationBin, ConversationStatus } from '../../../shared/conversation';
import type { AgentState, ConversationState, NewestCustomerMail, Snapshot, TeamEvent, TeamState } from '../../../shared/team-events';

/**
 * The team's state as a deterministic fold of the folder's events in UID order. Every desktop that
 * applies the same events in the same order holds the same state:
 *  - status, assignee, bin (deleted/spam) and each saved reply: the last write wins (folder order);
 *  - a round-robin proposal counts only while nobody has set the assignee yet, so the first one in
 *    folder order wins and a later manual assignment overrides it;
 *  - notes are append-only, deduplicated by event id;
 *  - an event id seen before is ignored as a whole (an event appended twice counts once);
 *  - presence is not state: the caller shows it and lets it expire.
 */

/** One event as read from the folder: its UID and the server's arrival time (INTERNALDATE). */
export interface OrderedEvent {
  uid: number;
  serverAt: string;
  event: TeamEvent;
}

/** How many event ids the state remembers (and a snapshot carries) for deduplication. */
export const RECENT_IDS = 2000;

export function emptyState(): TeamState {
  return { conversations: {}, agents: {}, savedReplies: {}, recent: [] };
}

export function emptyConversation(): ConversationState {
  return { notes: [] };
}

/** What one event changed, so the caller updates only those conversations and agents. */
export interface Touched {
  conversations: Set<string>;
  agents: Set<string>;
  savedReplies: Set<string>;
}

export function nothingTouched(): Touched {
  return { conversations: new Set(), agents: new Set(), savedReplies: new Set() };
}

/**
 * Applies one event to `state` in place (callers that need the old state copy it first). `seen`
 * answers for ids older than `state.recent` remembers (the caller's store of every id applied).
 */
export function applyEvent(state: TeamState, ordered: OrderedEvent, touched: Touched, seen: (id: string) => boolean = () => false): void {
  const { event, serverAt } = ordered;
  if (event.type === 'presence') return;
  if (state.recent.includes(event.id) || seen(event.id)) return;
  state.recent.push(event.id);
  if (state.recent.length > RECENT_IDS) state.recent.splice(0, state.recent.length - RECENT_IDS);
  const stamp = { event: event.id, at: serverAt };

  switch (event.type) {
    case 'agent.saved': {
      if (event.previousEmail && event.previousEmail !== event.email) {
        const old = state.agents[event.previousEmail];
        state.agents[event.previousEmail] = { name: old?.name ?? event.name, removed: true, movedTo: event.email, ...stamp };
        touched.agents.add(event.previousEmail);
      }
      state.agents[event.email] = { name: event.name, removed: false, ...stamp };
      touched.agents.add(event.email);
      return;
    }
    case 'agent.removed': {
      const old = state.agents[event.email];
      state.agents[event.email] = { name: old?.name ?? event.email, removed: true, ...stamp };
      touched.agents.add(event.email);
      return;
    }
    case 'saved-reply.saved':
      state.savedReplies[event.reply] = { name: event.name, body: event.body, removed: false, ...stamp };
      touched.savedReplies.add(event.reply);
      return;
    case 'saved-reply.removed': {
      const old = state.savedReplies[event.reply];
      state.savedReplies[event.reply] = { name: old?.name ?? '', body: old?.body ?? '', removed: true, ...stamp };
      touched.savedReplies.add(event.reply);
      return;
    }
    default: {
      const conversation = (state.conversations[event.conversation] ??= emptyConversation());
      touched.conversations.add(event.conversation);
      if (event.type === 'status.changed') conversation.status = { value: event.status, ...(event.seen !== undefined ? { seen: event.seen } : {}), ...stamp };
      else if (event.type === 'assignee.changed') conversation.assignee = { value: event.assignee, routed: false, ...stamp };
      else if (event.type === 'conversation.binned') conversation.bin = { value: event.bin, seen: event.seen, ...stamp };
      else if (event.type === 'conversation.routed') {
        if (!conversation.assignee) conversation.assignee = { value: event.assignee, routed: true, ...stamp };
      } else if (!conversation.notes.some((note) => note.id === event.id)) {
        conversation.notes.push({ id: event.id, by: event.by, authorName: event.authorName, text: event.text, writtenAt: event.at });
      }
    }
  }
}

/** The whole fold: a state from events in folder order, then this desktop's changes not yet appended. */
export function fold(events: readonly OrderedEvent[], pending: readonly TeamEvent[] = [], start: TeamState = emptyState()): TeamState {
  const state = structuredClone(start);
  const touched = nothingTouched();
  for (const ordered of events) applyEvent(state, ordered, touched);
  for (const event of pending) applyEvent(state, pendingOrder(event), touched);
  return state;
}

/** A change made here and not yet in the folder is ordered after everything there, at its own time. */
export function pendingOrder(event: TeamEvent): OrderedEvent {
  return { uid: Number.MAX_SAFE_INTEGER, serverAt: event.at, event };
}

/** Later server time wins; the same second is decided by event id, so the merge is order-free. */
function newer(a: { at: string; event: string } | undefined, b: { at: string; event: string } | undefined): boolean {
  if (!b) return false;
  if (!a) return true;
  return b.at > a.at || (b.at === a.at && b.event > a.event);
}

/**
 * Merges a seed (a desktop's state written after the folder was lost or renumbered) into `state`.
 * Commutative and idempotent, so seeds from several desktops converge in any order.
 */
export function mergeSeed(state: TeamState, seed: Snapshot['state'], touched: Touched): void {
  for (const [key, theirs] of Object.entries(seed.conversations)) {
    const ours = (state.conversations[key] ??= emptyConversation());
    if (newer(ours.status, theirs.status)) ours.status = theirs.status;
    if (newer(ours.assignee, theirs.assignee)) ours.assignee = theirs.assignee;
    if (newer(ours.bin, theirs.bin)) ours.bin = theirs.bin;
    const known = new Set(ours.notes.map((note) => note.id));
    for (const note of theirs.notes) if (!known.has(note.id)) ours.notes.push(note);
    ours.notes.sort((a, b) => (a.writtenAt === b.writtenAt ? (a.id < b.id ? -1 : 1) : a.writtenAt < b.writtenAt ? -1 : 1));
    touched.conversations.add(key);
  }
  for (const [email, theirs] of Object.entries(seed.agents)) {
    if (newer(state.agents[email], theirs)) state.agents[email] = theirs;
    touched.agents.add(email);
  }
  for (const [reply, theirs] of Object.entries(seed.savedReplies)) {
    if (newer(state.savedReplies[reply], theirs)) state.savedReplies[reply] = theirs;
    touched.savedReplies.add(reply);
  }
  const recent = new Set(state.recent);
  for (const id of seed.recent) if (!recent.has(id)) state.recent.push(id);
  if (state.recent.length > RECENT_IDS) state.recent.splice(0, state.recent.length - RECENT_IDS);
}

/**
 * The status a desktop shows: customer mail the agent had not seen when setting the status reopens
 * the conversation. What was seen is carried in the event as the newest customer mail then (its
 * arrival second at the server and how many arrived in that second); arrival times come from the
 * server, so every desktop agrees whatever it imported first, and a reply in the same second as the
 * mail before it, or a change appended late, is still told apart. Events without it compare with
 * their own time. Without a status from the team, the status the mail gave it stays.
 */
export function effectiveStatus(status: ConversationState['status'], newest: NewestCustomerMail | null): ConversationStatus | undefined {
  if (!status) return undefined;
  if (status.value === 'open' || newest === null) return status.value;
  const { seen } = status;
  const unseen =
    seen === undefined
      ? newest.second > status.at.slice(0, 19)
      : seen === null || newest.second > seen.second || (newest.second === seen.second && newest.count > seen.count);
  return unseen ? 'open' : status.value;
}

/** Customer mail newer than what the agent had seen when deleting: the conversation is back in the queues. Spam stays spam. */
export function effectiveBin(bin: ConversationState['bin'], newest: NewestCustomerMail | null): ConversationBin | null | undefined {
  if (!bin) return undefined;
  if (bin.value !== 'deleted' || newest === null) return bin.value;
  const { seen } = bin;
  const unseen = seen === null || newest.second > seen.second || (newest.second === seen.second && newest.count > seen.count);
  return unseen ? null : 'deleted';
}

/** An agent by email, following address changes; undefined when unknown or removed. */
export function resolveAgent(agents: TeamState['agents'], email: string): { email: string; state: AgentState } | undefined {
  let current = email;
  for (let hops = 0; hops < 20; hops += 1) {
    const state = agents[current];
    if (!state) return undefined;
    if (!state.movedTo) return state.removed ? undefined : { email: current, state };
    current = state.movedTo;
  }
  return undefined;
}
