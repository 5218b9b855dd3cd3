import { normalizeCapabilities } from './capabilities.ts';
import { parseEnvFile, parseEnvFlag } from './env.ts';
import { NO_RESTART, parseRestartPolicy } from './restart.ts';
import { configError, flagError, invalidFlagValue } from './errors.ts';
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag, type TmpfsMount, type VolumeMount } from './mounts.ts';
import { parseUlimit } from './run-flag-values.ts';
import { parseNetworkFlags } from './network-flags.ts';
import { HEALTH_FLAGS, parseHealthFlags } from './healthcheck.ts';
import type { FlagSpec, Parsed, RunOptions, RunOptionsContext } from './run-options.ts';
import { parseSignal } from './signals.ts';
import { parseIntFlag, parseMemFlag, parseMemSwapFlag, parseNanoCpus } from './units.ts';

/** The `docker run`/`docker create` flags we take; names and help as docker/cli `opts.go`. */
export const RUN_FLAGS: FlagSpec[] = [
  { name: 'detach', short: 'd', type: 'bool', help: 'Run container in background and print container ID' },
  { name: 'interactive', short: 'i', type: 'bool', help: 'Keep STDIN open even if not attached' },
  { name: 'tty', short: 't', type: 'bool', help: 'Allocate a pseudo-TTY' },
  { name: 'rm', type: 'bool', help: 'Automatically remove the container when it exits' },
  { name: 'name', type: 'string', value: 'string', help: 'Assign a name to the container' },
  { name: 'env', short: 'e', type: 'list', value: 'list', help: 'Set environment variables' },
  { name: 'env-file', type: 'list', value: 'list', help: 'Read in a file of environment variables' },
  { name: 'entrypoint', type: 'string', value: 'string', help: 'Overwrite the default ENTRYPOINT of the image' },
  { name: 'workdir', short: 'w', type: 'string', value: 'string', help: 'Working directory inside the container' },
  { name: 'user', short: 'u', type: 'string', value: 'string', help: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { name: 'hostname', short: 'h', type: 'string', value: 'string', help: 'Container host name' },
  { name: 'read-only', type: 'bool', help: "Mount the container's root filesystem as read only" },
  { name: 'tmpfs', type: 'list', value: 'list', help: 'Mount a tmpfs directory' },
  { name: 'volume', short: 'v', type: 'list', value: 'list', help: 'Bind mount a volume' },
  { name: 'mount', type: 'list', value: 'mount', help: 'Attach a filesystem mount to the container' },
  { name: 'memory', short: 'm', type: 'string', value: 'bytes', help: 'Memory limit' },
  { name: 'memory-swap', type: 'string', value: 'bytes', help: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" },
  { name: 'cpus', type: 'string', value: 'decimal', help: 'Number of CPUs' },
  { name: 'pids-limit', type: 'string', value: 'int', help: 'Tune container pids limit (set -1 for unlimited)' },
  { name: 'cap-add', type: 'list', value: 'list', help: 'Add Linux capabilities' },
  { name: 'cap-drop', type: 'list', value: 'list', help: 'Drop Linux capabilities' },
  { name: 'privileged', type: 'bool', help: 'Give extended privileges to this container' },
  { name: 'security-opt', type: 'list', value: 'list', help: 'Security Options' },
  { name: 'stop-signal', type: 'string', value: 'string', help: 'Signal to stop a container' },
  { name: 'stop-timeout', type: 'string', value: 'int', help: 'Timeout (in seconds) to stop a container' },
  { name: 'label', short: 'l', type: 'list', value: 'list', help: 'Set meta data on a container' },
  { name: 'platform', type: 'string', value: 'string', help: 'Set platform if server is multi-platform capable' },
  { name: 'pull', type: 'string', value: 'string', help: 'Pull image before running ("always"|"missing"|"never")' },
  { name: 'init', type: 'bool', help: 'Run an init inside the container that forwards signals and reaps processes' },
  { name: 'network', type: 'string', value: 'network', help: 'Connect a container to a network' },
  { name: 'network-alias', type: 'list', value: 'list', help: 'Add network-scoped alias for the container' },
  { name: 'ip', type: 'string', value: 'string', help: 'IPv4 address (e.g., 172.30.100.104)' },
  { name: 'mac-address', type: 'string', value: 'string', help: 'Container MAC address (e.g., 92:d0:c6:0a:29:33)' },
  { name: 'add-host', type: 'list', value: 'list', help: 'Add a custom host-to-IP mapping (host:ip)' },
  { name: 'dns', type: 'list', value: 'list', help: 'Set custom DNS servers' },
  { name: 'dns-search', type: 'list', value: 'list', help: 'Set custom DNS search domains' },
  { name: 'dns-option', type: 'list', value: 'list', help: 'Set DNS options' },
  { name: 'publish', short: 'p', type: 'list', value: 'list', help: "Publish a container's port(s) to the host" },
  { name: 'publish-all', short: 'P', type: 'bool', help: 'Publish all exposed ports to random ports' },
  { name: 'expose', type: 'list', value: 'list', help: 'Expose a port or a range of ports' },
  { name: 'restart', type: 'string', value: 'string', help: 'Restart policy to apply when a container exits' },
  { name: 'ulimit', type: 'list', value: 'ulimit', help: 'Ulimit options' },
  { name: 'group-add', type: 'list', value: 'list', help: 'Add additional groups to join' },
  { name: 'storage-opt', type: 'list', value: 'list', help: 'Storage driver options for the container' },
  ...HEALTH_FLAGS,
];

const str = (p: Parsed, k: string) => p.flags[k] as string | undefined;
const bool = (p: Parsed, k: string) => p.flags[k] === true;
const list = (p: Parsed, k: string) => (p.flags[k] as string[] | undefined) ?? [];

/** moby `daemon/names.go`: `^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`. */
export function validateContainerName(name: string): void {
  if (!/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) {
    throw configError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, 'INVALID_NAME', { name });
  }
}

/** Turn parsed `run` flags and arguments (`IMAGE [COMMAND] [ARG...]`) into RunOptions. */
export function parseRunOptions(parsed: Parsed, ctx: RunOptionsContext = {}): RunOptions {
  const [image, ...cmd] = parsed.args;
  if (!image) throw flagError('"run" requires at least 1 argument.');
  const o: RunOptions = {
    image, cmd,
    detach: bool(parsed, 'detach'), interactive: bool(parsed, 'interactive'), tty: bool(parsed, 'tty'), rm: bool(parsed, 'rm'),
    env: [], readOnly: bool(parsed, 'read-only'), tmpfs: [], volumes: [], capAdd: list(parsed, 'cap-add'),
    capDrop: list(parsed, 'cap-drop'), privileged: bool(parsed, 'privileged'), seccomp: 'default', noNewPrivileges: false,
    labels: {}, pull: 'missing', init: bool(parsed, 'init'), network: 'default', networkAliases: [], addHosts: [], dns: [], dnsSearch: [], dnsOptions: [],
    publish: [], publishAll: bool(parsed, 'publish-all'), expose: [], restart: NO_RESTART, ulimits: [],
  };
  const name = str(parsed, 'name');
  if (name !== undefined) {
    validateContainerName(name);
    o.name = name.replace(/^\//, '');
  }
  // docker/cli opts.ReadKVEnvStrings: env files first, then -e.
  for (const f of list(parsed, 'env-file')) {
    let text: string;
    try {
      if (!ctx.readFile) throw new Error('reading files is not available here');
      text = ctx.readFile(f);
    } catch (e) {
      // docker/cli reports parse() errors with a closing full stop (run.go reportError).
      throw flagError(`open ${f}: ${(e as { code?: string }).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message.replace(/\.$/, '')}.`, { file: f });
    }
    o.env.push(...parseEnvFile(f, text, ctx.lookupEnv));
  }
  for (const e of list(parsed, 'env')) o.env.push(parseEnvFlag(e, ctx.lookupEnv));
  for (const k of ['entrypoint', 'user', 'hostname', 'platform'] as const) {
    const v = str(parsed, k);
    if (v !== undefined) o[k] = v;
  }
  const workdir = str(parsed, 'workdir');
  if (workdir !== undefined && workdir !== '') {
    // moby daemon `verifyContainerSettings`.
    if (!workdir.startsWith('/')) throw configError(`the working directory '${workdir}' is invalid, it needs to be an absolute path`);
    o.workdir = workdir;
  }
  parseMounts(parsed, o);
  parseResources(parsed, o, ctx.cpuCount ?? 1);
  parseSecurity(parsed, o);
  const stopSignal = str(parsed, 'stop-signal');
  if (stopSignal !== undefined) o.stopSignal = parseSignal(stopSignal).name;
  const stopTimeout = str(parsed, 'stop-timeout');
  if (stopTimeout !== undefined) o.stopTimeout = parseIntFlag('--stop-timeout', stopTimeout);
  for (const l of list(parsed, 'label')) {
    // docker/cli opts.ValidateLabel; a bare key is an empty value.
    const eq = l.indexOf('=');
    const key = eq === -1 ? l : l.slice(0, eq);
    if (key.trim() === '') throw invalidFlagValue('-l, --label', l, `invalid label '${l}': empty name`);
    o.labels[key] = eq === -1 ? '' : l.slice(eq + 1);
  }
  const pull = str(parsed, 'pull');
  if (pull !== undefined) {
    if (pull !== 'always' && pull !== 'missing' && pull !== 'never') {
      throw flagError(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
    }
    o.pull = pull;
  }
  parseNetworkFlags(parsed, o);
  const restart = str(parsed, 'restart');
  if (restart !== undefined) {
    o.restart = parseRestartPolicy(restart);
    if (o.rm && o.restart.Name !== 'no') throw flagError('Conflicting options: --restart and --rm');
  }
  for (const u of list(parsed, 'ulimit')) o.ulimits.push(parseUlimit(u));
  if (list(parsed, 'group-add').length) o.groupAdd = list(parsed, 'group-add');
  parseStorageOpts(list(parsed, 'storage-opt'), o);
  const health = parseHealthFlags(parsed);
  if (health) o.healthcheck = health;
  return o;
}

/**
 * `--storage-opt`: docker/cli `parseStorageOpts` (key=value), then moby's overlay2 driver,
 * which takes `size` only (units.RAMInBytes): the container's writable layer cap.
 */
function parseStorageOpts(opts: string[], o: RunOptions): void {
  for (const s of opts) {
    const eq = s.indexOf('=');
    if (eq === -1) throw flagError(`invalid storage option: ${s}`);
    const key = s.slice(0, eq);
    const value = s.slice(eq + 1);
    if (key.toLowerCase() !== 'size') {
      throw configError(`storage option "${key}" is not supported: tabdock takes only --storage-opt size=<size> (a cap on the container's writable layer)`, 'UNSUPPORTED', { flag: 'storage-opt', key });
    }
    const bytes = parseMemFlag('--storage-opt', value);
    if (bytes <= 0) throw configError(`--storage-opt size must be more than 0, not ${value}`);
    o.storageOpt = { size: value };
    o.storageSize = bytes;
  }
}

function parseMounts(parsed: Parsed, o: RunOptions): void {
  const tmpfs: TmpfsMount[] = list(parsed, 'tmpfs').map(parseTmpfsFlag);
  const volumes: VolumeMount[] = list(parsed, 'volume').map(parseVolumeFlag);
  for (const m of list(parsed, 'mount')) {
    const r = parseMountFlag(m);
    if (r.type === 'tmpfs') tmpfs.push({ target: r.target, data: r.data });
    else volumes.push(r);
  }
  // moby daemon `registerMountPoints`: one mount per destination.
  const seen = new Set<string>();
  for (const t of [...volumes.map((v) => v.target), ...tmpfs.map((t) => t.target)]) {
    if (seen.has(t)) throw configError(`Duplicate mount point: ${t}`, 'INVALID_MOUNT');
    seen.add(t);
  }
  o.tmpfs = tmpfs;
  o.volumes = volumes;
}

// moby `daemon/daemon_unix.go` (verifyPlatformContainerResources): 6 MiB minimum.
const MIN_MEMORY = 6 * 1024 * 1024;

function parseResources(parsed: Parsed, o: RunOptions, cpuCount: number): void {
  const memory = str(parsed, 'memory');
  if (memory !== undefined) o.memory = parseMemFlag('-m, --memory', memory);
  const swap = str(parsed, 'memory-swap');
  if (swap !== undefined) o.memorySwap = parseMemSwapFlag('--memory-swap', swap);
  if (o.memory === 0) delete o.memory;
  if (o.memorySwap === 0) delete o.memorySwap;
  if (o.memory !== undefined && o.memory < MIN_MEMORY) throw configError('Minimum memory limit allowed is 6MB');
  if (o.memorySwap !== undefined && o.memorySwap > 0 && o.memory === undefined) {
    throw configError('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (o.memorySwap !== undefined && o.memorySwap > 0 && o.memory !== undefined && o.memorySwap < o.memory) {
    throw configError('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  const cpus = str(parsed, 'cpus');
  if (cpus !== undefined) {
    const nano = parseNanoCpus(cpus);
    // moby verifyPlatformContainerResources; below 0.01 the CFS quota would be under 1ms.
    if (nano < 0 || nano > cpuCount * 1e9 || (nano > 0 && nano < 1e7)) {
      throw configError(`Range of CPUs is from 0.01 to ${cpuCount}.00, as there are only ${cpuCount} CPUs available`);
    }
    if (nano > 0) o.nanoCpus = nano;
  }
  const pids = str(parsed, 'pids-limit');
  if (pids !== undefined) o.pidsLimit = parseIntFlag('--pids-limit', pids);
}

function parseSecurity(parsed: Parsed, o: RunOptions): void {
  for (const [flag, key] of [['CapAdd', 'capAdd'], ['CapDrop', 'capDrop']] as const) {
    try {
      o[key] = normalizeCapabilities(o[key]);
    } catch (e) {
      throw configError(`invalid ${flag}: ${(e as Error).message}`, 'INVALID_CAPABILITY');
    }
  }
  for (const s of list(parsed, 'security-opt')) {
    // docker/cli parseSecurityOpts: key=value, or the deprecated key:value.
    const sep = s.includes('=') ? s.indexOf('=') : s.indexOf(':');
    const key = sep === -1 ? s : s.slice(0, sep);
    const value = sep === -1 ? undefined : s.slice(sep + 1);
    if (key === 'no-new-privileges') {
      if (value === undefined || value === 'true') o.noNewPrivileges = true;
      else if (value === 'false') o.noNewPrivileges = false;
      else throw configError(`invalid --security-opt 2: "${s}"`);
    } else if (key === 'seccomp' && value === 'unconfined') o.seccomp = 'unconfined';
    else if (key === 'seccomp' && value === 'builtin') o.seccomp = 'default';
    else if (key === 'seccomp' && value !== undefined) {
      throw configError(`custom seccomp profiles are not supported yet: use --security-opt seccomp=unconfined or the default`, 'UNSUPPORTED');
    } else if ((key === 'apparmor' || key === 'label') && value !== undefined) {
      // The guest kernel has neither AppArmor nor SELinux: Docker ignores these there too.
    } else throw configError(`invalid --security-opt: "${s}"`);
  }
}
