/**
 * The Dockerfile parser: text to one ParsedLine per instruction, as BuildKit's
 * frontend/dockerfile/parser/parser.go reads it. Parser directives (`# syntax`,
 * `# escape`, `# check`) at the top, comments, line continuations with the escape token
 * (comment and empty lines inside a continuation are dropped, the latter with BuildKit's
 * warning), JSON vs shell forms, and heredocs on RUN/COPY/ADD (and ONBUILD of those).
 */
import { TabdockError } from '../shared/errors.ts';
import type { Heredoc, ParsedLine, ParseResult, ParseWarning } from './ast.ts';
import { goQuoteList, goQuote } from './go-quote.ts';
import { EMPTY_ENV, LexError, ShellLex } from './lex.ts';
import { LineError, parseLineArgs, splitCommand } from './line-parsers.ts';

const DIRECTIVES = new Set(['syntax', 'escape', 'check']);
const DIRECTIVE_RE = /^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const HEREDOC_RE = /^(\d*)<<(-?)[\t\n\f\r ]*([^<]*)$/;
const HEREDOC_COMMANDS = new Set(['add', 'copy', 'run']);
// Go's unicode.IsSpace at the start of a line.
const LEADING_SPACE = /^[\t\n\v\f\r \u0085\u00A0]+/;

/** A Dockerfile error naming its line, worded as BuildKit words it. */
export function dockerfileError(message: string, line: number, endLine = line): TabdockError {
  return new TabdockError('DOCKERFILE_INVALID', `dockerfile parse error on line ${line}: ${message}`, { line, endLine, reason: message });
}

/** Tracks parser directives: only before the first line that is not one. */
class Directives {
  escape = '\\';
  continuation = continuationRe('\\');
  readonly found: Record<string, string> = {};
  private done = false;

  /** Whether the line is a directive (then it is not a comment for the AST). */
  check(line: string): boolean {
    if (this.done) return false;
    if (!line.startsWith('#')) {
      this.done = true;
      return false;
    }
    const m = DIRECTIVE_RE.exec(line.slice(1).replace(LEADING_SPACE, ''));
    const key = m?.[1]!.toLowerCase();
    if (!m || !key || !DIRECTIVES.has(key)) {
      this.done = true;
      return false;
    }
    if (key in this.found) throw new LineError(`only one ${key} parser directive can be used`);
    this.found[key] = m[2]!;
    if (key === 'escape') {
      if (m[2] !== '`' && m[2] !== '\\') throw new LineError(`invalid escape token '${m[2]}' does not match \` or \\`);
      this.escape = m[2];
      this.continuation = continuationRe(m[2]);
    }
    return true;
  }
}

/** The escape token last on a line (not itself escaped) continues it. */
function continuationRe(esc: string): RegExp {
  const e = '\\' + esc;
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

const trimNewline = (s: string) => s.replace(/[\r\n]+$/, '');
const isComment = (s: string) => s.replace(LEADING_SPACE, '').startsWith('#');

/** Lines with their endings kept (Go's scanLines variant in parser.go). */
function splitLines(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const j = text.indexOf('\n', i);
    if (j < 0) {
      out.push(text.slice(i));
      break;
    }
    out.push(text.slice(i, j + 1));
    i = j + 1;
  }
  return out;
}

