/**
 * Test support: a small VT100-class screen that interprets what the shell writes, as
 * xterm.js does for the sequences the shell uses (printable text with xterm's
 * pending-wrap at the right margin, CR, LF, BS, CUU/CUD/CUF/CUB, CUP home, ED, EL, SGR
 * ignored). Unlimited height: rows grow downwards, nothing scrolls off.
 */
export class FakeScreen {
  rows: string[][] = [[]];
  row = 0;
  col = 0;
  private pendingWrap = false;
  /** Everything written, raw, for asserting on sequences. */
  raw = '';

  constructor(public cols = 80) {}

  write = (data: string | Uint8Array): void => {
    const s = typeof data === 'string' ? data : new TextDecoder().decode(data);
    this.raw += s;
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (c === '\x1b' && s[i + 1] === '[') {
        let j = i + 2;
        while (j < s.length && /[0-9;?]/.test(s[j]!)) j++;
        this.csi(s.slice(i + 2, j), s[j]!);
        i = j;
      } else if (c === '\r') {
        this.col = 0;
        this.pendingWrap = false;
      } else if (c === '\n') {
        this.down(1);
      } else if (c === '\b') {
        this.col = Math.max(0, this.col - 1);
        this.pendingWrap = false;
      } else if (c === '\x07') {
        // bell
      } else {
        if (this.pendingWrap) {
          this.col = 0;
          this.down(1);
        }
        this.line()[this.col] = c;
        if (this.col === this.cols - 1) this.pendingWrap = true;
        else this.col++;
      }
    }
  };

  /** The screen's text, trailing blanks and empty trailing rows removed. */
  text(): string {
    return this.rows.map((r) => Array.from(r, (c) => c ?? ' ').join('').trimEnd()).join('\n').replace(/\n+$/, '');
  }

  /** The row the cursor is on. */
  currentLine(): string {
    return Array.from(this.line(), (c) => c ?? ' ').join('').trimEnd();
  }

  private line(): string[] {
    while (this.rows.length <= this.row) this.rows.push([]);
    return this.rows[this.row]!;
  }

  private down(n: number): void {
    this.row += n;
    this.pendingWrap = false;
    this.line();
  }

  private csi(params: string, final: string): void {
    const n = Number.parseInt(params, 10) || 1;
    this.pendingWrap = false;
    switch (final) {
      case 'A': this.row = Math.max(0, this.row - n); break;
      case 'B': this.down(n); break;
      case 'C': this.col = Math.min(this.cols - 1, this.col + n); break;
      case 'D': this.col = Math.max(0, this.col - n); break;
      case 'H': this.row = 0; this.col = 0; break;
      case 'J':
        if (params === '2' || params === '3') this.rows = this.rows.map(() => []);
        else {
          this.line().length = this.col;
          this.rows.length = this.row + 1;
        }
        break;
      case 'K': this.line().length = this.col; break;
      default: break; // SGR and the rest: no effect on the text
    }
  }
}
