import { interpolateString, type Lookup } from './interpolate.ts';
import { TabdockError } from '../shared/errors.ts';

/**
 * A `.env` / `env_file` file as Compose reads it (compose-go dotenv): `KEY=VALUE` lines,
 * `export ` allowed, `#` comments, single quotes literal, double quotes with `\n` escapes,
 * unquoted values trimmed and cut at ` #`; `${VAR}` interpolated in unquoted and double
 * quoted values (from earlier lines, then `env`). A bare `KEY` takes `env`'s value, or
 * is left out.
 */
export function parseDotenv(file: string, text: string, env: Lookup): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const seen = new Map<string, string>();
  const look: Lookup = (k) => seen.get(k) ?? env(k);
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n]!.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('export ')) line = line.slice(7).trim();
    const eq = line.indexOf('=');
    const key = (eq === -1 ? line : line.slice(0, eq)).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) throw new TabdockError('COMPOSE_FILE_INVALID', `${file}:${n + 1}: unexpected character in variable name "${key}"`, { file, line: n + 1 }, { exitCode: 1 });
    if (eq === -1) {
      const v = env(key);
      if (v !== undefined) {
        out.push([key, v]);
        seen.set(key, v);
      }
      continue;
    }
    let raw = line.slice(eq + 1).trim();
    let value: string;
    const bad = () => new TabdockError('COMPOSE_FILE_INVALID', `${file}:${n + 1}: invalid interpolation in the value of ${key}`, { file, line: n + 1 }, { exitCode: 1 });
    if (raw.startsWith("'")) {
      const end = raw.indexOf("'", 1);
      value = end === -1 ? raw.slice(1) : raw.slice(1, end);
    } else if (raw.startsWith('"')) {
      // A double-quoted value may go on over several lines.
      while (!/[^\\]"\s*(#.*)?$/.test(raw.slice(1)) && raw !== '""' && n + 1 < lines.length) raw += `\n${lines[++n]}`;
      const end = raw.lastIndexOf('"');
      value = raw.slice(1, end > 0 ? end : undefined).replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' })[c]!);
      value = interpolateString(value, look, bad);
    } else {
      const hash = raw.search(/\s#/);
      if (hash !== -1) raw = raw.slice(0, hash).trim();
      value = interpolateString(raw, look, bad);
    }
    out.push([key, value]);
    seen.set(key, value);
  }
  return out;
}
