import { baseName, configHash, containerHealthcheck, dirName, joinPath, loadProject, normalizePath, orderServices, parseDotenv, renderProject, type Project, type ServiceConfig } from '../../compose/index.ts';
import type { ContainerSummary, EngineApi } from '../../engine/api.ts';
import { parseRunOptions } from '../../engine/spec/run-flags.ts';
import { parseReference } from '../../registry-client/reference.ts';
import { TabdockError, messageOf } from '../../shared/errors.ts';
import type { FlagSpec, Parsed } from '../../shared/flags.ts';
import type { DockerCtx } from '../command.ts';
import { ago, ellipsis, table } from '../format.ts';
import { untilInterrupt, type TerminalIo } from '../io.ts';
import { PullPrinter } from '../progress.ts';
import { waitHealthy } from './compose-wait.ts';
import { build } from './build.ts';
import { statusText } from './containers.ts';
import { confirmed } from './prune.ts';
import { LogPrinter } from './compose/log-printer.ts';

/**
 * `docker compose` over EngineApi (issue 18): the files are read here (`io.readFile` in
 * Node, relative to the working directory; the page reads its files panel's project
 * through `io.buildContext`), the model is compose/'s, and the containers, networks and
 * volumes are made with Compose's names and `com.docker.compose.*` labels.
 */
export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'file', short: 'f', type: 'list', value: 'stringArray', help: 'Compose configuration files' },
  { name: 'project-name', short: 'p', type: 'string', value: 'string', help: 'Project name' },
  { name: 'env-file', type: 'list', value: 'stringArray', help: 'Specify an alternate environment file' },
  { name: 'profile', type: 'list', value: 'stringArray', help: 'Specify a profile to enable' },
];

export const LABEL = 'com.docker.compose';
export const COMPOSE_VERSION = '2.0.0-tabdock';
const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];
const OVERRIDE_FILES = ['compose.override.yaml', 'compose.override.yml', 'docker-compose.override.yml', 'docker-compose.override.yaml'];

export type Ctx = DockerCtx;

export function cliError(msg: string, exitCode = 1): TabdockError {
  return new TabdockError('CLI_ERROR', msg, {}, { exitCode });
}

/** Reads a file of the project: the host's files in Node, the files panel's project in the page. */
async function reader(io: TerminalIo): Promise<(path: string) => Promise<string | undefined>> {
  if (io.readFile) {
    return async (p) => {
      try {
        return io.readFile!(p);
      } catch {
        return undefined;
      }
    };
  }
  if (!io.buildContext) throw cliError('this terminal has no files to read a compose file from');
  const ctx = await io.buildContext('.');
  return async (p) => {
    const n = normalizePath(p);
    const e = await ctx.stat(n === '.' ? '' : n);
    if (e?.type !== 'file') return undefined;
    return new TextDecoder().decode(await ctx.read(n));
  };
}

export interface Loaded {
  project: Project;
  /** The shell's environment, then .env (for bare `environment` keys and env_file values). */
  env: (k: string) => string | undefined;
  read: (path: string) => Promise<string | undefined>;
}

export async function load(g: Parsed, io: TerminalIo, requested: string[] = []): Promise<Loaded> {
  const read = await reader(io);
  let names = (g.flags['file'] as string[] | undefined) ?? [];
  const files: Array<{ name: string; text: string }> = [];
  if (names.length) {
    for (const n of names) {
      if (n === '-') throw new TabdockError('COMPOSE_UNSUPPORTED', 'reading a compose file from stdin (-f -) is not supported yet: give a file', {}, { exitCode: 1 });
      const text = await read(n);
      if (text === undefined) throw cliError(`open ${n}: no such file or directory`, 14);
      files.push({ name: n, text });
    }
  } else {
    for (const n of DEFAULT_FILES) {
      const text = await read(n);
      if (text !== undefined) {
        files.push({ name: n, text });
        break;
      }
    }
    if (!files.length) throw cliError('no configuration file provided: not found', 14);
    for (const n of OVERRIDE_FILES) {
      const text = await read(n);
      if (text !== undefined) {
        files.push({ name: n, text });
        break;
      }
    }
    names = files.map((f) => f.name);
  }
  const workingDir = dirName(names[0]!);
  const absDir = io.cwd ? joinPath(io.cwd, workingDir) : workingDir;
  const dotenv = new Map<string, string>();
  const envFiles = (g.flags['env-file'] as string[] | undefined) ?? [];
  const shell = (k: string) => io.env[k];
  for (const f of envFiles.length ? envFiles : [joinPath(workingDir, '.env')]) {
    const text = await read(f);
    if (text === undefined) {
      if (envFiles.length) throw cliError(`couldn't find env file: ${f}`);
      continue;
    }
    for (const [k, v] of parseDotenv(f, text, (k) => dotenv.get(k) ?? shell(k))) dotenv.set(k, v);
  }
  const env = (k: string) => shell(k) ?? dotenv.get(k);
  const profiles = [...((g.flags['profile'] as string[] | undefined) ?? []), ...(env('COMPOSE_PROFILES')?.split(',').filter(Boolean) ?? [])];
  const project = loadProject({
    files, dirName: absDir === '.' || absDir === '' ? 'project' : baseName(absDir), workingDir: absDir, env, profiles, requested,
    ...(g.flags['project-name'] !== undefined ? { projectName: String(g.flags['project-name']) } : {}),
  });
  // A bare `environment` key takes its value from the shell or .env (compose-go resolves it at load).
  for (const s of Object.values(project.services)) {
    for (const [k, v] of Object.entries(s.environment ?? {})) if (v === null && env(k) !== undefined) s.environment![k] = env(k)!;
  }
  for (const w of project.warnings) io.err(`WARN[0000] ${w}\n`);
  return { project, env, read };
}

