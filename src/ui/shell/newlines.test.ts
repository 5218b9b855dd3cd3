import { expect, it } from 'vitest';
import { CrlfWriter } from './newlines.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: string | Uint8Array) => (typeof b === 'string' ? b : new TextDecoder().decode(b));

it('turns bare LF into CR LF in text and bytes, leaving CR LF alone across chunks', () => {
  const w = new CrlfWriter();
  expect(text(w.convert('a\nb\r\n'))).toBe('a\r\nb\r\n');
  expect(text(w.convert(bytes('x\r')))).toBe('x\r');
  expect(text(w.convert(bytes('\ny\n\n')))).toBe('\ny\r\n\r\n');
  const same = bytes('no newline');
  expect(w.convert(same)).toBe(same);
});
