import { fileError, type SourceFile } from './source.ts';

export type Lookup = (name: string) => string | undefined;

/**
 * The Compose spec's interpolation (compose-spec "Interpolation"): `$VAR`, `${VAR}`,
 * `${VAR:-default}` (unset or empty), `${VAR-default}` (unset), `${VAR:?err}` /
 * `${VAR?err}` (required), `${VAR:+alt}` / `${VAR+alt}`, and `$$` for a literal `$`.
 * Defaults may themselves hold interpolations. Unset variables give ''.
 */
export function interpolateString(s: string, env: Lookup, where: () => never | Error): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const n = s[i + 1];
    if (n === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (n === '{') {
      // Find the matching brace (defaults may nest ${...}).
      let depth = 1;
      let j = i + 2;
      for (; j < s.length && depth; j++) {
        if (s[j] === '{') depth++;
        else if (s[j] === '}') depth--;
      }
      if (depth) throw where();
      const body = s.slice(i + 2, j - 1);
      out += expand(body, env, where);
      i = j;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i + 1));
    if (!m) throw where();
    out += env(m[0]) ?? '';
    i += 1 + m[0].length;
  }
  return out;
}

function expand(body: string, env: Lookup, where: () => never | Error): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(body);
  if (!m) throw where();
  const [, name, op, arg = ''] = m;
  const v = env(name!);
  const sub = () => interpolateString(arg, env, where);
  switch (op) {
    case undefined: return v ?? '';
    case ':-': return v === undefined || v === '' ? sub() : v;
    case '-': return v === undefined ? sub() : v;
    case ':+': return v !== undefined && v !== '' ? sub() : '';
    case '+': return v !== undefined ? sub() : '';
    case ':?':
    case '?':
      if (v === undefined || (op === ':?' && v === '')) throw new RequiredVariable(name!, sub());
      return v;
  }
  throw where();
}

export class RequiredVariable extends Error {
  constructor(readonly variable: string, readonly detail: string) {
    super(`required variable ${variable} is missing a value${detail ? `: ${detail}` : ''}`);
  }
}

/** Interpolates every string value (not keys) of a loaded file, in place. */
export function interpolateFile(src: SourceFile, env: Lookup): void {
  const visit = (v: unknown, path: string): unknown => {
    if (typeof v === 'string') {
      try {
        return interpolateString(v, env, () => fileError(src, path, `invalid interpolation format for ${path}: "${v}"; you may need to escape any $ with another $`));
      } catch (e) {
        if (e instanceof RequiredVariable) throw fileError(src, path, e.message, 1);
        throw e;
      }
    }
    if (Array.isArray(v)) return v.map((x, i) => visit(x, `${path}.${i}`));
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) if (!k.startsWith('x-')) o[k] = visit(o[k], path ? `${path}.${k}` : k);
      return o;
    }
    return v;
  };
  visit(src.data, '');
}
