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

it("gives kill, resize and exec events moby's actions and attributes", () => {
  const base = { type: 'container', id: 'abc123', name: 'web', image: 'busybox', time: '2026-01-02T03:04:05Z' } as const;
  const line = (m: ReturnType<typeof toMessage>) => prettyEvent(m, 0n).slice(31);
  expect(line(toMessage({ ...base, action: 'kill', signal: 15 }))).toBe('container kill abc123 (image=busybox, name=web, signal=15)\n');
  expect(line(toMessage({ ...base, action: 'resize', cols: 80, rows: 24 }))).toBe('container resize abc123 (height=24, image=busybox, name=web, width=80)\n');
  // "exec_create: " + Entrypoint + " " + Args joined: a lone command keeps its trailing space.
  const create = toMessage({ ...base, action: 'exec_create', execId: 'e1', command: ['sh', '-c', 'exit 3'] });
  expect(create).toMatchObject({ Status: 'exec_create: sh -c exit 3', Action: 'exec_create: sh -c exit 3', Actor: { Attributes: { execID: 'e1' } } });
  expect(toMessage({ ...base, action: 'exec_start', execId: 'e1', command: ['ls'] }).Action).toBe('exec_start: ls ');
  expect(line(toMessage({ ...base, action: 'exec_die', execId: 'e1', exitCode: 3 }))).toBe('container exec_die abc123 (execID=e1, exitCode=3, image=busybox, name=web)\n');
  expect(line(toMessage({ ...base, action: 'exec_detach', execId: 'e1' }))).toBe('container exec_detach abc123 (execID=e1, image=busybox, name=web)\n');
  expect(line(toMessage({ ...base, action: 'detach' }))).toBe('container detach abc123 (image=busybox, name=web)\n');
  // `event=exec_create` matches the action's prefix (moby's fuzzy match for exec events).
  expect(includeEvent(parseFilters(['event=exec_create'], 'docker events'), create)).toBe(true);
  expect(includeEvent(parseFilters(['event=exec_die'], 'docker events'), create)).toBe(false);
});
