import type { EventName, EventPayload } from '../shared/contract';
import { createCore, type Core } from '../electron/core/create-core';
import { waitFor } from '../test/support/core';

export { call, channelFor } from '../test/support/core';

export function startCore(dataDir: string): Core {
  return createCore({ dataDir, version: 'bench', keychainService: `auxilium-bench-${process.pid}` });
}

/** Resolves with the first event payload that satisfies the test. */
export function nextEvent<E extends EventName>(
  core: Core,
  event: E,
  test: (payload: EventPayload<E>) => boolean,
  timeoutMs = 60_000,
): Promise<EventPayload<E>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = core.events.on(event, (payload) => {
      if (!test(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

export async function waitUntil(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  await waitFor(what, async () => ((await condition()) ? true : undefined), timeoutMs);
}
