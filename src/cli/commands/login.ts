import { readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { TabdockError } from '../../shared/errors.ts';
import { loadSettings } from '../home.ts';
import type { NodeCommand, NodeCtx } from './command.ts';

/** Docker keeps Docker Hub's credentials under its v1 index URL; others under the host. */
function authKey(server: string): string {
  const s = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return s === 'docker.io' || s === 'index.docker.io' || s === 'registry-1.docker.io' ? 'https://index.docker.io/v1/' : s;
}

function registryOf(server: string): string {
  const key = authKey(server);
  return key === 'https://index.docker.io/v1/' ? 'docker.io' : key;
}

type ConfigFile = { auths?: Record<string, { auth?: string }> } & Record<string, unknown>;

async function readConfig(path: string): Promise<ConfigFile> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ConfigFile;
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return {};
    throw new TabdockError('CONFIG_INVALID', `${path} is not valid JSON`, { path });
  }
}

async function writeConfig(path: string, cfg: ConfigFile): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(cfg, null, '\t')}\n`, { mode: 0o600 });
  await rename(tmp, path);
}

async function readStdin(stdin: NodeCtx['stdinStream']): Promise<string> {
  if (!stdin) return '';
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export const login: NodeCommand = {
  name: 'login',
  usage: 'login [OPTIONS] [SERVER]',
  description: 'Log in to a registry (credentials are kept in $TABDOCK_HOME/config.json, as Docker keeps them)',
  flags: [
    { name: 'username', short: 'u', type: 'string', value: 'string', help: 'Username' },
    { name: 'password', short: 'p', type: 'string', value: 'string', help: 'Password' },
    { name: 'password-stdin', type: 'bool', help: 'Take the password from stdin' },
  ],
  args: [0, 1],
  async run(p, { io, stdinStream }) {
    const server = p.args[0] ?? 'docker.io';
    const username = p.flags['username'] as string | undefined;
    let password = p.flags['password'] as string | undefined;
    if (p.flags['password-stdin'] === true) {
      if (password !== undefined) throw new TabdockError('FLAG_ERROR', '--password and --password-stdin are mutually exclusive', {});
      password = await readStdin(stdinStream);
    }
    if (!username || !password) throw new TabdockError('FLAG_ERROR', 'Must provide --username with --password or --password-stdin (tabdock does not prompt)', {});
    if (p.flags['password'] !== undefined) io.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    const settings = await loadSettings(io.env);
    const registry = registryOf(server);
    const { RegistryClient } = await import('../../registry-client/index.ts');
    const client = new RegistryClient({ insecureRegistries: settings.insecureRegistries, credentials: () => ({ username, password: password! }) });
    await client.checkCredentials(registry);
    const path = join(settings.home, 'config.json');
    const cfg = await readConfig(path);
    cfg.auths = { ...(cfg.auths ?? {}), [authKey(server)]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } };
    await writeConfig(path, cfg);
    io.out('Login Succeeded\n');
    return 0;
  },
};

export const logout: NodeCommand = {
  name: 'logout',
  usage: 'logout [SERVER]',
  description: 'Log out from a registry',
  flags: [],
  args: [0, 1],
  async run(p, { io }) {
    const server = p.args[0] ?? 'docker.io';
    const settings = await loadSettings(io.env);
    const path = join(settings.home, 'config.json');
    const cfg = await readConfig(path);
    const key = authKey(server);
    if (!cfg.auths?.[key]) {
      io.out(`Not logged in to ${server}\n`);
      return 0;
    }
    delete cfg.auths[key];
    await writeConfig(path, cfg);
    io.out(`Removing login credentials for ${server}\n`);
    return 0;
  },
};
