import type { AuxiliumApi, ChannelName, EventName, EventPayload, Input, Output } from '../../../shared/contract';
import type { Result } from '../../../shared/errors';

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

type Pending = (result: Result<unknown>) => void;

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
        const data = JSON.parse(String(message.data)) as { id?: number; result?: Result<unknown>; event?: string; payload?: unknown };
        if (data.event) {
          for (const listener of listeners.get(data.event) ?? []) listener(data.payload);
        } else if (data.id !== undefined && data.result) {
          pending.get(data.id)?.(data.result);
          pending.delete(data.id);
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

export function invoke<K extends ChannelName>(channel: K, input: Input<K>): Promise<Result<Output<K>>> {
  return transport.invoke(channel, input);
}

export function onEvent<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
  return transport.on(event, listener);
}

/**
 * Where an attachment downloads from: the desktop shell's own scheme in Electron, the web host's
 * session-guarded path in a browser. Either way the file comes as a download, never rendered.
 */
export function attachmentUrl(id: number): string {
  const path = `/attachments/${encodeURIComponent(String(id))}`;
  return window.auxilium ? `app://auxilium${path}` : path;
}
