import { createReadStream, createWriteStream } from 'node:fs';
import { PRIVATE_FILE_MODE } from '../file-modes';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { FetchMessageObject, ImapFlow, ImapFlowOptions, MailboxObject } from 'imapflow';
import type { ChannelNotice, ChannelNoticeKind, ChannelStatus } from '../../../shared/channel';
import type { ChannelWithSecrets } from '../channels/channel-service';
import { deadlineError, mapImapError } from '../mail-errors/map-error';
import { isOAuthFailure } from '../oauth/oauth-failure';
import type { FetchedMessage, Ingestor } from '../ingest/types';
import type { MailboxPosition, MailboxRole, SyncCursor } from '../store/sync-cursor';
import { lookupFolder } from './mailbox-ops';
import { backoffDelay, DEFAULT_BACKOFF, describeDelay, type BackoffOptions } from './backoff';
import { connectImap, createImapClient } from './connect';

export type WatcherStatus = Omit<ChannelStatus, 'since'>;

/** Timer functions, replaceable so backoff can be exercised without waiting minutes. */
export interface WatcherTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WatcherLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface MailboxWatcherOptions {
  ingestor: Ingestor;
  now?: () => Date;
  random?: () => number;
  timers?: WatcherTimers;
  backoff?: BackoffOptions;
  /** Connecting, TLS and the greeting must finish within this. */
  connectTimeoutMs?: number;
  /** One IMAP step (a search, a fetch batch) must finish within this, or the session counts as stalled. */
  commandTimeoutMs?: number;
  /** IDLE is broken and re-issued at least this often (RFC 2177 asks for under 29 minutes). */
  idleRestartMs?: number;
  /** Messages per fetch-and-ingest batch. */
  batchSize?: number;
  /** Messages above this size are streamed to a temporary file instead of held in memory. */
  largeMessageBytes?: number;
  /** Where large messages are spooled while ingest reads them. */
  tempDir?: string;
  /** How long stop() waits for a polite LOGOUT before closing the socket. */
  logoutTimeoutMs?: number;
  log?: WatcherLog;
  /** Shows (or, with null, takes off) a notice on the channel's card: here, a server whose IDLE does not push. */
  notice?(channelId: string, kind: ChannelNoticeKind, notice: ChannelNotice | null): void;
}

const DEFAULTS = {
  connectTimeoutMs: 30_000,
  commandTimeoutMs: 120_000,
  idleRestartMs: 20 * 60_000,
  batchSize: 50,
  largeMessageBytes: 5 * 1024 * 1024,
  logoutTimeoutMs: 2_000,
};

// A batch of small messages is held in memory at once; this bounds it whatever their count.
const BATCH_BYTES = 32 * 1024 * 1024;
const DAY_MS = 24 * 60 * 60_000;
const INITIAL_IMPORT_DAYS = 14;
/**
 * Polls in a row that found new mail IDLE had said nothing about before the card says the server
 * does not push: one could be mail that landed in the instant between the poll and the check.
 */
const SILENT_POLLS_TO_NOTICE = 2;

const realTimers: WatcherTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface MessageMeta {
  uid: number;
  size: number;
  internalDate?: Date;
  answered: boolean;
}

// Without CONDSTORE, \\Answered is re-read for this many of the newest messages on each poll.
const RECENT_FLAGS = 500;

/** Temporary files of large messages, per batch. */
interface SpoolEntry {
  dir: string;
  streams: { destroy(): void }[];
}

interface FetchedBatch {
  messages: FetchedMessage[];
  spool: SpoolEntry[];
}

/** Batches fetched ahead and stored in order during one sync (see enqueue). */
interface BatchFlow {
  client: ImapFlow;
  /** Batches not yet known to be finished, oldest first. */
  pending: { done: Promise<void>; bytes: number }[];
  /** Settles once the last batch added is handed to the ingestor (rejects when it never will be). */
  handedOver: Promise<void> | undefined;
}

// Batches on their way at once: while one is parsed and stored, the next is fetched and (with an
// ingestor that keeps order itself) handed over, so its parsing overlaps storing the one before.
const FLOW_DEPTH = 2;

/** Thrown for failures of our own storage, so the card does not blame the mail server for them. */
class IngestFailure extends Error {
  constructor(readonly original: unknown) {
    super(original instanceof Error ? original.message : String(original));
  }
}

