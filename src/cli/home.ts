import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TabdockError } from '../shared/errors.ts';
import type { Credentials } from '../registry-client/index.ts';

/**
 * `$TABDOCK_HOME` (default `~/.tabdock`) and the settings kept there, in Docker's own
 * file formats: `daemon.json` (`insecure-registries`, `registry-mirrors`) and
 * `config.json` (`auths`, base64 `user:password`).
 */
export interface Settings {
  home: string;
  insecureRegistries: string[];
  mirrors: string[];
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

export async function loadSettings(env: Env): Promise<Settings> {
  const home = tabdockHome(env);
  await mkdir(home, { recursive: true });
  const path = join(home, 'daemon.json');
  const daemon = (await readJson(path)) ?? {};
  const fromEnv = (k: string) => (env[k] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return {
    home,
    insecureRegistries: [...list(daemon['insecure-registries'], path, 'insecure-registries'), ...fromEnv('TABDOCK_INSECURE_REGISTRIES')],
    mirrors: [...list(daemon['registry-mirrors'], path, 'registry-mirrors'), ...fromEnv('TABDOCK_REGISTRY_MIRRORS')],
  };
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
