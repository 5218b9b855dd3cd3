/**
 * Shell-word expansion as BuildKit's frontend does it (frontend/dockerfile/shell/lex.go):
 * `$V`, `${V}`, `${V:-x}`, `${V-x}`, `${V:+x}`, `${V+x}`, `${V:?err}`, `${V?err}`,
 * `${V#p}`/`${V##p}`/`${V%p}`/`${V%%p}`, `${V/p/r}`/`${V//p/r}`, quotes and the escape
 * token. This is not a shell: no command substitution, no globbing, no arithmetic.
 */
import { goQuote } from './go-quote.ts';

/** Where expansion looks names up. */
export interface EnvGetter {
  get(name: string): string | undefined;
  keys(): string[];
}

/** An env from `KEY=value` strings (later keys win), as lex.go's EnvsFromSlice. */
export function envFromList(list: readonly string[]): EnvGetter {
  const m = new Map<string, string>();
  for (const e of list) {
    const i = e.indexOf('=');
    if (i < 0) m.set(e, '');
    else m.set(e.slice(0, i), e.slice(i + 1));
  }
  return envFromMap(m);
}

export function envFromMap(m: ReadonlyMap<string, string>): EnvGetter {
  return { get: (k) => m.get(k), keys: () => [...m.keys()] };
}

export const EMPTY_ENV: EnvGetter = { get: () => undefined, keys: () => [] };

export interface LexOptions {
  /** Keep quote characters in the result (used to tell a quoted heredoc word). */
  rawQuotes?: boolean;
  /** Keep escape tokens in the result. */
  rawEscapes?: boolean;
  /** Quotes are ordinary characters (heredoc bodies). */
  skipProcessQuotes?: boolean;
  /** Leave `$V` of an unset V as it is written instead of the empty string. */
  skipUnsetEnv?: boolean;
}

/** A word that did not expand; the message is BuildKit's. */
export class LexError extends Error {}

export interface WordResult {
  result: string;
  /** Names looked up and found / not found (BuildKit's Matched/Unmatched). */
  matched: Set<string>;
  unmatched: Set<string>;
}

const EOF = '';
// Go's unicode.IsSpace.
const SPACE = /^[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]$/;
const isSpace = (c: string) => c !== EOF && SPACE.test(c);
const isLetter = (c: string) => c !== EOF && /^\p{L}$/u.test(c);
const isDigit = (c: string) => c !== EOF && /^\p{Nd}$/u.test(c);
const isSpecialParam = (c: string) => '@*#?-$!0'.includes(c) && c !== EOF;

export class ShellLex {
  readonly escapeToken: string;
  readonly opts: Readonly<LexOptions>;

  constructor(escapeToken = '\\', opts: LexOptions = {}) {
    this.escapeToken = escapeToken;
    this.opts = opts;
  }

  /** One word: quotes removed, variables expanded, whitespace kept. */
  processWord(word: string, env: EnvGetter): WordResult {
    const w = new Word(this, word, env);
    const { result } = w.run(word);
    return { result, matched: w.matched, unmatched: w.unmatched };
  }

  /** Split into words the way BuildKit does for EXPOSE and heredoc detection. */
  processWords(word: string, env: EnvGetter): string[] {
    return new Word(this, word, env).run(word).words;
  }
}

class Words {
  buf = '';
  words: string[] = [];
  inWord = false;
  addChar(c: string): void {
    if (isSpace(c)) {
      if (this.inWord && this.buf.length) {
        this.words.push(this.buf);
        this.buf = '';
        this.inWord = false;
      }
    } else this.addRaw(c);
  }
  addRaw(s: string): void {
    this.buf += s;
    this.inWord = true;
  }
  addString(s: string): void {
    for (const c of s) this.addChar(c);
  }
  get(): string[] {
    if (this.buf.length) {
      this.words.push(this.buf);
      this.buf = '';
      this.inWord = false;
    }
    return this.words;
  }
}

class Word {
  private readonly chars: string[];
  private pos = 0;
  private rawEscapes: boolean;
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();

  constructor(private readonly lex: ShellLex, word: string, private readonly env: EnvGetter) {
    this.chars = Array.from(word);
    this.rawEscapes = !!lex.opts.rawEscapes;
  }

