import { describe, expect, it } from 'vitest';
import { OUTBOX_BACKOFF, retryDelay, SendRateLimiter } from './pacing';

describe('retryDelay', () => {
  it('grows exponentially up to the cap, with jitter', () => {
    const top = () => 1;
    expect(retryDelay(1, OUTBOX_BACKOFF, top)).toBe(OUTBOX_BACKOFF.baseMs);
    expect(retryDelay(2, OUTBOX_BACKOFF, top)).toBe(2 * OUTBOX_BACKOFF.baseMs);
    expect(retryDelay(4, OUTBOX_BACKOFF, top)).toBe(8 * OUTBOX_BACKOFF.baseMs);
    expect(retryDelay(40, OUTBOX_BACKOFF, top)).toBe(OUTBOX_BACKOFF.capMs);
    const draws = new Set(Array.from({ length: 20 }, (_, i) => retryDelay(3, OUTBOX_BACKOFF, () => i / 20)));
    expect(draws.size).toBeGreaterThan(10);
  });
  it('never retries sooner than the floor', () => {
    expect(retryDelay(1, OUTBOX_BACKOFF, () => 0)).toBe(OUTBOX_BACKOFF.minMs);
  });
});

describe('SendRateLimiter', () => {
  it('lets everything through without a limit', () => {
    const limiter = new SendRateLimiter();
    for (let i = 0; i < 100; i++) limiter.record('c', 1000);
    expect(limiter.nextSlot('c', 0, 1000)).toBe(1000);
  });

  it('queues the sends over the per-minute limit until the oldest leaves the window', () => {
    const limiter = new SendRateLimiter();
    limiter.record('c', 0);
    limiter.record('c', 10_000);
    expect(limiter.nextSlot('c', 3, 20_000)).toBe(20_000);
    limiter.record('c', 20_000);
    expect(limiter.nextSlot('c', 3, 30_000)).toBe(60_000);
    expect(limiter.nextSlot('c', 3, 60_001)).toBe(60_001);
    // Another channel has its own budget.
    expect(limiter.nextSlot('d', 3, 30_000)).toBe(30_000);
    // With a limit of 1, the next send waits a full minute after the last.
    expect(limiter.nextSlot('c', 1, 30_000)).toBe(80_000);
  });
});
