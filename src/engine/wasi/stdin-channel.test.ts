import { describe, expect, it } from 'vitest';
import { StdinReader, StdinWriter, createStdinBuffer } from './stdin-channel.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('the stdin ring', () => {
  it('passes bytes across its wrap-around, returns what does not fit, and ends at close', () => {
    const buf = createStdinBuffer(8);
    const w = new StdinWriter(buf);
    const r = new StdinReader(buf);
    expect(text(w.write(bytes('abcdefghij')))).toBe('ij');
    expect(r.available()).toBe(8);
    expect(text(r.read(5))).toBe('abcde');
    expect(text(w.write(bytes('ijklm')))).toBe('');
    expect(text(r.read(100))).toBe('fghijklm');
    expect(r.waitReadable(10)).toBe(false);
    w.close();
    expect(r.waitReadable(10)).toBe(true);
    expect(r.read(10).length).toBe(0);
  });

  it('refuses a capacity that is not a power of two', () => {
    expect(() => createStdinBuffer(100)).toThrow(RangeError);
  });
});