  private peek(): string {
    return this.chars[this.pos] ?? EOF;
  }
  private next(): string {
    const c = this.chars[this.pos] ?? EOF;
    if (c !== EOF) this.pos++;
    return c;
  }

  run(source: string): { result: string; words: string[] } {
    try {
      return this.stopOn(EOF, this.rawEscapes);
    } catch (e) {
      if (e instanceof LexError) throw new LexError(`failed to process ${goQuote(source)}: ${e.message}`);
      throw e;
    }
  }

  private stopOn(stop: string, rawEscapes: boolean): { result: string; words: string[] } {
    let result = '';
    const words = new Words();
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      while (this.peek() !== EOF) {
        const c = this.peek();
        if (stop !== EOF && c === stop) {
          this.next();
          return { result, words: words.get() };
        }
        if (c === '$' || c === '<' || (!this.lex.opts.skipProcessQuotes && (c === "'" || c === '"'))) {
          const s = c === '$' ? this.dollar() : c === '<' ? this.possibleHeredoc() : c === "'" ? this.singleQuote() : this.doubleQuote();
          result += s;
          if (c === '$') words.addString(s);
          else words.addRaw(s);
          continue;
        }
        let ch = this.next();
        if (ch === this.lex.escapeToken) {
          if (this.rawEscapes) {
            words.addRaw(ch);
            result += ch;
          }
          ch = this.next();
          if (ch === EOF) break;
          words.addRaw(ch);
        } else words.addChar(ch);
        result += ch;
      }
      if (stop !== EOF) throw new LexError(`unexpected end of statement while looking for matching ${stop}`);
      return { result, words: words.get() };
    } finally {
      this.rawEscapes = saved;
    }
  }

  private singleQuote(): string {
    // Everything up to the next ' is literal, the escape token too.
    let out = '';
    const open = this.next();
    if (this.lex.opts.rawQuotes) out += open;
    for (;;) {
      const c = this.next();
      if (c === EOF) throw new LexError('unexpected end of statement while looking for matching single-quote');
      if (c === "'") {
        if (this.lex.opts.rawQuotes) out += c;
        return out;
      }
      out += c;
    }
  }

  private doubleQuote(): string {
    let out = '';
    const open = this.next();
    if (this.lex.opts.rawQuotes) out += open;
    for (;;) {
      const p = this.peek();
      if (p === EOF) throw new LexError('unexpected end of statement while looking for matching double-quote');
      if (p === '"') {
        const c = this.next();
        if (this.lex.opts.rawQuotes) out += c;
        return out;
      }
      if (p === '$') {
        out += this.dollar();
        continue;
      }
      let c = this.next();
      if (c === this.lex.escapeToken) {
        if (this.rawEscapes) out += c;
        const n = this.peek();
        if (n === EOF) continue;
        // Inside double quotes the escape token escapes only ", $ and itself.
        if (n === '"' || n === '$' || n === this.lex.escapeToken) c = this.next();
      }
      out += c;
    }
  }

  private getEnv(name: string): string | undefined {
    const v = this.env.get(name);
    (v !== undefined ? this.matched : this.unmatched).add(name);
    return v;
  }

  private dollar(): string {
    this.next(); // $
    const skipUnset = !!this.lex.opts.skipUnsetEnv;
    if (this.peek() !== '{') {
      const name = this.name();
      if (name === '') return '$';
      const v = this.getEnv(name);
      if (v === undefined && skipUnset) return '$' + name;
      return v ?? '';
    }
    this.next(); // {
    const first = this.peek();
    if (first === EOF) throw new LexError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new LexError('syntax error: bad substitution');
    const name = this.name();
    let ch = this.next();
    let chs = ch === EOF ? '\uFFFD' : ch;
    if (ch === '}') {
      const v = this.getEnv(name);
      if (v === undefined && skipUnset) return `\${${name}}`;
      return v ?? '';
    }
    if (ch === '/') return this.replace(name);
    let nullIsUnset = false;
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.next();
      chs += ch === EOF ? '\uFFFD' : ch;
    } else if (!'+-?#%'.includes(ch) || ch === EOF) {
      throw new LexError(`unsupported modifier (${chs}) in substitution`);
    }
    const trim = ch === '#' || ch === '%';
    if (nullIsUnset && trim) throw new LexError(`unsupported modifier (${chs}) in substitution`);
    let word: string;
    try {
      word = this.stopOn('}', trim).result;
    } catch (e) {
      if (e instanceof LexError && this.peek() === EOF) throw new LexError("syntax error: missing '}'");
      throw e;
    }
    const value = this.getEnv(name);
    const set = value !== undefined;
    if (skipUnset && !set) return `\${${name}${chs}${word}}`;
    const v = value ?? '';
    switch (ch) {
      case '-':
        return !set || (nullIsUnset && v === '') ? word : v;
      case '+':
        return !set || (nullIsUnset && v === '') ? '' : word;
      case '?':
        if (!set) throw new LexError(`${name}: ${word || 'is not allowed to be unset'}`);
        if (nullIsUnset && v === '') throw new LexError(`${name}: ${word || 'is not allowed to be empty'}`);
        return v;
      case '%':
      case '#': {
        const greedy = word.startsWith(ch);
        const pattern = greedy ? word.slice(1) : word;
        return ch === '%' ? trimSuffix(pattern, v, greedy) : trimPrefix(pattern, v, greedy);
      }
      default:
        throw new LexError(`unsupported modifier (${chs}) in substitution`);
    }
  }

  private replace(name: string): string {
    const all = this.peek() === '/';
    if (all) this.next();
    const part = (stop: string, missing: string) => {
      try {
        return this.stopOn(stop, true).result;
      } catch (e) {
        if (e instanceof LexError && this.peek() === EOF) throw new LexError(missing);
        throw e;
      }
    };
    const pattern = part('/', "syntax error: missing '/' in ${}");
    const replacement = part('}', "syntax error: missing '}'");
    const value = this.getEnv(name);
    if (value === undefined && this.lex.opts.skipUnsetEnv) return `\${${name}/${pattern}/${replacement}}`;
    const re = patternToRegex(pattern, true, false, all);
    return (value ?? '').replace(re, () => replacement);
  }

  private name(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const c = this.peek();
      if (name === '' && isDigit(c)) {
        while (isDigit(this.peek())) name += this.next();
        return name;
      }
      if (name === '' && isSpecialParam(c)) return this.next();
      if (!isLetter(c) && !isDigit(c) && c !== '_') break;
      name += this.next();
    }
    return name;
  }

  private possibleHeredoc(): string {
    this.next(); // <
    if (this.peek() !== '<') return '<';
    this.next();
    let space = '';
    while (this.peek() === '\t' || this.peek() === '\r' || this.peek() === ' ') space += this.next();
    return '<<' + space;
  }
}

