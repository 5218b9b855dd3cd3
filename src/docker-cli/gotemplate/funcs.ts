/**
 * The functions a docker template can call: text/template's builtins (funcs.go) and the
 * docker CLI's (templates/templates.go: json, split, join, title, lower, upper, pad,
 * truncate), with Go's argument rules and errors.
 */
import { FuncError, type GoFunc } from './exec.ts';
import { goSprint, goSprintln, sprintf } from './printf.ts';
import { GoFloat, byteLength, isMap, isStruct, isTrue, sprint, toJson, typeName } from './values.ts';

const numOf = (v: unknown) => (v instanceof GoFloat ? v.value : (v as number));

/** Go's basicKind for comparisons: bool, int, float, string; anything else cannot be ordered. */
function kindOf(v: unknown): 'bool' | 'int' | 'float' | 'string' | 'nil' | 'other' {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (v instanceof GoFloat) return 'float';
  return 'other';
}

function eq(a: unknown, ...bs: unknown[]): boolean {
  if (bs.length === 0) throw new FuncError('missing argument for comparison');
  const ka = kindOf(a);
  for (const b of bs) {
    const kb = kindOf(b);
    if (ka === 'other' || kb === 'other') {
      if (ka === 'nil' || kb === 'nil') {
        if (a === b) return true;
        continue;
      }
      throw new FuncError('incompatible types for comparison');
    }
    if (ka === 'nil' || kb === 'nil') {
      if (ka === kb) return true;
      continue;
    }
    const numeric = (ka === 'int' || ka === 'float') && (kb === 'int' || kb === 'float');
    if (ka !== kb && !numeric) throw new FuncError('incompatible types for comparison');
    if (numeric ? numOf(a) === numOf(b) : a === b) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === 'bool' || ka === 'other' || ka === 'nil' || kb === 'bool' || kb === 'other' || kb === 'nil') throw new FuncError('invalid type for comparison');
  const numeric = (ka === 'int' || ka === 'float') && (kb === 'int' || kb === 'float');
  if (ka !== kb && !numeric) throw new FuncError('incompatible types for comparison');
  return numeric ? numOf(a) < numOf(b) : (a as string) < (b as string);
}

function indexOne(item: unknown, key: unknown): unknown {
  if (Array.isArray(item) || typeof item === 'string') {
    if (typeof key !== 'number' || !Number.isInteger(key)) throw new FuncError(`cannot index slice/array with type ${typeName(key)}`);
    const bytes = typeof item === 'string' ? new TextEncoder().encode(item) : undefined;
    const len = bytes ? bytes.length : (item as unknown[]).length;
    if (key < 0 || key >= len) throw new FuncError(`index out of range: ${key}`);
    return bytes ? bytes[key] : (item as unknown[])[key];
  }
  if (isMap(item)) {
    if (typeof key !== 'string') throw new FuncError(`value has type ${typeName(key)}; should be string`);
    if (Object.prototype.hasOwnProperty.call(item, key)) return item[key];
    // A missing key gives the map's zero value: "" for the map[string]string of labels and
    // options, no value for a map of interfaces.
    const vals = Object.values(item);
    return vals.every((v) => typeof v === 'string') ? '' : undefined;
  }
  if (item === null || item === undefined) throw new FuncError('index of untyped nil');
  throw new FuncError(`can't index item of type ${typeName(item)}`);
}

function length(v: unknown): number {
  if (typeof v === 'string') return byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  if (v === null || v === undefined) throw new FuncError('len of nil pointer');
  throw new FuncError(`len of type ${typeName(v)}`);
}

function slice(item: unknown, ...idx: unknown[]): unknown {
  if (item === null || item === undefined) throw new FuncError('slice of untyped nil');
  if (idx.length > 3) throw new FuncError(`too many slice indexes: ${idx.length}`);
  const isStr = typeof item === 'string';
  if (!isStr && !Array.isArray(item)) throw new FuncError(`can't slice item of type ${typeName(item)}`);
  if (isStr && idx.length === 3) throw new FuncError('cannot 3-index slice a string');
  const bytes = isStr ? new TextEncoder().encode(item) : undefined;
  const len = bytes ? bytes.length : (item as unknown[]).length;
  const ix = idx.map((x) => {
    if (typeof x !== 'number' || !Number.isInteger(x)) throw new FuncError(`cannot index slice/array with type ${typeName(x)}`);
    if (x < 0 || x > len) throw new FuncError(`index out of range: ${x}`);
    return x;
  });
  const i = ix[0] ?? 0;
  const j = ix[1] ?? len;
  if (i > j) throw new FuncError(`invalid slice index: ${i} > ${j}`);
  return bytes ? new TextDecoder().decode(bytes.slice(i, j)) : (item as unknown[]).slice(i, j);
}

function htmlEscape(s: string): string {
  return s.replace(/[<>&'"\0]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;', '\0': '\uFFFD' })[c]!);
}

