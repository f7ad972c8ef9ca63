import { channelOwnAddresses } from '../../../shared/channel';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Address, MessageKind } from '../../../shared/conversation';
import type { EventBus } from '../events/event-bus';
import type { AgentRepo } from '../store/agent-repo';
import type { ChannelRecord } from '../store/channel-repo';
import type { MailStore, NewMessage } from '../store/mail-store';
import { classify, type ParseResult } from './parse';
import type { StoredRaw } from '../store/raw-store';
import { readReplyTo } from './reply-to';
import { nextRoundRobin } from './routing';
import { conversationReferencing, linkStored, type LinkContext } from './linking';
import { findThread, isOwnMessageId, newConversationToken, normalizeMessageId } from './threading';
import type { MailboxPosition, SyncCursor } from '../store/sync-cursor';
import type { FetchedMessage, IngestOutcome, Ingestor, ParsedMessage } from './types';

export interface MessageParser {
  parse(source: Buffer | { path: string }): Promise<ParseResult>;
  /** Gets ready for messages soon to come (starts the workers). */
  warm?(): void;
}

export interface RawKeeper {
  save(source: FetchedMessage['source']): Promise<StoredRaw>;
}

export interface MailIngestorDeps {
  store: MailStore;
  agents: AgentRepo;
  channels: { get(id: string): ChannelRecord | undefined };
  parser: MessageParser;
  raw: RawKeeper;
  events: EventBus;
  /** Told of every stored batch before the app hears of it (team state waiting for this mail applies). */
  afterStore?: (channelId: string, outcome: IngestOutcome) => void;
  now?: () => Date;
}

/** One fetched message after the work that happens outside the transaction. */
interface Prepared {
  uid: number;
  raw: StoredRaw;
  parsed: ParsedMessage | null;
  parseError: string | null;
  /** Reply-To as parsed, or read from the raw headers of mail that could not be parsed. */
  replyTo: Address[];
  kind: MessageKind;
  dedupeKey: string;
  receivedAt: string;
  answered: boolean;
}

/** What became of one message in the batch transaction. */
type Stored = { conversationId: number } | 'parked' | 'duplicate';

const AGENT_HEADER = 'x-auxilium-agent';

/** The agent our outbox named in a reply (smtp/delivery.ts agentHeader), made safe to show; null when absent. */
function sentByOf(parsed: ParsedMessage | null): string | null {
  const value = parsed?.headers[AGENT_HEADER]?.replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim()
    .slice(0, 200);
  return value ? value : null;
}

const UNREADABLE_SUBJECT = '(message could not be read)';

