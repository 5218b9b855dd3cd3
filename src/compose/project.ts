import { TabdockError } from '../shared/errors.ts';
import { interpolateFile, type Lookup } from './interpolate.ts';
import { mergeService, mergeTop } from './merge.ts';
import type { NetworkConfig, Project, ServiceConfig, VolumeTopConfig } from './model.ts';
import { normalizeService } from './normalize.ts';
import { fileError, parseSource, refusal, type SourceFile } from './source.ts';

export interface LoadOptions {
  /** The files in `-f` order, with their text. */
  files: Array<{ name: string; text: string }>;
  /** The project directory's name (the project name when nothing else gives one). */
  dirName: string;
  workingDir: string;
  /** The shell's environment, then `.env` (the shell wins: compose-spec "Interpolation"). */
  env: Lookup;
  projectName?: string;
  profiles: string[];
  /** Services named on the command line: enabled whatever their profiles (compose v2). */
  requested?: string[];
}

const TOP = new Set(['name', 'version', 'services', 'networks', 'volumes']);
const TOP_REFUSED: Record<string, string> = {
  secrets: 'top-level secrets are not supported yet', configs: 'top-level configs are not supported yet',
  include: 'include is not supported yet; give the files with -f', models: 'models are not supported',
};

/** compose-go `NormalizeProjectName`: lower case, only [a-z0-9_-], starting with a letter or digit. */
export function normalizeProjectName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[^a-z0-9]+/, '');
}

function checkProjectName(n: string, from: string): string {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(n)) throw new TabdockError('COMPOSE_FILE_INVALID', `invalid project name "${n}" (${from}): must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`, {}, { exitCode: 1 });
  return n;
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Loads, interpolates, checks, merges and resolves the files into one project. */
export function loadProject(o: LoadOptions): Project {
  const srcs: SourceFile[] = o.files.map((f) => parseSource(f.name, f.text));
  const warnings: string[] = [];
  const services: Record<string, ServiceConfig> = {};
  const serviceSrc = new Map<string, SourceFile>();
  let networksRaw: Record<string, unknown> | undefined;
  let volumesRaw: Record<string, unknown> | undefined;
  let topName: string | undefined;
  for (const src of srcs) {
    interpolateFile(src, o.env);
    for (const [k, v] of Object.entries(src.data)) {
      if (k.startsWith('x-')) continue;
      if (TOP_REFUSED[k]) throw refusal(src, k, TOP_REFUSED[k]);
      if (!TOP.has(k)) throw fileError(src, k, `additional property ${k} is not allowed`);
      if (k === 'version') warnings.push(`${src.file}: the attribute \`version\` is obsolete, it will be ignored, please remove it to avoid potential confusion`);
      if (k === 'name') topName = String(v);
      if ((k === 'services' || k === 'networks' || k === 'volumes') && v !== null && !isObj(v)) throw fileError(src, k, 'must be a mapping');
    }
    for (const [name, raw] of Object.entries((src.data['services'] as Record<string, unknown> | null | undefined) ?? {})) {
      const s = normalizeService(src, name, raw);
      services[name] = services[name] ? mergeService(services[name]!, s) : s;
      serviceSrc.set(name, serviceSrc.get(name) ?? src);
    }
    for (const [key, target] of [['networks', 'n'], ['volumes', 'v']] as const) {
      const top = src.data[key] as Record<string, unknown> | null | undefined;
      if (!top) continue;
      for (const [n, x] of Object.entries(top)) {
        if (x !== null && !isObj(x)) throw fileError(src, `${key}.${n}`, 'must be a mapping');
        checkTopEntry(src, key, n, (x ?? {}) as Record<string, unknown>);
      }
      if (target === 'n') networksRaw = mergeTop(networksRaw, top as Record<string, unknown>);
      else volumesRaw = mergeTop(volumesRaw, top as Record<string, unknown>);
    }
  }
  const name = o.projectName !== undefined ? checkProjectName(o.projectName, '-p') : o.env('COMPOSE_PROJECT_NAME') ? checkProjectName(o.env('COMPOSE_PROJECT_NAME')!, 'COMPOSE_PROJECT_NAME') : topName !== undefined ? checkProjectName(topName, 'name') : normalizeProjectName(o.dirName);
  if (!name) throw new TabdockError('COMPOSE_FILE_INVALID', `project name can't be empty: the folder "${o.dirName}" gives none; use -p or name:`, {}, { exitCode: 1 });
  if (!Object.keys(services).length) throw new TabdockError('COMPOSE_FILE_INVALID', 'no service selected: the compose file defines no services', {}, { exitCode: 1 });

  // Profiles (compose-spec "Profiles"): a service with profiles runs only when one is active.
  const active = new Set(o.profiles);
  const requested = new Set(o.requested ?? []);
  const disabled: string[] = [];
  for (const [n, s] of Object.entries(services)) {
    if (s.profiles?.length && !active.has('*') && !s.profiles.some((p) => active.has(p)) && !requested.has(n)) {
      disabled.push(n);
      delete services[n];
    }
  }
  for (const [n, s] of Object.entries(services)) {
    const src = serviceSrc.get(n);
    const at = `services.${n}`;
    if (!s.image && !s.build) throw fileError(src, at, `service "${n}" has neither an image nor build context specified: invalid compose project`);
    for (const d of Object.keys(s.depends_on ?? {})) {
      if (!services[d]) throw fileError(src, `${at}.depends_on.${d}`, disabled.includes(d) ? `service "${n}" depends on service "${d}", which is disabled by its profiles` : `service "${n}" depends on undefined service "${d}": invalid compose project`);
    }
    for (const net of Object.keys(s.networks ?? {})) {
      if (net !== 'default' && !networksRaw?.[net] && !(networksRaw && net in networksRaw)) throw fileError(src, `${at}.networks.${net}`, `service "${n}" refers to undefined network ${net}: invalid compose project`);
    }
    for (const [i, v] of (s.volumes ?? []).entries()) {
      if (v.source !== undefined && !(volumesRaw && v.source in volumesRaw)) throw fileError(src, `${at}.volumes.${i}`, `service "${n}" refers to undefined volume ${v.source}: invalid compose project`);
    }
    if (!s.networks) s.networks = { default: null };
  }
  orderServices(services);

  const used = new Set(Object.values(services).flatMap((s) => Object.keys(s.networks ?? {})));
  const networks: Record<string, NetworkConfig> = {};
  for (const [k, x] of Object.entries({ ...(used.has('default') ? { default: null } : {}), ...(networksRaw ?? {}) })) {
    const r = (x ?? {}) as Record<string, unknown>;
    networks[k] = { name: r['name'] !== undefined ? String(r['name']) : r['external'] === true ? k : `${name}_${k}`, ...(r['external'] === true ? { external: true } : {}), ...(r['driver'] ? { driver: 'bridge' as const } : {}), ...(isObj(r['labels']) ? { labels: r['labels'] as Record<string, string> } : {}) };
  }
  const volumes: Record<string, VolumeTopConfig> = {};
  for (const [k, x] of Object.entries(volumesRaw ?? {})) {
    const r = (x ?? {}) as Record<string, unknown>;
    volumes[k] = { name: r['name'] !== undefined ? String(r['name']) : r['external'] === true ? k : `${name}_${k}`, ...(r['external'] === true ? { external: true } : {}), ...(r['driver'] ? { driver: 'local' as const } : {}), ...(isObj(r['labels']) ? { labels: r['labels'] as Record<string, string> } : {}) };
  }
  return { name, workingDir: o.workingDir, configFiles: o.files.map((f) => f.name), services, networks, volumes, disabled, warnings };
}

