import { z } from 'zod';
import { contract, events, type AuxiliumApi, type ChannelName, type EventName, type EventPayload, type Input, type Output } from '../../../shared/contract';
import { resultSchema, type Result } from '../../../shared/errors';

/**
 * The renderer's only way to the main side. In Electron, preload exposes `window.auxilium`; in a
 * browser (the web host), the same calls go over a WebSocket that the host authorises by its
 * HttpOnly session cookie (the page never sees the key). No other renderer code knows which one it is on.
 */

declare global {
  interface Window {
    auxilium?: AuxiliumApi;
  }
}

type Pending = (result: unknown) => void;

/** What the web host sends: the answer to a call, or an event. Each part is parsed again below. */
const frameSchema = z.union([z.object({ id: z.number(), result: z.unknown() }), z.object({ event: z.string(), payload: z.unknown() })]);

function connectionLost(): Result<never> {
  return {
    ok: false,
    error: { code: 'INTERNAL', message: 'Lost the connection to the Auxilium host. Reload the page once it runs again.', retryable: true },
  };
}

function webSocketApi(): AuxiliumApi {
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let nextId = 1;
  let socket: WebSocket | undefined;
  let ready: Promise<WebSocket> | undefined;

  function open(): Promise<WebSocket> {
    if (ready && socket && socket.readyState <= WebSocket.OPEN) return ready;
    ready = new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${location.host}/ws`);
      socket = ws;
      ws.onopen = () => resolve(ws);
      ws.onerror = () => reject(new Error('connection failed'));
      ws.onclose = () => {
        for (const settle of pending.values()) settle(connectionLost());
        pending.clear();
        // Keep event subscriptions alive across a host restart: reconnect when someone listens.
        if (listeners.size > 0) setTimeout(() => void open().catch(() => undefined), 1000);
      };
      ws.onmessage = (message) => {
        let frame: z.infer<typeof frameSchema>;
        try {
          frame = frameSchema.parse(JSON.parse(String(message.data)));
        } catch (error) {
          console.error('Ignored a message from the host that is not in the expected form', error);
          return;
        }
        if ('event' in frame) {
          for (const listener of listeners.get(frame.event) ?? []) listener(frame.payload);
        } else {
          pending.get(frame.id)?.(frame.result);
          pending.delete(frame.id);
        }
      };
    });
    return ready;
  }

  return {
    async invoke(channel, input) {
      let ws: WebSocket;
      try {
        ws = await open();
      } catch {
        return connectionLost();
      }
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve as Pending);
        ws.send(JSON.stringify({ id, channel, input }));
      });
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (payload: unknown) => void);
      listeners.set(event, set);
      void open().catch(() => undefined);
      return () => set.delete(listener as (payload: unknown) => void);
    },
  };
}

const transport: AuxiliumApi = window.auxilium ?? webSocketApi();

/**
 * Answers and events are parsed against the contract on this side too, whichever transport brought
 * them: the rest of the renderer can trust their types.
 */
export async function invoke<K extends ChannelName>(channel: K, input: Input<K>): Promise<Result<Output<K>>> {
  const result: unknown = await transport.invoke(channel, input);
  const parsed = resultSchema(contract[channel].output as z.ZodType).safeParse(result);
  if (parsed.success) return parsed.data as Result<Output<K>>;
  return {
    ok: false,
    error: { code: 'INTERNAL', message: `The answer to ${channel} was not in the expected form: ${z.prettifyError(parsed.error)}`, retryable: false },
  };
}

export function onEvent<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
  return transport.on(event, (payload: unknown) => {
    const parsed = events[event].safeParse(payload);
    if (parsed.success) listener(parsed.data as EventPayload<E>);
    else console.error(`Ignored a ${event} event that is not in the expected form`, parsed.error);
  });
}

/**
 * Where an attachment downloads from: the desktop shell's own scheme in Electron, the web host's
 * session-guarded path in a browser. Either way the file comes as a download, never rendered.
 */
export function attachmentUrl(id: number): string {
  const path = `/attachments/${encodeURIComponent(String(id))}`;
  return window.auxilium ? `app://auxilium${path}` : path;
}
