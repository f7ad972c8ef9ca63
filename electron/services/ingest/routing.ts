/**
 * Round-robin: the agent after the one who got the previous conversation, in the channel's list
 * order. `candidates` holds only agents that still exist; when the previous one is gone from the
 * list, rotation starts over at the first.
 */
export function nextRoundRobin(candidates: readonly number[], previous: number | null): number | null {
  if (candidates.length === 0) return null;
  const at = previous === null ? -1 : candidates.indexOf(previous);
  return candidates[(at + 1) % candidates.length] ?? null;
}
