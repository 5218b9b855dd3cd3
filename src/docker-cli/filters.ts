/**
 * `--filter key=value` for `ps` and `images`, as the docker daemon applies them
 * (moby daemon/list.go, daemon/images/images.go; filters.Args): the CLI's flag syntax,
 * the accepted keys, Docker's errors for a bad key or value, and the matching rules (name
 * and id are regular expressions, label is `key` or `key=value`, every key must match
 * and any value of one key may).
 */
import type { ContainerSummary, ImageSummary } from '../engine/api.ts';
import { parseReference } from '../registry-client/reference.ts';
import { TabdockError } from '../shared/errors.ts';
import { flagError } from './args.ts';

export type Filters = Map<string, string[]>;

/** opts.FilterOpt: `name=value`, the name lower-cased, both trimmed. */
export function parseFilters(raw: string[] | undefined, cmd: string): Filters {
  const f: Filters = new Map();
  for (const v of raw ?? []) {
    if (v === '') continue;
    const eq = v.indexOf('=');
    if (eq === -1) throw flagError(`invalid argument "${v}" for "-f, --filter" flag: bad format of filter (expected name=value)\nSee '${cmd} --help'.`);
    const name = v.slice(0, eq).trim().toLowerCase();
    f.set(name, [...(f.get(name) ?? []), v.slice(eq + 1).trim()]);
  }
  return f;
}

const invalid = (msg: string) => new TabdockError('INVALID_FILTER', msg, {});

function validate(f: Filters, accepted: readonly string[]): void {
  for (const k of f.keys()) if (!accepted.includes(k)) throw invalid(`Invalid filter '${k}'`);
}

/** filters.Args.Match: an exact value, or a regular expression found anywhere in the text. */
function match(values: string[], text: string): boolean {
  return values.some((v) => {
    if (v === text) return true;
    try {
      return new RegExp(v).test(text);
    } catch {
      return false;
    }
  });
}

/** filters.Args.MatchKVList: each `key` must be present, each `key=value` equal. */
function matchLabels(values: string[] | undefined, labels: Record<string, string> | undefined): boolean {
  if (!values?.length) return true;
  const l = labels ?? {};
  return values.every((v) => {
    const eq = v.indexOf('=');
    return eq === -1 ? Object.prototype.hasOwnProperty.call(l, v) : l[v.slice(0, eq)] === v.slice(eq + 1);
  });
}

const PS_KEYS = ['ancestor', 'before', 'expose', 'exited', 'health', 'id', 'isolation', 'is-task', 'label', 'name', 'network', 'publish', 'since', 'status', 'volume'] as const;
const STATES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'];

/** What `ps` needs to resolve `ancestor`, `before`, `since` and `network` values. */
export interface PsLookups {
  /** Every container, newest first, `--all` or not (before/since name any container). */
  all: ContainerSummary[];
  images: ImageSummary[];
  networks: { Id: string; Name: string }[];
}

/** Whether the filters make `ps` list stopped containers too (moby: a `status` filter does). */
export const psFiltersShowAll = (f: Filters) => f.has('status');

/**
 * Applies `ps` filters to containers (newest first): Docker's errors for an unknown key
 * (`Invalid filter 'x'`) or value, then the matches. `isolation` and `is-task` (Windows and
 * swarm) are refused with a sentence rather than taken and ignored.
 */
