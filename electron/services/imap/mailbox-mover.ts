import type { ImapFlow } from 'imapflow';
import type { ConversationBin } from '../../../shared/conversation';
import type { EventBus } from '../events/event-bus';
import type { ChannelWithSecrets } from '../channels/channel-service';
import { mapImapError } from '../mail-errors/map-error';
import { withImap } from './mailbox-ops';
import { searchUids } from './search';
import type { MailboxMove, MessageToMove, MoveFolder, MoveRepo } from '../store/move-repo';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';

export interface MailboxMoverOptions {
  backoff?: BackoffOptions;
}

export interface MailboxMoverDeps extends MailboxMoverOptions {
  repo: MoveRepo;
  /** The channel as it is saved now: whether it asks for moves; they wait while it is disabled or gone. */
  channel(id: string): { enabled: boolean; inbox: { trashOnDelete: boolean; junkOnSpam: boolean } } | undefined;
  secrets(id: string): Promise<ChannelWithSecrets>;
  events: EventBus;
  log?: { warn(obj: object, msg?: string): void };
  now?: () => Date;
}

/** The bin a conversation must still be in for its move to be made. */
const BIN_OF: Record<MoveFolder, ConversationBin> = { trash: 'deleted', junk: 'spam' };

/** A failure that names its own fix (no folder to move to); connection failures are mapped instead. */
class MoveFailure extends Error {}

/**
 * Moves the customer mail of deleted (or spam) conversations to the server's Trash (or Junk)
 * folder, for channels that opted in. Each move is queued in the database first (MoveRepo), so it
 * survives a restart or being offline, and is tried again with growing delays until it worked;
 * the last failure shows on the conversation. Uses a short IMAP session of its own, never the
 * watcher's: the watcher only sees the messages leave its inbox.
 */
export class MailboxMover {
  private readonly now: () => Date;
  private readonly backoff: BackoffOptions;
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly deps: MailboxMoverDeps) {
    this.now = deps.now ?? (() => new Date());
    this.backoff = deps.backoff ?? DEFAULT_BACKOFF;
  }

  /** Picks up moves left waiting by an earlier run. */
  start(): void {
    this.stopped = false;
    for (const channelId of this.deps.repo.channelsWaiting()) this.kick(channelId);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.all(this.running.values());
  }

  /**
   * Conversations went into a bin (or came out of one): queues the move where the channel asks for
   * it (`trashOnDelete`, `junkOnSpam`), and drops a move not made yet when they came back.
   */
  binned(conversationIds: readonly number[], bin: ConversationBin | null): void {
    const kicked = new Set<string>();
    const at = this.now().toISOString();
    for (const id of conversationIds) {
      const channelId = this.deps.repo.channelOf(id);
      if (channelId === undefined) continue;
      const settings = this.deps.channel(channelId)?.inbox;
      const folder: MoveFolder | null = bin === 'deleted' && settings?.trashOnDelete ? 'trash' : bin === 'spam' && settings?.junkOnSpam ? 'junk' : null;
      if (folder) {
        this.deps.repo.enqueue(id, folder, at);
        kicked.add(channelId);
      } else this.deps.repo.cancel(id);
    }
    for (const channelId of kicked) this.kick(channelId);
  }

  /** Something changed (a move queued, the channel connected again): try the channel's due moves now. */
  kick(channelId: string): void {
    if (this.stopped) return;
    const timer = this.timers.get(channelId);
    if (timer) clearTimeout(timer);
    this.timers.delete(channelId);
    if (this.running.has(channelId)) {
      this.again.add(channelId);
      return;
    }
    const run = (async () => {
      do {
        this.again.delete(channelId);
        await this.pass(channelId).catch((error: unknown) =>
          this.deps.log?.warn({ channelId, err: String(error) }, 'moving mail to the Trash folder failed unexpectedly'),
        );
      } while (this.again.has(channelId) && !this.stopped);
    })().finally(() => {
      this.running.delete(channelId);
      this.schedule(channelId);
    });
    this.running.set(channelId, run);
  }

  private schedule(channelId: string): void {
    const next = this.deps.repo.nextDue(channelId);
    if (this.stopped || next === undefined) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(channelId);
        this.kick(channelId);
      },
      Math.max(0, Date.parse(next) - this.now().getTime()),
    );
    timer.unref?.();
    this.timers.set(channelId, timer);
  }

  private async pass(channelId: string): Promise<void> {
    const { repo } = this.deps;
    const due = repo.due(channelId, this.now().toISOString());
    if (due.length === 0) return;
    const wanted: MailboxMove[] = [];
    for (const move of due) {
      if (move.bin === BIN_OF[move.folder]) wanted.push(move);
      // Back in the queues (restored, or the customer wrote again): the move is no longer wanted.
      else repo.cancel(move.conversationId);
    }
    // A disabled channel's moves wait; enabling it starts its watcher, which kicks them.
    if (wanted.length === 0 || !this.deps.channel(channelId)?.enabled) return;
    const changed: number[] = [];
    const left = new Set(wanted.map((move) => move.conversationId));
    let channel: ChannelWithSecrets | undefined;
    try {
      channel = await this.deps.secrets(channelId);
      const { imap, inbox } = channel;
      await withImap(imap, async (client) => {
        const folders = await client.list();
        for (const move of wanted) {
          try {
            const folder = targetFolder(folders, move.folder, inbox.trashFolder);
            await moveMessages(client, repo.messagesToMove(move.conversationId, imap.mailbox), folder, repo);
            repo.done(move.conversationId);
          } catch (error) {
            // The session is gone: every move left fails the same way below.
            if (!(error instanceof MoveFailure) && !client.usable) throw error;
            this.failed(move, describe(error, channel));
          }
          left.delete(move.conversationId);
          changed.push(move.conversationId);
        }
      });
    } catch (error) {
      const reason = describe(error, channel);
      for (const move of wanted) {
        if (!left.has(move.conversationId)) continue;
        this.failed(move, reason);
        changed.push(move.conversationId);
      }
    }
    if (changed.length > 0) this.deps.events.emit('conversations:changed', { ids: changed, created: [] });
  }

  private failed(move: MailboxMove, reason: string): void {
    const next = new Date(this.now().getTime() + backoffDelay(move.attempts, this.backoff)).toISOString();
    this.deps.repo.failed(move.conversationId, reason, next);
    this.deps.log?.warn({ conversationId: move.conversationId, folder: move.folder, reason }, 'could not move mail on the server; trying again later');
  }
}