function jsEscape(s: string): string {
  return s.replace(/[\\'"<>&=\n\r\t]|[\x00-\x1f]/g, (c) => {
    const simple: Record<string, string> = { '\\': '\\\\', "'": "\\'", '"': '\\"', '<': '\\u003C', '>': '\\u003E', '&': '\\u0026', '=': '\\u003D', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return simple[c] ?? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  });
}

/** url.QueryEscape. */
function queryEscape(s: string): string {
  return [...new TextEncoder().encode(s)].map((b) => {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) return c;
    if (c === ' ') return '+';
    return `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/** The text/template builtins evaluate their arguments with fmt.Sprint when given several (`html`, `js`, `urlquery`). */
const evalArgs = (args: unknown[]) => (args.length === 1 && typeof args[0] === 'string' ? args[0] : goSprint(args));

/** strings.Title: upper-case the letter after each separator (ASCII other than letters, digits and `_`; Unicode spaces). */
function title(s: string): string {
  const isSep = (ch: string) => (ch <= '\x7f' ? !/[A-Za-z0-9_]/.test(ch) : !/[\p{L}\p{Nd}]/u.test(ch) && /\s/u.test(ch));
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    out += isSep(prev) ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

function builtins(): Record<string, GoFunc> {
  return {
    and: { params: ['any'], variadic: 'any', call: () => undefined },
    or: { params: ['any'], variadic: 'any', call: () => undefined },
    not: { params: ['any'], call: (v) => !isTrue(v) },
    len: { params: ['any'], call: length },
    index: { params: ['any'], variadic: 'any', call: (item, ...keys) => keys.reduce((it, k) => indexOne(it, k), item) },
    slice: { params: ['any'], variadic: 'any', call: slice },
    print: { params: [], variadic: 'any', call: (...a) => goSprint(a) },
    printf: { params: ['string'], variadic: 'any', call: (f, ...a) => sprintf(f as string, a) },
    println: { params: [], variadic: 'any', call: (...a) => goSprintln(a) },
    html: { params: [], variadic: 'any', call: (...a) => htmlEscape(evalArgs(a)) },
    js: { params: [], variadic: 'any', call: (...a) => jsEscape(evalArgs(a)) },
    urlquery: { params: [], variadic: 'any', call: (...a) => queryEscape(evalArgs(a)) },
    call: {
      params: ['any'], variadic: 'any', call: (fn, ...a) => {
        if (typeof fn !== 'function') throw new FuncError(`non-function of type ${typeName(fn)}`);
        return (fn as (...x: unknown[]) => unknown)(...a);
      },
    },
    eq: { params: ['any'], variadic: 'any', call: (a, ...b) => eq(a, ...b) },
    ne: { params: ['any', 'any'], call: (a, b) => !eq(a, b) },
    lt: { params: ['any', 'any'], call: lt },
    le: { params: ['any', 'any'], call: (a, b) => lt(a, b) || eq(a, b) },
    gt: { params: ['any', 'any'], call: (a, b) => !lt(a, b) && !eq(a, b) },
    ge: { params: ['any', 'any'], call: (a, b) => !lt(a, b) },
  };
}

/** docker/cli templates.basicFunctions. */
function dockerFuncs(): Record<string, GoFunc> {
  return {
    json: { params: ['any'], call: (v) => toJson(v) },
    split: {
      params: ['string', 'string'], call: (s, sep) => (sep === '' ? [...(s as string)] : (s as string).split(sep as string)),
    },
    join: {
      // docker 20.10's strings.Join: a []string (any list here; elements printed as fmt.Sprint does).
      params: ['strings', 'string'], call: (elems, sep) => {
        if (elems === null || elems === undefined) return '';
        return (elems as unknown[]).map((x) => sprint(x, false)).join(sep as string);
      },
    },
    title: { params: ['string'], call: (s) => title(s as string) },
    lower: { params: ['string'], call: (s) => (s as string).toLowerCase() },
    upper: { params: ['string'], call: (s) => (s as string).toUpperCase() },
    pad: { params: ['string', 'int', 'int'], call: (s, a, b) => (s === '' ? '' : ' '.repeat(a as number) + (s as string) + ' '.repeat(b as number)) },
    truncate: {
      // Go slices bytes: source[:length].
      params: ['string', 'int'], call: (s, n) => {
        const bytes = new TextEncoder().encode(s as string);
        return bytes.length < (n as number) ? s : new TextDecoder().decode(bytes.slice(0, n as number));
      },
    },
  };
}

/** docker/cli templates.HeaderFunctions: a table's header row keeps the column names. */
function headerFuncs(): Record<string, GoFunc> {
  const same = (n: number): GoFunc => ({ params: Array<'any'>(n).fill('any'), call: (v) => v });
  return { json: same(1), split: same(2), join: same(2), title: same(1), lower: same(1), upper: same(1), truncate: same(2) };
}

export const TEMPLATE_FUNCS: ReadonlyMap<string, GoFunc> = new Map(Object.entries({ ...builtins(), ...dockerFuncs() }));
export const HEADER_FUNCS: ReadonlyMap<string, GoFunc> = new Map(Object.entries({ ...builtins(), ...dockerFuncs(), ...headerFuncs() }));
export { isStruct };