/** A sub-command: its flags, arity and work. */
export interface Sub {
  usage: string;
  description: string;
  flags: FlagSpec[];
  args: [number, number];
  /** Flags end at the first positional (`exec SERVICE CMD...`, `run SERVICE CMD...`). */
  stopAtPositional?: boolean;
  run(p: Parsed, g: Parsed, ctx: Ctx): Promise<number>;
}

/** A service not started because one it depends on failed (that one's error is the one reported). */
const skipped = new Error('dependency not started');

export const status = (io: TerminalIo, kind: string, name: string, what: string) => io.err(` ${kind} ${name}  ${what}\n`);

/** The project's containers (all states), by service then number. */
export async function projectContainers(api: EngineApi, project: string, all = true, oneoff = false): Promise<ContainerSummary[]> {
  const list = await api.listContainers({ all });
  return list
    .filter((c) => c.Labels?.[`${LABEL}.project`] === project && (oneoff || c.Labels?.[`${LABEL}.oneoff`] !== 'True'))
    .sort((a, b) => (a.Labels![`${LABEL}.service`]! < b.Labels![`${LABEL}.service`]! ? -1 : a.Labels![`${LABEL}.service`]! > b.Labels![`${LABEL}.service`]! ? 1 : Number(a.Labels![`${LABEL}.container-number`]) - Number(b.Labels![`${LABEL}.container-number`])));
}

