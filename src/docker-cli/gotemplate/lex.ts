/**
 * Go's text/template lexer (text/template/parse/lex.go): text and actions between `{{`
 * and `}}`, trim markers (`{{- ` and ` -}}`), comments, and the tokens of an action.
 * Errors come back as an `error` token with Go's message, as Go's lexer emits them.
 */

export type TokType =
  | 'text' | 'left' | 'right' | 'space' | 'field' | 'identifier' | 'variable' | 'string' | 'rawString' | 'char'
  | 'number' | 'bool' | 'nil' | 'dot' | 'pipe' | 'leftParen' | 'rightParen' | 'assign' | 'declare' | 'comma'
  | 'keyword' | 'error' | 'eof' | 'comment' | 'char1';

export interface Token {
  typ: TokType;
  val: string;
  pos: number;
  line: number;
}

const KEYWORDS = new Set(['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'range', 'template', 'with']);
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string | undefined) => c !== undefined && /[\p{L}\p{Nd}_]/u.test(c);

/** Go's item.String(), as parse errors quote a token. */
export function tokenString(t: Token): string {
  if (t.typ === 'eof') return 'EOF';
  if (t.typ === 'error') return t.val;
  if (t.typ === 'keyword') return `<${t.val}>`;
  if ([...t.val].length > 10) return `${goQuote([...t.val].slice(0, 10).join(''))}...`;
  return goQuote(t.val);
}

/** strconv.Quote for the printable text templates hold. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c === 0xfffd && ch !== '\ufffd') out += '\\ufffd';
    else if (/[\p{C}\p{Zl}\p{Zp}]/u.test(ch) || (/\p{Zs}/u.test(ch) && ch !== ' ')) out += c > 0xffff ? `\\U${c.toString(16).padStart(8, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

export function lex(input: string): Token[] {
  const toks: Token[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;
  const emit = (typ: TokType, val = input.slice(start, pos)) => {
    toks.push({ typ, val, pos: start, line: startLine });
    start = pos;
    startLine = line;
  };
  const advance = (n: number) => {
    for (let i = 0; i < n; i++) if (input[pos + i] === '\n') line++;
    pos += n;
  };
  const ignore = () => {
    start = pos;
    startLine = line;
  };
  const fail = (msg: string) => {
    toks.push({ typ: 'error', val: msg, pos: start, line: startLine });
    return toks;
  };

  for (;;) {
    // Text up to the next left delimiter.
    const x = input.indexOf('{{', pos);
    if (x === -1) {
      advance(input.length - pos);
      if (pos > start) emit('text');
      toks.push({ typ: 'eof', val: '', pos, line });
      return toks;
    }
    const trimLeft = input[x + 2] === '-' && isSpace(input[x + 3]);
    advance(x - pos);
    if (pos > start) {
      let text = input.slice(start, pos);
      if (trimLeft) text = text.replace(/[ \t\r\n]+$/, '');
      if (text) toks.push({ typ: 'text', val: text, pos: start, line: startLine });
      ignore();
    }
    // The action.
    advance(2);
    if (trimLeft) advance(2);
    emit('left', trimLeft ? '{{- ' : '{{');
    // A comment fills the whole action.
    if (input.startsWith('/*', pos)) {
      const end = input.indexOf('*/', pos + 2);
      if (end === -1) return fail('unclosed comment');
      advance(end + 2 - pos);
      const trimR = input.startsWith(' -}}', pos) || (isSpace(input[pos]) && input.startsWith('-}}', pos + 1));
      if (!trimR && !input.startsWith('}}', pos)) return fail('comment ends before closing delimiter');
      emit('comment');
      advance(trimR ? 4 : 2);
      emit('right');
      if (trimR) skipSpace();
      ignore();
      continue;
    }
    // Tokens inside the action.
    for (;;) {
      // Right delimiter (with its trim marker).
      if (isSpace(input[pos]) && input[pos + 1] === '-' && input.startsWith('}}', pos + 2)) {
        advance(4);
        emit('right', ' -}}');
        skipSpace();
        ignore();
        break;
      }
      if (input.startsWith('}}', pos)) {
        if (parenDepth > 0) return fail('unclosed left paren');
        advance(2);
        emit('right');
        break;
      }
      const c = input[pos];
      if (c === undefined) return fail('unclosed action');
      if (isSpace(c)) {
        let n = pos;
        while (isSpace(input[n])) n++;
        // ` -}}`: the last space belongs to the trim marker.
        if (input.startsWith('-}}', n)) n--;
        if (n > pos) {
          advance(n - pos);
          emit('space');
        }
        continue;
      }
      if (c === '=') {
        advance(1);
        emit('assign');
      } else if (c === ':') {
        if (input[pos + 1] !== '=') return fail('expected :=');
        advance(2);
        emit('declare');
      } else if (c === '|') {
        advance(1);
        emit('pipe');
      } else if (c === '"') {
        advance(1);
        for (;;) {
          const d = input[pos];
          if (d === '\\') {
            if (input[pos + 1] === undefined || input[pos + 1] === '\n') return fail('unterminated quoted string');
            advance(2);
            continue;
          }
          if (d === undefined || d === '\n') return fail('unterminated quoted string');
          advance(1);
          if (d === '"') break;
        }
        emit('string');
      } else if (c === '`') {
        const end = input.indexOf('`', pos + 1);
        if (end === -1) return fail('unterminated raw quoted string');
        advance(end + 1 - pos);
        emit('rawString');
      } else if (c === "'") {
        advance(1);
        for (;;) {
          const d = input[pos];
          if (d === '\\') {
            if (input[pos + 1] === undefined || input[pos + 1] === '\n') return fail('unterminated character constant');
            advance(2);
            continue;
          }
          if (d === undefined || d === '\n') return fail('unterminated character constant');
          advance(1);
          if (d === "'") break;
        }
        emit('char');
      } else if (c === '$') {
        advance(1);
        while (isAlnum(input[pos])) advance(1);
        emit('variable');
      } else if (c === '.') {
        // A number like .5, a field, or dot.
        if (/[0-9]/.test(input[pos + 1] ?? '')) {
          if (!scanNumber()) return fail(`bad number syntax: "${input.slice(start, pos)}"`);
          emit('number');
        } else {
          advance(1);
          if (isAlnum(input[pos])) {
            while (isAlnum(input[pos])) advance(1);
            emit('field');
          } else emit('dot');
        }
      } else if (c === '+' || c === '-' || /[0-9]/.test(c)) {
        if (!scanNumber()) return fail(`bad number syntax: "${input.slice(start, pos)}"`);
        emit('number');
      } else if (isAlnum(c)) {
        while (isAlnum(input[pos])) advance(1);
        const word = input.slice(start, pos);
        if (KEYWORDS.has(word)) emit('keyword');
        else if (word === 'true' || word === 'false') emit('bool');
        else if (word === 'nil') emit('nil');
        else emit('identifier');
      } else if (c === '(') {
        advance(1);
        emit('leftParen');
        parenDepth++;
      } else if (c === ')') {
        advance(1);
        emit('rightParen');
        if (--parenDepth < 0) return fail('unexpected right paren U+0029 \')\'');
      } else if (c === ',') {
        advance(1);
        emit('comma');
      } else if (c >= ' ' && c <= '~') {
        // Other printable ASCII is a token of its own, which the parser rejects where it stands.
        advance(1);
        emit('char1');
      } else {
        const cp = input.codePointAt(pos)!;
        const ch = String.fromCodePoint(cp);
        return fail(`bad character U+${cp.toString(16).toUpperCase().padStart(4, '0')} ${goQuoteRune(ch)}`);
      }
    }
  }

  function skipSpace() {
    while (isSpace(input[pos])) advance(1);
  }

  function scanNumber(): boolean {
    if (input[pos] === '+' || input[pos] === '-') advance(1);
    let digits = '0123456789_';
    if (input[pos] === '0' && /[xXoObB]/.test(input[pos + 1] ?? '')) {
      const k = input[pos + 1]!.toLowerCase();
      advance(2);
      digits = k === 'x' ? '0123456789abcdefABCDEF_' : k === 'o' ? '01234567_' : '01_';
    }
    const run = () => {
      while (input[pos] !== undefined && digits.includes(input[pos]!)) advance(1);
    };
    run();
    if (input[pos] === '.') {
      advance(1);
      run();
    }
    if (digits.length === 11 && /[eE]/.test(input[pos] ?? '')) {
      advance(1);
      if (input[pos] === '+' || input[pos] === '-') advance(1);
      while (/[0-9_]/.test(input[pos] ?? '')) advance(1);
    }
    if (input[pos] === 'i') advance(1);
    // The next thing must not be alphanumeric.
    if (isAlnum(input[pos])) {
      advance(1);
      return false;
    }
    return true;
  }
}

/** `%#U`'s quoted rune: 'x'. */
function goQuoteRune(ch: string): string {
  return `'${ch}'`;
}