/** A shell pattern (`*`, `?`, `\` escapes) as a regular expression, as lex.go converts it. */
function patternToRegex(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  let out = anchored ? '^' : '';
  const cs = Array.from(pattern);
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    if (c === '*') out += greedy ? '.*' : '.*?';
    else if (c === '?') out += '.';
    else if (c === '\\') {
      const n = cs[i + 1];
      if (n === '}' || n === '/') continue;
      i++;
      if (n !== '*' && n !== '?' && n !== '\\') throw new LexError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${n ?? ''}'`);
      out += '\\' + n;
    } else if ('[]{}.+()|^$'.includes(c)) out += '\\' + c;
    else out += c;
  }
  return new RegExp(out, global ? 'gu' : 'u');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = patternToRegex(pattern, greedy, true).exec(value);
  return m ? value.slice(m.index + m[0].length) : value;
}

/** The pattern read backwards, keeping each `\x` pair in order. */
function reversePattern(p: string): string {
  const cs = Array.from(p);
  const out: string[] = [];
  for (let i = 0; i < cs.length; ) {
    if (cs[i] === '\\' && i !== cs.length - 1) {
      out.unshift(cs[i]!, cs[i + 1]!);
      i += 2;
    } else out.unshift(cs[i++]!);
  }
  return out.join('');
}

const reverse = (s: string) => Array.from(s).reverse().join('');

function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverse(trimPrefix(reversePattern(pattern), reverse(value), greedy));
}