export const nameOf = (c: ContainerSummary) => c.Names[0]!.replace(/^\//, '');

/** The services asked for and everything they depend on. */
export function withDependencies(project: Project, asked: string[]): Set<string> {
  const out = new Set<string>();
  const add = (n: string) => {
    if (out.has(n)) return;
    if (!project.services[n]) throw cliError(`no such service: ${n}`);
    out.add(n);
    for (const d of Object.keys(project.services[n]!.depends_on ?? {})) add(d);
  };
  for (const n of asked.length ? asked : Object.keys(project.services)) add(n);
  return out;
}

export async function ensureImage(api: EngineApi, l: Loaded, name: string, s: ServiceConfig, ctx: Ctx, forceBuild: boolean): Promise<string> {
  const { io } = ctx;
  const image = s.image ?? `${l.project.name}-${name}`;
  const [have] = await api.inspectImages([image]);
  if (s.build && (forceBuild || !have)) {
    const context = joinPath(l.project.workingDir, s.build.context);
    if (!io.readFile && normalizePath(s.build.context) !== '.') throw new TabdockError('COMPOSE_UNSUPPORTED', `services.${name}.build.context: the page builds from the files panel's project only; give context: .`, {}, { exitCode: 1 });
    const flags: Parsed['flags'] = { tag: [image], progress: 'plain', quiet: false };
    if (s.build.dockerfile) flags['file'] = io.readFile ? joinPath(context, s.build.dockerfile) : s.build.dockerfile;
    if (s.build.target) flags['target'] = s.build.target;
    if (s.build.args) flags['build-arg'] = Object.entries(s.build.args).map(([k, v]) => `${k}=${v}`);
    const code = await build.run({ flags, args: [context] }, ctx);
    if (code !== 0) throw cliError(`failed to build service "${name}"`, code);
    return image;
  }
  if (!have) {
    if (s.build) throw cliError(`image ${image} of service ${name} could not be built`);
    const r = parseReference(image);
    status(io, 'Service', name, 'Pulling');
    const printer = new PullPrinter(io.err, false);
    await api.pull(image, {}, printer.onEvent);
    status(io, 'Service', name, `Pulled (${r.familiar()})`);
  }
  return image;
}

/** The service's container as `docker run` flags, through engine/spec's one parser. */
export async function runFlags(l: Loaded, name: string, s: ServiceConfig, n: number, image: string, hash: string): Promise<{ parsed: Parsed; extraNets: Array<{ net: string; aliases: string[] }> }> {
  const p = l.project;
  const env: string[] = [];
  for (const f of s.env_file ?? []) {
    const path = joinPath(p.workingDir, f);
    const text = await l.read(path);
    if (text === undefined) throw cliError(`env file ${path} not found`);
    for (const [k, v] of parseDotenv(path, text, l.env)) env.push(`${k}=${v}`);
  }
  for (const [k, v] of Object.entries(s.environment ?? {})) {
    const val = v ?? l.env(k);
    if (val !== undefined) env.push(`${k}=${val}`);
  }
  const nets = Object.entries(s.networks ?? { default: null });
  const [first, ...rest] = nets;
  const labels: Record<string, string> = {
    ...s.labels,
    [`${LABEL}.project`]: p.name, [`${LABEL}.service`]: name, [`${LABEL}.container-number`]: String(n), [`${LABEL}.oneoff`]: 'False',
    [`${LABEL}.config-hash`]: hash, [`${LABEL}.project.working_dir`]: p.workingDir, [`${LABEL}.project.config_files`]: p.configFiles.join(','),
    [`${LABEL}.version`]: COMPOSE_VERSION, [`${LABEL}.depends_on`]: Object.entries(s.depends_on ?? {}).map(([d, x]) => `${d}:${x.condition}:false`).join(','),
  };
  const cmd = s.entrypoint ? [...s.entrypoint.slice(1), ...(s.command ?? [])] : s.command ?? [];
  const flags: Parsed['flags'] = {
    detach: true, name: s.container_name ?? `${p.name}-${name}-${n}`, env,
    label: Object.entries(labels).map(([k, v]) => `${k}=${v}`),
    network: p.networks[first![0]]!.name, 'network-alias': [name, ...(first![1]?.aliases ?? [])],
    // `-p [IP:][PUBLISHED]:TARGET/PROTO`; no published port: a free one (`IP::TARGET`, or `TARGET`).
    publish: (s.ports ?? []).map((x) => {
      const ip = x.host_ip ? `${x.host_ip.includes(':') ? `[${x.host_ip}]` : x.host_ip}:` : '';
      return `${ip}${x.published ?? ''}${x.published !== undefined || ip ? ':' : ''}${x.target}/${x.protocol}`;
    }),
    expose: s.expose ?? [],
    volume: (s.volumes ?? []).map((v) => (v.source !== undefined ? `${p.volumes[v.source]!.name}:${v.target}${v.read_only ? ':ro' : ''}` : v.target)),
    init: s.init === true, tty: s.tty === true, interactive: s.stdin_open === true,
    ...(s.entrypoint ? { entrypoint: s.entrypoint[0] ?? '' } : {}),
    ...(s.working_dir !== undefined ? { workdir: s.working_dir } : {}),
    ...(s.user !== undefined ? { user: s.user } : {}),
    ...(s.hostname !== undefined ? { hostname: s.hostname } : {}),
    ...(s.restart !== undefined ? { restart: s.restart } : {}),
    ...(s.deploy?.resources?.limits?.memory !== undefined ? { memory: s.deploy.resources.limits.memory } : {}),
    ...(s.deploy?.resources?.limits?.cpus !== undefined ? { cpus: s.deploy.resources.limits.cpus } : {}),
    ...(s.deploy?.resources?.limits?.pids !== undefined ? { 'pids-limit': String(s.deploy.resources.limits.pids) } : {}),
  };
  return { parsed: { flags, args: [image, ...cmd] }, extraNets: rest.map(([k, x]) => ({ net: p.networks[k]!.name, aliases: [name, ...(x?.aliases ?? [])] })) };
}

export async function ensureNetworksAndVolumes(api: EngineApi, p: Project, io: TerminalIo): Promise<void> {
  for (const [key, n] of Object.entries(p.networks)) {
    const [have] = await api.inspectNetworks([n.name]);
    if (n.external) {
      if (!have) throw cliError(`network ${n.name} declared as external, but could not be found`);
      continue;
    }
    if (have) continue;
    await api.createNetwork(n.name, { driver: 'bridge', labels: { ...n.labels, [`${LABEL}.network`]: key, [`${LABEL}.project`]: p.name, [`${LABEL}.version`]: COMPOSE_VERSION } });
    status(io, 'Network', n.name, 'Created');
  }
  for (const [key, v] of Object.entries(p.volumes)) {
    const [have] = await api.inspectVolumes([v.name]);
    if (v.external) {
      if (!have) throw cliError(`external volume "${v.name}" not found`);
      continue;
    }
    if (have) continue;
    await api.createVolume(v.name, { labels: { ...v.labels, [`${LABEL}.volume`]: key, [`${LABEL}.project`]: p.name, [`${LABEL}.version`]: COMPOSE_VERSION } });
    status(io, 'Volume', v.name, 'Created');
  }
}

/**
 * Containers of the project whose service the files no longer name (one-off ones too, as
 * compose-go's observed state counts them): removed with `--remove-orphans`, else compose's warning.
 */
export async function orphans(api: EngineApi, p: Project, io: TerminalIo, remove: boolean, timeout?: number): Promise<void> {
  const known = new Set(Object.keys(p.services).concat(p.disabled));
  const found = (await projectContainers(api, p.name, true, true)).filter((c) => !known.has(c.Labels![`${LABEL}.service`]!));
  if (!found.length) return;
  if (!remove) {
    io.err(`WARN[0000] Found orphan containers ([${found.map(nameOf).join(' ')}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.\n`);
    return;
  }
  for (const c of found) {
    if (c.State === 'running') {
      await api.stopContainer(c.Id, timeout);
      status(io, 'Container', nameOf(c), 'Stopped');
    }
    await api.removeContainer(c.Id, { force: true });
    status(io, 'Container', nameOf(c), 'Removed');
  }
}

export const up: Sub = {
  usage: 'compose up [OPTIONS] [SERVICE...]',
  description: 'Create and start containers',
  flags: [
    { name: 'remove-orphans', type: 'bool', help: 'Remove containers for services not defined in the Compose file' },
    { name: 'detach', short: 'd', type: 'bool', help: 'Detached mode: Run containers in the background' },
    { name: 'build', type: 'bool', help: 'Build images before starting containers' },
    { name: 'force-recreate', type: 'bool', help: 'Recreate containers even if their configuration and image haven\'t changed' },
    { name: 'no-deps', type: 'bool', help: 'Don\'t start linked services' },
    { name: 'wait', type: 'bool', help: 'Wait for services to be running|healthy. Implies detached mode.' },
    { name: 'wait-timeout', type: 'string', value: 'int', help: 'Maximum duration in seconds to wait for the project to be running|healthy' },
  ],
  args: [0, Infinity],
  async run(p, g, ctx) {
    const { io } = ctx;
    const l = await load(g, io, p.args);
    const proj = l.project;
    const api = await ctx.engine();
    const wanted = p.flags['no-deps'] === true ? new Set(p.args.length ? p.args : Object.keys(proj.services)) : withDependencies(proj, p.args);
    for (const n of wanted) if (!proj.services[n]) throw cliError(`no such service: ${n}`);
    const waitTimeout = p.flags['wait-timeout'] === undefined ? undefined : Number(p.flags['wait-timeout']);
    if (waitTimeout !== undefined && !(Number.isInteger(waitTimeout) && waitTimeout >= 0)) throw cliError(`invalid argument "${String(p.flags['wait-timeout'])}" for "--wait-timeout" flag: strconv.ParseInt: parsing "${String(p.flags['wait-timeout'])}": invalid syntax`);
    await ensureNetworksAndVolumes(api, proj, io);
    await orphans(api, proj, io, p.flags['remove-orphans'] === true);
    const existing = await projectContainers(api, proj.name);
    const order = orderServices(proj.services).filter((n) => wanted.has(n));
    // Images first, one service at a time (as compose builds and pulls before it creates), so a
    // build's or a pull's progress is not interleaved with another's.
    const images = new Map<string, string>();
    for (const name of order) images.set(name, await ensureImage(api, l, name, proj.services[name]!, ctx, p.flags['build'] === true));
    // compose InDependencyOrder: each service starts once the services it depends on are up
    // and their conditions hold; services that do not wait on each other start side by side.
    const tasks = new Map<string, Promise<void>>();
    const bring = (name: string): Promise<void> => {
      let t = tasks.get(name);
      if (!t) {
        t = upService(name);
        tasks.set(name, t);
      }
      return t;
    };
    const upService = async (name: string): Promise<void> => {
      const s = proj.services[name]!;
      const deps = Object.keys(s.depends_on ?? {}).filter((d) => wanted.has(d));
      const settled = await Promise.allSettled(deps.map(bring));
      // A dependency that failed is reported once, by its own task.
      if (settled.some((r) => r.status === 'rejected')) throw skipped;
      // compose's --no-deps graph leaves the dependencies out: their conditions are not waited for either.
      for (const [dep, d] of Object.entries(s.depends_on ?? {}).filter(([x]) => wanted.has(x))) {
        if (d.condition === 'service_healthy') {
          await waitFor(api, io, (await projectContainers(api, proj.name)).filter((x) => x.Labels![`${LABEL}.service`] === dep), { fallbackRunning: false });
          continue;
        }
        if (d.condition !== 'service_completed_successfully') continue;
        for (const c of (await projectContainers(api, proj.name)).filter((x) => x.Labels![`${LABEL}.service`] === dep)) {
          const r = await api.waitContainer(c.Id);
          if (r.StatusCode !== 0) throw cliError(`service "${dep}" didn't complete successfully: exit ${r.StatusCode}`);
        }
      }
      const image = images.get(name)!;
      const replicas = s.deploy?.replicas ?? 1;
      if (s.container_name && replicas > 1) throw cliError(`services.${name}: container_name "${s.container_name}" cannot be used with ${replicas} replicas`);
      // The image's ID is part of the hash: a rebuilt or re-pulled image recreates the container.
      const [img] = await api.inspectImages([image]);
      const hash = await configHash({ ...s, image, imageId: img?.['Id'] });
      const mine = existing.filter((c) => c.Labels![`${LABEL}.service`] === name);
      for (const c of mine.filter((x) => Number(x.Labels![`${LABEL}.container-number`]) > replicas)) {
        await api.removeContainer(c.Id, { force: true });
        status(io, 'Container', nameOf(c), 'Removed');
      }
      for (let n = 1; n <= replicas; n++) {
        const old = mine.find((x) => Number(x.Labels![`${LABEL}.container-number`]) === n);
        if (old && old.Labels![`${LABEL}.config-hash`] === hash && p.flags['force-recreate'] !== true) {
          if (old.State !== 'running') {
            await api.startContainer(old.Id);
            status(io, 'Container', nameOf(old), 'Started');
          } else status(io, 'Container', nameOf(old), 'Running');
          continue;
        }
        if (old) {
          await api.removeContainer(old.Id, { force: true });
          status(io, 'Container', nameOf(old), 'Recreated');
        }
        const { parsed, extraNets } = await runFlags(l, name, s, n, image, hash);
        let o;
        try {
          o = parseRunOptions(parsed, { lookupEnv: l.env, cpuCount: 1 });
        } catch (e) {
          throw cliError(`service "${name}": ${messageOf(e)}`);
        }
        // compose ToHealthCheck: the model's check as the container's (no run flag gives CMD's argv form).
        if (s.healthcheck) o.healthcheck = containerHealthcheck(s.healthcheck);
        const { Id, Warnings } = await api.createContainer({ image, options: o });
        for (const w of Warnings) io.err(`WARNING: ${w}\n`);
        for (const x of extraNets) await api.connectNetwork(x.net, Id, { aliases: x.aliases });
        status(io, 'Container', o.name!, 'Created');
        await api.startContainer(Id);
        status(io, 'Container', o.name!, 'Started');
      }
    };
    const results = await Promise.allSettled(order.map(bring));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && r.reason !== skipped);
    if (failed) throw failed.reason;
    // compose `up --wait`: every service running, or healthy where it has a health check.
    if (p.flags['wait'] === true) {
      // compose getDependencyCondition: a service others wait to complete successfully was waited for already (it may have exited 0).
      const completes = new Set(Object.values(proj.services).flatMap((x) => Object.entries(x.depends_on ?? {}).filter(([, d]) => d.condition === 'service_completed_successfully').map(([k]) => k)));
      const mine = (await projectContainers(api, proj.name)).filter((c) => wanted.has(c.Labels![`${LABEL}.service`]!) && !completes.has(c.Labels![`${LABEL}.service`]!));
      await waitFor(api, io, mine, { fallbackRunning: true, ...(waitTimeout ? { timeoutSeconds: waitTimeout } : {}) });
    }
    return 0;
  },
};