export function filterContainers(list: ContainerSummary[], f: Filters, look: PsLookups): ContainerSummary[] {
  validate(f, PS_KEYS);
  for (const k of ['isolation', 'is-task']) if (f.has(k)) throw invalid(`the '${k}' filter is not supported by tabdock (no Windows isolation, no swarm tasks)`);
  for (const s of f.get('status') ?? []) if (!STATES.includes(s)) throw invalid(`Invalid filter 'status=${s}'`);
  for (const h of f.get('health') ?? []) if (!HEALTH.includes(h)) throw invalid(`Unrecognised filter value for health: ${h}`);
  const exited = (f.get('exited') ?? []).map((v) => {
    if (!/^[+-]?[0-9]+$/.test(v)) throw invalid(`strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
    return Number(v);
  });
  const find = (ref: string) => {
    const c = look.all.find((x) => x.Id === ref || x.Names.includes(`/${ref}`)) ?? look.all.find((x) => x.Id.startsWith(ref));
    if (!c) throw invalid(`no such container ${ref}`);
    return c;
  };
  const before = (f.get('before') ?? []).map(find);
  const since = (f.get('since') ?? []).map(find);
  const ancestors = (f.get('ancestor') ?? []).map((a) => imageIdsFor(a, look.images));
  const networks = (f.get('network') ?? []).map((n) => look.networks.find((x) => x.Name === n || x.Id.startsWith(n))?.Name ?? n);
  return list.filter((c) => {
    const created = Date.parse(c.Created);
    if (before.some((b) => !(created < Date.parse(b.Created)))) return false;
    if (since.some((s) => !(created > Date.parse(s.Created)))) return false;
    if (f.has('id') && !match(f.get('id')!, c.Id)) return false;
    if (f.has('name') && !c.Names.some((n) => match(f.get('name')!, n) || match(f.get('name')!, n.replace(/^\//, '')))) return false;
    if (!matchLabels(f.get('label'), c.Labels)) return false;
    if (f.has('status') && !f.get('status')!.includes(c.State)) return false;
    if (exited.length && !(c.State === 'exited' && exited.includes(c.ExitCode))) return false;
    // moby daemon/list.go: the health status, `none` without a health check.
    if (f.has('health') && !f.get('health')!.includes(c.Health ?? 'none')) return false;
    if (ancestors.length && !ancestors.some((ids) => ids.has(c.ImageID) || c.Image === undefined)) return false;
    if (f.has('volume') && !f.get('volume')!.some((v) => (c.Mounts ?? []).some((m) => m.Name === v || m.Source === v || m.Destination === v))) return false;
    if (networks.length && !networks.some((n) => (c.Networks ?? []).includes(n))) return false;
    if (f.has('publish') && !f.get('publish')!.some((p) => c.Ports.some((x) => x.PublicPort !== undefined && portMatches(p, x.PublicPort, x.Type)))) return false;
    if (f.has('expose') && !f.get('expose')!.some((p) => c.Ports.some((x) => portMatches(p, x.PrivatePort, x.Type)))) return false;
    return true;
  });
}

function portMatches(filter: string, port: number, proto: string): boolean {
  const [range, p = 'tcp'] = filter.split('/') as [string, string?];
  const [lo, hi = lo] = range.split('-').map(Number) as [number, number?];
  return p === proto && port >= lo && port <= (hi ?? lo);
}

/** The image IDs an `ancestor` value names: a reference (`busybox`, `busybox:1`) or an ID prefix. */
function imageIdsFor(value: string, images: ImageSummary[]): Set<string> {
  const ids = new Set<string>();
  const ref = tryParse(value);
  for (const i of images) {
    const hex = i.id.replace(/^sha256:/, '');
    if (i.id === value || (value.length >= 4 && /^[0-9a-f]+$/.test(value) && hex.startsWith(value))) ids.add(i.id);
    else if (ref && i.repoTags.includes(ref)) ids.add(i.id);
  }
  return ids;
}

function tryParse(value: string): string | undefined {
  try {
    const r = parseReference(value);
    return `${r.name}:${r.tag ?? 'latest'}`;
  } catch {
    return undefined;
  }
}

const IMAGE_KEYS = ['dangling', 'label', 'before', 'since', 'reference'] as const;

/** Whether an image has no tag (Docker's dangling image). */
export const isDangling = (i: ImageSummary) => i.repoTags.length === 0;

/** Applies `images` filters (and the REPOSITORY[:TAG] argument, which Docker adds as `reference`). */
export function filterImages(list: ImageSummary[], f: Filters): ImageSummary[] {
  validate(f, IMAGE_KEYS);
  const dangling = f.get('dangling');
  if (dangling && !(dangling.length === 1 && (dangling[0] === 'true' || dangling[0] === 'false'))) throw invalid(`Invalid filter 'dangling=[${dangling.join(' ')}]'`);
  const find = (ref: string) => {
    const id = imageIdsFor(ref, list);
    const img = list.find((i) => id.has(i.id));
    if (!img) throw invalid(`No such image: ${ref.includes(':') || /^[0-9a-f]{4,}$/.test(ref) ? ref : `${ref}:latest`}`);
    return img;
  };
  const before = (f.get('before') ?? []).map(find);
  const since = (f.get('since') ?? []).map(find);
  return list.filter((i) => {
    if (dangling && isDangling(i) !== (dangling[0] === 'true')) return false;
    if (!matchLabels(f.get('label'), i.labels)) return false;
    const created = Date.parse(i.created ?? '');
    if (before.some((b) => !(created < Date.parse(b.created ?? '')))) return false;
    if (since.some((s) => !(created > Date.parse(s.created ?? '')))) return false;
    return true;
  });
}

/**
 * moby's reference filter (`reference.FamiliarMatch`): the pattern is matched (path.Match
 * globs) against the familiar `name:tag`, or against the name alone when it has no tag.
 */
export function referenceMatches(pattern: string, familiarName: string, tag: string): boolean {
  const re = globToRegExp(pattern);
  return re.test(`${familiarName}:${tag}`) || (!pattern.includes(':') && re.test(familiarName));
}

/** Go's path.Match syntax: `*` and `?` do not cross `/`, `[...]` classes. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/^\^/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < glob.length) re += `\\${glob[++i]}`;
    else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