/** Top-level networks and volumes: the keys tabdock applies, the rest refused. */
function checkTopEntry(src: SourceFile, key: 'networks' | 'volumes', n: string, x: Record<string, unknown>): void {
  const at = `${key}.${n}`;
  for (const [k, v] of Object.entries(x)) {
    if (k.startsWith('x-')) continue;
    if (k === 'name' || k === 'labels') continue;
    if (k === 'external') {
      if (typeof v !== 'boolean') throw fileError(src, `${at}.external`, 'must be a boolean');
      continue;
    }
    if (k === 'driver') {
      const ok = key === 'networks' ? 'bridge' : 'local';
      if (v !== ok) throw refusal(src, `${at}.driver`, `driver "${String(v)}" is not supported; tabdock has the ${ok} driver only`);
      continue;
    }
    if (!['driver_opts', 'ipam', 'internal', 'attachable', 'enable_ipv6', 'enable_ipv4'].includes(k)) throw fileError(src, `${at}.${k}`, `additional property ${k} is not allowed`);
    throw refusal(src, `${at}.${k}`, `${key}.${n}.${k} is not supported yet`);
  }
}

/** Dependencies before dependents (compose's `InDependencyOrder`); a cycle is an error. */
export function orderServices(services: Record<string, ServiceConfig>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (n: string, chain: string[]) => {
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'visiting') throw new TabdockError('COMPOSE_FILE_INVALID', `dependency cycle detected: ${[...chain, n].join(' -> ')}`, {}, { exitCode: 1 });
    state.set(n, 'visiting');
    for (const d of Object.keys(services[n]?.depends_on ?? {})) visit(d, [...chain, n]);
    state.set(n, 'done');
    order.push(n);
  };
  for (const n of Object.keys(services).sort()) visit(n, []);
  return order;
}
