import type { Socket } from 'node:net';
import type { ImapFlow, ImapFlowOptions, MailboxObject } from 'imapflow';
import type { ChannelNotice, ChannelNoticeKind, ChannelStatus } from '../../../shared/channel';
import { describeMailError, type MailErrorContext } from '../../../shared/errors';
import type { ChannelWithSecrets } from '../channels/channel-service';
import { deadlineError, mapImapError } from '../mail-errors/map-error';
import { isOAuthFailure } from '../oauth/oauth-failure';
import type { FetchedMessage, Ingestor } from '../ingest/types';
import type { MailboxPosition, MailboxRole, SyncCursor } from '../store/sync-cursor';
import { lookupFolder } from './mailbox-ops';
import { backoffDelay, DEFAULT_BACKOFF, describeDelay, type BackoffOptions } from './backoff';
import { connectImap, createImapClient } from './connect';
import { planCursor } from './cursor-plan';
import { searchUids } from './search';
import { connectionLost, FetchPipeline, type CursorMove, type MessageMeta } from './fetch-pipeline';

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

const DAY_MS = 24 * 60 * 60_000;
/**
 * Polls in a row that found new mail IDLE had said nothing about before the card says the server
 * does not push: one could be mail that landed in the instant between the poll and the check.
 */
const SILENT_POLLS_TO_NOTICE = 2;

const realTimers: WatcherTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

// Without CONDSTORE, \\Answered is re-read for this many of the newest messages on each poll.
const RECENT_FLAGS = 500;

/** Thrown for failures of our own storage, so the card does not blame the mail server for them. */
class IngestFailure extends Error {
  constructor(readonly original: unknown) {
    super(original instanceof Error ? original.message : String(original));
  }
}

