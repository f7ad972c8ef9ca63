import type { Agent, BulkPatch, ConversationDetail, ConversationStatus, ConversationSummary, InboxCounts, Message } from '../../../shared/conversation';
import type { ParsedInput } from '../../../shared/contract';
import { AppFailure, notFound } from '../../../shared/errors';
import type { EventBus } from '../events/event-bus';
import { readRaw } from '../store/raw-store';
import type { SavedReply, SavedReplyInput } from '../../../shared/saved-replies';
import type { AgentRepo } from '../store/agent-repo';
import type { SavedReplyRepo } from '../store/saved-reply-repo';
import type { ConversationPage, MailStore } from '../store/mail-store';
import type { MailboxMover } from '../imap/mailbox-mover';
import type { TeamService } from '../team/team-service';

export const RAW_VIEW_LIMIT = 2 * 1024 * 1024;

export interface ConversationServiceDeps {
  store: MailStore;
  agents: AgentRepo;
  savedReplies: SavedReplyRepo;
  events: EventBus;
  /** Shares statuses, assignments, notes, deletions, spam, the roster and saved replies with the team's other desktops. */
  team: TeamService;
  /** Moves deleted or spam mail to the server's Trash or Junk folder where a channel asks for it; without, the server is left alone. */
  moves?: Pick<MailboxMover, 'binned'>;
  now?: () => Date;
}

/** What agents do in the inbox: list, open, set status, assign, write notes; and who the agents are. */
export class ConversationService {
  private readonly now: () => Date;