/** The server has no folder where sent mail would be found: nothing to watch for this role. */
class NoSentFolder extends Error {
  constructor() {
    super('No Sent folder on the server: replies sent from other mail clients are not shown');
  }
}

/** Raised when the session ends under us (server BYE, reset) without a more precise error. */
function connectionLost(): Error {
  return Object.assign(new Error('Connection not available'), { code: 'NoConnection' });
}

/**
 * Watches one mailbox of a channel in one IMAP session (a session can IDLE on one mailbox only):
 * the inbox, or with the role 'sent' the folder where the team's sent mail is found. It imports what
 * is new (and, on a new channel, recent older mail newest first), then waits in IDLE, with a poll as
 * a fallback. Any failure closes the session and reconnects with backoff, for as long as the watcher
 * runs. It never changes the mailbox unless the channel opted in to marking imported inbox mail as
 * read; the Sent folder is always opened read-only.
 */
export class MailboxWatcher {
  private readonly opts: Required<Omit<MailboxWatcherOptions, 'log' | 'tempDir' | 'notice'>> & Pick<MailboxWatcherOptions, 'log' | 'tempDir' | 'notice'>;
  private readonly position: MailboxPosition;
  private running: Promise<void> | undefined;
  private stopping = false;
  private client: ImapFlow | undefined;
  /** The first error the current session reported through its 'error' event. */
  private sessionError: Error | undefined;
  /** Set by new-mail notices, the poll timer, a closed session or stop(); cleared when a sync begins. */
  private signalled = false;
  private wakeup: (() => void) | undefined;
  /** Temporary files of large messages in the batches on their way. */
  private spooled: SpoolEntry[] = [];
  private readonly closing = new Map<ImapFlow, Promise<void>>();
  /** The mailbox this session watches; for 'sent' found on the server at each connect. */
  private mailboxName: string;
  /** HIGHESTMODSEQ when flags were last read (CONDSTORE servers), for reading only what changed since. */
  private flagsModseq: bigint | undefined;
  /** The server reported changed flags while idling. */
  private flagsChanged = false;
  /** Polls in a row that found new mail while IDLE was active and silent; 0 once IDLE told of new mail. */
  private silentPolls = 0;

  constructor(
    private readonly channel: ChannelWithSecrets,
    private readonly setStatus: (status: WatcherStatus) => void,
    options: MailboxWatcherOptions,
    readonly role: MailboxRole = 'inbox',
  ) {
    this.opts = {
      now: () => new Date(),
      random: Math.random,
      timers: realTimers,
      backoff: DEFAULT_BACKOFF,
      ...DEFAULTS,
      // An option passed as undefined keeps its default.
      ...(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as MailboxWatcherOptions),
    };
    this.mailboxName = channel.imap.mailbox;
    this.position = { channelId: channel.id, mailbox: this.mailboxName, uidValidity: '', role };
  }

  get channelId(): string {
    return this.channel.id;
  }

  start(): void {
    if (this.running || this.stopping) return;
    this.running = this.run().catch((error: unknown) => {
      // Only a bug gets here (every IMAP and ingest failure is retried inside run); say so on the card.
      this.opts.log?.warn({ channelId: this.channel.id, err: String(error) }, 'mailbox watcher stopped unexpectedly');
      this.report({ state: 'error', message: `The mailbox watcher stopped: ${error instanceof Error ? error.message : String(error)}` });
    });
  }

  /** Closes the session and every timer. Resolves once the socket is closed; safe to call at any time, and twice. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    const client = this.client;
    if (client) await this.closeClient(client, true);
    await this.running;
  }

  private report(status: WatcherStatus): void {
    if (!this.stopping) this.setStatus(status);
  }

  /** Inbox mail is marked read only with the channel's opt-in; the Sent folder never changes. */
  private get readOnly(): boolean {
    return this.role === 'sent' || !this.channel.inbox.markSeenOnServer;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    this.report({ state: 'starting', message: `Connecting to ${this.channel.imap.host}` });
    while (!this.stopping) {
      try {
        await this.session(() => {
          attempt = 0;
        });
      } catch (error) {
        if (this.stopping) break;
        if (isOAuthFailure(error) && error.requiresSignIn) {
          // Retrying cannot help: the card offers "Sign in again", which starts a new watcher.
          this.opts.log?.warn({ channelId: this.channel.id, code: error.oauthCode }, 'mailbox watcher waits for a new sign-in');
          this.report({ state: 'sign-in-required', message: this.describeFailure(error) });
          break;
        }
        const delay = backoffDelay(attempt, this.opts.backoff, this.opts.random);
        attempt += 1;
        const message = this.describeFailure(error);
        this.opts.log?.warn({ channelId: this.channel.id, err: error instanceof Error ? error.message : String(error), delay }, 'mailbox watcher retrying');
        this.report({ state: 'retrying', message: `${message} — retrying in ${describeDelay(delay)}` });
        await this.sleep(delay);
      }
    }
  }

