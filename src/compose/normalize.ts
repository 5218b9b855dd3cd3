import { fileError, refusal, type SourceFile } from './source.ts';
import { shellSplit } from './words.ts';
import { normalizeHealthcheck } from './healthcheck.ts';
import type { BuildConfig, DependsOn, PortConfig, ServiceConfig, VolumeConfig } from './model.ts';

/**
 * One file's `services` checked key by key and brought to the long forms (compose-go
 * `loader` and the spec's JSON schema): every key is taken and applied, refused with a
 * sentence (COMPOSE_UNSUPPORTED, exit 1), or an error naming the key and its line (15).
 */

/** Keys of the Compose spec tabdock does not run, with why. */
const REFUSED: Record<string, string> = {
  extends: 'extends is not supported yet; repeat the keys or use a second -f file',
  privileged: 'a tab gives no privileged devices',
  devices: 'a tab gives no host devices',
  network_mode: 'network_mode is not supported yet; use networks',
  secrets: 'secrets are not supported yet',
  configs: 'configs are not supported yet',
  cap_add: 'cap_add is not supported by compose in tabdock yet',
  cap_drop: 'cap_drop is not supported by compose in tabdock yet',
  links: 'links are not supported; services reach each other by name on their networks',
  external_links: 'external_links are not supported',
  pid: 'pid is not supported', ipc: 'ipc is not supported', userns_mode: 'userns_mode is not supported',
  logging: 'logging drivers are not supported', tmpfs: 'tmpfs is not supported by compose in tabdock yet',
  dns: 'dns is not supported by compose in tabdock yet', extra_hosts: 'extra_hosts is not supported by compose in tabdock yet',
  stop_signal: 'stop_signal is not supported by compose in tabdock yet', stop_grace_period: 'stop_grace_period is not supported by compose in tabdock yet',
  platform: 'platform is not supported by compose in tabdock yet', pull_policy: 'pull_policy is not supported by compose in tabdock yet',
  read_only: 'read_only is not supported by compose in tabdock yet', ulimits: 'ulimits are not supported by compose in tabdock yet',
  mem_limit: 'mem_limit is not supported; use deploy.resources.limits.memory', cpus: 'cpus is not supported; use deploy.resources.limits.cpus',
  security_opt: 'security_opt is not supported', sysctls: 'sysctls are not supported', shm_size: 'shm_size is not supported',
  volumes_from: 'volumes_from is not supported', develop: 'develop (watch) is not supported', scale: 'scale is not supported; use deploy.replicas',
  mac_address: 'mac_address is not supported', domainname: 'domainname is not supported', labels_file: 'label_file is not supported',
};

const TAKEN = new Set(['image', 'build', 'command', 'healthcheck', 'entrypoint', 'environment', 'env_file', 'ports', 'expose', 'volumes', 'networks', 'depends_on', 'restart', 'working_dir', 'user', 'hostname', 'container_name', 'labels', 'init', 'tty', 'stdin_open', 'profiles', 'deploy']);

type Ctx = { src: SourceFile; path: string };

function err(c: Ctx, key: string, msg: string): Error {
  return fileError(c.src, key ? `${c.path}.${key}` : c.path, msg);
}

function refuse(c: Ctx, key: string, why: string): Error {
  return refusal(c.src, key ? `${c.path}.${key}` : c.path, why);
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function str(c: Ctx, key: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw err(c, key, 'must be a string');
}

function bool(c: Ctx, key: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  throw err(c, key, 'must be a boolean');
}

function strList(c: Ctx, key: string, v: unknown): string[] {
  if (!Array.isArray(v)) throw err(c, key, 'must be a list of strings');
  return v.map((x, i) => str(c, `${key}.${i}`, x));
}

/** A command or entrypoint: a string (split as a shell splits words) or a list. */
function commandOf(c: Ctx, key: string, v: unknown): string[] {
  if (typeof v === 'string') {
    try {
      return shellSplit(v);
    } catch (e) {
      throw err(c, key, (e as Error).message);
    }
  }
  return strList(c, key, v);
}

/** `environment`, `labels`, `build.args`: a map, or a list of `KEY=VALUE` (bare `KEY`: null, from the environment). */
function kvMap(c: Ctx, key: string, v: unknown, nullable: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      const s = str(c, `${key}.${i}`, x);
      const eq = s.indexOf('=');
      out[eq === -1 ? s : s.slice(0, eq)] = eq === -1 ? (nullable ? null : '') : s.slice(eq + 1);
    });
    return out;
  }
  if (!isObj(v)) throw err(c, key, 'must be a mapping or a list of KEY=VALUE');
  for (const [k, x] of Object.entries(v)) out[k] = x === null ? (nullable ? null : '') : str(c, `${key}.${k}`, x);
  return out;
}

