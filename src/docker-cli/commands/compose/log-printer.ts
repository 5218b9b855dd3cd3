import type { TerminalIo } from '../../io.ts';

/**
 * compose's log consumer (docker/compose `cmd/formatter/logs.go`, `colors.go`): each
 * container's lines prefixed `NAME | `, the names padded to the widest plus one; on a
 * terminal each prefix in the next colour of compose's rainbow (cyan, yellow, green,
 * magenta, blue, then their bold forms), assigned in the order containers are registered.
 */
const RAINBOW = ['36', '33', '32', '35', '34', '36;1', '33;1', '32;1', '35;1', '34;1'];

type Paint = (s: string) => string;
const plain: Paint = (s) => s;
const ansi = (code: string): Paint => (s) => `\x1b[${code}m${s}\x1b[0m`;

export interface LogPrinterOptions {
  /** Colours (compose: only when the output is a terminal, and not `--no-color`). */
  color: boolean;
  /** The `NAME | ` prefix (`--no-log-prefix` turns it off). */
  prefix: boolean;
}

export class LogPrinter {
  private readonly paint = new Map<string, Paint>();
  private width = 0;
  private next = 0;

  constructor(private readonly io: TerminalIo, private readonly opts: LogPrinterOptions) {}

  /** Registers the names first, so the widths and colours are known before any line. */
  register(name: string): void {
    if (this.paint.has(name)) return;
    this.paint.set(name, this.opts.color ? ansi(RAINBOW[this.next++ % RAINBOW.length]!) : plain);
    this.width = Math.max(this.width, name.length + 1);
  }

  private prefix(name: string): string {
    this.register(name);
    return this.opts.prefix ? this.paint.get(name)!(`${name.padEnd(this.width)} | `) : '';
  }

  /**
   * A sink for one container's log entries: whole lines are printed as they complete,
   * stdout's to stdout and stderr's to stderr; `flush` prints what is left unterminated.
   */
  sink(name: string): { write(stream: 'stdout' | 'stderr', data: Uint8Array): void; flush(): void } {
    const partial = { stdout: '', stderr: '' };
    const dec = { stdout: new TextDecoder(), stderr: new TextDecoder() };
    const emit = (stream: 'stdout' | 'stderr', lines: string[]) => {
      const pre = this.prefix(name);
      (stream === 'stderr' ? this.io.err : this.io.out)(lines.map((x) => `${pre}${x}\n`).join(''));
    };
    return {
      write: (stream, data) => {
        const lines = (partial[stream] + dec[stream].decode(data, { stream: true })).split('\n');
        partial[stream] = lines.pop()!;
        if (lines.length) emit(stream, lines);
      },
      flush: () => {
        for (const s of ['stdout', 'stderr'] as const) {
          const rest = partial[s] + dec[s].decode();
          partial[s] = '';
          if (rest) emit(s, [rest]);
        }
      },
    };
  }

  /** compose's status line (`web-1 exited with code 0`), in the container's colour, on stdout. */
  status(name: string, msg: string): void {
    this.register(name);
    this.io.out(this.paint.get(name)!(`${name} ${msg}\n`));
  }
}