  private describeFailure(error: unknown): string {
    if (error instanceof IngestFailure) return `Could not store imported mail: ${error.message}`;
    if (error instanceof NoSentFolder) return error.message;
    const { imap } = this.channel;
    return mapImapError(error, { protocol: 'imap', host: imap.host, port: imap.port, mailbox: imap.mailbox, oauth: Boolean(imap.tokens) }).message;
  }

  /** One connection, from connect to failure (thrown) or stop (returns). */
  private async session(onHealthy: () => void): Promise<void> {
    this.sessionError = undefined;
    this.signalled = false;
    const timeouts = {
      timeoutMs: this.opts.connectTimeoutMs,
      // Above the IDLE restart period: an idling session is quiet by design between server notices.
      socketTimeoutMs: this.opts.idleRestartMs + 5 * 60_000,
    };
    // A second client is made only when an OAuth token was refused and a fresh one is tried.
    let made: ImapFlow | undefined;
    const make = (options: ImapFlowOptions): ImapFlow => {
      const c = createImapClient({ ...options, maxIdleTime: this.opts.idleRestartMs }, (err) => {
        this.sessionError ??= err;
        this.wake();
      });
      this.sessionError = undefined;
      this.client = made = c;
      c.on('exists', () => this.wake());
      c.on('close', () => this.wake());
      c.on('flags', () => {
        this.flagsChanged = true;
        this.wake();
      });
      return c;
    };
    this.opts.ingestor.warm?.();
    this.flagsModseq = undefined;
    try {
      const client = await connectImap(this.channel.imap, timeouts, make, (c) => this.step(c, () => c.connect(), this.opts.connectTimeoutMs));
      if (this.role === 'sent') {
        const folder = await this.step(client, () => lookupFolder(client, { sentFolder: this.channel.inbox.sentFolder }));
        if (!folder) throw new NoSentFolder();
        this.mailboxName = folder;
        this.position.mailbox = folder;
      }
      // Without the opt-in, EXAMINE: the server itself then refuses any change, and \Recent stays.
      await this.step(client, () => client.mailboxOpen(this.mailboxName, { readOnly: this.readOnly }));
      let healthy = false;
      let woke: 'connect' | 'signal' | 'timer' = 'connect';
      while (!this.stopping) {
        const found = await this.sync(client);
        if (found && woke !== 'connect') this.idleEvidence(woke === 'timer');
        if (!healthy) {
          healthy = true;
          onHealthy();
        }
        this.report({ state: 'connected', message: `Watching ${this.mailboxName}` });
        if (this.stopping) break;
        // A session that died right after a sync goes through backoff like any other failure.
        if (!client.usable) throw this.sessionError ?? connectionLost();
        // imapflow would only enter IDLE after some quiet seconds; asking now gives sub-second notice.
        // The promise settles when IDLE is broken, which the next command does by itself.
        client.idle().catch(() => undefined);
        // The form allows 10 s and up; the floor only guards against a busy loop on a bad value.
        woke = await this.waitForWake(Math.max(1, this.channel.inbox.pollIntervalSeconds) * 1000);
        if (this.stopping) break;
        if (!client.usable) throw this.sessionError ?? connectionLost();
        if (woke === 'timer') await this.checkMailbox(client);
        if (woke === 'timer' || this.flagsChanged) await this.refreshFlags(client);
      }
    } catch (error) {
      if (this.stopping) return;
      // "Connection not available" says less than what the session reported when it broke.
      throw this.sessionError && isGeneric(error) ? this.sessionError : error;
    } finally {
      if (made) await this.closeClient(made, this.stopping);
      await this.releaseSpool();
      if (this.client === made) this.client = undefined;
    }
  }

