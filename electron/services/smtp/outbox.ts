import { channelOwnAddresses } from '../../../shared/channel';
import type { DraftAttachment } from '../../../shared/attachments';
import type { Message } from '../../../shared/conversation';
import type { ParsedInput } from '../../../shared/contract';
import { AppFailure, notFound } from '../../../shared/errors';
import type { EventBus } from '../events/event-bus';
import { ensureReplyTo } from '../ingest/reply-to';
import { normalizeMessageId, outgoingMessageId } from '../ingest/threading';
import type { AgentRepo } from '../store/agent-repo';
import type { ChannelRecord } from '../store/channel-repo';
import type { MailStore } from '../store/mail-store';
import type { OutboxRepo, StoredAttachment } from '../store/outbox-repo';
import type { TeamService } from '../team/team-service';
import { buildForward } from './forward';
import { checkAttachmentLimit, removeAttachments, saveAttachments } from './reply-attachments';
import { buildReplyHeaders, type ReplyHeaders } from './reply-headers';

/**
 * What the renderer asks of the outbox: queue a reply, undo it, retry it; and drafts. The sending
 * itself is the OutboxWorker's (scheduler.ts).
 */

export interface OutboxServiceDeps {
  store: MailStore;
  repo: OutboxRepo;
  agents: AgentRepo;
  channel(id: string): ChannelRecord | undefined;
  events: EventBus;
  /** Where decoded attachments live; files attached to drafts go into its `outbound/` folder. */
  attachmentsDir: string;
  /** Tells the worker to look at the queue now; with a channel, also ends that channel's wait after a failure. */
  kick(channelId?: string): void;
  /** Assignment and status after a reply go through the team's state, so every desktop of the team shows them. */
  team: Pick<TeamService, 'assign' | 'setStatus'>;
  now?: () => Date;
}

export class OutboxService {
  private readonly now: () => Date;

