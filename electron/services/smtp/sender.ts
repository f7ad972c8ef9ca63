import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { ChannelNotice, ChannelNoticeKind } from '../../../shared/channel';
import type { Address, Delivery } from '../../../shared/conversation';
import type { MailError } from '../../../shared/errors';
import type { EventBus } from '../events/event-bus';
import type { ChannelWithSecrets } from '../channels/channel-service';
import { mapAppendError, mapImapError, mapSmtpError } from '../mail-errors/map-error';
import { SIGN_IN_AGAIN } from '../oauth/oauth-failure';
import type { BackoffOptions } from '../imap/backoff';
import { readRaw, type RawStore } from '../store/raw-store';
import type { Logger } from '../logging/logger';
import type { ChannelRecord } from '../store/channel-repo';
import { snippetOf } from '../store/mail-store';
import type { OutboxRepo, OutboxRow, OutgoingRecord } from '../store/outbox-repo';
import { smtpConnectionOptions } from './connect';
import { replyHtml } from '../../../shared/formatting';
import { fileCopy, fileFolder, flagAnswered, hasMessageId, lookupFolder, withImap } from '../imap/mailbox-ops';
import { OUTBOX_BACKOFF, retryDelay, SendRateLimiter } from './pacing';

/**
 * The outbox worker: one per core. It sends due replies over the channel's SMTP settings, one at a
 * time per channel and in the order they were written, and records every step in SQLite so that a
 * crash or quit never loses a reply and (see `recover`) practically never sends one twice.
 */

export interface OutboxHooks {
  /** Called the moment the SMTP server accepted a reply; the benchmark measures up to here. */
  accepted?(messageId: number): void;
  /**
   * Called after the server accepted a reply and its Sent copy was filed, before it is marked sent.
   * Tests use it to kill the process at exactly that point.
   */
  afterAccepted?(messageId: number): void;
}

export interface OutboxOptions {
  backoff?: BackoffOptions;
  /** Connect/greeting/socket timeout of each SMTP session. */
  timeoutMs?: number;
  hooks?: OutboxHooks;
}

export interface OutboxWorkerDeps extends OutboxOptions {
  repo: OutboxRepo;
  /** Keeps the bytes of each sent reply (large ones as files), for its Sent copy. */
  raw: RawStore;
  channel(id: string): ChannelRecord | undefined;
  secrets(id: string): Promise<ChannelWithSecrets>;
  events: EventBus;
  log: Logger;
  /** Shows (or, with null, takes off) a notice on the channel's card: a Sent copy that failed, or no Sent folder. */
  notice?(channelId: string, kind: ChannelNoticeKind, notice: ChannelNotice | null): void;
  now?: () => Date;
  random?: () => number;
}

/**
 * The X-Auxilium-Agent header: who wrote a reply, so every desktop that finds it in the Sent folder
 * can say so. One line, no control characters; nodemailer encodes anything beyond ASCII (RFC 2047).
 */
export function agentHeader(agent: { name: string; email: string }): string {
  // eslint-disable-next-line no-control-regex
  const clean = (text: string) => text.replace(/[\u0000-\u001f\u007f<>]+/g, ' ').replace(/\s+/g, ' ').trim();
  const name = clean(agent.name);
  const email = clean(agent.email);
  return name ? `${name} <${email}>` : email;
}

/**
 * Builds the MIME with nodemailer (never by hand): the text as typed, an HTML alternative when the
 * agent used simple formatting, the attached files. No Auto-Submitted: this is a human reply.
 */
export function buildMime(out: OutgoingRecord, date: Date): Promise<Buffer> {
  const angle = (id: string) => `<${id}>`;
  const list = (addresses: Address[]) => addresses.map((a) => ({ name: a.name, address: a.address }));
  return new MailComposer({
    from: { name: out.from.name, address: out.from.address },
    to: list(out.to),
    cc: out.cc.length > 0 ? list(out.cc) : undefined,
    subject: out.subject,
    text: out.text,
    html: replyHtml(out.text) ?? undefined,
    date,
    messageId: angle(out.headerMessageId),
    inReplyTo: out.inReplyTo ? angle(out.inReplyTo) : undefined,
    references: out.references.length > 0 ? out.references.map(angle) : undefined,
    // Streamed from their files while the message is built.
    attachments: out.attachments.length > 0 ? out.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, path: a.path })) : undefined,
    // Lets our own ingest recognise the copy as ours wherever it turns up, and name its author.
    headers: { 'X-Auxilium-Conversation': out.token, ...(out.agent ? { 'X-Auxilium-Agent': agentHeader(out.agent) } : {}) },
  })
    .compile()
    .build();
}

