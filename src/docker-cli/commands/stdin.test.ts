import { expect, it } from 'vitest';
import { DEFAULT_DETACH_KEYS, EscapeProxy, detachKeyBytes, detachKeys } from './stdin.ts';

it("reads --detach-keys as moby/term's ToBytes: single characters and ctrl- names, comma-separated", () => {
  expect([...detachKeyBytes('ctrl-p,ctrl-q')!]).toEqual([16, 17]);
  expect([...detachKeyBytes('a')!]).toEqual([97]);
  expect([...detachKeyBytes('X,ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_,ctrl-z')!]).toEqual([88, 0, 27, 28, 29, 30, 31, 26]);
  for (const bad of ['ctrl-', 'ctrl-A', 'ab', 'a,,b', 'é', 'ctrl-1']) expect(detachKeyBytes(bad)).toBeUndefined();
  expect(detachKeys(undefined)).toBe(DEFAULT_DETACH_KEYS);
  expect(() => detachKeys('nope')).toThrow('Invalid detach keys (nope) provided');
  expect(() => detachKeys('nope', 'escape')).toThrow('Invalid escape keys (nope) provided');
});

it("detaches on the sequence typed key by key, as moby/term's escape proxy; lets a broken one through", () => {
  const b = (...x: number[]) => Uint8Array.from(x);
  const p = new EscapeProxy(DEFAULT_DETACH_KEYS);
  const feed = (...chunks: Uint8Array[]) => chunks.map((c) => { const r = p.feed(c); return r === 'detach' ? r : [...r]; });
  // ctrl-p is held, then given back with the key that broke the sequence.
  expect(feed(b(104), b(16), b(105))).toEqual([[104], [], [16, 105]]);
  // Pasted text never detaches, and lets a held key through first.
  expect(feed(b(16), b(16, 17))).toEqual([[], [16, 16, 17]]);
  expect(feed(b(16), b(17))).toEqual([[], 'detach']);
  const one = new EscapeProxy(detachKeyBytes('x')!);
  expect(one.feed(b(120))).toBe('detach');
});