  constructor(private readonly deps: OutboxServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Stores the reply and its outbox row in one transaction, with its Message-ID fixed now: every
   * later attempt sends the same message. It leaves after `undoSeconds`. The files attached to the
   * draft become the reply's attachments in the same transaction (the files stay where they are).
   */
  async sendReply(input: ParsedInput<'conversations:send-reply'>): Promise<Message> {
    const { store, repo, agents } = this.deps;
    const conversation = store.conversation(input.id);
    if (!conversation) throw notFound('conversation');
    const channel = this.deps.channel(conversation.channelId);
    if (!channel) {
      throw new AppFailure({
        code: 'UNKNOWN_CHANNEL',
        message: 'The email channel of this conversation no longer exists, so the reply cannot be sent.',
        retryable: false,
      });
    }
    await ensureReplyTo(store, conversation.id);
    const meId = agents.meAgentId();
    const me = meId === null ? undefined : agents.get(meId);
    const signatures = { agent: me?.signature ?? '', channel: channel.inbox.signature };
    const from = { name: channel.smtp.fromName, address: channel.smtp.fromAddress };
    let headers: ReplyHeaders;
    // A reply answers the customer's message (\Answered, threading); a forward answers nothing.
    let parent: ReturnType<OutboxRepo['parentOf']> = undefined;
    let forwarded: { id: number; files: StoredAttachment[] } | null = null;
    if (input.mode === 'forward') {
      const original = input.forwardOf === undefined ? undefined : store.message(input.forwardOf);
      if (!original || original.conversationId !== conversation.id || original.direction === 'note') throw notFound('message');
      headers = buildForward({ original, from, recipients: input.recipients!, text: input.text, signatures });
      forwarded = { id: original.id, files: repo.files(original.id) };
    } else {
      parent = repo.parentOf(conversation.id);
      headers = buildReplyHeaders({
        mode: input.mode,
        conversation: { subject: conversation.subject, token: conversation.token, customer: conversation.customer },
        parent: parent ?? null,
        from,
        ownAddresses: channelOwnAddresses(channel),
        text: input.text,
        chosen: input.recipients,
        signatures,
      });
    }
    if (headers.to.length === 0) {
      throw new AppFailure({
        code: 'VALIDATION_FAILED',
        message: 'This conversation has no customer address to reply to.',
        hint: 'Add a note instead, or write to the customer from your mail program.',
        retryable: false,
      });
    }
    const domain = channel.smtp.fromAddress.split('@')[1] ?? 'auxilium.invalid';
    const messageId = normalizeMessageId(outgoingMessageId(conversation.token, domain))!;
    const at = this.now();
    const iso = at.toISOString();
    const id = store.transaction(() => {
      const files = repo.draftAttachments(conversation.id);
      // Each file was checked when it was attached; files an Undo gave back may add up to more, and
      // a forward takes the forwarded message's files along too.
      checkAttachmentLimit([...files, ...(forwarded?.files ?? [])]);
      const stored = store.insertMessage(
        {
          conversationId: conversation.id,
          channelId: conversation.channelId,
          direction: 'outbound',
          kind: 'normal',
          messageId,
          inReplyTo: headers.inReplyTo,
          references: headers.references,
          dedupeKey: null,
          subject: headers.subject,
          from: headers.from,
          to: headers.to,
          cc: headers.cc,
          bcc: headers.bcc,
          forwardOf: forwarded?.id ?? null,
          date: iso,
          text: headers.text,
          html: null,
          parseError: null,
          raw: null,
          rawPath: null,
          size: Buffer.byteLength(headers.text) + files.reduce((sum, f) => sum + f.size, 0),
          authorAgentId: me ? me.id : null,
          createdAt: iso,
          attachments: files.map((f) => ({ filename: f.filename, contentType: f.contentType, size: f.size, path: f.path, contentId: null, inline: false })),
        },
        // The inbox order and snippet move when the reply has actually gone out (OutboxRepo.markSent).
        { at: iso, unread: false, reopen: false, summary: false },
      );
      repo.insert({
        messageId: stored,
        channelId: conversation.channelId,
        conversationId: conversation.id,
        bodyText: input.text,
        parentId: parent?.id ?? null,
        nextAttemptAt: new Date(at.getTime() + input.undoSeconds * 1000).toISOString(),
        createdAt: iso,
      });
      repo.saveDraft(conversation.id, '', iso);
      repo.clearDraftAttachments(conversation.id);
      // The channel's rules after a reply: whoever answers an unassigned conversation owns it, and
      // it waits on the customer (their answer opens it again).
      // A forward answers nobody: the conversation stays as it is.
      if (!forwarded) {
        if (channel.inbox.assignOnReply && conversation.assigneeId === null && me) this.deps.team.assign(conversation.id, me.id);
        if (channel.inbox.pendingOnReply) this.deps.team.setStatus(conversation.id, 'pending');
      }
      return stored;
    });
    this.changed(conversation.id);
    this.deps.kick();
    return this.message(id);
  }

  /**
   * Undo within the undo window, or take back a reply that is waiting for a retry or failed: its
   * text goes back to the composer, its attachments back to the conversation's draft.
   */
  cancel(messageId: number): { text: string; attachments: DraftAttachment[] } {
    const row = this.deps.repo.get(messageId);
    if (!row) throw notFound('reply');
    const removed = this.deps.repo.cancel(messageId);
    if (!removed) {
      const latest = this.deps.repo.get(messageId);
      throw new AppFailure({
        code: 'VALIDATION_FAILED',
        message:
          latest?.state === 'sent'
            ? 'This reply has already been sent and can no longer be undone.'
            : 'This reply is being sent right now and can no longer be undone.',
        retryable: false,
      });
    }
    this.changed(removed.conversationId);
    return { text: removed.text, attachments: removed.attachments };
  }

  /** Send a failed (or waiting) reply again now. */
  retry(messageId: number): Message {
    const row = this.deps.repo.get(messageId);
    if (!row) throw notFound('reply');
    if (!this.deps.repo.retryNow(messageId, this.now().toISOString())) {
      throw new AppFailure({
        code: 'VALIDATION_FAILED',
        message: row.state === 'sent' ? 'This reply has already been sent.' : 'This reply is being sent right now.',
        retryable: false,
      });
    }
    this.changed(row.conversationId);
    // The agent asked for it: also when the channel's server failed a moment ago.
    this.deps.kick(row.channelId);
    return this.message(messageId);
  }

  draft(conversationId: number): { text: string; attachments: DraftAttachment[] } {
    const attachments = this.deps.repo.draftAttachments(conversationId).map(({ id, filename, contentType, size }) => ({ id, filename, contentType, size }));
    return { text: this.deps.repo.draft(conversationId), attachments };
  }

  /**
   * Stores a file with the draft at once, so it survives a restart like the text. Refused when the
   * draft's files would pass the total limit; checked in the transaction that adds it, so two
   * windows attaching at once cannot pass it together.
   */
  async addDraftAttachment(input: ParsedInput<'drafts:add-attachment'>): Promise<DraftAttachment> {
    const { repo, store } = this.deps;
    if (!store.conversation(input.conversationId)) throw notFound('conversation');
    const [file] = await saveAttachments(this.deps.attachmentsDir, [input]);
    try {
      return repo.transaction(() => {
        checkAttachmentLimit([...repo.draftAttachments(input.conversationId), file!]);
        return repo.addDraftAttachment(input.conversationId, file!, this.now().toISOString());
      });
    } catch (error) {
      await removeAttachments([file!]);
      throw error;
    }
  }

  /** Takes a file off its draft and deletes it. A file no longer on a draft (removed twice, or sent) is left alone. */
  async removeDraftAttachment(id: number): Promise<Record<string, never>> {
    const path = this.deps.repo.removeDraftAttachment(id);
    if (path) await removeAttachments([{ path }]);
    return {};
  }

  saveDraft(conversationId: number, text: string): Record<string, never> {
    if (!this.deps.store.conversation(conversationId)) throw notFound('conversation');
    this.deps.repo.saveDraft(conversationId, text, this.now().toISOString());
    return {};
  }

  private message(id: number): Message {
    const message = this.deps.store.message(id);
    if (!message) throw notFound('message');
    return message;
  }

  private changed(conversationId: number): void {
    this.deps.events.emit('conversations:changed', { ids: [conversationId], created: [] });
  }
}
