import { events, type EventName, type EventPayload } from '../../../shared/contract';

type Listener<E extends EventName> = (payload: EventPayload<E>) => void;

/** Typed events from the services to whichever transports are connected (Electron IPC, WebSocket). */
export class EventBus {
  private readonly listeners = new Map<EventName, Set<Listener<EventName>>>();

  /**
   * `onFailure` hears what went wrong: a payload that does not match the contract (it is not sent),
   * or what a listener threw. Either is a bug worth a log line, never a reason to stop the emitter.
   */
  constructor(private readonly onFailure: (event: EventName, error: unknown) => void = () => undefined) {}

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
    // Parsed like every other message at the edge: only what the contract names leaves the process.
    const parsed = events[event].safeParse(payload);
    if (!parsed.success) {
      this.onFailure(event, parsed.error);
      return;
    }
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        listener(parsed.data as EventPayload<E>);
      } catch (error) {
        // One broken listener must not stop the others from hearing the event.
        this.onFailure(event, error);
      }
    }
  }
}
