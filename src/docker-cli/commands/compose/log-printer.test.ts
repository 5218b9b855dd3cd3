import { describe, expect, it } from 'vitest';
import type { TerminalIo } from '../../io.ts';
import { LogPrinter } from './log-printer.ts';

function io(): TerminalIo & { outText: string; errText: string } {
  const t = {
    outText: '', errText: '', isTTY: true, env: {},
    out: (s: string | Uint8Array) => void (t.outText += String(s)),
    err: (s: string | Uint8Array) => void (t.errText += String(s)),
  };
  return t;
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe('LogPrinter (compose logs / attached up)', () => {
  it('pads every prefix to the widest name plus one and colours them in compose\'s rainbow order', () => {
    const t = io();
    const p = new LogPrinter(t, { color: true, prefix: true });
    p.register('web-1');
    p.register('db-1');
    const web = p.sink('web-1');
    web.write('stdout', bytes('hello\nwor'));
    web.write('stdout', bytes('ld\n'));
    p.sink('db-1').write('stderr', bytes('oops\n'));
    p.status('db-1', 'exited with code 3');
    // cyan first, yellow second (compose's `rainbow`), reset after each prefix.
    expect(t.outText).toBe('\x1b[36mweb-1  | \x1b[0mhello\n\x1b[36mweb-1  | \x1b[0mworld\n\x1b[33mdb-1 exited with code 3\n\x1b[0m');
    expect(t.errText).toBe('\x1b[33mdb-1   | \x1b[0moops\n');
  });

  it('prints plain prefixes without colour, none with --no-log-prefix, and flushes an unterminated line', () => {
    const t = io();
    const p = new LogPrinter(t, { color: false, prefix: true });
    const s = p.sink('a-1');
    s.write('stdout', bytes('x\ny'));
    s.flush();
    expect(t.outText).toBe('a-1  | x\na-1  | y\n');
    const u = io();
    const q = new LogPrinter(u, { color: true, prefix: false });
    q.sink('a-1').write('stdout', bytes('z\n'));
    expect(u.outText).toBe('z\n');
  });
});