/** Waits (compose-wait.ts) saying `Waiting`, then `Healthy` or `Error` per container, as compose's progress does. */
async function waitFor(api: EngineApi, io: TerminalIo, list: ContainerSummary[], o: { fallbackRunning: boolean; timeoutSeconds?: number }): Promise<void> {
  for (const c of list) status(io, 'Container', nameOf(c), 'Waiting');
  try {
    await waitHealthy(api, list.map((c) => c.Id), o);
  } catch (e) {
    for (const c of list) status(io, 'Container', nameOf(c), 'Error');
    throw e;
  }
  for (const c of list) status(io, 'Container', nameOf(c), 'Healthy');
}

const down: Sub = {
  usage: 'compose down [OPTIONS]',
  description: 'Stop and remove containers, networks',
  flags: [
    { name: 'volumes', short: 'v', type: 'bool', help: 'Remove named volumes declared in the "volumes" section of the Compose file and anonymous volumes attached to containers' },
    { name: 'timeout', short: 't', type: 'string', value: 'int', help: 'Specify a shutdown timeout in seconds' },
    { name: 'remove-orphans', type: 'bool', help: 'Remove containers for services not defined in the Compose file' },
    { name: 'rmi', type: 'string', value: 'string', help: 'Remove images used by services. "local" remove only images that don\'t have a custom tag ("local"|"all")' },
  ],
  args: [0, 0],
  async run(p, g, ctx) {
    const { io } = ctx;
    const rmi = p.flags['rmi'] as string | undefined;
    if (rmi !== undefined && rmi !== 'local' && rmi !== 'all') throw cliError(`invalid value for --rmi: "${rmi}"`);
    const vols = p.flags['volumes'] === true;
    const removeOrphans = p.flags['remove-orphans'] === true;
    const timeout = timeoutFlag(p);
    let project: Project;
    try {
      ({ project } = await load(g, io));
    } catch (e) {
      // `-p NAME down` with no compose file: the project as its labels say (compose's
      // project from the observed state), as the page's containers panel runs it.
      const name = g.flags['project-name'];
      if (name === undefined || !(e instanceof TabdockError && e.message.startsWith('no configuration file provided'))) throw e;
      return downByLabels(await ctx.engine(), String(name), io, { vols, removeOrphans, timeout, rmi });
    }
    const api = await ctx.engine();
    const order = orderServices(project.services).reverse();
    const rank = (c: ContainerSummary) => order.indexOf(c.Labels![`${LABEL}.service`]!);
    // compose down: the model's services' containers; one-off (run) containers and orphans only with --remove-orphans.
    const mine = (await projectContainers(api, project.name, true, removeOrphans)).filter((c) => rank(c) !== -1);
    for (const c of mine.sort((a, b) => rank(a) - rank(b))) {
      if (c.State === 'running') {
        await api.stopContainer(c.Id, timeout);
        status(io, 'Container', nameOf(c), 'Stopped');
      }
      await api.removeContainer(c.Id, { force: true, volumes: vols });
      status(io, 'Container', nameOf(c), 'Removed');
    }
    if (removeOrphans) await orphans(api, project, io, true, timeout);
    // The model's networks, and any the project made that the files no longer name.
    const labelled = (await api.listNetworks()).filter((n) => n.Labels?.[`${LABEL}.project`] === project.name).map((n) => n.Name);
    for (const n of new Set([...Object.values(project.networks).filter((x) => !x.external).map((x) => x.name), ...labelled])) {
      const [have] = await api.inspectNetworks([n]);
      if (!have) continue;
      try {
        await api.removeNetwork(n);
      } catch (e) {
        // An orphan or a one-off container left on it (compose's warning, not a failure).
        if (!TabdockError.is(e, 'NETWORK_IN_USE')) throw e;
        status(io, 'Network', n, 'Resource is still in use');
        continue;
      }
      status(io, 'Network', n, 'Removed');
    }
    if (rmi) await removeImages(api, project, io, rmi);
    if (vols) {
      for (const v of Object.values(project.volumes)) {
        if (v.external) continue;
        const [have] = await api.inspectVolumes([v.name]);
        if (!have) continue;
        await api.removeVolume(v.name, {});
        status(io, 'Volume', v.name, 'Removed');
      }
    }
    return 0;
  },
};