  /**
   * New mail was found after IDLE: told by the server (pushed), or only by our poll while IDLE was
   * active and said nothing. A server that keeps doing the latter does not push (e.g. Cyrus without
   * idled): new mail then only shows every poll interval, and the card says so.
   */
  private idleEvidence(silent: boolean): void {
    // The card's notice is about the inbox; the Sent folder's session behaves the same on one server.
    if (this.role !== 'inbox') return;
    const before = this.silentPolls;
    this.silentPolls = silent ? before + 1 : 0;
    if (this.silentPolls === SILENT_POLLS_TO_NOTICE) {
      this.opts.log?.info({ channelId: this.channel.id }, 'the server does not push new mail while in IDLE; relying on the poll');
      this.opts.notice?.(this.channel.id, 'idle-silent', { kind: 'idle-silent', pollSeconds: this.channel.inbox.pollIntervalSeconds });
    } else if (!silent && before >= SILENT_POLLS_TO_NOTICE) {
      this.opts.notice?.(this.channel.id, 'idle-silent', null);
    }
  }

  /**
   * The poll's own check: open the mailbox again. A session can outlive its mailbox — Dovecot keeps
   * a deleted and recreated mailbox's old view selected, and even STATUS answers from that view —
   * so only a fresh EXAMINE/SELECT shows the new UIDVALIDITY. It also proves the session still
   * answers at all, and a mailbox that is gone fails here and is retried.
   */
  private async checkMailbox(client: ImapFlow): Promise<void> {
    await this.step(client, () => client.mailboxOpen(this.mailboxName, { readOnly: this.readOnly }));
  }

  /**
   * \\Answered of inbox mail already imported, kept fresh cheaply: with CONDSTORE only what changed
   * since the last read, otherwise the newest messages again. Someone may answer a customer from
   * another mail client; the conversation says so when no reply of ours follows.
   */
  private async refreshFlags(client: ImapFlow): Promise<void> {
    this.flagsChanged = false;
    const mailbox = client.mailbox;
    if (this.role !== 'inbox' || !this.opts.ingestor.updateFlags || !mailbox || mailbox.exists === 0) return;
    const modseq = mailbox.highestModseq;
    if (modseq !== undefined && this.flagsModseq !== undefined && modseq === this.flagsModseq) return;
    const since = modseq !== undefined ? this.flagsModseq : undefined;
    const range = since !== undefined ? '1:*' : `${Math.max(1, mailbox.exists - RECENT_FLAGS + 1)}:*`;
    const flags = await this.step(client, async () => {
      const out: { uid: number; answered: boolean }[] = [];
      // Sequence numbers for "the newest N"; UIDs identify them.
      for await (const msg of client.fetch(range, { uid: true, flags: true }, since !== undefined ? { changedSince: since } : {})) {
        out.push({ uid: msg.uid, answered: msg.flags?.has('\\Answered') ?? false });
      }
      return out;
    });
    this.opts.ingestor.updateFlags({ ...this.position }, flags);
    this.flagsModseq = modseq;
  }

  // ---- syncing ----

  /** Imports what is new (and older mail still to import); true when there was new mail. */
  private async sync(client: ImapFlow): Promise<boolean> {
    this.signalled = false;
    const mailbox = client.mailbox;
    if (!mailbox) throw this.sessionError ?? connectionLost();
    const before = this.currentCursor(mailbox);
    const cursor = await this.importNew(client, before);
    if (cursor.backfillBelowUid !== null) await this.backfill(client, cursor);
    // Once per session: what changed while nobody was watching.
    if (this.flagsModseq === undefined) await this.refreshFlags(client);
    return cursor.lastUid > before.lastUid;
  }

