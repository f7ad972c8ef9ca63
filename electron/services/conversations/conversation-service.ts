import type { Agent, ConversationDetail, ConversationStatus, Message } from '../../../shared/conversation';
import type { ParsedInput } from '../../../shared/contract';
import { AppFailure } from '../../../shared/errors';
import type { EventBus } from '../../core/event-bus';
import { readRaw } from '../ingest/raw-store';
import type { AgentRepo } from '../store/agent-repo';
import type { ConversationPage, MailStore } from '../store/mail-store';
import type { TeamService } from '../team/team-service';
import { ensureReplyTo } from './reply-to';

export const RAW_VIEW_LIMIT = 2 * 1024 * 1024;

export interface ConversationServiceDeps {
  store: MailStore;
  agents: AgentRepo;
  events: EventBus;
  /** Shares statuses, assignments, notes and the roster with the team's other desktops. */
  team: TeamService;
}

function notFound(what: string): AppFailure {
  return new AppFailure({ code: 'NOT_FOUND', message: `This ${what} no longer exists.`, hint: 'It may have been deleted in another window.', retryable: false });
}

/** What agents do in the inbox: list, open, set status, assign, write notes; and who the agents are. */
export class ConversationService {
  constructor(private readonly deps: ConversationServiceDeps) {}

  list(input: ParsedInput<'conversations:list'>): ConversationPage {
    const page = this.deps.store.list({ ...input, meAgentId: this.deps.agents.meAgentId() });
    return { ...page, items: page.items.map((item) => this.withReplying(item)) };
  }

  count(channelId?: string): { mine: number; unassigned: number; all: number } {
    return this.deps.store.counts(this.deps.agents.meAgentId(), channelId);
  }

  /** Opening a conversation marks it read. */
  async get(id: number): Promise<ConversationDetail> {
    // The composer previews recipients from Reply-To, so it is read before the messages are shown.
    await ensureReplyTo(this.deps.store, id);
    const wasUnread = this.deps.store.markRead(id);
    const detail = this.detail(id);
    if (wasUnread) this.changed([id]);
    return detail;
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
      saved = { id: input.id, name: input.name, email: input.email };
      if (!agents.update(saved)) throw notFound('agent');
    }
    this.deps.team.agentSaved(saved, previousEmail);
    this.deps.events.emit('agents:changed', {});
    return saved;
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
    const record = this.deps.store.conversation(id);
    if (!record) throw notFound('conversation');
    const { token: _token, ...conversation } = record;
    return { conversation: this.withReplying(conversation), messages: this.deps.store.messages(id) };
  }

  private withReplying<T extends { id: number; channelId: string }>(conversation: T): T & { replying: string[] } {
    return { ...conversation, replying: this.deps.team.replyingIn(conversation.id, conversation.channelId) };
  }

  private changed(ids: number[]): void {
    this.deps.events.emit('conversations:changed', { ids, created: [] });
  }
}
