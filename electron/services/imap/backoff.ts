/**
 * Reconnect delays: exponential with full jitter, so many clients that lost the same server do not
 * all come back in the same second. The floor keeps a failing server from being hammered when the
 * random draw lands near zero.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  minMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, capMs: 5 * 60_000, minMs: 500 };

/** The delay before retry number `attempt` (0 for the first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  // The exponent is bounded so 2 ** attempt never overflows after days of retrying.
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  const drawn = Math.round(random() * ceiling);
  return Math.min(options.capMs, Math.max(options.minMs, drawn));
}

/** "30 s", "5 min": how the channel card says when the next attempt comes. */
export function describeDelay(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  return `${Math.round(seconds / 60)} min`;
}
