import { flagError, invalidFlagValue } from './errors.ts';

/** Docker's default PATH (moby `oci.DefaultPathEnv` for Linux). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The variable name of a `KEY=VALUE` (or bare `KEY`) entry. */
export function envKey(entry: string): string {
  const i = entry.indexOf('=');
  return i === -1 ? entry : entry.slice(0, i);
}

/**
 * One `-e` value (docker/cli `opts.ValidateEnv`): `KEY=VALUE` as is; a bare `KEY` takes
 * the CLI's own value when it has one, and otherwise stays bare (which unsets it).
 */
export function parseEnvFlag(value: string, lookupEnv: (k: string) => string | undefined = () => undefined): string {
  const key = envKey(value);
  if (key === '') throw invalidFlagValue('-e, --env', value, `invalid environment variable: ${value}`);
  if (value.includes('=')) return value;
  const v = lookupEnv(key);
  return v === undefined ? value : `${key}=${v}`;
}

/**
 * An `--env-file` (docker/cli `opts/envfile.go`, `parseKeyValueFile`): one `KEY=VALUE`
 * per line, values taken verbatim; blank lines and lines starting with `#` skipped; a
 * leading UTF-8 BOM dropped; a bare `KEY` passes the CLI's value through, or is dropped.
 */
export function parseEnvFile(name: string, text: string, lookupEnv: (k: string) => string | undefined = () => undefined): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '').replace(/^[ \t\n\v\f\r]+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    // docker/cli: only the front of the name is trimmed; " " or tab inside it is an error.
    const variable = (eq === -1 ? line : line.slice(0, eq)).replace(/^[ \t]+/, '');
    if (/[ \t]/.test(variable)) throw flagError(`poorly formatted environment: variable '${variable}' contains whitespaces`, { file: name });
    if (variable === '') throw flagError(`poorly formatted environment: no variable name on line '${line}'`, { file: name });
    if (eq !== -1) out.push(`${variable}=${line.slice(eq + 1)}`);
    else {
      const v = lookupEnv(variable);
      if (v !== undefined) out.push(`${variable}=${v}`);
    }
  }
  return out;
}

/**
 * moby `ReplaceOrAppendEnvValues`: each override replaces the default with its key in
 * place, or is appended; a bare `KEY` removes it. Later overrides win.
 */
export function replaceOrAppendEnv(defaults: readonly string[], overrides: readonly string[]): string[] {
  const out: (string | null)[] = [...defaults];
  const index = new Map<string, number>();
  out.forEach((e, i) => index.set(envKey(e!), i));
  for (const o of overrides) {
    const key = envKey(o);
    const at = index.get(key);
    if (!o.includes('=')) {
      if (at !== undefined) out[at] = null;
      index.delete(key);
      continue;
    }
    if (at !== undefined) out[at] = o;
    else index.set(key, out.push(o) - 1);
  }
  return out.filter((e): e is string => e !== null);
}

/**
 * The image's `Env` merged with the user's (moby `daemon/commit.go` `merge`): the user's
 * entries first, then each image entry whose key the user did not name.
 */
export function mergeImageEnv(imageEnv: readonly string[], userEnv: readonly string[]): string[] {
  if (userEnv.length === 0) return [...imageEnv];
  const userKeys = new Set(userEnv.map(envKey));
  return [...userEnv, ...imageEnv.filter((e) => !userKeys.has(envKey(e)))];
}

/**
 * The process environment Docker gives a container (moby `container.CreateDaemonEnvironment`
 * then the runtime's HOME): PATH, HOSTNAME, TERM=xterm with a TTY, replaced or extended
 * by the merged image/user env; HOME is added from the user's passwd entry when unset.
 */
export function containerEnv(opts: { imageEnv: readonly string[]; userEnv: readonly string[]; hostname: string; tty: boolean; home: string }): string[] {
  const defaults = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${opts.hostname}`];
  if (opts.tty) defaults.push('TERM=xterm');
  const env = replaceOrAppendEnv(defaults, mergeImageEnv(opts.imageEnv, opts.userEnv));
  if (!env.some((e) => envKey(e) === 'HOME')) env.push(`HOME=${opts.home}`);
  return env;
}

/**
 * An exec's environment (moby `daemon/exec.go`): the container's environment as its own
 * process got it (PATH, HOSTNAME, TERM with `-t`, its merged `Config.Env`), then `exec -e`
 * on top; HOME, when the container's env has none, is the exec user's (runc's init sets it).
 */
export function execEnv(opts: { configEnv: readonly string[]; execEnv: readonly string[]; hostname: string; tty: boolean; home: string }): string[] {
  return replaceOrAppendEnv(containerEnv({ imageEnv: opts.configEnv, userEnv: [], hostname: opts.hostname, tty: opts.tty, home: opts.home }), opts.execEnv);
}
