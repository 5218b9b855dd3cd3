import { expect, it } from 'vitest';
import type { BrowserEvent } from '../../engine/browser/events.ts';
import { applyPullEvent, type PullRow } from './pull-state.ts';

const pull = (event: Extract<BrowserEvent, { type: 'pull' }>['event'], ref = 'busybox'): BrowserEvent => ({ type: 'pull', ref, event });

it('follows a pull from resolving to every layer complete', () => {
  let s: PullRow[] = [];
  s = applyPullEvent(s, pull({ type: 'resolving', reference: 'busybox:latest' }));
  expect(s).toEqual([{ ref: 'busybox', state: 'resolving', layers: [] }]);
  s = applyPullEvent(s, pull({ type: 'resolved', reference: 'busybox:latest', digest: 'sha256:x', platform: { os: 'linux', architecture: '386' }, layers: [{ id: 'aaa', size: 100 }, { id: 'bbb', size: 50 }] }));
  expect(s[0]).toMatchObject({ state: 'pulling', platform: 'linux/386', layers: [{ id: 'aaa', status: 'Pulling fs layer', done: 0, total: 100 }, { id: 'bbb', done: 0, total: 50 }] });
  s = applyPullEvent(s, pull({ type: 'layer', id: 'aaa', status: 'Downloading', done: 40, total: 100 }));
  s = applyPullEvent(s, pull({ type: 'layer', id: 'bbb', status: 'Already exists' }));
  expect(s[0]!.layers).toEqual([{ id: 'aaa', status: 'Downloading', done: 40, total: 100 }, { id: 'bbb', status: 'Already exists', done: 50, total: 50 }]);
  s = applyPullEvent(s, pull({ type: 'layer', id: 'aaa', status: 'Download complete' }));
  expect(s[0]!.layers[0]).toEqual({ id: 'aaa', status: 'Download complete', done: 100, total: 100 });
  s = applyPullEvent(s, pull({ type: 'layer', id: 'aaa', status: 'Extracting', done: 30, total: 100 }));
  expect(s[0]!.layers[0]).toEqual({ id: 'aaa', status: 'Extracting', done: 30, total: 100 });
  s = applyPullEvent(s, { type: 'pull-done', ref: 'busybox' });
  expect(s[0]).toMatchObject({ state: 'done', layers: [{ status: 'Pull complete', done: 100 }, { status: 'Already exists', done: 50 }] });
});

it('keeps a failure with its error, and the newest pulls first', () => {
  let s: PullRow[] = [];
  for (const ref of ['a', 'b', 'c', 'd', 'e']) s = applyPullEvent(s, pull({ type: 'resolving', reference: ref }, ref));
  expect(s.map((p) => p.ref)).toEqual(['e', 'd', 'c', 'b']);
  const error = { name: 'TabdockError' as const, code: 'REGISTRY_UNREACHABLE' as const, message: 'cannot reach registry x', data: {}, retryable: true };
  s = applyPullEvent(s, { type: 'pull-done', ref: 'c', error });
  expect(s[2]).toMatchObject({ ref: 'c', state: 'failed', error });
  // A new pull of the same reference is a new row.
  s = applyPullEvent(s, pull({ type: 'resolving', reference: 'c' }, 'c'));
  expect(s.map((p) => [p.ref, p.state])).toEqual([['c', 'resolving'], ['e', 'resolving'], ['d', 'resolving'], ['c', 'failed']]);
});

it('ignores other events', () => {
  const s: PullRow[] = [];
  expect(applyPullEvent(s, { type: 'image', action: 'pull', id: 'sha256:1', ref: 'docker.io/library/busybox:latest', time: '' })).toBe(s);
  expect(applyPullEvent(s, { type: 'pull-done', ref: 'x' })).toBe(s);
});
