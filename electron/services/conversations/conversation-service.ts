import type { Agent, BulkPatch, ConversationDetail, ConversationStatus, ConversationSummary, InboxCounts, Message } from '../../../shared/conversation';
import type { ParsedInput } from '../../../shared/contract';
import { AppFailure } from '../../../shared/errors';
import type { EventBus } from '../../core/event-bus';
import { readRaw } from '../ingest/raw-store';
import type { SavedReply, SavedReplyInput } from '../../../shared/saved-replies';
import type { AgentRepo } from '../store/agent-repo';
import type { SavedReplyRepo } from '../store/saved-reply-repo';
import type { ConversationPage, MailStore } from '../store/mail-store';
import { ensureReplyTo } from './reply-to';

export const RAW_VIEW_LIMIT = 2 * 1024 * 1024;

export interface ConversationServiceDeps {
  store: MailStore;
  agents: AgentRepo;
  savedReplies: SavedReplyRepo;
  events: EventBus;
  now?: () => Date;
}

function notFound(what: string): AppFailure {
  return new AppFailure({ code: 'NOT_FOUND', message: `This ${what} no longer exists.`, hint: 'It may have been deleted in another window.', retryable: false });
}

/** What agents do in the inbox: list, open, set status, assign, write notes; and who the agents are. */
export class ConversationService {
  private readonly now: () => Date;

  constructor(private readonly deps: ConversationServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  list(input: ParsedInput<'conversations:list'>): ConversationPage {
    return this.deps.store.list({ ...input, meAgentId: this.deps.agents.meAgentId() });
  }

  count(channelId?: string): InboxCounts {
    return this.deps.store.counts(this.deps.agents.meAgentId(), channelId);
  }

  /** Opening a conversation marks it read (unless told not to). */
  async get(id: number, markRead = true): Promise<ConversationDetail> {
    // The composer previews recipients from Reply-To, so it is read before the messages are shown.
    await ensureReplyTo(this.deps.store, id);
    const wasUnread = markRead && this.deps.store.markRead(id);
    const detail = this.detail(id);
    if (wasUnread) this.changed([id]);
    return detail;
  }

  summary(id: number): ConversationSummary {
    const record = this.deps.store.conversation(id);
    if (!record) throw notFound('conversation');
    const { token: _token, ...summary } = record;
    return summary;
  }

  setStatus(id: number, status: ConversationStatus): ConversationDetail {
    if (!this.deps.store.setStatus(id, status)) throw notFound('conversation');
    this.changed([id]);
    return this.detail(id);
  }

  assign(id: number, agentId: number | null): ConversationDetail {
    if (agentId !== null && !this.deps.agents.get(agentId)) throw notFound('agent');
    if (!this.deps.store.assign(id, agentId)) throw notFound('conversation');
    this.changed([id]);
    return this.detail(id);
  }

  /** One change to many conversations (a bulk action); conversations deleted meanwhile are skipped. */
  updateMany(ids: readonly number[], patch: BulkPatch): { ids: number[] } {
    const { assigneeId } = patch;
    if (assigneeId !== undefined && assigneeId !== null && !this.deps.agents.get(assigneeId)) throw notFound('agent');
    const changed = this.deps.store.updateMany([...new Set(ids)], patch);
    if (changed.length > 0) this.changed(changed);
    return { ids: changed };
  }

  /** Notes are stored as messages with direction 'note'; nothing ever sends them. */
  addNote(id: number, text: string): Message {
    const { store, agents } = this.deps;
    const conversation = store.conversation(id);
    if (!conversation) throw notFound('conversation');
    const meId = agents.meAgentId();
    const me = meId === null ? undefined : agents.get(meId);
    const at = this.now().toISOString();
    const messageId = store.transaction(() =>
      store.insertMessage(
        {
          conversationId: id,
          channelId: conversation.channelId,
          direction: 'note',
          kind: 'normal',
          messageId: null,
          inReplyTo: null,
          references: [],
          dedupeKey: null,
          subject: conversation.subject,
          from: me ? { name: me.name, address: me.email } : { name: 'Me', address: '' },
          to: [],
          cc: [],
          date: at,
          text,
          html: null,
          parseError: null,
          raw: null,
          rawPath: null,
          size: Buffer.byteLength(text),
          authorAgentId: me?.id ?? null,
          createdAt: at,
          attachments: [],
        },
        // A note is not customer activity: the inbox order and snippet stay as they were.
        { at, unread: false, reopen: false, summary: false },
      ),
    );
    this.changed([id]);
    const message = store.message(messageId);
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
    if (input.id === undefined) saved = agents.insert({ name: input.name, email: input.email });
    else {
      saved = { id: input.id, name: input.name, email: input.email };
      if (!agents.update(saved)) throw notFound('agent');
    }
    this.deps.events.emit('agents:changed', {});
    return saved;
  }

  deleteAgent(id: number): { id: number } {
    if (!this.deps.agents.delete(id)) throw notFound('agent');
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
    let saved: SavedReply;
    if (input.id === undefined) saved = savedReplies.add(input, at);
    else {
      if (!savedReplies.update({ id: input.id, name: input.name, body: input.body }, at)) throw notFound('saved reply');
      saved = { id: input.id, name: input.name, body: input.body, updatedAt: at };
    }
    this.deps.events.emit('saved-replies:changed', {});
    return saved;
  }

  deleteSavedReply(id: number): { id: number } {
    if (!this.deps.savedReplies.remove(id)) throw notFound('saved reply');
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
    return { conversation: this.summary(id), messages: this.deps.store.messages(id) };
  }

  private changed(ids: number[]): void {
    this.deps.events.emit('conversations:changed', { ids, created: [] });
  }
}
