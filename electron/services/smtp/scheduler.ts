import type { ChannelNotice, ChannelNoticeKind } from '../../../shared/channel';
import type { MailError } from '../../../shared/errors';
import { domainOf, failedSenderChecks } from '../../../shared/sender-authentication';
import type { EventBus } from '../events/event-bus';
import type { ChannelWithSecrets } from '../channels/channel-service';
import { SIGN_IN_AGAIN } from '../oauth/oauth-failure';
import type { BackoffOptions } from '../imap/backoff';
import type { RawStore } from '../store/raw-store';
import type { Logger } from '../logging/logger';
import type { ChannelRecord } from '../store/channel-repo';
import { FOLLOW_UP_LIMIT, NO_FAILURES, type FollowUpFailures, type OutboxRepo, type OutboxRow } from '../store/outbox-repo';
import { ReplyDelivery } from './delivery';
import { OUTBOX_BACKOFF, retryDelay, SendRateLimiter } from './pacing';

/**
 * The outbox worker: one per core. It decides which reply runs when: due replies one at a time per
 * channel and in the order they were written, the undo window, backoff after a failure, a channel
 * that is disabled, offline or over its send rate, and the follow-ups of sent replies. Every state
 * is recorded in SQLite, so a crash or quit never loses a reply and (see `recover`) practically
 * never sends one twice. The delivery steps themselves are in delivery.ts.
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

function appError(message: string, cause: string, fix: string, retryable: boolean): MailError {
  return { code: 'SERVER_ERROR', message, cause, fix, retryable };
}

const IDLE_RECHECK_MS = 60_000;

export class OutboxWorker {
  private readonly now: () => Date;
  private readonly random: () => number;
  private readonly backoff: BackoffOptions;
  private readonly delivery: ReplyDelivery;
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
    this.delivery = new ReplyDelivery({
      repo: deps.repo,
      raw: deps.raw,
      log: deps.log,
      notice: deps.notice,
      now: this.now,
      timeoutMs: deps.timeoutMs ?? 30_000,
    });
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
      const nextWake = Math.min(now + IDLE_RECHECK_MS, this.startDueSends(now), this.startDueFollowUps(now));
      this.wake(nextWake - now);
    } finally {
      this.ticking = false;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    }
  }

  /** Starts every reply that is due; returns when the next one that is not will be. */
  private startDueSends(now: number): number {
    let nextWake = Infinity;
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
      this.track(
        this.process(head, channel).catch((err: unknown) => this.unexpected(head, err)),
        () => this.busy.delete(head.channelId),
      );
    }
    return nextWake;
  }

  /** Starts every follow-up of a sent reply that is due; returns when the next one that is not will be. */
  private startDueFollowUps(now: number): number {
    let nextWake = Infinity;
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
        this.deps.repo.scheduleFollowUp(row.messageId, null, row.followUpFailures);
        continue;
      }
      if (!channel.enabled) continue;
      this.followingUp.add(row.messageId);
      this.track(
        this.followUp(row, channel).catch((err: unknown) =>
          this.deps.log.error({ err, messageId: row.messageId }, 'outbox: unexpected failure finishing a sent reply'),
        ),
        () => this.followingUp.delete(row.messageId),
      );
    }
    return nextWake;
  }

  /** Keeps `run` for stop() to wait for; when it is over, `done` and a fresh look at the queue. */
  private track(run: Promise<void>, done: () => void): void {
    const tracked = run.finally(() => {
      done();
      this.inflight.delete(tracked);
      this.kick();
    });
    this.inflight.add(tracked);
  }

  /** Never a tight loop on a reply that keeps failing in an unexpected way: it waits its backoff. */
  private unexpected(head: OutboxRow, err: unknown): void {
    this.deps.log.error({ err, messageId: head.messageId }, 'outbox: unexpected failure');
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
  }

  private changed(row: Pick<OutboxRow, 'conversationId'>): void {
    this.deps.events.emit('conversations:changed', { ids: [row.conversationId], created: [] });
  }

  /**
   * A refusal only the From domain's DNS can fix goes on the channel's card, for the admin, with the
   * checks that failed (`error`); an accepted reply (null) takes it off again.
   */
  private senderNotAuthenticated(channelId: string, fromAddress: string, error: MailError | null): void {
    const notice: ChannelNotice | null = error && {
      kind: 'sender-not-authenticated',
      domain: domainOf(fromAddress),
      checks: failedSenderChecks(error.detail ?? ''),
      error,
    };
    this.deps.notice?.(channelId, 'sender-not-authenticated', notice);
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
        appError(
          'The channel of this conversation no longer exists',
          'The email channel this reply was to go out through was deleted.',
          'Copy the text and reply from another channel.',
          false,
        ),
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
        appError(
          'The mail password could not be read',
          'The OS keychain did not answer.',
          'Unlock the keychain; the reply is sent as soon as it can be read.',
          true,
        ),
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
    const lookup = await this.delivery.findInSent(channel, secrets, out.headerMessageId);
    if ('error' in lookup) {
      const failures = (this.checkFailures.get(head.messageId) ?? 0) + 1;
      this.checkFailures.set(head.messageId, failures);
      log.warn({ messageId: head.messageId, code: lookup.error.code }, 'outbox: could not check the Sent folder for an interrupted reply');
      // Still 'sending': the reply is not sent again until we know it did not go out.
      repo.markQueued(head.messageId, this.channelWaits(channel.id, this.later(failures)), lookup.error, 'sending');
      this.changed(head);
      return false;
    }
    this.checkFailures.delete(head.messageId);
    if (lookup.found) {
      log.info({ messageId: head.messageId }, 'outbox: interrupted reply is in the Sent folder; marked sent');
      repo.markSent(head.messageId, this.now().toISOString(), { filed: true });
      this.changed(head);
      const { answered } = await this.delivery.finishOnServer(head.messageId, channel, secrets, null);
      if (!answered) repo.scheduleFollowUp(head.messageId, this.later(1), { ...NO_FAILURES, answer: 1 });
      return false;
    }
    log.info({ messageId: head.messageId }, 'outbox: interrupted reply not in the Sent folder; sending it again');
    repo.markQueued(head.messageId, this.now().toISOString(), head.error);
    return true;
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
    const attempts = repo.get(messageId)?.attempts ?? 1;

    const submitted = await this.delivery.submit(out, secrets, started);
    if (!submitted.accepted) {
      const { error } = submitted;
      if (SIGN_IN_AGAIN.includes(error.code)) {
        // Nothing is wrong with the reply: it waits, with every other reply of the channel, until an
        // admin signs in again (resume() then sends it at once).
        repo.markQueued(messageId, this.channelWaits(channel.id, this.later(attempts)), { ...error, retryable: true });
        log.warn({ messageId, code: error.code }, 'outbox: waiting for a new sign-in');
      } else if (submitted.temporary) {
        // A deferred address (greylisting, a full mailbox) is about this customer; anything else
        // temporary (no connection, a busy or throttling server) holds every reply of the channel.
        const next = this.later(attempts);
        repo.markQueued(messageId, error.code === 'RECIPIENT_DEFERRED' ? next : this.channelWaits(channel.id, next), { ...error, retryable: true });
        log.info({ messageId, code: error.code, attempts }, 'outbox: temporary failure, will retry');
      } else {
        repo.markFailed(messageId, { ...error, retryable: false });
        log.warn({ messageId, code: error.code, attempts }, 'outbox: permanent failure');
        if (error.code === 'SENDER_NOT_AUTHENTICATED') this.senderNotAuthenticated(channel.id, secrets.smtp.fromAddress, error);
        this.failed(out);
        return;
      }
      this.changed(out);
      return;
    }
    this.deps.hooks?.accepted?.(messageId);
    this.channelWaitsUntil.delete(channel.id);
    this.senderNotAuthenticated(channel.id, secrets.smtp.fromAddress, null);

    // Accepted. The copy goes to the Sent folder first, so that a crash from here on finds it there;
    // \Answered is set in the same IMAP session.
    const { raw, refused } = submitted;
    const steps = await this.delivery.finishOnServer(messageId, channel, secrets, { headerMessageId: out.headerMessageId, raw });
    this.deps.hooks?.afterAccepted?.(messageId);
    const kept = await this.delivery.keep(messageId, raw);
    // The reply has gone out either way; what is left is retried later (followUp), never the sending.
    // Scheduled in the same transaction as "sent", so a crash right after cannot lose it.
    const failures: FollowUpFailures = { filing: steps.filed ? 0 : 1, answer: steps.answered ? 0 : 1, deferred: 0 };
    const leftOver = !steps.filed || !steps.answered || refused.some((r) => r.error.retryable);
    repo.markSent(messageId, this.now().toISOString(), {
      raw: kept && { blob: kept.blob, path: kept.path, size: kept.size },
      filed: steps.filed,
      refused,
      followUpAt: leftOver ? this.later(1) : null,
      failures,
    });
    this.changed(out);
    log.info({ messageId, attempts, filed: steps.filed, answered: steps.answered }, 'outbox: reply sent');
  }

  /**
   * A sent reply with something left to do: its Sent copy, \Answered, or recipients the server
   * deferred. Tried again from the bytes that were sent (only the deferred recipients are sent to,
   * so nobody who got the reply gets it twice). Each kind counts its own failures and is given up
   * on its own after FOLLOW_UP_LIMIT of them.
   */
  private async followUp(row: OutboxRow, channel: ChannelRecord): Promise<void> {
    const { repo, log } = this.deps;
    const failures = { ...row.followUpFailures };
    const wantsFiling = row.filedAt === null && failures.filing < FOLLOW_UP_LIMIT;
    const wantsDeferred = row.refused.some((r) => r.error.retryable) && failures.deferred < FOLLOW_UP_LIMIT;
    // \Answered is outstanding until it is set or found to have nothing to set (delivery.ts).
    const wantsAnswer = row.answeredAt === null && row.parentId !== null && failures.answer < FOLLOW_UP_LIMIT;
    let outcome: { filed: boolean; answered: boolean; delivered: boolean };
    try {
      const secrets = await this.deps.secrets(channel.id);
      const out = repo.outgoing(row.messageId);
      // Without the bytes that were sent there is no faithful copy to file or send: nothing more to try.
      const sent = out && (wantsFiling || wantsDeferred) ? await this.delivery.sentBytes(row.messageId) : null;
      const copy = wantsFiling && out && sent ? { headerMessageId: out.headerMessageId, raw: sent } : null;
      const steps = await this.delivery.finishOnServer(row.messageId, channel, secrets, copy);
      const filed = !wantsFiling || !copy || steps.filed;
      if (wantsFiling && filed) repo.markFiled(row.messageId, this.now().toISOString());
      const delivered = wantsDeferred ? await this.delivery.sendToDeferred(row, out?.from.address ?? '', sent, secrets) : true;
      // \Answered given up on may still be set in a session opened for the copy; it counts no further.
      outcome = { filed, answered: !wantsAnswer || steps.answered, delivered };
    } catch (err) {
      log.warn({ messageId: row.messageId, err: err instanceof Error ? err.message : String(err) }, 'outbox: could not finish a sent reply');
      outcome = { filed: !wantsFiling, answered: !wantsAnswer, delivered: !wantsDeferred };
    }
    if (!outcome.filed) failures.filing += 1;
    if (!outcome.answered) failures.answer += 1;
    if (!outcome.delivered) failures.deferred += 1;
    // What is still worth trying: failed this time, and under its limit.
    const pending = [
      !outcome.filed && failures.filing < FOLLOW_UP_LIMIT ? failures.filing : undefined,
      !outcome.answered && failures.answer < FOLLOW_UP_LIMIT ? failures.answer : undefined,
      !outcome.delivered && failures.deferred < FOLLOW_UP_LIMIT ? failures.deferred : undefined,
    ].filter((n): n is number => n !== undefined);
    if (!outcome.delivered && failures.deferred >= FOLLOW_UP_LIMIT) this.delivery.stopWaitingForDeferred(row);
    const gaveUp =
      (!outcome.filed && failures.filing >= FOLLOW_UP_LIMIT) ||
      (!outcome.answered && failures.answer >= FOLLOW_UP_LIMIT) ||
      (!outcome.delivered && failures.deferred >= FOLLOW_UP_LIMIT);
    if (gaveUp) log.warn({ messageId: row.messageId, failures }, 'outbox: gave up on part of finishing a sent reply');
    // The soonest of the kinds still pending sets the next try; each keeps its own count.
    repo.scheduleFollowUp(row.messageId, pending.length > 0 ? this.later(Math.min(...pending)) : null, failures);
    if (pending.length === 0 && !gaveUp) log.info({ messageId: row.messageId }, 'outbox: sent reply finished');
    this.changed(row);
  }
}
