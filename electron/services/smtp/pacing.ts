import { backoffDelay, type BackoffOptions } from '../imap/backoff';

/**
 * When the outbox tries again: exponential backoff with jitter after a temporary failure, and a
 * per-channel send rate (e.g. Microsoft 365: 30 a minute) that makes replies wait instead of fail.
 */

// Capped at 5 minutes: an agent who sees "queued" should not wait long once the server is back
// (and a reconnect of the channel's mailbox wakes waiting replies at once, see OutboxWorker).
export const OUTBOX_BACKOFF: BackoffOptions = { baseMs: 10_000, capMs: 5 * 60_000, minMs: 2_000 };

/** Delay after failed attempt number `attempts` (1 = the first attempt failed). */
export function retryDelay(attempts: number, options: BackoffOptions = OUTBOX_BACKOFF, random: () => number = Math.random): number {
  return backoffDelay(Math.max(0, attempts - 1), options, random);
}

/** A sliding one-minute window per channel. 0 (or less) means no limit. */
export class SendRateLimiter {
  private readonly sent = new Map<string, number[]>();

  constructor(private readonly windowMs = 60_000) {}

  /** When the channel may send next: `now` if it may send at once. */
  nextSlot(channelId: string, perMinute: number, now: number): number {
    if (perMinute <= 0) return now;
    const recent = this.prune(channelId, now);
    if (recent.length < perMinute) return now;
    // The oldest send inside the window has to leave it first.
    return recent[recent.length - perMinute]! + this.windowMs;
  }

  record(channelId: string, now: number): void {
    const recent = this.prune(channelId, now);
    recent.push(now);
    this.sent.set(channelId, recent);
  }

  private prune(channelId: string, now: number): number[] {
    const recent = (this.sent.get(channelId) ?? []).filter((t) => t > now - this.windowMs);
    this.sent.set(channelId, recent);
    return recent;
  }
}