/**
 * `down` of a project known only by its name: its containers (one-off ones with
 * --remove-orphans), newest first, then the networks and (-v) volumes labelled as its, and
 * (--rmi) the images its services ran: `local` the ones compose named `<project>-<service>`,
 * `all` every one.
 */
async function downByLabels(api: EngineApi, name: string, io: TerminalIo, o: { vols: boolean; removeOrphans: boolean; timeout: number | undefined; rmi: string | undefined }): Promise<number> {
  const mine = (await projectContainers(api, name, true, o.removeOrphans)).sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created));
  const ours = (labels: Record<string, string> | undefined) => labels?.[`${LABEL}.project`] === name;
  const networks = (await api.listNetworks()).filter((n) => ours(n.Labels)).map((n) => n.Name);
  const volumes = o.vols ? (await api.listVolumes()).filter((v) => ours(v.Labels)).map((v) => v.Name) : [];
  if (!mine.length && !networks.length && !volumes.length) {
    io.err(`Warning: No resource found to remove for project "${name}".\n`);
    return 0;
  }
  const images = new Set<string>();
  for (const c of mine) {
    const own = `${name}-${c.Labels![`${LABEL}.service`]}`;
    if (c.Image === own || o.rmi === 'all') images.add(c.Image);
  }
  for (const c of mine) {
    if (c.State === 'running') {
      await api.stopContainer(c.Id, o.timeout);
      status(io, 'Container', nameOf(c), 'Stopped');
    }
    await api.removeContainer(c.Id, { force: true, volumes: o.vols });
    status(io, 'Container', nameOf(c), 'Removed');
  }
  for (const n of networks) {
    try {
      await api.removeNetwork(n);
    } catch (e) {
      if (!TabdockError.is(e, 'NETWORK_IN_USE')) throw e;
      status(io, 'Network', n, 'Resource is still in use');
      continue;
    }
    status(io, 'Network', n, 'Removed');
  }
  if (o.rmi) await removeImageRefs(api, io, images);
  for (const v of volumes) {
    await api.removeVolume(v, {});
    status(io, 'Volume', v, 'Removed');
  }
  return 0;
}

