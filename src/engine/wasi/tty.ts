/**
 * What a pseudo-terminal does for `-t`, which a WASI module has none of: output gets `\r`
 * before every `\n` (termios ONLCR) and stderr shares the terminal with stdout; input is
 * cooked (ICANON, ECHO, ISIG): echoed, edited with backspace and ^U, delivered a line at a
 * time, ^D ends input on an empty line, ^C and ^\ signal the process.
 */
export function onlcr(data: Uint8Array): Uint8Array {
  let lf = 0;
  for (const b of data) if (b === 0x0a) lf++;
  if (lf === 0) return data;
  const out = new Uint8Array(data.length + lf);
  let j = 0;
  for (const b of data) {
    if (b === 0x0a) out[j++] = 0x0d;
    out[j++] = b;
  }
  return out;
}

export interface LineDisciplineHooks {
  echo(bytes: Uint8Array): void;
  deliver(line: Uint8Array): void;
  eof(): void;
  signal(sig: number): void;
}

const enc = (s: string) => new TextEncoder().encode(s);

export class LineDiscipline {
  private line: number[] = [];

  constructor(private readonly hooks: LineDisciplineHooks) {}

  input(data: Uint8Array): void {
    for (const b of data) this.byte(b);
  }

  private byte(b: number): void {
    const h = this.hooks;
    switch (b) {
      case 0x03: // ^C: SIGINT
      case 0x1c: // ^\: SIGQUIT
        h.echo(enc(b === 0x03 ? '^C\n' : '^\\\n'));
        this.line = [];
        return h.signal(b === 0x03 ? 2 : 3);
      case 0x04: // ^D: what is typed goes as is; on an empty line, end of file
        if (this.line.length === 0) return h.eof();
        return this.flush();
      case 0x7f:
      case 0x08: {
        if (this.line.length === 0) return;
        // Erase one character: its UTF-8 continuation bytes too.
        while (this.line.length > 0 && (this.line.pop()! & 0xc0) === 0x80);
        return h.echo(enc('\b \b'));
      }
      case 0x15: // ^U: erase the line
        h.echo(enc('\b \b'.repeat(new TextDecoder().decode(new Uint8Array(this.line)).length)));
        this.line = [];
        return;
      case 0x0d: // ICRNL
      case 0x0a:
        this.line.push(0x0a);
        // Echoed as NL: output processing (ONLCR) makes it CR NL, as for everything echoed.
        h.echo(enc('\n'));
        return this.flush();
      default:
        this.line.push(b);
        h.echo(b < 0x20 && b !== 0x09 ? enc(`^${String.fromCharCode(b + 0x40)}`) : new Uint8Array([b]));
    }
  }

  private flush(): void {
    const line = new Uint8Array(this.line);
    this.line = [];
    this.hooks.deliver(line);
  }
}