/** The folder to move to: the one named in the channel (Trash only), else the one the server marks \Trash or \Junk. */
function targetFolder(folders: { path: string; specialUse?: string }[], folder: MoveFolder, named: string): string {
  if (folder === 'trash' && named) {
    if (!folders.some((f) => f.path === named)) {
      throw new MoveFailure(`The server has no folder named “${named}”. Correct the Trash folder in the channel's Inbox Settings.`);
    }
    return named;
  }
  const special = folder === 'trash' ? '\\Trash' : '\\Junk';
  const found = folders.find((f) => f.specialUse === special)?.path;
  if (found) return found;
  throw new MoveFailure(
    folder === 'trash'
      ? "The server marks no folder as Trash. Name the Trash folder in the channel's Inbox Settings."
      : "The server marks no folder as Junk, so spam stays in the inbox on the server. Turn off moving spam in the channel's Inbox Settings.",
  );
}

/**
 * Moves messages by UID (MOVE, or COPY + \Deleted + EXPUNGE where the server has no MOVE: imapflow
 * falls back by itself), per mailbox they were fetched from. A mailbox renumbered since (a new
 * UIDVALIDITY) is searched by Message-ID instead. Messages no longer there are taken as moved.
 */
async function moveMessages(client: ImapFlow, messages: MessageToMove[], folder: string, repo: MoveRepo): Promise<void> {
  const byMailbox = new Map<string, MessageToMove[]>();
  for (const message of messages) byMailbox.set(message.mailbox, [...(byMailbox.get(message.mailbox) ?? []), message]);
  for (const [mailbox, list] of byMailbox) {
    const lock = await client.getMailboxLock(mailbox);
    try {
      const uidValidity = client.mailbox ? String(client.mailbox.uidValidity) : '';
      const uids = new Map<number, MessageToMove>();
      for (const message of list) {
        if (message.uidValidity === uidValidity) uids.set(message.uid, message);
        else if (message.messageId) {
          for (const uid of await searchUids(client, { header: { 'message-id': message.messageId } })) uids.set(uid, message);
        }
      }
      if (uids.size > 0) {
        const result = await client.messageMove([...uids.keys()].join(','), folder, { uid: true });
        if (!result) throw new MoveFailure(`The server refused to move the messages to ${folder}.`);
        for (const [uid, message] of uids) repo.moved(message.id, folder, result.uidValidity?.toString() ?? null, result.uidMap?.get(uid) ?? null);
      }
      // Not found under any UID: already gone from the inbox (moved or deleted elsewhere).
      const found = new Set(uids.values());
      for (const message of list) if (!found.has(message)) repo.moved(message.id, folder, null, null);
    } finally {
      lock.release();
    }
  }
}

function describe(error: unknown, channel: ChannelWithSecrets | undefined): string {
  if (error instanceof MoveFailure) return error.message;
  if (!channel) return error instanceof Error ? error.message : String(error);
  const mapped = mapImapError(error, { protocol: 'imap', host: channel.imap.host, port: channel.imap.port });
  return `${mapped.message} — ${mapped.fix}`;
}
