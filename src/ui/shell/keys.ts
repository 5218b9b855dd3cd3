/**
 * Splits what a terminal sends (xterm.js `onData`) into keys: one character, or one
 * escape sequence (ECMA-48 CSI `ESC [ params final`, SS3 `ESC O x`, or ESC + a character
 * for Alt/Meta). A lone ESC at the end of the data is a key of its own.
 */
export function splitKeys(data: string): string[] {
  const keys: string[] = [];
  let i = 0;
  while (i < data.length) {
    const c = data[i]!;
    if (c !== '\x1b' || i + 1 >= data.length) {
      // Keep a surrogate pair together: one key is one code point.
      const cp = data.codePointAt(i)!;
      const len = cp > 0xffff ? 2 : 1;
      keys.push(data.slice(i, i + len));
      i += len;
      continue;
    }
    const n = data[i + 1]!;
    if (n === '[') {
      let j = i + 2;
      // Parameter and intermediate bytes 0x20-0x3f, then a final byte 0x40-0x7e.
      while (j < data.length && data.charCodeAt(j) >= 0x20 && data.charCodeAt(j) <= 0x3f) j++;
      keys.push(data.slice(i, Math.min(j + 1, data.length)));
      i = j + 1;
    } else if (n === 'O' && i + 2 < data.length) {
      keys.push(data.slice(i, i + 3));
      i += 3;
    } else {
      keys.push(data.slice(i, i + 2));
      i += 2;
    }
  }
  return keys;
}

export type EditKey =
  | 'enter' | 'backspace' | 'delete' | 'left' | 'right' | 'up' | 'down' | 'home' | 'end'
  | 'word-left' | 'word-right' | 'kill-start' | 'kill-end' | 'kill-word' | 'kill-alnum-word'
  | 'clear-screen' | 'interrupt' | 'eof' | 'ignore';

const NAMED: Record<string, EditKey> = {
  '\r': 'enter', '\n': 'enter',
  '\x7f': 'backspace', '\b': 'backspace',
  '\x1b[3~': 'delete',
  '\x1b[D': 'left', '\x1bOD': 'left', '\x02': 'left',
  '\x1b[C': 'right', '\x1bOC': 'right', '\x06': 'right',
  '\x1b[A': 'up', '\x1bOA': 'up', '\x10': 'up',
  '\x1b[B': 'down', '\x1bOB': 'down', '\x0e': 'down',
  '\x1b[H': 'home', '\x1bOH': 'home', '\x1b[1~': 'home', '\x1b[7~': 'home', '\x01': 'home',
  '\x1b[F': 'end', '\x1bOF': 'end', '\x1b[4~': 'end', '\x1b[8~': 'end', '\x05': 'end',
  '\x1b[1;5D': 'word-left', '\x1b[1;3D': 'word-left', '\x1bb': 'word-left',
  '\x1b[1;5C': 'word-right', '\x1b[1;3C': 'word-right', '\x1bf': 'word-right',
  '\x15': 'kill-start', '\x0b': 'kill-end', '\x17': 'kill-word', '\x1b\x7f': 'kill-alnum-word',
  '\x0c': 'clear-screen', '\x03': 'interrupt', '\x04': 'eof',
};

/** A key's editing meaning, or the text it inserts. */
export function classify(key: string): EditKey | { insert: string } {
  const named = NAMED[key];
  if (named) return named;
  const cp = key.codePointAt(0)!;
  if (key.startsWith('\x1b') || cp < 0x20 || (cp >= 0x80 && cp < 0xa0)) return 'ignore';
  return { insert: key };
}