  constructor(private readonly deps: ConversationServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  list(input: ParsedInput<'conversations:list'>): ConversationPage {
    const page = this.deps.store.list({ ...input, meAgentId: this.deps.agents.meAgentId() });
    return { ...page, items: page.items.map((item) => this.withReplying(item)) };
  }

  count(channelId?: string): InboxCounts {
    return this.deps.store.counts(this.deps.agents.meAgentId(), channelId);
  }

  /** The conversation with its messages; reading it changes nothing. */
  get(id: number): ConversationDetail {
    return this.detail(id);
  }

  /** The agent opened the conversation: it is read on this desktop. */
  markRead(id: number): Record<string, never> {
    if (!this.deps.store.conversation(id)) throw notFound('conversation');
    if (this.deps.store.markRead(id)) this.changed([id]);
    return {};
  }

  /** The customer's other conversations, for the panel beside the one being read. */
  byCustomer(input: ParsedInput<'conversations:list-by-customer'>): { items: ConversationSummary[]; total: number } {
    return this.deps.store.byCustomer(input.address, input.excludeId ?? null, input.limit);
  }

  summary(id: number): ConversationSummary {
    const record = this.deps.store.conversation(id);
    if (!record) throw notFound('conversation');
    const { token: _token, ...summary } = record;
    return summary;
  }

  setStatus(id: number, status: ConversationStatus): ConversationDetail {
    if (!this.deps.team.setStatus(id, status)) throw notFound('conversation');
    this.changed([id]);
    return this.detail(id);
  }

  assign(id: number, agentId: number | null): ConversationDetail {
    if (agentId !== null && !this.deps.agents.get(agentId)) throw notFound('agent');
    if (!this.deps.team.assign(id, agentId)) throw notFound('conversation');
    this.changed([id]);
    return this.detail(id);
  }

  /** The agent here is writing a reply (`active`), or stopped or sent it: the team sees it. */
  setReplying(id: number, active: boolean): Record<string, never> {
    this.deps.team.replying(id, active);
    return {};
  }

  /**
   * One change to many conversations (a bulk action, or one on the open conversation); conversations
   * that no longer exist are skipped. Status, assignee and bin (delete, spam, restore) go through the
   * team like a single change; read state is this desktop's own. Into or out of a bin, the channel's
   * opt-in move of the customer's mail on the server is queued or dropped.
   */
  updateMany(ids: readonly number[], patch: BulkPatch): { ids: number[] } {
    const { status, assigneeId, unread, bin } = patch;
    if (assigneeId !== undefined && assigneeId !== null && !this.deps.agents.get(assigneeId)) throw notFound('agent');
    let changed = [...new Set(ids)];
    if (status !== undefined) changed = changed.filter((id) => this.deps.team.setStatus(id, status));
    if (assigneeId !== undefined) changed = changed.filter((id) => this.deps.team.assign(id, assigneeId));
    if (unread !== undefined) changed = this.deps.store.setUnread(changed, unread);
    if (bin !== undefined) {
      changed = changed.filter((id) => this.deps.team.setBin(id, bin));
      this.deps.moves?.binned(changed, bin);
    }
    if (changed.length > 0) this.changed(changed);
    return { ids: changed };
  }

  /** Notes are stored as messages with direction 'note'; nothing ever sends them. The team gets them. */
  addNote(id: number, text: string): Message {
    const messageId = this.deps.team.addNote(id, text);
    if (messageId === undefined) throw notFound('conversation');
    this.changed([id]);
    const message = this.deps.store.message(messageId);
    if (!message) throw notFound('message');
    return message;
  }

  async raw(messageId: number): Promise<{ raw: string; truncated: boolean }> {
    const stored = this.deps.store.raw(messageId);
    if (!stored) throw notFound('message');
    const { bytes, truncated } = await readRaw(stored, RAW_VIEW_LIMIT);
    return { raw: bytes.toString('utf8'), truncated };
  }

  // ---- agents and settings ----

  agentsList(): Agent[] {
    return this.deps.agents.list();
  }

  saveAgent(input: ParsedInput<'agents:save'>): Agent {
    const { agents } = this.deps;
    const clash = agents.byEmail(input.email);
    if (clash && clash.id !== input.id) {
      throw new AppFailure({
        code: 'VALIDATION_FAILED',
        message: `${input.email} already belongs to ${clash.name}.`,
        retryable: false,
        fields: [{ path: 'email', message: 'Another agent has this email address' }],
      });
    }
    let saved: Agent;
    let previousEmail: string | undefined;
    if (input.id === undefined) saved = agents.insert({ name: input.name, email: input.email });
    else {
      previousEmail = agents.get(input.id)?.email;
      if (!agents.update({ id: input.id, name: input.name, email: input.email })) throw notFound('agent');
      saved = agents.get(input.id)!;
    }
    this.deps.team.agentSaved(saved, previousEmail);
    this.deps.events.emit('agents:changed', {});
    return saved;
  }

  /** The agent's own signature; only on this desktop (it goes on the replies sent from here). */
  setAgentSignature(input: ParsedInput<'agents:set-signature'>): Agent {
    if (!this.deps.agents.setSignature(input.id, input.signature.replace(/\s+$/, ''))) throw notFound('agent');
    this.deps.events.emit('agents:changed', {});
    return this.deps.agents.get(input.id)!;
  }

  deleteAgent(id: number): { id: number } {
    const agent = this.deps.agents.get(id);
    if (!agent || !this.deps.agents.delete(id)) throw notFound('agent');
    this.deps.team.agentRemoved(agent.email);
    this.deps.events.emit('agents:changed', {});
    // Their conversations went back to the unassigned queue.
    this.deps.events.emit('conversations:changed', { ids: [], created: [] });
    return { id };
  }

  // ---- saved replies ----

  savedRepliesList(): SavedReply[] {
    return this.deps.savedReplies.list();
  }

  saveSavedReply(input: SavedReplyInput): SavedReply {
    const { savedReplies } = this.deps;
    const at = this.now().toISOString();
    let saved: SavedReply & { teamId: string };
    if (input.id === undefined) saved = savedReplies.add(input, at);
    else {
      const existing = savedReplies.get(input.id);
      if (!existing || !savedReplies.update({ id: input.id, name: input.name, body: input.body }, at)) throw notFound('saved reply');
      saved = { ...existing, name: input.name, body: input.body, updatedAt: at };
    }
    this.deps.team.savedReplySaved(saved);
    this.deps.events.emit('saved-replies:changed', {});
    const { teamId: _teamId, ...reply } = saved;
    return reply;
  }

  deleteSavedReply(id: number): { id: number } {
    const existing = this.deps.savedReplies.get(id);
    if (!existing || !this.deps.savedReplies.remove(id)) throw notFound('saved reply');
    this.deps.team.savedReplyRemoved(existing.teamId);
    this.deps.events.emit('saved-replies:changed', {});
    return { id };
  }

  settings(): { meAgentId: number | null } {
    return { meAgentId: this.deps.agents.meAgentId() };
  }

  setMe(agentId: number | null): { meAgentId: number | null } {
    if (agentId !== null && !this.deps.agents.get(agentId)) throw notFound('agent');
    this.deps.agents.setMeAgentId(agentId);
    this.deps.events.emit('agents:changed', {});
    return this.settings();
  }

  private detail(id: number): ConversationDetail {
    return { conversation: this.withReplying(this.summary(id)), messages: this.deps.store.messages(id) };
  }

  private withReplying<T extends { id: number; channelId: string }>(conversation: T): T & { replying: string[] } {
    return { ...conversation, replying: this.deps.team.replyingIn(conversation.id, conversation.channelId) };
  }

  private changed(ids: number[]): void {
    this.deps.events.emit('conversations:changed', { ids, created: [] });
  }
}