function sha256(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

/**
 * The same message seen twice (delivered to two of our addresses, or again after a UIDVALIDITY
 * change) carries different trace headers but the same Message-ID and body. A different message
 * that reuses a Message-ID has a different body, so it is kept.
 */
export function dedupeKey(parsed: ParsedMessage | null, raw: StoredRaw): string {
  if (!parsed) return sha256('raw', raw.sha256);
  const messageId = normalizeMessageId(parsed.messageId);
  if (messageId) return sha256('id', messageId, raw.bodySha256);
  return sha256('headers', parsed.from?.address ?? '', parsed.date ?? '', parsed.subject, raw.bodySha256);
}

/** Arrival time orders the inbox: the server's INTERNALDATE, else the Date header (senders' clocks lie more). */
function firstValidIso(...candidates: (Date | string | null | undefined)[]): string | null {
  for (const candidate of candidates) {
    if (candidate === null || candidate === undefined) continue;
    const date = new Date(candidate);
    if (!Number.isNaN(date.getTime())) return date.toISOString();
  }
  return null;
}

/** Attachment files the parser wrote for messages that were not stored. Raw files stay: they are named by content and may be shared. */
async function removeAttachmentFiles(items: Pick<Prepared, 'parsed'>[]): Promise<void> {
  const paths = items.flatMap((item) => item.parsed?.attachments.map((a) => a.path) ?? []);
  await Promise.all(paths.map((path) => rm(path, { force: true }).catch(() => undefined)));
}

function ownAddresses(channel: ChannelRecord | undefined): string[] {
  return channel ? channelOwnAddresses(channel) : [];
}

/** Parses, threads, routes and stores fetched mail; the mailbox watcher hands it batches. */
export class MailIngestor implements Ingestor {
  readonly keepsOrder = true;
  private readonly now: () => Date;
  private readonly running = new Set<Promise<IngestOutcome>>();
  /** Per mailbox, the batch handed over last while it is still on its way: the next one is stored after it. */
  private readonly latest = new Map<string, Promise<unknown>>();
  private closed = false;

  constructor(private readonly deps: MailIngestorDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  cursor(channelId: string, mailbox: string): SyncCursor | undefined {
    return this.deps.store.cursor(channelId, mailbox);
  }

  resetCursor(cursor: SyncCursor): void {
    this.deps.store.saveCursor(cursor);
  }

  warm(): void {
    if (!this.closed) this.deps.parser.warm?.();
  }

  /**
   * Waits for batches in progress and refuses new ones. Called before the parser closes, so no
   * message is stored as unreadable only because the app was shutting down.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.running]);
  }

  /**
   * Batches of one mailbox are stored in the order they were handed over, however they overlap: the
   * next batch is read and parsed while the one before is still being parsed or stored. A batch
   * whose predecessor failed stores nothing and fails too, so the cursor never moves past mail
   * that was not stored.
   */
  ingest(position: MailboxPosition, messages: FetchedMessage[], move: { advanceTo?: number; backfillBelow?: number | null }): Promise<IngestOutcome> {
    if (this.closed) return Promise.reject(new Error('Ingest is closed: the app is shutting down'));
    const key = `${position.channelId}\0${position.mailbox}`;
    const run = this.run(position, messages, move, this.latest.get(key));
    this.latest.set(key, run);
    this.running.add(run);
    void run
      .finally(() => {
        this.running.delete(run);
        if (this.latest.get(key) === run) this.latest.delete(key);
      })
      .catch(() => undefined);
    return run;
  }

  private async run(
    position: MailboxPosition,
    messages: FetchedMessage[],
    move: { advanceTo?: number; backfillBelow?: number | null },
    previous: Promise<unknown> | undefined,
  ): Promise<IngestOutcome> {
    const { store } = this.deps;
    const channel = this.deps.channels.get(position.channelId);
    const outcome: IngestOutcome = { created: [], touched: [], duplicates: 0, unparsed: 0 };

    // Raw bytes first, then parsing, both before the transaction: a SQLite write transaction must
    // not wait on disk streams or worker threads.
    const fresh: FetchedMessage[] = [];
    for (const fetched of messages) {
      if (store.hasUid(position, fetched.uid)) {
        outcome.duplicates += 1;
        if (!Buffer.isBuffer(fetched.source)) fetched.source.destroy();
        continue;
      }
      fresh.push(fetched);
    }
    // Each message goes to the parser as soon as its raw bytes are kept, all at once, so every
    // parser worker has work (the pool queues the rest) while the next raw file is still written.
    const kept: { raw: StoredRaw; parsing: Promise<ParseResult> }[] = [];
    let failure: { error: unknown } | undefined;
    for (const fetched of fresh) {
      try {
        const raw = await this.deps.raw.save(fetched.source);
        kept.push({ raw, parsing: this.deps.parser.parse(raw.blob ?? { path: raw.path as string }) });
      } catch (error) {
        failure = { error };
        break;
      }
    }
    const results = await Promise.all(kept.map(({ parsing }) => parsing));
    if (failure) {
      // As before: nothing of the batch is stored, but the files the parser already wrote go.
      await removeAttachmentFiles(results.flatMap((result) => (result.ok ? [{ parsed: result.message }] : [])));
      throw failure.error;
    }

    const prepared: Prepared[] = [];
    for (const [index, fetched] of fresh.entries()) {
      const { raw } = kept[index]!;
      const result = results[index]!;
      const parsed = result.ok ? result.message : null;
      let kind: MessageKind = 'normal';
      if (parsed) {
        kind = classify(parsed, { ownAddresses: ownAddresses(channel) });
        // Our Message-ID format is proof enough even when the mail came back from another address.
        if (kind === 'normal' && isOwnMessageId(normalizeMessageId(parsed.messageId))) kind = 'own';
      }
      prepared.push({
        uid: fetched.uid,
        raw,
        parsed,
        parseError: result.ok ? null : result.error,
        replyTo: parsed ? parsed.replyTo : await readReplyTo({ raw: raw.blob, rawPath: raw.path }),
        kind,
        dedupeKey: dedupeKey(parsed, raw),
        receivedAt: firstValidIso(fetched.internalDate, parsed?.date) ?? this.now().toISOString(),
        answered: fetched.answered === true,
      });
    }

    if (previous) {
      try {
        await previous;
      } catch {
        await removeAttachmentFiles(prepared);
        throw new Error('An earlier batch of this mailbox could not be stored');
      }
    }

    const created = new Set<number>();
    const touched = new Set<number>();
    const replied = new Set<number>();
    const skipped: Prepared[] = [];
    // The backlog of an "import all" first sync is history, not work: it arrives closed, so years of
    // old mail do not bury what customers write now (14 days of it stays open, as recent work).
    const backlog = move.backfillBelow !== undefined && channel?.inbox.initialImport === 'all';
    try {
      store.transaction(() => {
        for (const item of prepared) {
          const stored = this.storeOne(position, channel, item, created, touched, backlog);
          if (stored === 'duplicate') skipped.push(item);
          else {
            if (item.parseError !== null) outcome.unparsed += 1;
            const customerWroteAgain = stored !== 'parked' && position.role !== 'sent' && item.kind === 'normal' && !backlog;
            if (customerWroteAgain && !created.has(stored.conversationId)) replied.add(stored.conversationId);
          }
        }
        store.moveCursor(position, move);
      });
    } catch (error) {
      // Nothing of the batch was stored; a retry parses again and writes its own attachment files.
      await removeAttachmentFiles(prepared);
      throw error;
    }
    outcome.duplicates += skipped.length;
    await removeAttachmentFiles(skipped);

    outcome.created = [...created];
    outcome.touched = [...touched];
    if (touched.size > 0) this.deps.afterStore?.(position.channelId, outcome);
    if (touched.size > 0) {
      // Spam is no news: it neither notifies as a new conversation nor as a customer's reply.
      const news = (ids: Iterable<number>) => [...ids].filter((id) => this.deps.store.conversation(id)?.bin !== 'spam');
      this.deps.events.emit('conversations:changed', { ids: outcome.touched, created: news(outcome.created), replied: news(replied) });
    }
    return outcome;
  }

  /**
   * Stores one message inside the batch transaction. Mail the team sent (the Sent folder, or our own
   * copy seen in the inbox) is an outgoing reply; when its conversation is not known yet it is
   * parked until it is (linking.ts), and never starts a conversation. `backlog`: the message is part
   * of an "import all" first sync (it arrives closed and unrouted).
   */
  private storeOne(
    position: MailboxPosition,
    channel: ChannelRecord | undefined,
    item: Prepared,
    created: Set<number>,
    touched: Set<number>,
    backlog: boolean,
  ): Stored {
    const { store } = this.deps;
    const channelId = position.channelId;
    if (store.hasUid(position, item.uid) || store.hasDedupeKey(channelId, item.dedupeKey)) return 'duplicate';

    const parsed = item.parsed;
    const messageId = normalizeMessageId(parsed?.messageId);
    const outbound = position.role === 'sent' || item.kind === 'own';
    // The copy of a reply this desktop sent (also while it is still being sent): shown once, as the reply.
    if (outbound && messageId && store.hasOutbound(channelId, messageId)) return 'duplicate';

    const from: Address = parsed?.from ?? { name: '', address: '' };
    const link: LinkContext = { store, channelId, own: new Set(ownAddresses(channel).map((a) => a.toLowerCase())) };
    const match = parsed
      ? findThread(
          {
            inReplyTo: parsed.inReplyTo,
            references: parsed.references,
            subject: parsed.subject,
            fromAddress: parsed.from?.address ?? null,
            bounceOf: item.kind === 'bounce' ? parsed.bounceOf : [],
          },
          {
            conversationByMessageId: (id) => store.conversationByMessageId(channelId, id),
            conversationByToken: (token) => store.conversationByToken(channelId, token),
            isParticipant: (id, address) => store.isParticipant(id, address),
          },
          ownAddresses(channel),
        )
      : null;
    // A reply to this message may have been stored before it (newest-first import, or the Sent folder read first).
    let conversationId = match?.conversationId ?? conversationReferencing(link, messageId, from.address);

    const references = (parsed?.references ?? []).map(normalizeMessageId).filter((id): id is string => id !== null);
    const message: Omit<NewMessage, 'conversationId'> & { source: NonNullable<NewMessage['source']> } = {
      channelId,
      direction: outbound ? 'outbound' : 'inbound',
      kind: item.kind,
      source: { mailbox: position.mailbox, uidValidity: position.uidValidity, uid: item.uid },
      messageId,
      inReplyTo: normalizeMessageId(parsed?.inReplyTo),
      references,
      dedupeKey: item.dedupeKey,
      subject: parsed ? parsed.subject : UNREADABLE_SUBJECT,
      from,
      to: parsed?.to ?? [],
      cc: parsed?.cc ?? [],
      replyTo: item.replyTo,
      date: parsed?.date ?? item.receivedAt,
      arrivedAt: item.receivedAt,
      text: parsed?.text ?? '',
      html: parsed?.html ?? null,
      parseError: item.parseError,
      raw: item.raw.blob,
      rawPath: item.raw.path,
      size: item.raw.size,
      authorAgentId: null,
      sentBy: outbound ? sentByOf(parsed) : null,
      answeredOnServer: !outbound && item.answered,
      createdAt: this.now().toISOString(),
      attachments: parsed?.attachments ?? [],
    };

    if (conversationId === undefined) {
      if (outbound) {
        store.park(message, item.receivedAt);
        return 'parked';
      }
      const customer = parsed?.replyTo[0] ?? from;
      // A sender whose mail was marked as spam before starts in Spam again, taking nobody's turn.
      const spam = store.isSpamSender(channelId, customer.address);
      conversationId = store.createConversation({
        channelId,
        subject: message.subject,
        customer: { name: customer.name, address: customer.address },
        ...(spam ? { bin: 'spam' as const } : {}),
        // Only real customer mail is routed: an auto-reply or a list mail must not take an agent's turn.
        assigneeId: item.kind === 'normal' && !backlog && !spam ? this.route(channel) : null,
        token: newConversationToken(),
        at: item.receivedAt,
        // Auto-replies, bounces and list mail need no answer: they are kept, but out of the open queue.
        status: item.kind === 'normal' && !backlog ? 'open' : 'closed',
      });
      created.add(conversationId);
    }

    const id = store.insertMessage(
      { ...message, conversationId },
      { at: item.receivedAt, unread: !outbound, reopen: !outbound && item.kind === 'normal' && !backlog && !created.has(conversationId), summary: true },
    );
    touched.add(conversationId);
    store.retitleIfFirst(id);
    const linked = linkStored(
      link,
      { id, messageId, references: [message.inReplyTo, ...references].filter((r): r is string => r !== null), fromAddress: from.address },
      item.receivedAt,
    );
    for (const changed of linked.touched) touched.add(changed);
    for (const removed of linked.removed) created.delete(removed);
    return { conversationId: store.conversationOf(id)! };
  }

  /** \\Answered as the server has it now, for mail already imported from the inbox. */
  updateFlags(position: MailboxPosition, flags: { uid: number; answered: boolean }[]): void {
    if (this.closed || flags.length === 0) return;
    const ids = this.deps.store.transaction(() => this.deps.store.setAnswered(position, flags));
    if (ids.length > 0) this.deps.events.emit('conversations:changed', { ids, created: [] });
  }

  /** The assignee for a new conversation by the channel's rule; round-robin state survives restarts. */
  private route(channel: ChannelRecord | undefined): number | null {
    if (!channel || channel.inbox.routing !== 'round-robin') return null;
    const candidates = this.deps.agents.existing(channel.inbox.agentIds);
    const next = nextRoundRobin(candidates, this.deps.store.lastRoutedAgent(channel.id));
    if (next !== null) this.deps.store.setLastRoutedAgent(channel.id, next);
    return next;
  }
}
