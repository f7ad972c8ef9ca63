import { randomUUID } from 'node:crypto';
import type { Agent, ConversationBin, ConversationStatus } from '../../../shared/conversation';
import type { Snapshot, TeamEvent, TeamState, TeamSyncStatus } from '../../../shared/team-events';
import type { EventBus } from '../events/event-bus';
import type { IngestOutcome } from '../ingest/types';
import type { AgentRepo } from '../store/agent-repo';
import type { ChannelRecord } from '../store/channel-repo';
import type { MailStore } from '../store/mail-store';
import type { SavedReplyRepo } from '../store/saved-reply-repo';
import {
  applyEvent,
  effectiveBin,
  effectiveStatus,
  emptyConversation,
  emptyState,
  mergeSeed,
  nothingTouched,
  pendingOrder,
  resolveAgent,
  type OrderedEvent,
  type Touched,
} from './fold';
import type { TeamCursor, TeamRepo } from './team-repo';

/** How long "is replying" lasts unless refreshed; the composer refreshes it well within. */
export const PRESENCE_TTL_MS = 60_000;

/** One message read from the team folder, in UID order; malformed ones never get this far. */
export type FolderItem = { uid: number; serverAt: string; message: TeamEvent } | { uid: number; serverAt: string; seed: Snapshot };

/** The IMAP side, per channel: told when there is something to append. */
export interface TeamTransport {
  kick(channelId: string): void;
  /** Appends at once when connected; presence made offline is stale by the time it could go. */
  sendPresence(channelId: string, event: TeamEvent): void;
}

export interface TeamLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface TeamServiceDeps {
  repo: TeamRepo;
  store: MailStore;
  agents: AgentRepo;
  savedReplies: SavedReplyRepo;
  channels: { list(): ChannelRecord[]; get(id: string): ChannelRecord | undefined };
  events: EventBus;
  /** Identifies this desktop in presence, so it never shows its own agent as replying. */
  desktopId: string;
  log?: TeamLog;
  now?: () => Date;
}

interface Envelope {
  v: 1;
  id: string;
  at: string;
  by: string;
}

interface Presence {
  name: string;
  until: number;
}

/**
 * The team's shared state on this desktop: changes agents make here (shown at once, queued for the
 * team folder), the folder's events applied in UID order (team/fold.ts), and what both mean for the
 * conversations and agents stored here. The conversations table shows the fold of the folder plus
 * this desktop's changes not yet read back from it.
 */
export class TeamService {
  private readonly now: () => Date;
  private transport: TeamTransport | undefined;
  /** Per channel, per conversation reference, per desktop: who is replying until when. */
  private readonly presence = new Map<string, Map<string, Map<string, Presence>>>();
  private readonly presenceTimers = new Set<NodeJS.Timeout>();
  private readonly statuses = new Map<string, TeamSyncStatus>();
  private statusListener: (() => void) | undefined;