/**
 * `down --rmi` (compose's ImagePruner): `local` removes the images compose named itself
 * (`<project>-<service>` of services without `image:`), `all` also every service's `image:`.
 * An image another container still uses stays, with compose's warning.
 */
async function removeImages(api: EngineApi, p: Project, io: TerminalIo, mode: string): Promise<void> {
  const names = new Set<string>();
  for (const [name, s] of Object.entries(p.services)) {
    if (s.image === undefined) names.add(`${p.name}-${name}`);
    else if (mode === 'all') names.add(s.image);
  }
  await removeImageRefs(api, io, names);
}

/** Removes each image that exists; one a container still uses stays, with compose's warning. */
async function removeImageRefs(api: EngineApi, io: TerminalIo, names: Iterable<string>): Promise<void> {
  for (const ref of names) {
    const [have] = await api.inspectImages([ref]);
    if (!have) continue;
    try {
      await api.removeImage(ref, {});
    } catch (e) {
      if (!TabdockError.is(e, 'CONFLICT')) throw e;
      status(io, 'Image', ref, 'Resource is still in use');
      continue;
    }
    status(io, 'Image', ref, 'Removed');
  }
}

function portsText(c: ContainerSummary): string {
  return c.Ports.map((x) => (x.PublicPort ? `${x.IP ?? '0.0.0.0'}:${x.PublicPort}->${x.PrivatePort}/${x.Type}` : `${x.PrivatePort}/${x.Type}`)).join(', ');
}