function port(c: Ctx, key: string, v: unknown): PortConfig[] {
  if (isObj(v)) {
    for (const k of Object.keys(v)) if (!['target', 'published', 'host_ip', 'protocol', 'mode', 'name', 'app_protocol'].includes(k)) throw err(c, `${key}.${k}`, `additional property ${k} is not allowed`);
    if (v['mode'] !== undefined && v['mode'] !== 'ingress' && v['mode'] !== 'host') throw err(c, `${key}.mode`, 'must be ingress or host');
    if (v['name'] !== undefined || v['app_protocol'] !== undefined) throw refuse(c, key, 'port name and app_protocol are not supported');
    const target = Number(v['target']);
    if (!Number.isInteger(target) || target < 1 || target > 65535) throw err(c, `${key}.target`, 'must be a port number');
    const protocol = v['protocol'] === undefined ? 'tcp' : str(c, `${key}.protocol`, v['protocol']);
    if (protocol !== 'tcp' && protocol !== 'udp') throw err(c, `${key}.protocol`, 'must be tcp or udp');
    return [{ mode: 'ingress', target, protocol, ...(v['published'] !== undefined ? { published: str(c, `${key}.published`, v['published']) } : {}), ...(v['host_ip'] !== undefined ? { host_ip: str(c, `${key}.host_ip`, v['host_ip']) } : {}) }];
  }
  // Short syntax: [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL]; ranges expand.
  const s = str(c, key, v);
  const m = /^(?:(?:\[([0-9a-fA-F:.]+)\]|(\d+\.\d+\.\d+\.\d+)):)?(?:(\d+(?:-\d+)?)?:)?(\d+(?:-\d+)?)(?:\/(tcp|udp))?$/.exec(s);
  if (!m) throw err(c, key, `invalid port "${s}": use [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`);
  const [, ip6, ip4, host, cont, proto] = m;
  const range = (r: string) => {
    const [a, b = a] = r.split('-').map(Number) as [number, number?];
    if (a < 1 || b! > 65535 || b! < a) throw err(c, key, `invalid port range "${r}"`);
    return Array.from({ length: b! - a + 1 }, (_, i) => a + i);
  };
  const targets = range(cont!);
  const hosts = host ? range(host) : undefined;
  if (hosts && hosts.length !== targets.length && hosts.length !== 1) throw err(c, key, `port ranges do not match in "${s}"`);
  return targets.map((t, i) => ({
    mode: 'ingress' as const, target: t, protocol: (proto ?? 'tcp') as 'tcp' | 'udp',
    ...(hosts ? { published: String(hosts.length === 1 ? hosts[0] : hosts[i]) } : {}),
    ...(ip6 ?? ip4 ? { host_ip: (ip6 ?? ip4)! } : {}),
  }));
}

function volume(c: Ctx, key: string, v: unknown): VolumeConfig {
  if (isObj(v)) {
    for (const k of Object.keys(v)) if (!['type', 'source', 'target', 'read_only', 'volume', 'consistency'].includes(k)) throw refuse(c, `${key}.${k}`, `volume option ${k} is not supported`);
    const type = str(c, `${key}.type`, v['type']);
    if (type === 'bind') throw refuse(c, `${key}.type`, 'bind mounts of host paths are not supported (the guest has no host file system to share); use a named volume');
    if (type !== 'volume') throw refuse(c, `${key}.type`, `volume type ${type} is not supported; tabdock takes type: volume`);
    if (isObj(v['volume']) && Object.keys(v['volume']).length) throw refuse(c, `${key}.volume`, 'volume options (nocopy, subpath) are not supported');
    const target = str(c, `${key}.target`, v['target']);
    return { type: 'volume', target, ...(v['source'] !== undefined ? { source: str(c, `${key}.source`, v['source']) } : {}), ...(v['read_only'] !== undefined ? { read_only: bool(c, `${key}.read_only`, v['read_only']) } : {}) };
  }
  const s = str(c, key, v);
  const parts = s.split(':');
  if (parts.length === 1) {
    if (!s.startsWith('/')) throw err(c, key, `invalid volume "${s}": an anonymous volume's target must be an absolute path`);
    return { type: 'volume', target: s };
  }
  const [source, target, mode, ...rest] = parts;
  if (rest.length || !target) throw err(c, key, `invalid volume specification "${s}"`);
  if (/^[./~]/.test(source!)) throw refuse(c, key, `bind mounts of host paths (${source}) are not supported (the guest has no host file system to share); use a named volume`);
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') throw refuse(c, key, `volume mode "${mode}" is not supported; tabdock takes ro or rw`);
  return { type: 'volume', source: source!, target, ...(mode === 'ro' ? { read_only: true } : {}) };
}