  /** The stored cursor when it belongs to this mailbox's UIDVALIDITY, else a fresh one (RFC 4549 §4.1). */
  private currentCursor(mailbox: MailboxObject): SyncCursor {
    const uidValidity = String(mailbox.uidValidity);
    this.position.uidValidity = uidValidity;
    const stored = this.opts.ingestor.cursor(this.channel.id, this.mailboxName);
    if (stored && stored.uidValidity === uidValidity) return stored;

    const lastUid = Math.max(0, (mailbox.uidNext ?? 1) - 1);
    let cursor: SyncCursor;
    if (!stored) {
      // First sync: everything already there is "old mail", imported per the channel's choice.
      const now = this.opts.now();
      const initial = this.channel.inbox.initialImport;
      cursor = {
        ...this.position,
        lastUid,
        backfillBelowUid: initial === 'none' ? null : lastUid + 1,
        // For 'none' the date still matters: after a UIDVALIDITY change, what arrived since the
        // first sync is imported again (and recognised by content), but nothing older.
        backfillSince: initial === 'all' ? null : new Date(now.getTime() - (initial === '14-days' ? INITIAL_IMPORT_DAYS * DAY_MS : 0)).toISOString(),
      };
    } else {
      // UIDs start over. Everything in the old window is fetched again; ingest recognises what it
      // already holds by content, so nothing is duplicated and nothing that arrived in between is lost.
      this.opts.log?.info({ channelId: this.channel.id, from: stored.uidValidity, to: uidValidity }, 'UIDVALIDITY changed, resynchronising');
      cursor = { ...this.position, lastUid, backfillBelowUid: lastUid + 1, backfillSince: stored.backfillSince };
    }
    this.opts.ingestor.resetCursor(cursor);
    return cursor;
  }

  private reread(fallback: SyncCursor): SyncCursor {
    const stored = this.opts.ingestor.cursor(this.channel.id, this.mailboxName);
    return stored && stored.uidValidity === fallback.uidValidity ? stored : fallback;
  }

  /** Mail above the cursor, oldest first, so the cursor only ever moves past what is stored. */
  private async importNew(client: ImapFlow, cursor: SyncCursor): Promise<SyncCursor> {
    const from = cursor.lastUid + 1;
    const metas = (await this.listMessages(client, `${from}:*`)).filter((m) => m.uid >= from);
    if (metas.length === 0) return cursor;
    metas.sort((a, b) => a.uid - b.uid);
    const showProgress = metas.length > this.opts.batchSize;
    let done = 0;
    let lastUid = cursor.lastUid;
    await this.withFlow(client, async (flow) => {
      for (const batch of this.batches(metas)) {
        if (this.stopping) break;
        const progress = showProgress ? `Importing ${done + 1} of ${metas.length}` : undefined;
        const advanceTo = batch[batch.length - 1]!.uid;
        await this.enqueue(flow, batch, { advanceTo }, progress);
        done += batch.length;
        lastUid = advanceTo;
      }
    });
    return this.reread({ ...cursor, lastUid });
  }

  /** The initial import (or a resync): older mail below the cursor, newest first. */
  private async backfill(client: ImapFlow, cursor: SyncCursor): Promise<void> {
    const below = cursor.backfillBelowUid ?? 0;
    const since = cursor.backfillSince ? new Date(cursor.backfillSince) : undefined;
    let uids: number[] = [];
    if (below > 1) {
      // SINCE compares dates in the server's time zone; a day of slack, then the exact instant is
      // checked against each message's arrival time below.
      const query = { uid: `1:${below - 1}`, ...(since ? { since: new Date(since.getTime() - DAY_MS) } : {}) };
      const found = await this.step(client, () => client.search(query, { uid: true }));
      // imapflow answers false when the server refused the SEARCH; finishing the import on that
      // would silently skip the old mail, so it is retried like any other failure.
      if (!Array.isArray(found)) throw Object.assign(new Error('The server refused to list the mailbox'), { code: 'SearchFailed' });
      uids = found.filter((uid) => uid < below).sort((a, b) => b - a);
    }
    if (uids.length === 0) {
      await this.ingest([], { backfillBelow: null }, []);
      return;
    }
    const total = uids.length;
    let current = cursor;
    for (let i = 0; i < total && !this.stopping; ) {
      let interrupted = false;
      // The batches of several slices flow through one after the other; new mail interrupts the
      // flow between slices (below) and is imported ahead of the rest.
      await this.withFlow(client, async (flow) => {
        for (; i < total && !this.stopping; i += this.opts.batchSize) {
          const slice = uids.slice(i, i + this.opts.batchSize);
          const last = i + this.opts.batchSize >= total;
          const metas = (await this.listMessages(client, slice.join(','))).filter(
            (m) => !since || !m.internalDate || m.internalDate.getTime() >= since.getTime(),
          );
          metas.sort((a, b) => b.uid - a.uid);
          const lowest = Math.min(...slice);
          const batches = this.batches(metas);
          if (batches.length === 0) batches.push([]);
          for (const [n, batch] of batches.entries()) {
            const final = last && n === batches.length - 1;
            // Within a slice the batches go downwards, so each one may claim everything above its lowest UID.
            const backfillBelow = final ? null : n === batches.length - 1 ? lowest : Math.min(...batch.map((m) => m.uid));
            await this.enqueue(flow, batch, { backfillBelow }, n === 0 ? `Importing ${i + 1} of ${total}` : undefined);
          }
          // New mail goes ahead of old mail: the first screen should show what just arrived.
          if (this.signalled && !last) {
            interrupted = true;
            i += this.opts.batchSize;
            break;
          }
        }
      });
      current = this.reread(current);
      if (interrupted && !this.stopping) {
        this.signalled = false;
        current = await this.importNew(client, current);
      }
    }
  }

