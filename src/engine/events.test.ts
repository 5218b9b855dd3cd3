import { expect, it } from 'vitest';
import { EventBus, type EngineEvent } from './events.ts';

const created: EngineEvent = { type: 'volume', action: 'create', name: 'v', time: '2026-01-01T00:00:00.000Z' };

it('delivers to every listener in order until it unsubscribes', () => {
  const bus = new EventBus();
  const got: string[] = [];
  const offA = bus.onEvent((e) => void got.push(`a:${e.action}`));
  bus.onEvent((e) => void got.push(`b:${e.action}`));
  bus.publish(created);
  offA();
  bus.publish({ ...created, action: 'destroy' });
  expect(got).toEqual(['a:create', 'b:create', 'b:destroy']);
  expect(bus.listenerCount).toBe(1);
});

it('keeps one listener\'s failure from the others and from the publisher', () => {
  const bus = new EventBus();
  const got: EngineEvent[] = [];
  bus.onEvent(() => {
    throw new Error('broken listener');
  });
  bus.onEvent((e) => void got.push(e));
  expect(() => bus.publish(created)).not.toThrow();
  expect(got).toEqual([created]);
});

it('lets a listener unsubscribe while an event is being delivered', () => {
  const bus = new EventBus();
  const got: string[] = [];
  const off = bus.onEvent(() => off());
  bus.onEvent((e) => void got.push(e.action));
  bus.publish(created);
  bus.publish(created);
  expect(got).toEqual(['create', 'create']);
  expect(bus.listenerCount).toBe(1);
});

it('keeps the last 256 events for --since, oldest first', () => {
  const bus = new EventBus();
  for (let i = 0; i < 300; i++) bus.publish({ ...created, name: `v${i}` });
  expect(bus.recent.length).toBe(256);
  expect((bus.recent[0] as { name: string }).name).toBe('v44');
  expect((bus.recent.at(-1) as { name: string }).name).toBe('v299');
});