function dependsOn(c: Ctx, key: string, v: unknown): Record<string, DependsOn> {
  const out: Record<string, DependsOn> = {};
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) out[str(c, `${key}.${i}`, x)] = { condition: 'service_started', required: true };
    return out;
  }
  if (!isObj(v)) throw err(c, key, 'must be a list or a mapping');
  for (const [name, d] of Object.entries(v)) {
    const k = `${key}.${name}`;
    const o = d === null ? {} : d;
    if (!isObj(o)) throw err(c, k, 'must be a mapping');
    for (const x of Object.keys(o)) {
      if (x === 'restart') throw refuse(c, `${k}.restart`, 'depends_on restart is not supported');
      if (x !== 'condition' && x !== 'required') throw err(c, `${k}.${x}`, `additional property ${x} is not allowed`);
    }
    const cond = o['condition'] === undefined ? 'service_started' : str(c, `${k}.condition`, o['condition']);
    if (cond !== 'service_started' && cond !== 'service_healthy' && cond !== 'service_completed_successfully') throw err(c, `${k}.condition`, `must be one of service_started, service_healthy, service_completed_successfully`);
    const required = o['required'] === undefined ? true : bool(c, `${k}.required`, o['required']);
    if (!required) throw refuse(c, `${k}.required`, 'required: false is not supported');
    out[name] = { condition: cond, required };
  }
  return out;
}

function buildOf(c: Ctx, v: unknown): BuildConfig {
  if (typeof v === 'string') return { context: v };
  if (!isObj(v)) throw err(c, 'build', 'must be a string or a mapping');
  const b: BuildConfig = { context: '.' };
  for (const [k, x] of Object.entries(v)) {
    const kk = `build.${k}`;
    if (k === 'context') b.context = str(c, kk, x);
    else if (k === 'dockerfile') b.dockerfile = str(c, kk, x);
    else if (k === 'target') b.target = str(c, kk, x);
    else if (k === 'args') b.args = Object.fromEntries(Object.entries(kvMap(c, kk, x, true)).filter(([, y]) => y !== null)) as Record<string, string>;
    else if (k.startsWith('x-')) continue;
    else throw refuse(c, kk, `build.${k} is not supported; tabdock takes build.context, dockerfile, args and target`);
  }
  if (/^[a-z]+:\/\//.test(b.context) || b.context.startsWith('git@')) throw refuse(c, 'build.context', 'a remote build context is not supported; give a folder');
  return b;
}

function deployOf(c: Ctx, v: unknown): NonNullable<ServiceConfig['deploy']> {
  if (!isObj(v)) throw err(c, 'deploy', 'must be a mapping');
  const d: NonNullable<ServiceConfig['deploy']> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'replicas') {
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) throw err(c, 'deploy.replicas', 'must be a whole number');
      d.replicas = x;
    } else if (k === 'resources') {
      if (!isObj(x)) throw err(c, 'deploy.resources', 'must be a mapping');
      for (const [r, y] of Object.entries(x)) {
        if (r !== 'limits') throw refuse(c, `deploy.resources.${r}`, `deploy.resources.${r} is not supported; tabdock takes limits`);
        if (!isObj(y)) throw err(c, 'deploy.resources.limits', 'must be a mapping');
        const limits: NonNullable<NonNullable<typeof d.resources>['limits']> = {};
        for (const [l, z] of Object.entries(y)) {
          const p = `deploy.resources.limits.${l}`;
          if (l === 'memory') limits.memory = str(c, p, z);
          else if (l === 'cpus') limits.cpus = str(c, p, z);
          else if (l === 'pids') {
            if (typeof z !== 'number' || !Number.isInteger(z)) throw err(c, p, 'must be a whole number');
            limits.pids = z;
          } else throw refuse(c, p, `deploy.resources.limits.${l} is not supported; tabdock takes memory, cpus and pids`);
        }
        d.resources = { limits };
      }
    } else throw refuse(c, `deploy.${k}`, `deploy.${k} is a swarm key; tabdock takes deploy.replicas and deploy.resources.limits`);
  }
  return d;
}

