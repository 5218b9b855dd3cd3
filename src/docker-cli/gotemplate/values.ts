/**
 * How Go values look from JavaScript, and how Go's fmt prints them (`%v`): the data a
 * docker template sees. Strings, numbers, booleans, arrays (slices), plain objects (maps,
 * printed with sorted keys), `null` (a nil pointer, slice or map: `<nil>`), `undefined`
 * (a missing map key or no value: `<no value>`), and structs: objects marked with
 * `GO_TYPE`, whose missing fields are errors and whose functions are methods.
 */

/** Marks an object as a Go struct; the value is its Go type's name as errors print it (`*formatter.ContainerContext`). */
export const GO_TYPE = Symbol('goType');

/** Methods of a Go map type (docker's SubHeaderContext has `Label`): looked up before the map's keys. */
export const GO_METHODS = Symbol('goMethods');

/** A Go struct: named fields (values, or methods as functions) and its type's name. */
export type GoStruct = { [GO_TYPE]: string } & Record<string, unknown>;

/** A float the template must print as Go prints float64, even when it is whole (`1e+06`, `3`). */
export class GoFloat {
  constructor(readonly value: number) {}
}

export function isStruct(v: unknown): v is GoStruct {
  return typeof v === 'object' && v !== null && GO_TYPE in v;
}

export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoFloat) && !isStruct(v);
}

/** Go's type name of a value, as `%T` and error messages print it. */
export function typeName(v: unknown): string {
  if (v === undefined) return '<nil>';
  if (v === null) return 'interface {}';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (v instanceof GoFloat) return 'float64';
  if (typeof v === 'function') return 'func';
  if (Array.isArray(v)) return v.every((x) => typeof x === 'string') ? '[]string' : '[]interface {}';
  if (isStruct(v)) return v[GO_TYPE];
  // Docker's maps of strings (labels, options) are map[string]string.
  return Object.values(v as object).every((x) => typeof x === 'string') ? 'map[string]string' : 'map[string]interface {}';
}

/** strconv.FormatFloat(f, 'g', -1, 64), which `%v` uses for a float64. */
export function formatFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mant, e] = f.toExponential().split('e') as [string, string];
  const exp = Number(e);
  // %e when the exponent is < -4 or >= the precision (6 for the shortest form).
  if (exp < -4 || exp >= 21 || exp >= 6) {
    const digits = mant.replace('.', '').replace('-', '');
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ee = Math.abs(exp);
    return `${f < 0 ? '-' : ''}${m}e${exp < 0 ? '-' : '+'}${ee < 10 ? '0' : ''}${ee}`;
  }
  // Plain decimal with the shortest digits: JavaScript's own form below 1e21.
  return String(f);
}

/** fmt.Sprint of one value (`%v`): Go's printing of slices, maps, structs and nil. */
export function sprint(v: unknown, top = true): string {
  if (v === undefined) return top ? '<no value>' : '<nil>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatFloat(v);
  if (v instanceof GoFloat) return formatFloat(v.value);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'function') return '0x0';
  if (Array.isArray(v)) return `[${v.map((x) => sprint(x, false)).join(' ')}]`;
  if (isStruct(v)) {
    const fields = Object.keys(v).filter((k) => typeof v[k] !== 'function');
    return `{${fields.map((k) => sprint(v[k], false)).join(' ')}}`;
  }
  const m = v as Record<string, unknown>;
  return `map[${Object.keys(m).sort().map((k) => `${k}:${sprint(m[k], false)}`).join(' ')}]`;
}

/**
 * encoding/json as docker's `json` function uses it (no HTML escaping, no trailing
 * newline). Go sorts a map's keys and keeps a struct's field order; from JSON data the two
 * look alike, so a map of strings (labels, options) is taken as a Go map and sorted.
 */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x instanceof GoFloat) return x.value;
    if (typeof x === 'function') return undefined;
    if (isMap(x) && Object.values(x).every((e) => typeof e === 'string')) return Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]]));
    return x;
  }) ?? 'null';
}

/** text/template's truth: non-zero numbers, non-empty strings, slices and maps; structs are true. */
export function isTrue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (v instanceof GoFloat) return v.value !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isStruct(v)) return true;
  if (typeof v === 'function') return true;
  return Object.keys(v as object).length > 0;
}

/** Length in bytes, as Go's `len` counts a string. */
export function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}
