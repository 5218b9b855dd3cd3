/**
 * The playground shell's words: POSIX-ish quoting (XCU 2.2: backslash, single quotes,
 * double quotes), `#` comments, and the list operators `;`, `&&`, `||` between commands
 * (XCU 2.9.3). No expansions: `$VAR` stays literal text. Pipes and redirections have no
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

/** Quotes words so that `tokenize` gives them back (for share links and history). */
export function quoteArgv(argv: string[]): string {
  return argv.map(quoteWord).join(' ');
}

export function quoteWord(w: string): string {
  if (w !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(w)) return w;
  return `'${w.replace(/'/g, `'\\''`)}'`;
}