/** The server has no folder where sent mail would be found: nothing to watch for this role. */
class NoSentFolder extends Error {}

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
  /** Fetches and hands over the messages of the current session. */
  private pipeline: FetchPipeline | undefined;
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
    const { imap } = this.channel;
    const context: MailErrorContext = { protocol: 'imap', host: imap.host, port: imap.port, mailbox: imap.mailbox, oauth: Boolean(imap.tokens) };
    if (error instanceof IngestFailure) return `${describeMailError('IMPORT_NOT_STORED', context).message}: ${error.message}`;
    if (error instanceof NoSentFolder) return describeMailError('NO_SENT_FOLDER', context).message;
    return mapImapError(error, context).message;
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
      this.pipeline = this.pipelineFor(client);
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
      await this.pipeline?.release();
      this.pipeline = undefined;
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

  /** The stored cursor when it belongs to this mailbox's UIDVALIDITY, else a fresh one (cursor-plan.ts). */
  private currentCursor(mailbox: MailboxObject): SyncCursor {
    const uidValidity = String(mailbox.uidValidity);
    this.position.uidValidity = uidValidity;
    const stored = this.opts.ingestor.cursor(this.channel.id, this.mailboxName);
    const plan = planCursor({
      position: { ...this.position },
      stored,
      uidNext: mailbox.uidNext,
      initialImport: this.channel.inbox.initialImport,
      now: this.opts.now(),
    });
    if (plan.fresh === 'resync') {
      this.opts.log?.info({ channelId: this.channel.id, from: stored?.uidValidity, to: uidValidity }, 'UIDVALIDITY changed, resynchronising');
    }
    if (plan.fresh) this.opts.ingestor.resetCursor(plan.cursor);
    return plan.cursor;
  }

  private reread(fallback: SyncCursor): SyncCursor {
    const stored = this.opts.ingestor.cursor(this.channel.id, this.mailboxName);
    return stored && stored.uidValidity === fallback.uidValidity ? stored : fallback;
  }

  /** Mail above the cursor, oldest first, so the cursor only ever moves past what is stored. */
  private async importNew(client: ImapFlow, cursor: SyncCursor): Promise<SyncCursor> {
    const pipeline = this.pipelineOf();
    const from = cursor.lastUid + 1;
    const metas = (await pipeline.list(`${from}:*`)).filter((m) => m.uid >= from);
    if (metas.length === 0) return cursor;
    metas.sort((a, b) => a.uid - b.uid);
    const showProgress = metas.length > this.opts.batchSize;
    let done = 0;
    let lastUid = cursor.lastUid;
    await pipeline.run(async (flow) => {
      for (const batch of pipeline.batches(metas)) {
        if (this.stopping) break;
        const progress = showProgress ? `Importing ${done + 1} of ${metas.length}` : undefined;
        const advanceTo = batch[batch.length - 1]!.uid;
        await pipeline.enqueue(flow, batch, { advanceTo }, progress);
        done += batch.length;
        lastUid = advanceTo;
      }
    });
    return this.reread({ ...cursor, lastUid });
  }

  /** The initial import (or a resync): older mail below the cursor, newest first. */
  private async backfill(client: ImapFlow, cursor: SyncCursor): Promise<void> {
    const pipeline = this.pipelineOf();
    const below = cursor.backfillBelowUid ?? 0;
    const since = cursor.backfillSince ? new Date(cursor.backfillSince) : undefined;
    let uids: number[] = [];
    if (below > 1) {
      // SINCE compares dates in the server's time zone; a day of slack, then the exact instant is
      // checked against each message's arrival time below.
      const query = { uid: `1:${below - 1}`, ...(since ? { since: new Date(since.getTime() - DAY_MS) } : {}) };
      // A refused SEARCH throws (searchUids): finishing the import on it would skip the old mail.
      const found = await this.step(client, () => searchUids(client, query));
      uids = found.filter((uid) => uid < below).sort((a, b) => b - a);
    }
    if (uids.length === 0) {
      await this.ingest([], { backfillBelow: null });
      return;
    }
    const total = uids.length;
    let current = cursor;
    for (let i = 0; i < total && !this.stopping;) {
      let interrupted = false;
      // The batches of several slices flow through one after the other; new mail interrupts the
      // flow between slices (below) and is imported ahead of the rest.
      await pipeline.run(async (flow) => {
        for (; i < total && !this.stopping; i += this.opts.batchSize) {
          const slice = uids.slice(i, i + this.opts.batchSize);
          const last = i + this.opts.batchSize >= total;
          const metas = (await pipeline.list(slice.join(','))).filter((m) => !since || !m.internalDate || m.internalDate.getTime() >= since.getTime());
          metas.sort((a, b) => b.uid - a.uid);
          const lowest = Math.min(...slice);
          const batches = pipeline.batches(metas);
          if (batches.length === 0) batches.push([]);
          for (const [n, batch] of batches.entries()) {
            const final = last && n === batches.length - 1;
            // Within a slice the batches go downwards, so each one may claim everything above its lowest UID.
            const backfillBelow = final ? null : n === batches.length - 1 ? lowest : Math.min(...batch.map((m) => m.uid));
            await pipeline.enqueue(flow, batch, { backfillBelow }, n === 0 ? `Importing ${i + 1} of ${total}` : undefined);
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

  /** The session's pipeline: fetched batches go to ingest, stored ones are marked \Seen (opt-in). */
  private pipelineFor(client: ImapFlow): FetchPipeline {
    return new FetchPipeline(client, {
      batchSize: this.opts.batchSize,
      largeMessageBytes: this.opts.largeMessageBytes,
      tempDir: this.opts.tempDir,
      commandTimeoutMs: this.opts.commandTimeoutMs,
      keepsOrder: this.opts.ingestor.keepsOrder === true,
      step: (fn, timeoutMs) => this.step(client, fn, timeoutMs),
      stopped: () => this.stopping,
      ingest: (messages, move) => this.ingest(messages, move),
      afterStored: (batch) => this.markSeen(client, batch),
      progress: (message) => this.report({ state: 'syncing', message }),
    });
  }

  private pipelineOf(): FetchPipeline {
    if (!this.pipeline) throw this.sessionError ?? connectionLost();
    return this.pipeline;
  }

  private async ingest(messages: FetchedMessage[], move: CursorMove): Promise<void> {
    try {
      await this.opts.ingestor.ingest({ ...this.position }, messages, move);
    } catch (error) {
      throw new IngestFailure(error);
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
