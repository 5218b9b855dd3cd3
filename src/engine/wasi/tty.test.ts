import { describe, expect, it } from 'vitest';
import { LineDiscipline, onlcr } from './tty.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('the terminal a -t module gets', () => {
  it('adds CR before LF on output', () => {
    expect(text(onlcr(new TextEncoder().encode('a\nb\n')))).toBe('a\r\nb\r\n');
  });

  it('echoes, edits and delivers lines; ^D ends input; ^C signals', () => {
    const got: string[] = [];
    const echoed: number[] = [];
    let eof = false;
    const signals: number[] = [];
    const l = new LineDiscipline({ echo: (b) => echoed.push(...b), deliver: (b) => got.push(text(b)), eof: () => (eof = true), signal: (s) => signals.push(s) });
    l.input(new TextEncoder().encode('héx\x7f\x7fy\r'));
    expect(got).toEqual(['hy\n']);
    expect(text(new Uint8Array(echoed))).toBe('héx\b \b\b \by\n');
    l.input(new TextEncoder().encode('partial\x04'));
    expect(got[1]).toBe('partial');
    l.input(new TextEncoder().encode('\x03'));
    expect(signals).toEqual([2]);
    l.input(new TextEncoder().encode('\x04'));
    expect(eof).toBe(true);
  });
});