const ps: Sub = {
  usage: 'compose ps [OPTIONS] [SERVICE...]',
  description: 'List containers',
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Show all stopped containers (including those created by the run command)' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Only display IDs' },
  ],
  args: [0, Infinity],
  async run(p, g, ctx) {
    const { project } = await load(g, ctx.io);
    const api = await ctx.engine();
    for (const s of p.args) if (!project.services[s]) throw cliError(`no such service: ${s}`);
    const list = (await projectContainers(api, project.name, p.flags['all'] === true)).filter((c) => !p.args.length || p.args.includes(c.Labels![`${LABEL}.service`]!));
    if (p.flags['quiet'] === true) {
      ctx.io.out(list.map((c) => `${c.Id}\n`).join(''));
      return 0;
    }
    const now = new Date();
    ctx.io.out(table(['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'CREATED', 'STATUS', 'PORTS'], list.map((c) => [
      nameOf(c), c.Image, `"${ellipsis(c.Command, 20)}"`, c.Labels![`${LABEL}.service`]!, ago(c.Created, now), statusText(c, now), portsText(c),
    ])));
    return 0;
  },
};

export const logs: Sub = {
  usage: 'compose logs [OPTIONS] [SERVICE...]',
  description: 'View output from containers',
  flags: [
    { name: 'follow', short: 'f', type: 'bool', help: 'Follow log output' },
    { name: 'tail', short: 'n', type: 'string', value: 'string', help: 'Number of lines to show from the end of the logs for each container (default "all")' },
    { name: 'no-log-prefix', type: 'bool', help: 'Don\'t print prefix in logs' },
    { name: 'no-color', type: 'bool', help: 'Produce monochrome output' },
    { name: 'timestamps', short: 't', type: 'bool', help: 'Show timestamps' },
  ],
  args: [0, Infinity],
  async run(p, g, ctx) {
    const { io } = ctx;
    const { project } = await load(g, io);
    for (const s of p.args) if (!project.services[s]) throw cliError(`no such service: ${s}`);
    const tailText = (p.flags['tail'] as string | undefined) ?? 'all';
    const tail = tailText === 'all' ? undefined : Number(tailText);
    if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) throw cliError(`invalid tail value "${tailText}": a number or "all"`);
    const api = await ctx.engine();
    const list = (await projectContainers(api, project.name)).filter((c) => !p.args.length || p.args.includes(c.Labels![`${LABEL}.service`]!));
    const printer = new LogPrinter(io, { color: io.isTTY && p.flags['no-color'] !== true, prefix: p.flags['no-log-prefix'] !== true });
    for (const c of list) printer.register(shortName(project.name, c));
    const follow = p.flags['follow'] === true;
    const one = async (c: ContainerSummary) => {
      const sink = printer.sink(shortName(project.name, c));
      await api.containerLogs(c.Id, { follow, ...(tail !== undefined ? { tail } : {}), timestamps: p.flags['timestamps'] === true }, (stream, data) => sink.write(stream, data));
      sink.flush();
    };
    if (!follow) {
      for (const c of list) await one(c);
      return 0;
    }
    return untilInterrupt(io, Promise.all(list.map(one)).then(() => 0));
  },
};

/** compose's name for a container in logs (`getContainerNameWithoutProject`): without `PROJECT-`. */
export function shortName(project: string, c: ContainerSummary): string {
  const n = nameOf(c);
  return n.startsWith(`${project}-`) ? n.slice(project.length + 1) : n;
}

const config: Sub = {
  usage: 'compose config [OPTIONS] [SERVICE...]',
  description: 'Parse, resolve and render compose file in canonical format',
  flags: [
    { name: 'services', type: 'bool', help: 'Print the service names, one per line' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Only validate the configuration, don\'t print anything' },
  ],
  args: [0, Infinity],
  async run(p, g, ctx) {
    const { project } = await load(g, ctx.io, p.args);
    if (p.args.length) {
      const keep = withDependencies(project, p.args);
      for (const n of Object.keys(project.services)) if (!keep.has(n)) delete project.services[n];
    }
    if (p.flags['quiet'] === true) return 0;
    if (p.flags['services'] === true) {
      ctx.io.out(orderServices(project.services).map((s) => `${s}\n`).join(''));
      return 0;
    }
    ctx.io.out(renderProject(project));
    return 0;
  },
};

