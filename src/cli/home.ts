import { chmod, lstat, mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { cliConfigFrom, type CliConfig } from '../docker-cli/cli-config.ts';
import { TabdockError, messageOf } from '../shared/errors.ts';
import type { Credentials } from '../registry-client/index.ts';
import { parseRamBytes } from '../engine/spec/units.ts';
import { guestMemoryProblem } from '../shared/guest-memory.ts';

/**
 * `$TABDOCK_HOME` (default `~/.tabdock`) and the settings kept there, in Docker's own
 * file formats: `daemon.json` (`insecure-registries`, `registry-mirrors`, and ours:
 * `store-max`, `guest-memory`) and `config.json` (`auths`, base64 `user:password`; and the CLI's `psFormat`,
 * `imagesFormat`, `networksFormat`, `volumesFormat`, `statsFormat`, `detachKeys`).
 */
export interface Settings {
  home: string;
  insecureRegistries: string[];
  mirrors: string[];
  /** A cap on the store's blob bytes (`TABDOCK_STORE_MAX`, else daemon.json `store-max`), when set. */
  storeMax?: number;
  /**
   * The guest's memory (`TABDOCK_GUEST_MEMORY`, else daemon.json `guest-memory`), when set;
   * unset, the guest has the shipped snapshot's (256 MiB).
   */
  guestMemory?: number;
}

type Env = Record<string, string | undefined>;

export function tabdockHome(env: Env): string {
  return env['TABDOCK_HOME'] || join(homedir(), '.tabdock');
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new TabdockError('CONFIG_INVALID', `${path} is not valid JSON: ${(e as Error).message}`, { path });
  }
}

function list(v: unknown, path: string, key: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new TabdockError('CONFIG_INVALID', `${path}: "${key}" must be a list of strings`, { path, key });
  return v as string[];
}

/**
 * Makes `$TABDOCK_HOME` private: container records hold `-e` secrets, and logs what
 * containers printed. Created 0700; an existing home of ours is narrowed to 0700 (nothing
 * inside is then reachable by others, whatever its own mode); a home that is not ours, not
 * a directory, or that others can write to is refused, since what is in it cannot be
 * trusted. Files made by this process are 0600 (`main` sets the umask).
 */
export async function ensurePrivateHome(home: string): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const st = await lstat(home);
  const uid = process.getuid?.();
  if (!st.isDirectory()) throw new TabdockError('CONFIG_INVALID', `${home} (TABDOCK_HOME) is not a directory; refusing to use it`, { home });
  if (uid !== undefined && st.uid !== uid) {
    throw new TabdockError('CONFIG_INVALID', `${home} (TABDOCK_HOME) belongs to another user (uid ${st.uid}); refusing to use it: set TABDOCK_HOME to a directory of your own`, { home });
  }
  if (st.mode & 0o022) {
    throw new TabdockError('CONFIG_INVALID', `${home} (TABDOCK_HOME) can be written by other users (mode ${(st.mode & 0o777).toString(8)}); refusing to use it: check what is in it, then chmod 700 ${home}`, { home });
  }
  if (st.mode & 0o077) await chmod(home, 0o700);
}

export async function loadSettings(env: Env): Promise<Settings> {
  const home = tabdockHome(env);
  await ensurePrivateHome(home);
  const path = join(home, 'daemon.json');
  const daemon = (await readJson(path)) ?? {};
  const fromEnv = (k: string) => (env[k] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const storeMax = env['TABDOCK_STORE_MAX'] !== undefined && env['TABDOCK_STORE_MAX'] !== ''
    ? size(env['TABDOCK_STORE_MAX'], 'TABDOCK_STORE_MAX')
    : daemon['store-max'] !== undefined ? size(daemon['store-max'], `${path}: "store-max"`) : undefined;
  const guestMemory = env['TABDOCK_GUEST_MEMORY'] !== undefined && env['TABDOCK_GUEST_MEMORY'] !== ''
    ? memory(env['TABDOCK_GUEST_MEMORY'], 'TABDOCK_GUEST_MEMORY')
    : daemon['guest-memory'] !== undefined ? memory(daemon['guest-memory'], `${path}: "guest-memory"`) : undefined;
  return {
    home,
    insecureRegistries: [...list(daemon['insecure-registries'], path, 'insecure-registries'), ...fromEnv('TABDOCK_INSECURE_REGISTRIES')],
    mirrors: [...list(daemon['registry-mirrors'], path, 'registry-mirrors'), ...fromEnv('TABDOCK_REGISTRY_MIRRORS')],
    ...(storeMax !== undefined ? { storeMax } : {}),
    ...(guestMemory !== undefined ? { guestMemory } : {}),
  };
}

/** The guest's memory setting: a size, then what the guest can have (guestMemoryProblem). */
function memory(v: unknown, where: string): number {
  const n = size(v, where);
  const problem = guestMemoryProblem(n);
  if (problem) throw new TabdockError('CONFIG_INVALID', `${where}: ${problem}, not ${JSON.stringify(v)}`, { where });
  return n;
}

/** A size as Docker writes them ("2g", "512m", "1.5GiB", or bytes as a number). */
function size(v: unknown, where: string): number {
  let n = NaN;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') n = (() => { try { return parseRamBytes(v.trim()); } catch { return NaN; } })();
  if (!Number.isFinite(n) || n <= 0 || !Number.isInteger(n)) {
    throw new TabdockError('CONFIG_INVALID', `${where} must be a size such as "2g" or "512m" (bytes, k, m, g, t), not ${JSON.stringify(v)}`, { where });
  }
  return n;
}

/**
 * The CLI settings of `$TABDOCK_HOME/config.json` (default formats, detach keys). A file that
 * cannot be read as one is a warning, as docker/cli's "Error loading config file", and the
 * defaults apply.
 */
export async function loadCliConfig(home: string, warn: (s: string) => void): Promise<CliConfig> {
  const path = join(home, 'config.json');
  try {
    return cliConfigFrom(await readJson(path), path);
  } catch (e) {
    warn(`WARNING: Error loading config file: ${messageOf(e)}\n`);
    return {};
  }
}

/** Credentials from `$TABDOCK_HOME/config.json`, looked up under the keys Docker uses. */
export function credentialLookup(home: string): (registry: string) => Promise<Credentials | undefined> {
  return async (registry) => {
    const cfg = await readJson(join(home, 'config.json'));
    const auths = (cfg?.['auths'] ?? {}) as Record<string, { auth?: string; username?: string; password?: string }>;
    const keys = registry === 'docker.io' ? ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io', 'registry-1.docker.io'] : [registry, `https://${registry}`, `http://${registry}`];
    for (const k of keys) {
      const a = auths[k];
      if (!a) continue;
      if (a.username && a.password) return { username: a.username, password: a.password };
      if (a.auth) {
        const plain = Buffer.from(a.auth, 'base64').toString('utf8');
        const i = plain.indexOf(':');
        if (i > 0) return { username: plain.slice(0, i), password: plain.slice(i + 1) };
      }
    }
    return undefined;
  };
}
