/**
 * The playground shell's words: POSIX-ish quoting (XCU 2.2: backslash, single quotes,
 * double quotes, and `$'...'` with backslash escapes, XCU 2.2.4 of POSIX.1-2024, the way
 * to type a tab or a newline into a word), `#` comments, and the list operators `;`,
 * `&&`, `||` between commands (XCU 2.9.3). No expansions: `$VAR` stays literal text. Pipes and redirections have no
 * meaning here (there is no host filesystem or second process), so they are refused with
 * a sentence instead of being passed to docker as words.
 */
export type ListOp = ';' | '&&' | '||';

export interface CommandWords {
  argv: string[];
  /** How this command follows the previous one (';' for the first). */
  op: ListOp;
}

export type TokenizeResult =
  | { ok: true; commands: CommandWords[] }
  | { ok: false; error: string; incomplete?: boolean };

const BLANK = /[ \t\n]/;

export function tokenize(line: string): TokenizeResult {
  const commands: CommandWords[] = [];
  let argv: string[] = [];
  let op: ListOp = ';';
  let word = '';
  let inWord = false;
  const endWord = () => {
    if (inWord) argv.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (next: ListOp): string | undefined => {
    endWord();
    if (argv.length === 0) return `syntax error near unexpected token \`${next}'`;
    commands.push({ argv, op });
    argv = [];
    op = next;
    return undefined;
  };

  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\') {
      // A backslash at the very end would continue the line; we have one line only.
      if (i + 1 >= line.length) return { ok: false, error: 'unexpected end of line after \\', incomplete: true };
      word += line[++i];
      inWord = true;
    } else if (c === '$' && line[i + 1] === "'") {
      const r = dollarQuoted(line, i + 2);
      if (!r) return { ok: false, error: "unexpected EOF while looking for matching `''", incomplete: true };
      word += r.text;
      inWord = true;
      i = r.end;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) return { ok: false, error: "unexpected EOF while looking for matching `''", incomplete: true };
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      i++;
      for (; i < line.length && line[i] !== '"'; i++) {
        // Inside double quotes a backslash escapes only $ ` " \ and newline (XCU 2.2.3).
        if (line[i] === '\\' && i + 1 < line.length && '$`"\\\n'.includes(line[i + 1]!)) i++;
        word += line[i];
      }
      if (i >= line.length) return { ok: false, error: 'unexpected EOF while looking for matching `"\'', incomplete: true };
      inWord = true;
    } else if (BLANK.test(c)) {
      endWord();
    } else if (c === '#' && !inWord) {
      break;
    } else if (c === ';') {
      const e = endCommand(';');
      if (e) return { ok: false, error: e };
    } else if ((c === '&' || c === '|') && line[i + 1] === c) {
      const e = endCommand(c === '&' ? '&&' : '||');
      if (e) return { ok: false, error: e };
      i++;
    } else if ('|&<>`'.includes(c) || (c === '$' && line[i + 1] === '(')) {
      const what = c === '|' ? 'pipes' : c === '&' ? 'background jobs' : c === '`' || c === '$' ? 'command substitution' : 'redirections';
      return { ok: false, error: `${what} are not supported here: this shell runs docker commands one after another (use ;, && or ||), or quote the character` };
    } else {
      word += c;
      inWord = true;
    }
  }
  endWord();
  if (argv.length) commands.push({ argv, op });
  else if (commands.length && op !== ';') return { ok: false, error: `syntax error: a command must follow \`${op}'`, incomplete: true };
  return { ok: true, commands };
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"', '?': '?' };

/**
 * The body of `$'...'` from `start` (just after the opening quote) to its closing quote:
 * `\n \t \\ \'` and the other escapes of XCU 2.2.4, `\cX` (control-X), `\xHH` (one or two
 * hex digits) and `\OOO` (one to three octal digits) as that character code, and bash's
 * `\uHHHH`/`\UHHHHHHHH`; an unknown escape keeps its backslash, as bash does. Undefined
 * when the line ends first.
 */
function dollarQuoted(line: string, start: number): { text: string; end: number } | undefined {
  let text = '';
  for (let i = start; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") return { text, end: i };
    if (c !== '\\') {
      text += c;
      continue;
    }
    const e = line[++i];
    if (e === undefined) return undefined;
    const digits = (re: RegExp, max: number): string => {
      let d = '';
      while (d.length < max && i + 1 < line.length && re.test(line[i + 1]!)) d += line[++i];
      return d;
    };
    if (Object.hasOwn(ESCAPES, e)) text += ESCAPES[e];
    else if (e === 'c' && i + 1 < line.length) text += String.fromCharCode(line[++i]!.toUpperCase().charCodeAt(0) ^ 0x40);
    else if (/[0-7]/.test(e)) text += String.fromCharCode(parseInt(e + digits(/[0-7]/, 2), 8));
    else if (e === 'x' || e === 'u' || e === 'U') {
      const hex = digits(/[0-9a-fA-F]/, e === 'x' ? 2 : e === 'u' ? 4 : 8);
      const code = hex ? parseInt(hex, 16) : NaN;
      text += Number.isNaN(code) || code > 0x10ffff ? `\\${e}${hex}` : String.fromCodePoint(code);
    } else text += `\\${e}`;
  }
  return undefined;
}

/** Quotes words so that `tokenize` gives them back (for share links and history). */
export function quoteArgv(argv: string[]): string {
  return argv.map(quoteWord).join(' ');
}

/**
 * A word as the shell reads it back: plain, in single quotes, or in `$'...'` when it holds
 * a control character (a tab in a `--format` table), which a typed line cannot carry.
 */
export function quoteWord(w: string): string {
  if (w !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(w)) return w;
  if (!/[\x00-\x1f\x7f]/.test(w)) return `'${w.replace(/'/g, `'\\''`)}'`;
  const named: Record<string, string> = { '\t': 't', '\n': 'n', '\r': 'r', '\x1b': 'e', '\\': '\\', "'": "'" };
  return `$'${[...w].map((c) => (named[c] ? `\\${named[c]}` : c < ' ' || c === '\x7f' ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c)).join('')}'`;
}