const RESTART = /^(no|always|unless-stopped|on-failure(:\d+)?)$/;

/** A service as one file gives it, checked and in long forms. */
export function normalizeService(src: SourceFile, name: string, raw: unknown): ServiceConfig {
  const c: Ctx = { src, path: `services.${name}` };
  if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/.test(name)) throw err(c, '', `invalid service name "${name}": use letters, digits, '.', '_' and '-'`);
  if (raw === null) return {};
  if (!isObj(raw)) throw err(c, '', 'must be a mapping');
  const s: ServiceConfig = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k.startsWith('x-')) continue;
    if (REFUSED[k] !== undefined) throw refuse(c, k, REFUSED[k]!);
    if (!TAKEN.has(k)) throw err(c, k, `additional property ${k} is not allowed`);
    if (v === null && k !== 'environment' && k !== 'labels') continue;
    switch (k) {
      case 'image': s.image = str(c, k, v); break;
      case 'build': s.build = buildOf(c, v); break;
      case 'command': s.command = commandOf(c, k, v); break;
      case 'entrypoint': s.entrypoint = commandOf(c, k, v); break;
      case 'environment': s.environment = v === null ? {} : kvMap(c, k, v, true); break;
      case 'labels': s.labels = v === null ? {} : (kvMap(c, k, v, false) as Record<string, string>); break;
      case 'env_file': s.env_file = typeof v === 'string' ? [v] : Array.isArray(v) ? v.map((x, i) => {
        if (isObj(x)) {
          if (x['required'] === false || Object.keys(x).some((y) => y !== 'path' && y !== 'required')) throw refuse(c, `${k}.${i}`, 'env_file takes path (required: true) only');
          return str(c, `${k}.${i}.path`, x['path']);
        }
        return str(c, `${k}.${i}`, x);
      }) : strList(c, k, v); break;
      case 'ports': if (!Array.isArray(v)) throw err(c, k, 'must be a list'); s.ports = v.flatMap((x, i) => port(c, `${k}.${i}`, x)); break;
      case 'expose': if (!Array.isArray(v)) throw err(c, k, 'must be a list'); s.expose = v.map((x, i) => str(c, `${k}.${i}`, x)); break;
      case 'volumes': if (!Array.isArray(v)) throw err(c, k, 'must be a list'); s.volumes = v.map((x, i) => volume(c, `${k}.${i}`, x)); break;
      case 'networks': {
        const nets: NonNullable<ServiceConfig['networks']> = {};
        if (Array.isArray(v)) for (const [i, x] of v.entries()) nets[str(c, `${k}.${i}`, x)] = null;
        else if (isObj(v)) {
          for (const [n, x] of Object.entries(v)) {
            if (x === null) { nets[n] = null; continue; }
            if (!isObj(x)) throw err(c, `${k}.${n}`, 'must be a mapping');
            for (const y of Object.keys(x)) if (y !== 'aliases') throw refuse(c, `${k}.${n}.${y}`, `networks.${n}.${y} is not supported; tabdock takes aliases`);
            nets[n] = x['aliases'] === undefined ? null : { aliases: strList(c, `${k}.${n}.aliases`, x['aliases']) };
          }
        } else throw err(c, k, 'must be a list or a mapping');
        s.networks = nets;
        break;
      }
      case 'depends_on': s.depends_on = dependsOn(c, k, v); break;
      case 'healthcheck': s.healthcheck = normalizeHealthcheck(v, (key, msg) => err(c, key ? `${k}.${key}` : k, msg)); break;
      case 'restart': s.restart = str(c, k, v); if (!RESTART.test(s.restart)) throw err(c, k, `invalid restart policy "${s.restart}"`); break;
      case 'working_dir': s.working_dir = str(c, k, v); break;
      case 'user': s.user = str(c, k, v); break;
      case 'hostname': s.hostname = str(c, k, v); break;
      case 'container_name': s.container_name = str(c, k, v); break;
      case 'init': s.init = bool(c, k, v); break;
      case 'tty': s.tty = bool(c, k, v); break;
      case 'stdin_open': s.stdin_open = bool(c, k, v); break;
      case 'profiles': s.profiles = strList(c, k, v); break;
      case 'deploy': s.deploy = deployOf(c, v); break;
    }
  }
  return s;
}