/** Parses a Dockerfile. Throws DOCKERFILE_INVALID naming the line. */
export function parseDockerfile(text: string): ParseResult {
  const d = new Directives();
  const lines = splitLines(text.startsWith('\uFEFF') ? text.slice(1) : text);
  const out: ParsedLine[] = [];
  const warnings: ParseWarning[] = [];
  let comments: string[] = [];
  let i = 0;
  let current = 0;

  const process = (raw: string, stripLeft: boolean): string => {
    let s = trimNewline(raw);
    if (stripLeft) s = s.replace(LEADING_SPACE, '');
    try {
      if (d.check(s)) directiveFound = true;
    } catch (e) {
      if (e instanceof LineError) throw dockerfileError(e.message, current + 1);
      throw e;
    }
    return isComment(s) ? '' : s;
  };
  let directiveFound = false;

  const trimCont = (s: string): [string, boolean] => {
    if (d.continuation.test(s)) return [s.replace(d.continuation, '$1'), false];
    return [s, true];
  };

  while (i < lines.length) {
    const raw = lines[i++]!;
    if (isComment(raw)) {
      const c = trimNewline(raw).replace(LEADING_SPACE, '').slice(1).trim();
      comments = c === '' ? [] : [...comments, c];
    }
    directiveFound = false;
    let first = process(raw, true);
    if (directiveFound) comments = comments.slice(0, -1);
    current++;
    const startLine = current;
    let eol: boolean;
    [first, eol] = trimCont(first);
    if (eol && first.length === 0) continue;
    let line = first;
    let emptyContinuation = false;
    while (!eol && i < lines.length) {
      const next = lines[i++]!;
      const s = process(next, false);
      current++;
      if (isComment(next)) continue;
      if (trimNewline(s).replace(LEADING_SPACE, '').length === 0) {
        emptyContinuation = true;
        continue;
      }
      let part: string;
      [part, eol] = trimCont(s);
      line += part;
    }
    if (emptyContinuation) warnings.push({ message: `Empty continuation line found in: ${line}`, line: current });

    let node: ParsedLine;
    try {
      node = lineNode(line, d.escape, comments);
    } catch (e) {
      if (e instanceof LineError) throw dockerfileError(e.message, startLine, current);
      throw e;
    }
    if (canContainHeredoc(node) && line.includes('<<')) {
      let docs: Omit<Heredoc, 'content'>[];
      try {
        docs = heredocsFromLine(line);
      } catch (e) {
        if (e instanceof LexError) throw dockerfileError(e.message, startLine, current);
        throw e;
      }
      for (const doc of docs) {
        let content = '';
        let terminated = false;
        while (i < lines.length) {
          const body = lines[i++]!;
          current++;
          let candidate = trimNewline(body);
          if (doc.chomp) candidate = candidate.replace(/^\t+/, '');
          if (candidate === doc.name) {
            terminated = true;
            break;
          }
          content += body;
        }
        if (!terminated) throw dockerfileError('unterminated heredoc', startLine, current);
        node.heredocs.push({ ...doc, content });
      }
    }
    node.startLine = startLine;
    node.endLine = current;
    out.push(node);
    comments = [];
  }
  if (out.length === 0) throw dockerfileError('file with no instructions', current);
  return { lines: out, escapeToken: d.escape, directives: d.found, warnings };
}

function lineNode(line: string, escape: string, comments: string[]): ParsedLine {
  const { cmd, flags, rest } = splitCommand(line, escape);
  const { next, json } = parseLineArgs(cmd.toLowerCase(), rest, escape, (sub) => lineNode(sub, escape, []));
  return { cmd, flags, next, json, heredocs: [], original: line, startLine: 0, endLine: 0, comments };
}

function canContainHeredoc(n: ParsedLine): boolean {
  let node = n;
  if (node.cmd.toLowerCase() === 'onbuild' && typeof node.next[0] === 'object') node = node.next[0];
  return HEREDOC_COMMANDS.has(node.cmd.toLowerCase()) && !node.json;
}

/** A `<<EOF` / `<<-"EOF"` / `3<<EOF` word as a heredoc, or undefined. */
export function parseHeredocWord(word: string): Omit<Heredoc, 'content'> | undefined {
  const m = HEREDOC_RE.exec(word);
  if (!m || m[3] === '') return undefined;
  const rest = m[3]!;
  const words = new ShellLex('\\', { skipUnsetEnv: true }).processWords(rest, EMPTY_ENV);
  if (words.length !== 1) return undefined;
  const raw = new ShellLex('\\', { skipUnsetEnv: true, rawQuotes: true }).processWords(rest, EMPTY_ENV);
  if (raw.length !== 1) throw new LexError(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  const quotes = (s: string) => s.split(/['"]/).length - 1;
  // A quote anywhere in the delimiter word turns expansion of the body off (as sh does).
  return { name: words[0]!, fd: m[1] ? Number(m[1]) : 0, expand: quotes(words[0]!) === quotes(raw[0]!), chomp: m[2] === '-' };
}

function heredocsFromLine(line: string): Omit<Heredoc, 'content'>[] {
  let words: string[] = [];
  try {
    words = new ShellLex('\\', { rawQuotes: true, rawEscapes: true, skipUnsetEnv: true }).processWords(line, EMPTY_ENV);
  } catch (e) {
    if (!(e instanceof LexError)) throw e;
  }
  return words.map(parseHeredocWord).filter((h): h is Omit<Heredoc, 'content'> => h !== undefined);
}

/** Leading tabs off every line of a `<<-` body. */
export function chompHeredoc(content: string): string {
  return content.replace(/^\t+/gm, '');
}

/** BuildKit's Node.Dump() of the parse, used to check against BuildKit's own test results. */
export function dumpParse(r: ParseResult): string {
  const dump = (n: ParsedLine): string => {
    let s = n.cmd.toLowerCase();
    if (n.flags.length) s += ' ' + goQuoteList(n.flags);
    for (const v of n.next) s += ' ' + (typeof v === 'string' ? goQuote(v) : `(${dump(v)})`);
    return s.trim();
  };
  return r.lines.map((n) => `(${dump(n)})`).join('\n');
}
