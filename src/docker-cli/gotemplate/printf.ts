/** Go's fmt.Sprintf, Sprint and Sprintln for the values templates hold (the verbs docker users write). */
import { goQuote } from './lex.ts';
import { GoFloat, byteLength, formatFloat, isStruct, sprint, typeName } from './values.ts';

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width?: number;
  prec?: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : v instanceof GoFloat ? v.value : undefined);
const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
const isFloat = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v)) || v instanceof GoFloat;

/** `%!d(string=x)`: a verb that does not fit its operand. */
function bad(verb: string, v: unknown): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(v)}=${sprint(v, false)})`;
}

function pad(s: string, sp: Spec, zeroOk = false): string {
  const w = sp.width ?? 0;
  const len = [...s].length;
  if (len >= w) return s;
  if (sp.minus) return s + ' '.repeat(w - len);
  if (sp.zero && zeroOk) {
    const sign = /^[+-]/.test(s) ? s[0]! : '';
    return sign + '0'.repeat(w - len) + s.slice(sign.length);
  }
  return ' '.repeat(w - len) + s;
}

function fmtInt(n: number, verb: string, sp: Spec): string {
  let digits: string;
  const a = Math.abs(n);
  switch (verb) {
    case 'd': case 'v': digits = String(a); break;
    case 'x': digits = a.toString(16); break;
    case 'X': digits = a.toString(16).toUpperCase(); break;
    case 'o': digits = a.toString(8); break;
    case 'O': digits = `0o${a.toString(8)}`; break;
    case 'b': digits = a.toString(2); break;
    default: digits = String(a);
  }
  if (sp.prec !== undefined) digits = digits.padStart(sp.prec, '0');
  if (sp.sharp && (verb === 'x' || verb === 'X')) digits = `0${verb}${digits}`;
  const sign = n < 0 ? '-' : sp.plus ? '+' : sp.space ? ' ' : '';
  return pad(sign + digits, sp, sp.prec === undefined);
}

function fmtFloat(f: number, verb: string, sp: Spec): string {
  let s: string;
  const a = Math.abs(f);
  switch (verb) {
    case 'f': case 'F': s = a.toFixed(sp.prec ?? 6); break;
    case 'e': case 'E': {
      const [m, e] = a.toExponential(sp.prec ?? 6).split('e') as [string, string];
      const x = Number(e);
      s = `${m}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
      if (verb === 'E') s = s.toUpperCase();
      break;
    }
    default:
      s = sp.prec !== undefined ? formatFloat(Number(a.toPrecision(Math.max(sp.prec, 1)))) : formatFloat(a);
      if (verb === 'G') s = s.toUpperCase();
  }
  if (!Number.isFinite(f)) s = Number.isNaN(f) ? 'NaN' : 'Inf';
  const sign = f < 0 || Object.is(f, -0) ? '-' : sp.plus ? '+' : sp.space ? ' ' : '';
  return pad(sign + s, sp, Number.isFinite(f));
}

function fmtString(s: string, verb: string, sp: Spec): string {
  const cut = sp.prec !== undefined ? [...s].slice(0, sp.prec).join('') : s;
  switch (verb) {
    case 's': case 'v': return pad(cut, sp);
    case 'q': return pad(sp.sharp && !cut.includes('`') ? `\`${cut}\`` : goQuote(cut), sp);
    case 'x': case 'X': {
      const hex = [...new TextEncoder().encode(cut)].map((b) => b.toString(16).padStart(2, '0')).join(sp.space ? ' ' : '');
      return pad(verb === 'X' ? hex.toUpperCase() : hex, sp);
    }
  }
  return bad(verb, s);
}