/** The project's containers of the named services (all when none), dependencies first; an unknown service is an error. */
export async function selected(api: EngineApi, project: Project, services: string[]): Promise<ContainerSummary[]> {
  for (const s of services) if (!project.services[s]) throw cliError(`no such service: ${s}`);
  const order = orderServices(project.services);
  const rank = (c: ContainerSummary) => order.indexOf(c.Labels![`${LABEL}.service`]!);
  return (await projectContainers(api, project.name)).filter((c) => !services.length || services.includes(c.Labels![`${LABEL}.service`]!)).sort((a, b) => rank(a) - rank(b));
}

/** start, stop, restart, kill: one engine call per container, dependencies first (stop and kill: last). */
function lifecycle(verb: 'start' | 'stop' | 'restart' | 'kill', description: string, flags: FlagSpec[]): Sub {
  return {
    usage: `compose ${verb} [OPTIONS] [SERVICE...]`,
    description,
    flags,
    args: [0, Infinity],
    async run(p, g, ctx) {
      const { project } = await load(g, ctx.io);
      const api = await ctx.engine();
      let list = await selected(api, project, p.args);
      if (verb === 'stop' || verb === 'kill') list = list.reverse();
      const timeout = timeoutFlag(p);
      for (const c of list) {
        if (verb === 'start') {
          if (c.State === 'running') continue;
          await api.startContainer(c.Id);
          status(ctx.io, 'Container', nameOf(c), 'Started');
        } else if (verb === 'stop') {
          if (c.State !== 'running') continue;
          await api.stopContainer(c.Id, timeout);
          status(ctx.io, 'Container', nameOf(c), 'Stopped');
        } else if (verb === 'restart') {
          await api.restartContainer(c.Id, timeout);
          status(ctx.io, 'Container', nameOf(c), 'Started');
        } else {
          if (c.State !== 'running') continue;
          await api.killContainer(c.Id, (p.flags['signal'] as string | undefined) ?? 'SIGKILL');
          status(ctx.io, 'Container', nameOf(c), 'Killed');
        }
      }
      return 0;
    },
  };
}

export function timeoutFlag(p: Parsed): number | undefined {
  const t = p.flags['timeout'] !== undefined ? Number(p.flags['timeout']) : undefined;
  if (t !== undefined && !Number.isInteger(t)) throw cliError(`invalid argument "${String(p.flags['timeout'])}" for "-t, --timeout" flag: a whole number of seconds`);
  return t;
}

const TIMEOUT: FlagSpec = { name: 'timeout', short: 't', type: 'string', value: 'int', help: 'Specify a shutdown timeout in seconds' };

const rm: Sub = {
  usage: 'compose rm [OPTIONS] [SERVICE...]',
  description: 'Removes stopped service containers',
  flags: [
    { name: 'force', short: 'f', type: 'bool', help: 'Don\'t ask to confirm removal' },
    { name: 'stop', short: 's', type: 'bool', help: 'Stop the containers, if required, before removing' },
    { name: 'volumes', short: 'v', type: 'bool', help: 'Remove any anonymous volumes attached to containers' },
  ],
  args: [0, Infinity],
  async run(p, g, ctx) {
    const { io } = ctx;
    const { project } = await load(g, io);
    const api = await ctx.engine();
    const list = (await selected(api, project, p.args)).reverse();
    if (p.flags['stop'] === true) {
      for (const c of list.filter((x) => x.State === 'running')) {
        await api.stopContainer(c.Id);
        status(io, 'Container', nameOf(c), 'Stopped');
        c.State = 'exited';
      }
    }
    const gone = list.filter((c) => c.State !== 'running');
    if (!gone.length) {
      io.err('No stopped containers\n');
      return 0;
    }
    if (p.flags['force'] !== true) {
      if (!io.stdin?.isTTY) throw cliError(`${ctx.prog} compose rm: stdin is not a terminal, so it cannot ask for confirmation; use -f (--force) to remove without asking`);
      const ok = await confirmed(ctx, false, `Going to remove ${gone.map(nameOf).join(', ')}`, 'compose rm');
      if (ok !== true) return ok;
    }
    for (const c of gone) {
      await api.removeContainer(c.Id, { volumes: p.flags['volumes'] === true });
      status(io, 'Container', nameOf(c), 'Removed');
    }
    return 0;
  },
};

/** The first slice's sub-commands; `compose/index.ts` adds the rest and dispatches. */
export const BASE_SUBS: Record<string, Sub> = {
  config, up, down, ps, logs, rm,
  start: lifecycle('start', 'Start services', []),
  stop: lifecycle('stop', 'Stop services', [TIMEOUT]),
  restart: lifecycle('restart', 'Restart service containers', [TIMEOUT]),
  kill: lifecycle('kill', 'Force stop service containers', [{ name: 'signal', short: 's', type: 'string', value: 'string', help: 'SIGNAL to send to the container (default "SIGKILL")' }]),
};
