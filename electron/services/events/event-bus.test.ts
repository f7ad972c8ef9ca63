import { describe, expect, it } from 'vitest';
import { EventBus } from './event-bus';

describe('event bus', () => {
  it('reports a listener that throws, and still tells the listeners after it', () => {
    const failures: { event: string; error: unknown }[] = [];
    const bus = new EventBus((event, error) => failures.push({ event, error }));
    const heard: number[][] = [];
    bus.on('conversations:changed', () => {
      throw new Error('render failed');
    });
    bus.on('conversations:changed', (payload) => heard.push(payload.ids));

    bus.emit('conversations:changed', { ids: [7], created: [] });

    expect(heard).toEqual([[7]]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ event: 'conversations:changed', error: { message: 'render failed' } });
  });

  it('sends only payloads that match the contract, and only the fields it names', () => {
    const failures: string[] = [];
    const bus = new EventBus((event) => failures.push(event));
    const heard: unknown[] = [];
    bus.on('conversations:changed', (payload) => heard.push(payload));

    bus.emit('conversations:changed', { ids: ['seven'], created: [] } as never);
    bus.emit('conversations:changed', { ids: [7], created: [], password: 'secret' } as never);

    expect(failures).toEqual(['conversations:changed']);
    expect(heard).toEqual([{ ids: [7], created: [] }]);
  });

  it('stops telling a listener once it is removed', () => {
    const bus = new EventBus();
    const heard: number[] = [];
    const off = bus.on('agents:changed', () => heard.push(1));
    bus.emit('agents:changed', {});
    off();
    bus.emit('agents:changed', {});
    expect(heard).toEqual([1]);
  });
});
