/**
 * How each instruction's rest-of-line is split, as BuildKit's parser does it
 * (frontend/dockerfile/parser/line_parsers.go, split_command.go). The output is the
 * flat value list BuildKit's Node chain holds; instructions.ts gives it types.
 */
import type { ParsedLine } from './ast.ts';
import { goQuote } from './go-quote.ts';

/** A parse failure without a line yet; the parser adds the line. */
export class LineError extends Error {}

const WS = /[\t\v\f\r ]+/;
const isSpace = (c: string) => /^[\t\n\v\f\r \u0085\u00A0]$/.test(c);

const NOT_STRING_ARRAY = 'when using JSON array syntax, arrays must be comprised of strings only';

/** `CMD --flag=x --other rest`: the command word, the leading `--` flags, the rest. */
export function splitCommand(line: string, escape: string): { cmd: string; flags: string[]; rest: string } {
  const trimmed = line.trim();
  const m = WS.exec(trimmed);
  if (!m) return { cmd: trimmed, flags: [], rest: '' };
  const cmd = trimmed.slice(0, m.index);
  const { rest, flags } = extractFlags(trimmed.slice(m.index + m[0].length), escape);
  return { cmd, flags, rest: rest.trim() };
}

/** Leading words that start with `--`, up to the first that does not or a bare `--`. */
function extractFlags(line: string, escape: string): { rest: string; flags: string[] } {
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let buf = '';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    let ch = line[pos] ?? '';
    if (phase === 'spaces') {
      if (pos === line.length) break;
      if (isSpace(ch)) continue;
      if (ch !== '-' || line[pos + 1] !== '-') return { rest: line.slice(pos), flags: words };
      phase = 'word';
    }
    if (pos === line.length) {
      if (buf !== '--' && (blankOK || buf.length > 0)) words.push(buf);
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (buf === '--') return { rest: line.slice(pos), flags: words };
        if (blankOK || buf.length > 0) words.push(buf);
        buf = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      if (ch === escape) {
        if (pos + 1 === line.length) continue;
        ch = line[++pos]!;
      }
      buf += ch;
      continue;
    }
    // in a quote
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    if (ch === escape) {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      ch = line[++pos]!;
    }
    buf += ch;
  }
  return { rest: '', flags: words };
}

/** Words split on whitespace, quotes and escapes kept (BuildKit's parseWords). */
export function parseWords(rest: string, escape: string): string[] {
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOK = false;
  let buf = '';
  const cs = Array.from(rest);
  for (let i = 0; i <= cs.length; i++) {
    let ch = cs[i] ?? '';
    if (phase === 'spaces') {
      if (i === cs.length) break;
      if (isSpace(ch)) continue;
      phase = 'word';
    }
    if (i === cs.length) {
      if (blankOK || buf.length > 0) words.push(buf);
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (blankOK || buf.length > 0) words.push(buf);
        buf = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escape) {
        if (i + 1 === cs.length) continue;
        buf += ch;
        ch = cs[++i]!;
      }
      buf += ch;
      continue;
    }
    if (ch === quote) phase = 'word';
    if (ch === escape && quote !== "'") {
      if (i + 1 === cs.length) {
        phase = 'word';
        continue;
      }
      buf += ch;
      ch = cs[++i]!;
    }
    buf += ch;
  }
  return words;
}

/** ENV and LABEL: `k v` (one pair, the legacy form) or `k=v k2=v2`; each pair is [k, v, sep]. */
function parseNameVal(rest: string, key: string, escape: string): string[] {
  const words = parseWords(rest, escape);
  if (words.length === 0) return [];
  if (!words[0]!.includes('=')) {
    const m = WS.exec(rest);
    if (!m) throw new LineError(`${key} must have two arguments`);
    return [rest.slice(0, m.index), rest.slice(m.index + m[0].length), ''];
  }
  const out: string[] = [];
  for (const w of words) {
    const i = w.indexOf('=');
    if (i < 0) throw new LineError(`Syntax error - can't find = in ${goQuote(w)}. Must be of the form: name=value`);
    out.push(w.slice(0, i), w.slice(i + 1), '=');
  }
  return out;
}

function parseJSON(rest: string): string[] | undefined {
  const s = rest.trimStart();
  if (!s.startsWith('[')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v)) return undefined;
  if (!v.every((x): x is string => typeof x === 'string')) throw new LineError(NOT_STRING_ARRAY);
  return v;
}

const whitespaceList = (rest: string) => (rest === '' ? [] : rest.split(WS));

/** The values BuildKit's dispatch table makes of one instruction's rest-of-line. */
export function parseLineArgs(cmdLower: string, rest: string, escape: string, subParse: (line: string) => ParsedLine): { next: (string | ParsedLine)[]; json: boolean } {
  const maybeJSON = (): { next: string[]; json: boolean } => {
    if (rest === '') return { next: [], json: false };
    const j = parseJSON(rest);
    return j ? { next: j, json: true } : { next: [rest], json: false };
  };
  switch (cmdLower) {
    case 'run': case 'cmd': case 'entrypoint': case 'shell':
      return maybeJSON();
    case 'add': case 'copy': case 'volume': {
      const j = parseJSON(rest);
      return j ? { next: j, json: true } : { next: whitespaceList(rest), json: false };
    }
    case 'env':
      return { next: parseNameVal(rest, 'ENV', escape), json: false };
    case 'label':
      return { next: parseNameVal(rest, 'LABEL', escape), json: false };
    case 'arg':
      return { next: parseWords(rest, escape), json: false };
    case 'expose': case 'from':
      return { next: whitespaceList(rest), json: false };
    case 'maintainer': case 'stopsignal': case 'user': case 'workdir':
      return { next: rest === '' ? [] : [rest], json: false };
    case 'healthcheck': {
      const m = /[\t\n\v\f\r ]/.exec(rest);
      const sep = m ? m.index : rest.length;
      if (sep === 0) return { next: [], json: false };
      const after = rest.slice(sep).replace(/^[\t\n\v\f\r ]+/, '');
      let cmd: { next: string[]; json: boolean } = { next: [], json: false };
      if (after !== '') {
        const j = parseJSON(after);
        cmd = j ? { next: j, json: true } : { next: [after], json: false };
      }
      return { next: [rest.slice(0, sep), ...cmd.next], json: cmd.json };
    }
    case 'onbuild':
      return rest === '' ? { next: [], json: false } : { next: [subParse(rest)], json: false };
    default:
      // BuildKit's parser keeps an unknown instruction (one empty value); the
      // instruction layer refuses it, naming it and its line.
      return { next: [''], json: false };
  }
}