  /**
   * Runs `body`, which adds batches with enqueue(), and waits for every batch to be stored. On a
   * failure it still waits for the batches on their way to settle, so none is stored after the
   * session ended.
   */
  private async withFlow(client: ImapFlow, body: (flow: BatchFlow) => Promise<void>): Promise<void> {
    const flow: BatchFlow = { client, pending: [], handedOver: undefined };
    try {
      await body(flow);
      while (flow.pending.length > 0) await flow.pending.shift()!.done;
    } catch (error) {
      await Promise.allSettled(flow.pending.splice(0).map((p) => p.done));
      throw error;
    }
  }

  /**
   * Fetches a batch now (the server answers commands in order, so this overlaps storing the batches
   * before it) and stores it once the one before it is stored, or handed over to an ingestor that
   * keeps the order itself. Returns when the batch is on its way and few enough others are.
   */
  private async enqueue(flow: BatchFlow, batch: MessageMeta[], move: { advanceTo?: number; backfillBelow?: number | null }, progress?: string): Promise<void> {
    const keepsOrder = this.opts.ingestor.keepsOrder === true;
    const before = flow.pending.at(-1)?.done;
    const beforeHandedOver = flow.handedOver;
    const fetching = this.fetchSources(flow.client, batch);
    let handOver!: () => void;
    let neverHandedOver!: (error: unknown) => void;
    const handedOver = new Promise<void>((resolve, reject) => {
      handOver = resolve;
      neverHandedOver = reject;
    });
    handedOver.catch(() => undefined);
    const done = (async () => {
      let fetched: FetchedBatch | undefined;
      let ingesting: Promise<void>;
      try {
        fetched = await fetching;
        if (keepsOrder) await beforeHandedOver;
        else await before;
        if (this.stopping) throw connectionLost();
        if (progress) this.report({ state: 'syncing', message: progress });
        ingesting = this.ingest(fetched.messages, move, fetched.spool);
      } catch (error) {
        if (fetched) await this.releaseSpool(fetched.spool);
        neverHandedOver(error);
        throw error;
      }
      handOver();
      await ingesting;
      // Marked in order, each only after its batch is stored; the one before may still be marking.
      await before?.catch(() => undefined);
      await this.markSeen(flow.client, batch);
    })();
    done.catch(() => undefined);
    flow.handedOver = handedOver;
    const bytes = batch.reduce((sum, m) => sum + (m.size > this.opts.largeMessageBytes ? 0 : m.size), 0);
    flow.pending.push({ done, bytes });
    // Few enough on their way: by count, and by bytes held in memory.
    while (flow.pending.length > 1 && (flow.pending.length >= FLOW_DEPTH || flow.pending.reduce((sum, p) => sum + p.bytes, 0) > BATCH_BYTES)) {
      await flow.pending.shift()!.done;
    }
  }

  /** UID, size and arrival date of the messages in a UID range; no bodies. */
  private async listMessages(client: ImapFlow, range: string): Promise<MessageMeta[]> {
    return this.step(client, async () => {
      const metas: MessageMeta[] = [];
      // Only collected here: running any other command inside this loop would deadlock the session.
      for await (const msg of client.fetch(range, { uid: true, size: true, internalDate: true, flags: true }, { uid: true })) {
        metas.push({ uid: msg.uid, size: msg.size ?? 0, internalDate: toDate(msg.internalDate), answered: msg.flags?.has('\\Answered') ?? false });
      }
      return metas;
    });
  }