/** One operand under one verb. */
function fmtOne(v: unknown, verb: string, sp: Spec): string {
  if (verb === 'T') return pad(typeName(v), sp);
  if (verb === 'v' && sp.sharp) return pad(goSyntax(v), sp);
  if (v === undefined || v === null) return verb === 'v' || verb === 's' ? pad(verb === 's' ? '%!s(<nil>)' : '<nil>', sp) : bad(verb, null);
  if (typeof v === 'string') return verb === 'c' || verb === 'd' || verb === 't' || verb === 'f' ? bad(verb, v) : fmtString(v, verb, sp);
  if (typeof v === 'boolean') return verb === 't' || verb === 'v' ? pad(String(v), sp) : bad(verb, v);
  if (isInt(v)) {
    const n = v as number;
    if (verb === 'c') return pad(String.fromCodePoint(n), sp);
    if (verb === 'q') return pad(`'${String.fromCodePoint(n)}'`, sp);
    if (verb === 'U') return pad(`U+${n.toString(16).toUpperCase().padStart(4, '0')}`, sp);
    if ('dvxXobO'.includes(verb)) return fmtInt(n, verb, sp);
    if ('eEfFgG'.includes(verb)) return bad(verb, v);
    return bad(verb, v);
  }
  if (isFloat(v)) {
    const f = num(v)!;
    if ('eEfFgG'.includes(verb)) return fmtFloat(f, verb, sp);
    if (verb === 'v') return fmtFloat(f, 'g', sp);
    return bad(verb, v);
  }
  if (Array.isArray(v)) {
    // fmt applies the verb to each element of a slice: %s of []string is `[a b]`.
    if (verb === 'x' || verb === 'X' || verb === 'q' || verb === 's' || verb === 'd' || verb === 'v') return pad(`[${v.map((x) => fmtOne(x, verb, { ...sp, width: undefined, minus: false, zero: false })).join(' ')}]`, sp);
  }
  if (verb === 'v' || verb === 's') {
    if (isStruct(v) || typeof v === 'object') return pad(sp.plus && isStruct(v) ? sprintPlus(v) : sprint(v, false), sp);
  }
  return bad(verb, v);
}

function sprintPlus(v: Record<string, unknown>): string {
  return `{${Object.keys(v).filter((k) => typeof v[k] !== 'function').map((k) => `${k}:${sprint(v[k], false)}`).join(' ')}}`;
}

function goSyntax(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return goQuote(v);
  if (Array.isArray(v)) return `${typeName(v)}{${v.map(goSyntax).join(', ')}}`;
  if (typeof v === 'object' && !(v instanceof GoFloat)) {
    const m = v as Record<string, unknown>;
    return `${typeName(v)}{${Object.keys(m).sort().map((k) => `${goQuote(k)}:${goSyntax(m[k])}`).join(', ')}}`;
  }
  return sprint(v, false);
}

export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    i++;
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const sp: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false };
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === '-') (sp.minus = true), (sp.zero = false);
      else if (f === '+') sp.plus = true;
      else if (f === '#') sp.sharp = true;
      else if (f === ' ') sp.space = true;
      else if (f === '0') sp.zero = !sp.minus;
      else break;
    }
    const readNum = (): number | undefined => {
      if (format[i] === '*') {
        i++;
        const a = args[argi++];
        return isInt(a) ? (a as number) : undefined;
      }
      const m = /^[0-9]+/.exec(format.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      return Number(m[0]);
    };
    sp.width = readNum();
    if (sp.width !== undefined && sp.width < 0) (sp.minus = true), (sp.width = -sp.width);
    if (format[i] === '.') {
      i++;
      sp.prec = readNum() ?? 0;
    }
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += fmtOne(args[argi++], verb, sp);
  }
  if (argi < args.length) out += `%!(EXTRA ${args.slice(argi).map((a) => `${a === null || a === undefined ? '<nil>' : `${typeName(a)}=${sprint(a, false)}`}`).join(', ')})`;
  return out;
}

/** fmt.Sprint: a space between operands when neither is a string. */
export function goSprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += sprint(a ?? null, false);
  });
  return out;
}

/** fmt.Sprintln: spaces between all operands, and a newline. */
export function goSprintln(args: unknown[]): string {
  return `${args.map((a) => sprint(a ?? null, false)).join(' ')}\n`;
}

export { byteLength };
