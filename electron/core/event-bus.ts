import type { EventName, EventPayload } from '../../shared/contract';

type Listener<E extends EventName> = (payload: EventPayload<E>) => void;

/** Typed events from the services to whichever transports are connected (Electron IPC, WebSocket). */
export class EventBus {
  private readonly listeners = new Map<EventName, Set<Listener<EventName>>>();

  /** `onListenerError` hears what a listener threw, so a broken one is logged rather than lost. */
  constructor(private readonly onListenerError: (event: EventName, error: unknown) => void = () => undefined) {}

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener as Listener<EventName>);
    this.listeners.set(event, set);
    return () => set.delete(listener as Listener<EventName>);
  }

  /** Listens to every event; used by transports that forward them all. */
  onAny(listener: <E extends EventName>(event: E, payload: EventPayload<E>) => void, events: readonly EventName[]): () => void {
    const offs = events.map((event) => this.on(event, (payload) => listener(event, payload)));
    return () => offs.forEach((off) => off());
  }

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        listener(payload);
      } catch (error) {
        // One broken listener must not stop the others from hearing the event.
        this.onListenerError(event, error);
      }
    }
  }
}
