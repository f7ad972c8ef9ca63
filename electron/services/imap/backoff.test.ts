import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, describeDelay } from './backoff';

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with the full range of jitter below the ceiling', () => {
    const top = () => 1;
    expect([0, 1, 2, 3, 8, 9, 50].map((n) => backoffDelay(n, DEFAULT_BACKOFF, top))).toEqual([1_000, 2_000, 4_000, 8_000, 256_000, 300_000, 300_000]);
    expect(backoffDelay(4, DEFAULT_BACKOFF, () => 0.5)).toBe(8_000);
  });

  it('never goes below the floor, even when the draw is zero', () => {
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 0)).toBe(500);
    expect(backoffDelay(20, DEFAULT_BACKOFF, () => 0)).toBe(500);
  });

  it('stays finite after days of retrying', () => {
    expect(backoffDelay(100_000, DEFAULT_BACKOFF, () => 1)).toBe(300_000);
  });
});

describe('describeDelay', () => {
  it('says seconds, then minutes', () => {
    expect(describeDelay(0)).toBe('1 s');
    expect(describeDelay(1_200)).toBe('2 s');
    expect(describeDelay(30_000)).toBe('30 s');
    expect(describeDelay(300_000)).toBe('5 min');
  });
});
