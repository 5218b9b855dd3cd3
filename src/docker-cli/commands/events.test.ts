import { expect, it } from 'vitest';
import { includeEvent, prettyEvent, toMessage } from './events.ts';
import { parseFilters } from '../filters.ts';

const die = toMessage({ type: 'container', action: 'die', id: 'abc123', name: 'web', image: 'busybox', time: '2026-01-02T03:04:05.123456789Z', exitCode: 3, labels: { a: 'b' } });

it("prints as docker/cli's prettyPrintEvent: nanosecond time, attributes sorted", () => {
  expect(prettyEvent(die, 1767323045123456789n)).toBe('2026-01-02T03:04:05.123456789Z container die abc123 (a=b, exitCode=3, image=busybox, name=web)\n');
  expect(prettyEvent(die, 1767323045123456789n, 60)).toBe('2026-01-02T04:04:05.123456789+01:00 container die abc123 (a=b, exitCode=3, image=busybox, name=web)\n');
  const pull = toMessage({ type: 'image', action: 'pull', id: 'sha256:x', ref: 'docker.io/library/busybox:latest', time: '2026-01-02T03:04:05Z' });
  expect(pull.Actor).toEqual({ ID: 'busybox:latest', Attributes: { name: 'busybox' } });
});

it("filters as moby's events filter", () => {
  const f = (...v: string[]) => parseFilters(v, 'docker events');
  expect(includeEvent(f('container=web'), die)).toBe(true);
  expect(includeEvent(f('container=abc'), die)).toBe(true);
  expect(includeEvent(f('container=other'), die)).toBe(false);
  expect(includeEvent(f('image=busybox'), die)).toBe(true);
  expect(includeEvent(f('image=alpine'), die)).toBe(false);
  expect(includeEvent(f('event=die', 'event=start'), die)).toBe(true);
  expect(includeEvent(f('type=image'), die)).toBe(false);
  expect(includeEvent(f('label=a=b'), die)).toBe(true);
  expect(includeEvent(f('label=a=c'), die)).toBe(false);
});
