/**
 * Output that is not from a PTY ends lines with a bare LF; a terminal needs CR LF (the
 * kernel tty's ONLCR does this for a real terminal). LFs already preceded by CR, across
 * chunk boundaries too, are left alone, so PTY output passes through unchanged.
 */
export class CrlfWriter {
  private lastWasCr = false;

  convert(chunk: string | Uint8Array): string | Uint8Array {
    return typeof chunk === 'string' ? this.text(chunk) : this.bytes(chunk);
  }

  private text(s: string): string {
    let out = '';
    for (const c of s) {
      if (c === '\n' && !this.lastWasCr) out += '\r';
      out += c;
      this.lastWasCr = c === '\r';
    }
    return out;
  }

  private bytes(b: Uint8Array): Uint8Array {
    let lfs = 0;
    let prevCr = this.lastWasCr;
    for (const x of b) {
      if (x === 0x0a && !prevCr) lfs++;
      prevCr = x === 0x0d;
    }
    if (lfs === 0) {
      if (b.length) this.lastWasCr = b[b.length - 1] === 0x0d;
      return b;
    }
    const out = new Uint8Array(b.length + lfs);
    let j = 0;
    for (const x of b) {
      if (x === 0x0a && !this.lastWasCr) out[j++] = 0x0d;
      out[j++] = x;
      this.lastWasCr = x === 0x0d;
    }
    return out;
  }
}