  /** Splits by count and by bytes held in memory; large messages are spooled to disk and cost nothing here. */
  private batches(metas: MessageMeta[]): MessageMeta[][] {
    const out: MessageMeta[][] = [];
    let batch: MessageMeta[] = [];
    let bytes = 0;
    for (const meta of metas) {
      const inMemory = meta.size > this.opts.largeMessageBytes ? 0 : meta.size;
      if (batch.length > 0 && (batch.length >= this.opts.batchSize || bytes + inMemory > BATCH_BYTES)) {
        out.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(meta);
      bytes += inMemory;
    }
    if (batch.length > 0) out.push(batch);
    return out;
  }

  /** The raw messages of a batch, in the batch's order. BODY.PEEK only: fetching never sets \Seen. */
  private async fetchSources(client: ImapFlow, batch: MessageMeta[]): Promise<FetchedBatch> {
    const spool: SpoolEntry[] = [];
    if (batch.length === 0) return { messages: [], spool };
    try {
      return { messages: await this.fetchBatch(client, batch, spool), spool };
    } catch (error) {
      await this.releaseSpool(spool);
      throw error;
    }
  }

  private async fetchBatch(client: ImapFlow, batch: MessageMeta[], spool: SpoolEntry[]): Promise<FetchedMessage[]> {
    const small = batch.filter((m) => m.size <= this.opts.largeMessageBytes);
    const sources = new Map<number, FetchedMessage['source']>();
    if (small.length > 0) {
      const rows = await this.step(client, async () => {
        const collected: FetchMessageObject[] = [];
        for await (const msg of client.fetch(small.map((m) => m.uid).join(','), { uid: true, source: true }, { uid: true })) {
          collected.push(msg);
        }
        return collected;
      });
      for (const row of rows) if (row.source) sources.set(row.uid, row.source);
    }
    for (const meta of batch) {
      if (meta.size <= this.opts.largeMessageBytes) continue;
      const stream = await this.spool(client, meta, spool);
      if (stream) sources.set(meta.uid, stream);
    }
    // The cursor moves past the whole batch, so a message that came back without a source must
    // really be gone (expunged meanwhile); one that still exists is retried rather than skipped.
    const missing = batch.filter((meta) => !sources.has(meta.uid)).map((meta) => meta.uid);
    if (missing.length > 0) {
      const still = await this.step(client, () => client.search({ uid: missing.join(',') }, { uid: true }));
      if (!Array.isArray(still) || still.length > 0) {
        throw Object.assign(new Error(`The server did not return message ${missing.join(', ')}`), { code: 'FetchIncomplete' });
      }
    }
    return batch.flatMap((meta) => {
      const source = sources.get(meta.uid);
      return source ? [{ uid: meta.uid, size: meta.size, source, answered: meta.answered, ...(meta.internalDate ? { internalDate: meta.internalDate } : {}) }] : [];
    });
  }

  /**
   * Downloads one large message to a temporary file and returns a stream of it. The download must
   * finish before the next command: imapflow holds the session for an open download.
   */
  private async spool(client: ImapFlow, meta: MessageMeta, batchSpool: SpoolEntry[]): Promise<FetchedMessage['source'] | undefined> {
    const dir = await mkdtemp(join(this.opts.tempDir ?? tmpdir(), 'auxilium-spool-'));
    const entry: SpoolEntry = { dir, streams: [] };
    this.spooled.push(entry);
    batchSpool.push(entry);
    const file = join(dir, `${meta.uid}.eml`);
    // Slow links get more time for big messages: one command deadline per 5 MB.
    const deadline = this.opts.commandTimeoutMs * Math.ceil(meta.size / (5 * 1024 * 1024));
    const found = await this.step(
      client,
      async () => {
        const download = await client.download(String(meta.uid), undefined, { uid: true, chunkSize: 1024 * 1024 });
        if (!download.content) return false;
        await pipeline(download.content, createWriteStream(file, { mode: PRIVATE_FILE_MODE }));
        return true;
      },
      Math.max(deadline, this.opts.commandTimeoutMs),
    );
    if (!found) return undefined;
    const stream = createReadStream(file);
    entry.streams.push(stream);
    return stream;
  }

  /** Removes the given temporary files, or all of them. */
  private async releaseSpool(only?: SpoolEntry[]): Promise<void> {
    const entries = only ?? this.spooled.slice();
    this.spooled = this.spooled.filter((entry) => !entries.includes(entry));
    for (const entry of entries) {
      for (const stream of entry.streams) stream.destroy();
      await rm(entry.dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private async ingest(messages: FetchedMessage[], move: { advanceTo?: number; backfillBelow?: number | null }, spool: SpoolEntry[]): Promise<void> {
    try {
      await this.opts.ingestor.ingest({ ...this.position }, messages, move);
    } catch (error) {
      throw new IngestFailure(error);
    } finally {
      await this.releaseSpool(spool);
    }
  }

  /** Only with the channel's opt-in, and only after the messages are safely stored. */
  private async markSeen(client: ImapFlow, batch: MessageMeta[]): Promise<void> {
    if (this.readOnly || batch.length === 0) return;
    await this.step(client, () => client.messageFlagsAdd(batch.map((m) => m.uid).join(','), ['\\Seen'], { uid: true }));
  }

  // ---- plumbing ----

  /**
   * Runs one IMAP step with a deadline. A server that stops answering mid-session never errors by
   * itself; the deadline turns that into a failure, and the session is closed and rebuilt.
   */
  private async step<T>(client: ImapFlow, fn: () => Promise<T>, timeoutMs = this.opts.commandTimeoutMs): Promise<T> {
    if (this.stopping) throw connectionLost();
    let timer: unknown;
    const work = fn();
    // Settles late when the deadline won; that rejection is expected and not worth a crash.
    work.catch(() => undefined);
    const deadline = new Promise<never>((_, reject) => {
      timer = this.opts.timers.setTimeout(() => {
        reject(deadlineError(timeoutMs));
        client.close();
      }, timeoutMs);
    });
    try {
      return await Promise.race([work, deadline]);
    } finally {
      this.opts.timers.clearTimeout(timer);
    }
  }

  private wake(): void {
    this.signalled = true;
    this.wakeup?.();
  }

  /** Resolves on a signal (new mail, a closed session, stop) or, failing that, when `ms` have passed. */
  private waitForWake(ms: number): Promise<'signal' | 'timer'> {
    if (this.signalled || this.stopping) return Promise.resolve('signal');
    return new Promise((resolve) => {
      const timer = this.opts.timers.setTimeout(() => finish('timer'), ms);
      const finish = (why: 'signal' | 'timer'): void => {
        this.wakeup = undefined;
        this.opts.timers.clearTimeout(timer);
        resolve(why);
      };
      this.wakeup = () => finish('signal');
    });
  }

  /** Waits out a backoff delay; stop() ends the wait at once. */
  private async sleep(ms: number): Promise<void> {
    this.signalled = false;
    await this.waitForWake(ms);
  }

  /** LOGOUT when asked to stop (briefly), then close, and wait for the socket itself to be gone. */
  private closeClient(client: ImapFlow, polite: boolean): Promise<void> {
    let closing = this.closing.get(client);
    if (!closing) {
      closing = this.closeNow(client, polite).finally(() => this.closing.delete(client));
      this.closing.set(client, closing);
    }
    return closing;
  }

  private async closeNow(client: ImapFlow, polite: boolean): Promise<void> {
    const socket = (client as unknown as { socket?: Socket | null }).socket ?? undefined;
    if (polite && client.usable) {
      let timer: unknown;
      await Promise.race([
        client.logout().catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = this.opts.timers.setTimeout(resolve, this.opts.logoutTimeoutMs);
        }),
      ]);
      this.opts.timers.clearTimeout(timer);
    }
    client.close();
    // The 'error' listener stays: imapflow may still report a late socket error on a closed client.
    client.removeAllListeners('exists');
    client.removeAllListeners('close');
    client.removeAllListeners('flags');
    if (socket && !socket.closed) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        if (socket.closed) resolve();
      });
    }
  }
}

function isGeneric(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'NoConnection' || code === 'EConnectionClosed' || !(error instanceof Error);
}

function toDate(value: Date | string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