/** Everyone a reply is delivered to, Bcc included, each address once. */
export function envelopeRecipients(out: Pick<OutgoingRecord, 'to' | 'cc' | 'bcc'>): string[] {
  const seen = new Set<string>();
  return [...out.to, ...out.cc, ...out.bcc].map((a) => a.address).filter((address) => {
    const key = address.trim().toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** 4xx, connection and timeout problems are worth retrying unchanged; 5xx and settings problems are not. */
export function isTemporary(err: unknown, mapped: MailError): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { responseCode?: unknown }).responseCode : undefined;
  if (typeof code === 'number' && code >= 400 && code < 500) return true;
  if (typeof code === 'number' && code >= 500) return false;
  return mapped.retryable;
}

/** The recipients a server refused in a transaction it accepted for others, each with its mapped error. */
function refusedRecipients(info: { rejected: unknown[]; rejectedErrors?: unknown[] }, secrets: ChannelWithSecrets): Delivery['refused'] {
  const context = { protocol: 'smtp' as const, host: secrets.smtp.host, port: secrets.smtp.port, fromAddress: secrets.smtp.fromAddress };
  const errors = (info.rejectedErrors ?? []) as { recipient?: unknown }[];
  return info.rejected.map((address) => ({
    address: String(address),
    error: mapSmtpError(errors.find((e) => e.recipient === address) ?? {}, context),
  }));
}

function appError(message: string, cause: string, fix: string, retryable: boolean): MailError {
  return { code: 'SERVER_ERROR', message, cause, fix, retryable };
}

const IDLE_RECHECK_MS = 60_000;
/**
 * A Sent copy, \Answered or deferred recipient that could not be done right after sending is tried
 * again with the outbox backoff (at most 5 minutes apart by default), for some hours, then given up.
 */
const FOLLOW_UP_ATTEMPTS = 100;

export class OutboxWorker {
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly backoff: BackoffOptions;
  private readonly limiter = new SendRateLimiter();
  /** Channels with a reply in flight in this process. */
  private readonly busy = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  /** Channels whose server failed for every reply (down, throttling, keychain locked): nothing of theirs is tried before then. */
  private readonly channelWaitsUntil = new Map<string, number>();
  /** Failed Sent-folder checks per uncertain reply, for their backoff. */
  private readonly checkFailures = new Map<number, number>();
  /** Sent replies whose follow-up (Sent copy, \Answered, deferred recipients) runs in this process. */
  private readonly followingUp = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private unsubscribe: (() => void) | undefined;
  /** Last seen connection state per channel, to notice a reconnect. */
  private readonly channelStates = new Map<string, string>();
  private ticking = false;
  private again = false;

  constructor(private readonly deps: OutboxWorkerDeps) {
    this.now = deps.now ?? (() => new Date());
    this.random = deps.random ?? Math.random;
    this.backoff = deps.backoff ?? OUTBOX_BACKOFF;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.deps.events.on('channels:changed', ({ channels }) => {
      for (const c of channels) {
        const before = this.channelStates.get(c.id);
        this.channelStates.set(c.id, c.status.state);
        if (c.status.state === 'connected' && before !== undefined && before !== 'connected') this.connectionReturned(c.id);
      }
    });
    this.kick();
  }

  /** Waits for sends in flight: a reply is never cut off halfway by a normal quit. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inflight]);
  }

  /**
   * The channel's connection came back (its mailbox watcher reconnected, or the channel was enabled
   * again): replies waiting out a backoff try again now instead of at the end of their backoff, and
   * replies held while the channel was disabled go out.
   */
  connectionReturned(channelId: string): void {
    this.channelWaitsUntil.delete(channelId);
    this.deps.repo.wakeWaiting(channelId, this.now().toISOString());
    this.kick();
  }

  /** Something changed (a new reply, a retry): look at the queue now. A channel's wait ends when it is named. */
  kick(channelId?: string): void {
    if (channelId !== undefined) this.channelWaitsUntil.delete(channelId);
    this.wake(0);
  }

  private wake(delayMs: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), Math.max(0, Math.min(delayMs, IDLE_RECHECK_MS)));
  }

  /**
   * The channel can send again after a new sign-in: the replies that waited for it go now, not
   * when their backoff would have let them.
   */
  resume(channelId: string): void {
    this.channelWaitsUntil.delete(channelId);
    const now = this.now().toISOString();
    for (const head of this.deps.repo.heads()) {
      if (head.channelId === channelId && head.state === 'queued' && head.error && SIGN_IN_AGAIN.includes(head.error.code)) {
        this.deps.repo.markQueued(head.messageId, now, head.error);
      }
    }
    this.kick();
  }

  private tick(): void {
    this.timer = undefined;
    if (!this.running) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    try {
      const now = this.now().getTime();
      let nextWake = now + IDLE_RECHECK_MS;
      // Oldest first; one reply at a time per channel.
      for (const head of this.deps.repo.heads()) {
        if (this.busy.has(head.channelId)) continue;
        const due = Math.max(Date.parse(head.nextAttemptAt), this.channelWaitsUntil.get(head.channelId) ?? 0);
        if (due > now) {
          nextWake = Math.min(nextWake, due);
          continue;
        }
        const channel = this.deps.channel(head.channelId);
        // A disabled channel sends nothing: its replies wait, queued, until an admin enables it
        // again (its watcher then reports 'connected', which kicks the queue).
        if (channel && !channel.enabled) continue;
        if (channel && head.state === 'queued') {
          // Over the provider's send rate: wait for a slot rather than fail.
          const slot = this.limiter.nextSlot(channel.id, channel.inbox.sendRatePerMinute, now);
          if (slot > now) {
            // Shown to the agent as "waiting until": queued, no error, nothing failed.
            if (due < slot) {
              this.deps.repo.markQueued(head.messageId, new Date(slot).toISOString(), head.error);
              this.changed(head);
            }
            nextWake = Math.min(nextWake, slot);
            continue;
          }
        }
        this.busy.add(head.channelId);
        const run = this.process(head, channel)
          .catch((err: unknown) => {
            this.deps.log.error({ err, messageId: head.messageId }, 'outbox: unexpected failure');
            // Never a tight loop on a reply that keeps failing in an unexpected way: it waits its backoff.
            const failures = (this.checkFailures.get(head.messageId) ?? 0) + 1;
            this.checkFailures.set(head.messageId, failures);
            try {
              const latest = this.deps.repo.get(head.messageId);
              if (latest && (latest.state === 'queued' || latest.state === 'sending')) {
                this.deps.repo.markQueued(head.messageId, this.later(failures), latest.error, latest.state);
              }
            } catch {
              // the database is gone (shutting down): nothing to do
            }
          })
          .finally(() => {
            this.busy.delete(head.channelId);
            this.inflight.delete(run);
            this.kick();
          });
        this.inflight.add(run);
      }
      for (const row of this.deps.repo.followUps()) {
        if (this.followingUp.has(row.messageId)) continue;
        const due = Date.parse(row.followUpAt ?? '');
        if (due > now) {
          nextWake = Math.min(nextWake, due);
          continue;
        }
        const channel = this.deps.channel(row.channelId);
        if (!channel) {
          // The channel was deleted: there is no mailbox left to file into.
          this.deps.repo.scheduleFollowUp(row.messageId, null, row.followUpAttempts);
          continue;
        }
        if (!channel.enabled) continue;
        this.followingUp.add(row.messageId);
        const run = this.followUp(row, channel)
          .catch((err: unknown) => this.deps.log.error({ err, messageId: row.messageId }, 'outbox: unexpected failure finishing a sent reply'))
          .finally(() => {
            this.followingUp.delete(row.messageId);
            this.inflight.delete(run);
            this.kick();
          });
        this.inflight.add(run);
      }
      this.wake(nextWake - now);
    } finally {
      this.ticking = false;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    }
  }

  private changed(row: Pick<OutboxRow, 'conversationId'>): void {
    this.deps.events.emit('conversations:changed', { ids: [row.conversationId], created: [] });
  }

  /** A reply failed for good: the window raises a notification, since nobody may be looking at it. */
  private failed(row: Pick<OutboxRow, 'conversationId'>): void {
    this.deps.events.emit('conversations:changed', { ids: [row.conversationId], created: [], failed: [row.conversationId] });
  }

  private async process(head: OutboxRow, channel: ChannelRecord | undefined): Promise<void> {
    const { repo } = this.deps;
    if (!channel) {
      repo.markFailed(
        head.messageId,
        appError('The channel of this conversation no longer exists', 'The email channel this reply was to go out through was deleted.', 'Copy the text and reply from another channel.', false),
      );
      this.failed(head);
      return;
    }
    let secrets: ChannelWithSecrets;
    try {
      secrets = await this.deps.secrets(channel.id);
    } catch (err) {
      this.deps.log.warn({ err, channelId: channel.id }, 'outbox: channel passwords unavailable');
      const attempts = (this.checkFailures.get(head.messageId) ?? 0) + 1;
      this.checkFailures.set(head.messageId, attempts);
      repo.markQueued(
        head.messageId,
        this.channelWaits(channel.id, this.later(attempts)),
        appError('The mail password could not be read', 'The OS keychain did not answer.', 'Unlock the keychain; the reply is sent as soon as it can be read.', true),
        head.state === 'sending' ? 'sending' : 'queued',
      );
      this.changed(head);
      return;
    }
    if (head.state === 'sending' && !(await this.recover(head, channel, secrets))) return;
    await this.send(head.messageId, channel, secrets);
  }

  /**
   * A reply found in 'sending' that this process is not sending was cut off by a crash or kill:
   * the server may or may not have accepted it. Its Message-ID is looked up in the Sent folder
   * (ours, or the provider's own \Sent with sentFolder 'none'): found means it went out. Not found,
   * it is sent again. Residual risk: if the app died after the server accepted the reply but before
   * its copy reached the Sent folder (or the server keeps no copy and sentFolder is 'none' on a
   * provider that does not file sent mail), the customer gets it twice. There is no way to ask an
   * SMTP server what it accepted; this window is milliseconds wide and only a hard kill hits it.
   * True when the reply should be sent now.
   */
  private async recover(head: OutboxRow, channel: ChannelRecord, secrets: ChannelWithSecrets): Promise<boolean> {
    const { repo, log } = this.deps;
    const out = repo.outgoing(head.messageId);
    if (!out) return false;
    let found: boolean;
    try {
      found = await withImap(secrets.imap, async (client) => {
        const folder = await lookupFolder(client, { sentFolder: channel.inbox.sentFolder });
        return folder ? hasMessageId(client, folder, out.headerMessageId) : false;
      });
    } catch (err) {
      const failures = (this.checkFailures.get(head.messageId) ?? 0) + 1;
      this.checkFailures.set(head.messageId, failures);
      const error = mapImapError(err, { protocol: 'imap', host: secrets.imap.host, port: secrets.imap.port, mailbox: channel.inbox.sentFolder || 'Sent', oauth: Boolean(secrets.imap.tokens) });
      log.warn({ messageId: head.messageId, code: error.code }, 'outbox: could not check the Sent folder for an interrupted reply');
      // Still 'sending': the reply is not sent again until we know it did not go out.
      repo.markQueued(head.messageId, this.channelWaits(channel.id, this.later(failures)), error, 'sending');
      this.changed(head);
      return false;
    }
    this.checkFailures.delete(head.messageId);
    if (found) {
      log.info({ messageId: head.messageId }, 'outbox: interrupted reply is in the Sent folder; marked sent');
      repo.markSent(head.messageId, this.now().toISOString(), { filed: true, snippet: snippetOf });
      this.changed(head);
      if (!(await this.answer(head.messageId, secrets))) repo.scheduleFollowUp(head.messageId, this.later(1), 1);
      return false;
    }
    log.info({ messageId: head.messageId }, 'outbox: interrupted reply not in the Sent folder; sending it again');
    repo.markQueued(head.messageId, this.now().toISOString(), head.error);
    return true;
  }

  private transport(secrets: ChannelWithSecrets): ReturnType<typeof nodemailer.createTransport> {
    return nodemailer.createTransport(smtpConnectionOptions(secrets.smtp, { timeoutMs: this.deps.timeoutMs ?? 30_000 }));
  }

  /** Holds every reply of the channel until `until` (ISO); returns it. */
  private channelWaits(channelId: string, until: string): string {
    this.channelWaitsUntil.set(channelId, Date.parse(until));
    return until;
  }

  private later(failures: number): string {
    return new Date(this.now().getTime() + retryDelay(failures, this.backoff, this.random)).toISOString();
  }

  private async send(messageId: number, channel: ChannelRecord, secrets: ChannelWithSecrets): Promise<void> {
    const { repo, log } = this.deps;
    const out = repo.outgoing(messageId);
    if (!out) return;
    const started = this.now();
    // Recorded before the SMTP transaction: from here on a crash leaves an uncertain 'sending' row.
    if (!repo.markSending(messageId, started.toISOString())) return;
    this.limiter.record(channel.id, started.getTime());
    this.changed(out);
    const row = repo.get(messageId);
    const attempts = row?.attempts ?? 1;

    let raw: Buffer;
    let refused: Delivery['refused'] = [];
    const transport = this.transport(secrets);
    try {
      raw = await buildMime(out, started);
      // The Bcc is only in the envelope: buildMime never writes it into the message.
      const recipients = envelopeRecipients(out);
      const info = await transport.sendMail({ envelope: { from: out.from.address, to: recipients }, raw });
      this.deps.hooks?.accepted?.(messageId);
      this.channelWaitsUntil.delete(channel.id);
      // Accepted for the others: the refused ones are shown on the reply, each with what the server said.
      refused = refusedRecipients(info, secrets);
      if (refused.length > 0) log.warn({ messageId, refused: refused.length }, 'outbox: some recipients were refused');
    } catch (err) {
      const error = mapSmtpError(err, { protocol: 'smtp', host: secrets.smtp.host, port: secrets.smtp.port, fromAddress: secrets.smtp.fromAddress, oauth: Boolean(secrets.smtp.tokens) });
      if (SIGN_IN_AGAIN.includes(error.code)) {
        // Nothing is wrong with the reply: it waits, with every other reply of the channel, until an
        // admin signs in again (resume() then sends it at once).
        repo.markQueued(messageId, this.channelWaits(channel.id, this.later(attempts)), { ...error, retryable: true });
        log.warn({ messageId, code: error.code }, 'outbox: waiting for a new sign-in');
      } else if (isTemporary(err, error)) {
        // A deferred address (greylisting, a full mailbox) is about this customer; anything else
        // temporary (no connection, a busy or throttling server) holds every reply of the channel.
        const next = this.later(attempts);
        repo.markQueued(messageId, error.code === 'RECIPIENT_DEFERRED' ? next : this.channelWaits(channel.id, next), { ...error, retryable: true });
        log.info({ messageId, code: error.code, attempts }, 'outbox: temporary failure, will retry');
      } else {
        repo.markFailed(messageId, { ...error, retryable: false });
        log.warn({ messageId, code: error.code, attempts }, 'outbox: permanent failure');
        this.failed(out);
        return;
      }
      this.changed(out);
      return;
    } finally {
      transport.close();
    }

    // Accepted. The copy goes to the Sent folder first, so that a crash from here on finds it there.
    const filed = await this.file(messageId, out.headerMessageId, raw, channel, secrets);
    this.deps.hooks?.afterAccepted?.(messageId);
    let kept: Awaited<ReturnType<RawStore['save']>> | undefined;
    try {
      kept = await this.deps.raw.save(raw);
    } catch (err) {
      log.warn({ messageId, err: err instanceof Error ? err.message : String(err) }, 'outbox: could not keep the bytes of a sent reply');
    }
    // The reply has gone out either way; what is left is retried later (followUp), never the sending.
    // Scheduled in the same transaction as "sent", so a crash right after cannot lose it.
    const leftOver = !filed || refused.some((r) => r.error.retryable);
    repo.markSent(messageId, this.now().toISOString(), {
      raw: kept && { blob: kept.blob, path: kept.path, size: kept.size },
      filed,
      snippet: snippetOf,
      refused,
      followUpAt: leftOver ? this.later(1) : null,
    });
    this.changed(out);
    log.info({ messageId, attempts, filed }, 'outbox: reply sent');
    if (!(await this.answer(messageId, secrets)) && !leftOver) repo.scheduleFollowUp(messageId, this.later(1), 1);
  }

  /**
   * Sends the reply, byte for byte as it went out, to the recipients the server deferred, and keeps
   * what is still refused. True when nobody is left waiting; false to try again later.
   */
  private async deliverToDeferred(row: OutboxRow, from: string, sent: Buffer | null, secrets: ChannelWithSecrets): Promise<boolean> {
    const waiting = row.refused.filter((r) => r.error.retryable);
    if (waiting.length === 0) return true;
    if (!sent || !from) {
      // The bytes that went out were not kept: there is nothing faithful to send them.
      this.stopWaitingForDeferred(row);
      return true;
    }
    const transport = this.transport(secrets);
    let stillRefused: Delivery['refused'];
    try {
      const info = await transport.sendMail({ envelope: { from, to: waiting.map((r) => r.address) }, raw: sent });
      stillRefused = refusedRecipients(info, secrets);
    } catch (err) {
      // Refused for all of them again (each with its reply); anything else (no connection) is tried later as it stands.
      const { rejected, rejectedErrors } = err as { rejected?: unknown[]; rejectedErrors?: unknown[] };
      if (!Array.isArray(rejected) || rejected.length === 0) return false;
      stillRefused = refusedRecipients({ rejected, rejectedErrors }, secrets);
    } finally {
      transport.close();
    }
    this.deps.repo.setRefused(row.messageId, [...row.refused.filter((r) => !r.error.retryable), ...stillRefused]);
    this.changed(row);
    this.deps.log.info({ messageId: row.messageId, delivered: waiting.length - stillRefused.length, refused: stillRefused.length }, 'outbox: sent to deferred recipients again');
    return !stillRefused.some((r) => r.error.retryable);
  }

  /** Deferred recipients are given up on: shown as not delivered, no longer as tried again. */
  private stopWaitingForDeferred(row: OutboxRow): void {
    const latest = this.deps.repo.get(row.messageId);
    if (!latest?.refused.some((r) => r.error.retryable)) return;
    this.deps.repo.setRefused(row.messageId, latest.refused.map((r) => ({ ...r, error: { ...r.error, retryable: false } })));
    this.changed(row);
  }

  /**
   * Files the copy in the Sent folder. True when it is there (or was already), or when there is
   * nowhere to file it (the provider files sent mail itself, or the server has no Sent folder: the
   * card says so); false when filing failed and is worth trying again: the reply and the card then
   * say why, in the server's words.
   */
  private async file(messageId: number, headerMessageId: string, raw: Buffer, channel: ChannelRecord, secrets: ChannelWithSecrets): Promise<boolean> {
    if (channel.inbox.sentFolder === 'none') return true;
    const { log, repo } = this.deps;
    // The configured name until the server's \Sent folder is known.
    let folder = channel.inbox.sentFolder || 'Sent';
    try {
      const filedIn = await withImap(secrets.imap, async (client) => {
        const target = await fileFolder(client, { sentFolder: channel.inbox.sentFolder });
        if (target) {
          folder = target;
          await fileCopy(client, target, headerMessageId, raw);
        }
        return target;
      });
      if (!filedIn) log.warn({ messageId, channelId: channel.id }, 'outbox: the server has no Sent folder; the copy was not filed');
      this.deps.notice?.(channel.id, 'no-sent-folder', filedIn ? null : { kind: 'no-sent-folder' });
      this.deps.notice?.(channel.id, 'sent-copy-failed', null);
      return true;
    } catch (err) {
      const error = mapAppendError(err, { protocol: 'imap', host: secrets.imap.host, port: secrets.imap.port, mailbox: folder });
      const e = err as { message?: unknown; responseText?: unknown };
      log.warn(
        { messageId, folder, code: error.code, response: typeof e.responseText === 'string' ? e.responseText : undefined, err: String(e.message ?? err) },
        'outbox: could not file the copy in the Sent folder',
      );
      repo.setFilingProblem(messageId, { folder, error });
      this.deps.notice?.(channel.id, 'sent-copy-failed', { kind: 'sent-copy-failed', folder, error });
      return false;
    }
  }

  /**
   * \Answered on the customer's message. True when it is set or there is nothing to set (no
   * customer message on the server, or its mailbox was renumbered); false when it failed.
   */
  private async answer(messageId: number, secrets: ChannelWithSecrets): Promise<boolean> {
    const { repo, log } = this.deps;
    const row = repo.get(messageId);
    const source = row?.parentId ? repo.source(row.parentId) : undefined;
    if (!row || !source || row.answeredAt) return true;
    try {
      if (await withImap(secrets.imap, (client) => flagAnswered(client, source))) repo.markAnswered(messageId, this.now().toISOString());
      return true;
    } catch (err) {
      log.warn({ messageId, err: err instanceof Error ? err.message : String(err) }, 'outbox: could not flag the customer message \\Answered');
      return false;
    }
  }

  /**
   * A sent reply with something left to do: its Sent copy, \Answered, or recipients the server
   * deferred. Tried again from the bytes that were sent. Only the deferred recipients are sent to,
   * so nobody who got the reply gets it twice.
   */
  private async followUp(row: OutboxRow, channel: ChannelRecord): Promise<void> {
    const { repo, log } = this.deps;
    let done = false;
    try {
      const secrets = await this.deps.secrets(channel.id);
      const out = repo.outgoing(row.messageId);
      // The bytes that were sent, read only when a copy is to be filed or sent. Without them there is
      // no faithful copy to file or send: nothing more to try.
      const needsBytes = row.filedAt === null || row.refused.some((r) => r.error.retryable);
      const stored = needsBytes ? repo.sentCopy(row.messageId) : undefined;
      const sent = out && stored && (stored.raw || stored.rawPath) ? (await readRaw(stored, Number.MAX_SAFE_INTEGER)).bytes : null;
      let filed = row.filedAt !== null;
      if (!filed) {
        filed = sent && out ? await this.file(row.messageId, out.headerMessageId, sent, channel, secrets) : true;
        if (filed) repo.markFiled(row.messageId, this.now().toISOString());
      }
      const answered = await this.answer(row.messageId, secrets);
      const delivered = await this.deliverToDeferred(row, out?.from.address ?? '', sent, secrets);
      done = filed && answered && delivered;
    } catch (err) {
      log.warn({ messageId: row.messageId, err: err instanceof Error ? err.message : String(err) }, 'outbox: could not finish a sent reply');
    }
    if (done) {
      repo.scheduleFollowUp(row.messageId, null, row.followUpAttempts);
      log.info({ messageId: row.messageId, attempts: row.followUpAttempts + 1 }, 'outbox: sent reply finished');
      return;
    }
    const attempts = row.followUpAttempts + 1;
    if (attempts >= FOLLOW_UP_ATTEMPTS) {
      log.warn({ messageId: row.messageId, attempts }, 'outbox: gave up on the Sent copy, \\Answered or deferred recipients of a sent reply');
      repo.scheduleFollowUp(row.messageId, null, attempts);
      this.stopWaitingForDeferred(row);
      return;
    }
    repo.scheduleFollowUp(row.messageId, this.later(attempts), attempts);
  }
}