  constructor(private readonly deps: TeamServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  attach(transport: TeamTransport): void {
    this.transport = transport;
  }

  close(): void {
    for (const timer of this.presenceTimers) clearTimeout(timer);
    this.presenceTimers.clear();
  }

  // ---- what agents do here ----

  setStatus(conversationId: number, status: ConversationStatus): boolean {
    const seen = this.deps.repo.newestCustomerMail(conversationId);
    return this.change(
      conversationId,
      (base) => ({ ...base, type: 'status.changed', status, seen }),
      () => this.deps.store.setStatus(conversationId, status),
    );
  }

  assign(conversationId: number, agentId: number | null): boolean {
    const agent = agentId === null ? null : this.deps.agents.get(agentId);
    return this.change(
      conversationId,
      (base) => ({ ...base, type: 'assignee.changed', assignee: agent ? agent.email.toLowerCase() : null }),
      () => this.deps.store.assign(conversationId, agentId),
    );
  }

  /** Deletes, marks as spam, or (null) restores; false when the conversation does not exist. */
  setBin(conversationId: number, bin: ConversationBin | null): boolean {
    const seen = this.deps.repo.newestCustomerMail(conversationId);
    return this.change(
      conversationId,
      (base) => ({ ...base, type: 'conversation.binned', bin, seen }),
      () => this.deps.store.setBin(conversationId, bin),
    );
  }

  /** The note's message id here; undefined when the conversation does not exist. */
  addNote(conversationId: number, text: string): number | undefined {
    const me = this.me();
    const eventId = randomUUID();
    const stored = this.change(
      conversationId,
      (base) => ({ ...base, id: eventId, type: 'note.added', authorName: me?.name ?? '', text }),
      () => {
        const conversation = this.deps.store.conversation(conversationId);
        if (!conversation) return false;
        this.insertNote(conversationId, conversation.channelId, {
          id: eventId,
          by: me?.email ?? '',
          authorName: me?.name ?? '',
          text,
          writtenAt: this.now().toISOString(),
        });
        return true;
      },
    );
    if (!stored) return undefined;
    return this.deps.store.noteByTeamEvent(eventId);
  }

  /** An agent was added or changed here: the team hears of it on every channel. */
  agentSaved(agent: Agent, previousEmail: string | undefined): void {
    const previous = previousEmail && previousEmail.toLowerCase() !== agent.email.toLowerCase() ? previousEmail.toLowerCase() : undefined;
    this.broadcast((base) => ({
      ...base,
      type: 'agent.saved',
      email: agent.email.toLowerCase(),
      name: agent.name,
      ...(previous ? { previousEmail: previous } : {}),
    }));
  }

  agentRemoved(email: string): void {
    this.broadcast((base) => ({ ...base, type: 'agent.removed', email: email.toLowerCase() }));
  }

  /** A saved reply was added or changed here: every channel's team gets the whole of it. */
  savedReplySaved(reply: { teamId: string; name: string; body: string }): void {
    this.broadcast((base) => ({ ...base, type: 'saved-reply.saved', reply: reply.teamId, name: reply.name, body: reply.body }));
  }

  savedReplyRemoved(teamId: string): void {
    this.broadcast((base) => ({ ...base, type: 'saved-reply.removed', reply: teamId }));
  }

  /** The composer has text (`active`) or was emptied or sent: the team sees "… is replying" or not. */
  replying(conversationId: number, active: boolean): void {
    const conversation = this.deps.store.conversation(conversationId);
    const ref = conversation ? this.deps.repo.refOf(conversationId) : null;
    if (!conversation || !ref) return;
    const me = this.me();
    const until = active ? new Date(this.now().getTime() + PRESENCE_TTL_MS).toISOString() : null;
    this.transport?.sendPresence(conversation.channelId, {
      ...this.envelope(),
      type: 'presence',
      conversation: ref,
      desktop: this.deps.desktopId,
      name: me?.name ?? 'Someone',
      until,
    });
  }

  /** Names of the agents on other desktops writing a reply in this conversation now. */
  replyingIn(conversationId: number, channelId: string): string[] {
    const byRef = this.presence.get(channelId);
    if (!byRef || byRef.size === 0) return [];
    const ref = this.deps.repo.refOf(conversationId);
    const desktops = ref ? byRef.get(ref) : undefined;
    if (!desktops) return [];
    const now = this.now().getTime();
    return [...desktops.values()].filter((p) => p.until > now).map((p) => p.name);
  }

  // ---- sync status, for the channel card ----

  onStatus(listener: () => void): void {
    this.statusListener = listener;
  }

  setSyncStatus(channelId: string, status: Omit<TeamSyncStatus, 'waiting'>): void {
    const next = { ...status, waiting: this.deps.repo.waiting(channelId) };
    const previous = this.statuses.get(channelId);
    this.statuses.set(channelId, next);
    if (!previous || JSON.stringify(previous) !== JSON.stringify(next)) this.statusListener?.();
  }

  /** Changes were queued: the card's "N waiting" follows. */
  private queued(channelId: string): void {
    const status = this.statuses.get(channelId);
    if (status) this.setSyncStatus(channelId, status);
    this.transport?.kick(channelId);
  }

  syncStatus(channelId: string): TeamSyncStatus | undefined {
    const status = this.statuses.get(channelId);
    if (!status) return undefined;
    const waiting = this.deps.repo.waiting(channelId);
    if (status.state === 'offline' && waiting > 0)
      return { ...status, waiting, message: `Offline — ${waiting} change${waiting === 1 ? '' : 's'} waiting. ${status.message}` };
    return { ...status, waiting };
  }

  // ---- the folder's side ----

  /** Applies messages read from the folder, in UID order, and moves the cursor, in one transaction. */
  apply(channelId: string, items: readonly FolderItem[], cursor: TeamCursor): void {
    const { repo } = this.deps;
    const refs = new Set(items.flatMap((item) => ('message' in item && 'conversation' in item.message ? [item.message.conversation] : [])));
    for (const item of items) if ('seed' in item) for (const ref of Object.keys(item.seed.state.conversations)) refs.add(ref);
    const touched = nothingTouched();
    const routed: string[] = [];
    repo.transaction(() => {
      const state = repo.load(channelId, refs);
      for (const item of items) {
        if ('seed' in item) {
          mergeSeed(state, item.seed.state, touched);
          continue;
        }
        const ordered: OrderedEvent = { uid: item.uid, serverAt: item.serverAt, event: item.message };
        applyEvent(state, ordered, touched);
        if (item.message.type === 'conversation.routed' && state.conversations[item.message.conversation]?.assignee?.event === item.message.id) {
          routed.push(item.message.assignee);
        }
        if (item.message.type === 'presence') this.notePresence(channelId, item.message);
      }
      repo.save(channelId, state, touched);
      repo.confirm(
        channelId,
        items.flatMap((item) => ('message' in item ? [item.message.id] : [])),
      );
      repo.saveCursor(cursor);
      // Round-robin continues after the team's last winner, so the next proposal here is the team's next.
      const winner = routed.at(-1);
      const winnerId = winner ? this.deps.agents.byEmail(winner)?.id : undefined;
      if (winnerId !== undefined) this.deps.store.setLastRoutedAgent(channelId, winnerId);
    });
    this.projectAll(channelId, touched);
  }

  /** A snapshot newer than what was read here: the state becomes the snapshot's. */
  replaceWithSnapshot(channelId: string, snapshot: Snapshot, cursor: TeamCursor): void {
    const { repo } = this.deps;
    repo.transaction(() => {
      repo.replace(channelId, snapshot.state);
      repo.confirmCovered(channelId, snapshot.upTo);
      repo.saveCursor(cursor);
    });
    this.projectAll(channelId, {
      conversations: new Set(repo.allRefs(channelId)),
      agents: new Set(Object.keys(snapshot.state.agents)),
      savedReplies: new Set(Object.keys(snapshot.state.savedReplies)),
    });
  }

  /**
   * The folder was lost or renumbered: this desktop's state goes back in as a seed (the caller has
   * appended it), then the new folder is read from the start.
   */
  restart(channelId: string, cursor: TeamCursor): void {
    const { repo } = this.deps;
    repo.transaction(() => {
      repo.replace(channelId, emptyState());
      repo.requeueAll(channelId);
      repo.saveCursor(cursor);
    });
  }

  /**
   * First time this desktop reads a channel's folder: agents and saved replies known only here join
   * the team's.
   */
  joined(channelId: string): void {
    const known = this.deps.repo.load(channelId, []);
    const pendingEvents = this.deps.repo.pendingTeamWide(channelId);
    const pending = new Set(pendingEvents.map((event) => ('email' in event ? event.email : '')));
    const unknown = this.deps.agents.list().filter((agent) => !known.agents[agent.email.toLowerCase()] && !pending.has(agent.email.toLowerCase()));
    for (const agent of unknown)
      this.deps.repo.enqueue(channelId, { ...this.envelope(), type: 'agent.saved', email: agent.email.toLowerCase(), name: agent.name });
    const pendingReplies = new Set(pendingEvents.map((event) => ('reply' in event ? event.reply : '')));
    const replies = this.deps.savedReplies.listWithTeamIds().filter((reply) => !known.savedReplies[reply.teamId] && !pendingReplies.has(reply.teamId));
    for (const reply of replies)
      this.deps.repo.enqueue(channelId, { ...this.envelope(), type: 'saved-reply.saved', reply: reply.teamId, name: reply.name, body: reply.body });
    if (unknown.length > 0 || replies.length > 0) this.queued(channelId);
  }

  /** Mail was stored: team state waiting for it applies now, and new conversations get a round-robin proposal. */
  afterIngest(channelId: string, outcome: IngestOutcome): void {
    const { repo, store } = this.deps;
    const refs = new Set<string>();
    for (const id of outcome.touched) for (const ref of repo.refsIn(channelId, id)) refs.add(ref);
    let proposed = false;
    for (const id of outcome.created) {
      const conversation = store.conversation(id);
      const ref = repo.refOf(id);
      if (!conversation || conversation.assigneeId === null || !ref || refs.has(ref)) continue;
      const agent = this.deps.agents.get(conversation.assigneeId);
      if (!agent) continue;
      repo.enqueue(channelId, { ...this.envelope(), type: 'conversation.routed', conversation: ref, assignee: agent.email.toLowerCase() });
      proposed = true;
    }
    if (refs.size > 0) this.projectAll(channelId, { conversations: refs, agents: new Set(), savedReplies: new Set() });
    if (proposed) this.queued(channelId);
  }

  // ---- projection: the fold plus this desktop's pending changes, onto the stored conversations ----

  private projectAll(channelId: string, touched: Touched): void {
    const changed = new Set<number>();
    let agentsChanged = false;
    let repliesChanged = false;
    this.deps.repo.transaction(() => {
      const state = this.deps.repo.load(channelId, touched.conversations);
      if (touched.agents.size > 0) agentsChanged = this.projectAgents(channelId, state);
      if (touched.savedReplies.size > 0) repliesChanged = this.projectSavedReplies(channelId, state, touched.savedReplies);
      // An agent who left or changed address changes every conversation assigned to them.
      const refs = agentsChanged ? this.deps.repo.allRefs(channelId) : [...touched.conversations];
      const full = agentsChanged ? this.deps.repo.load(channelId, refs) : state;
      for (const ref of refs) {
        const id = this.project(channelId, ref, full);
        if (id !== undefined) changed.add(id);
      }
    });
    if (agentsChanged) this.deps.events.emit('agents:changed', {});
    if (repliesChanged) this.deps.events.emit('saved-replies:changed', {});
    if (changed.size > 0) this.deps.events.emit('conversations:changed', { ids: [...changed], created: [] });
  }

  /** Applies one conversation's team state here; its id when anything changed. */
  private project(channelId: string, ref: string, confirmed: TeamState): number | undefined {
    const { repo, store } = this.deps;
    const id = repo.conversationFor(channelId, ref);
    if (id === undefined) return undefined;
    const current = store.conversation(id);
    if (!current) return undefined;
    const state: TeamState = {
      conversations: { [ref]: structuredClone(confirmed.conversations[ref] ?? emptyConversation()) },
      agents: structuredClone(confirmed.agents),
      savedReplies: {},
      recent: [...confirmed.recent],
    };
    const ignored = nothingTouched();
    for (const event of [...repo.pendingFor(channelId, ref), ...repo.pendingTeamWide(channelId)]) applyEvent(state, pendingOrder(event), ignored);
    const conversation = state.conversations[ref] ?? emptyConversation();
    let changed = false;

    const newest = repo.newestCustomerMail(id);
    const status = effectiveStatus(conversation.status, newest);
    if (status && status !== current.status) changed = store.setStatus(id, status) || changed;
    const bin = effectiveBin(conversation.bin, newest);
    if (bin !== undefined && bin !== (current.bin ?? null)) changed = store.setBin(id, bin) || changed;
    if (conversation.assignee) {
      const agentId = this.localAgent(conversation.assignee.value, state);
      if (agentId !== current.assigneeId) changed = store.assign(id, agentId) || changed;
    }
    for (const note of conversation.notes) {
      if (repo.noteStored(note.id)) continue;
      this.insertNote(id, channelId, note);
      changed = true;
    }
    return changed ? id : undefined;
  }

  /** The agents table as the team's roster says (plus changes made here not yet read back). */
  private projectAgents(channelId: string, confirmed: TeamState): boolean {
    const state: TeamState = { conversations: {}, agents: structuredClone(confirmed.agents), savedReplies: {}, recent: [...confirmed.recent] };
    const ignored = nothingTouched();
    for (const event of this.deps.repo.pendingTeamWide(channelId)) applyEvent(state, pendingOrder(event), ignored);
    const { agents } = this.deps;
    let changed = false;
    for (const [email, agent] of Object.entries(state.agents)) {
      const local = agents.byEmail(email);
      if (agent.removed) {
        if (local && agents.delete(local.id)) changed = true;
      } else if (!local) {
        agents.insert({ name: agent.name, email });
        changed = true;
      } else if (local.name !== agent.name) {
        agents.update({ ...local, name: agent.name });
        changed = true;
      }
    }
    return changed;
  }

  /** The saved replies table as the team's say (plus changes made here not yet read back). */
  private projectSavedReplies(channelId: string, confirmed: TeamState, touched: ReadonlySet<string>): boolean {
    const state: TeamState = { conversations: {}, agents: {}, savedReplies: structuredClone(confirmed.savedReplies), recent: [...confirmed.recent] };
    const ignored = nothingTouched();
    for (const event of this.deps.repo.pendingTeamWide(channelId)) applyEvent(state, pendingOrder(event), ignored);
    let changed = false;
    for (const teamId of touched) {
      const reply = state.savedReplies[teamId];
      if (!reply) continue;
      if (reply.removed) changed = this.deps.savedReplies.removeByTeamId(teamId) || changed;
      else changed = this.deps.savedReplies.putFromTeam({ teamId, name: reply.name, body: reply.body }, reply.at) || changed;
    }
    return changed;
  }

  private localAgent(email: string | null, state: TeamState): number | null {
    if (email === null) return null;
    const resolved = resolveAgent(state.agents, email);
    // An assignee the roster does not know (yet) is still shown: as the address it was given.
    const address = resolved?.email ?? email;
    if (!resolved && state.agents[email]?.removed) return null;
    const local = this.deps.agents.byEmail(address);
    if (local) return local.id;
    return this.deps.agents.insert({ name: resolved?.state.name ?? address, email: address }).id;
  }

  private insertNote(conversationId: number, channelId: string, note: { id: string; by: string; authorName: string; text: string; writtenAt: string }): void {
    const { store } = this.deps;
    const conversation = store.conversation(conversationId);
    if (!conversation) return;
    const author = note.by ? this.deps.agents.byEmail(note.by) : undefined;
    store.insertMessage(
      {
        conversationId,
        channelId,
        direction: 'note',
        kind: 'normal',
        messageId: null,
        inReplyTo: null,
        references: [],
        dedupeKey: null,
        subject: conversation.subject,
        from: { name: note.authorName || author?.name || 'Me', address: note.by },
        to: [],
        cc: [],
        date: note.writtenAt,
        arrivedAt: note.writtenAt,
        text: note.text,
        html: null,
        parseError: null,
        raw: null,
        rawPath: null,
        size: Buffer.byteLength(note.text),
        authorAgentId: author?.id ?? null,
        teamEventId: note.id,
        createdAt: this.now().toISOString(),
        attachments: [],
      },
      // A note is not customer activity: the inbox order and snippet stay as they were.
      { at: note.writtenAt, unread: false, reopen: false, summary: false },
    );
  }

  // ---- helpers ----

  private me(): Agent | undefined {
    const id = this.deps.agents.meAgentId();
    return id === null ? undefined : this.deps.agents.get(id);
  }

  private envelope(): Envelope {
    return { v: 1, id: randomUUID(), at: this.now().toISOString(), by: this.me()?.email.toLowerCase() ?? '' };
  }

  /**
   * A change to one conversation: shown here at once through `local`, queued for the team folder
   * when the conversation has a name the team shares (mail without any header to name it by stays
   * local). False when the conversation does not exist.
   */
  private change(conversationId: number, make: (base: Envelope & { conversation: string }) => TeamEvent, local: () => boolean): boolean {
    const { repo, store } = this.deps;
    const conversation = store.conversation(conversationId);
    if (!conversation) return false;
    const ref = repo.refOf(conversationId);
    const teamed = ref !== null && this.deps.channels.get(conversation.channelId) !== undefined;
    const done = repo.transaction(() => {
      if (!local()) return false;
      if (teamed) repo.enqueue(conversation.channelId, make({ ...this.envelope(), conversation: ref }));
      return true;
    });
    if (done && teamed) this.queued(conversation.channelId);
    return done;
  }

  private broadcast(make: (base: Envelope) => TeamEvent): void {
    const base = this.envelope();
    const channels = this.deps.channels.list();
    this.deps.repo.transaction(() => {
      for (const channel of channels) this.deps.repo.enqueue(channel.id, make(base));
    });
    for (const channel of channels) this.queued(channel.id);
  }

  private notePresence(channelId: string, event: Extract<TeamEvent, { type: 'presence' }>): void {
    if (event.desktop === this.deps.desktopId) return;
    const byRef = this.presence.get(channelId) ?? new Map<string, Map<string, Presence>>();
    this.presence.set(channelId, byRef);
    const desktops = byRef.get(event.conversation) ?? new Map<string, Presence>();
    byRef.set(event.conversation, desktops);
    const until = event.until ? Date.parse(event.until) : 0;
    const now = this.now().getTime();
    if (until <= now) {
      // Presence read long after it lapsed (catching up) changes nothing on screen.
      if (!desktops.delete(event.desktop)) return;
    } else {
      desktops.set(event.desktop, { name: event.name, until });
      // When it lapses without a word (the other desktop went away), the list and the view update.
      const timer = setTimeout(
        () => {
          this.presenceTimers.delete(timer);
          const entry = desktops.get(event.desktop);
          if (entry && entry.until <= this.now().getTime()) desktops.delete(event.desktop);
          this.presenceChanged(channelId, event.conversation);
        },
        until - now + 50,
      );
      timer.unref?.();
      this.presenceTimers.add(timer);
    }
    this.presenceChanged(channelId, event.conversation);
  }

  private presenceChanged(channelId: string, ref: string): void {
    const id = this.deps.repo.conversationFor(channelId, ref);
    if (id !== undefined) this.deps.events.emit('conversations:changed', { ids: [id], created: [] });
  }
}
