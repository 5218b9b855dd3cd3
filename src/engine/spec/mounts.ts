import { configError, invalidFlagValue } from './errors.ts';
import { parseRamBytes } from './units.ts';

/** A volume or bind mount asked for with `-v` or `--mount` (resolved by the engine). */
export interface VolumeMount {
  /** `volume`: named (source set) or anonymous (no source); `bind`: an absolute host path. */
  type: 'volume' | 'bind';
  source?: string;
  target: string;
  readOnly: boolean;
  /** `nocopy` / `volume-nocopy`: do not copy the image's files into a new volume. */
  noCopy?: boolean;
}

/** A tmpfs from `--tmpfs /dst[:opts]` or `--mount type=tmpfs`; `data` is the raw option text. */
export interface TmpfsMount {
  target: string;
  data: string;
}

const clean = (p: string) => {
  const parts: string[] = [];
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') parts.pop();
    else parts.push(s);
  }
  return (p.startsWith('/') ? '/' : '') + parts.join('/') || (p.startsWith('/') ? '/' : '.');
};
export { clean as cleanPath };

/** moby `volume/mounts/linux_parser.go`: targets must be absolute and not `/`. */
export function validateTarget(target: string, type: string): void {
  if (clean(target) === '/') throw configError(`invalid specification: destination can't be '/'`, 'INVALID_MOUNT');
  if (!target.startsWith('/')) {
    throw configError(`invalid mount config for type "${type}": invalid mount path: '${target}' mount path must be absolute`, 'INVALID_MOUNT');
  }
}

/** moby `volume/local`: volume names are `[a-zA-Z0-9][a-zA-Z0-9_.-]+`. */
export function validateVolumeName(name: string): void {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) {
    throw configError(
      `"${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      'INVALID_VOLUME_NAME',
    );
  }
}

// Modes a `-v` spec may carry (moby linux_parser `ValidMountMode`): rw/ro, SELinux
// relabel z/Z, propagation, nocopy; comma-separated, at most one of each kind.
const PROPAGATION = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
function validMode(mode: string): boolean {
  if (mode === '') return true;
  const seen = new Set<string>();
  for (const o of mode.split(',')) {
    const kind = o === 'rw' || o === 'ro' ? 'rw' : o === 'z' || o === 'Z' ? 'label' : PROPAGATION.includes(o) ? 'prop' : o === 'nocopy' ? 'copy' : '';
    if (!kind || seen.has(kind)) return false;
    seen.add(kind);
  }
  return true;
}

/** `-v [source:]target[:mode]` (moby linux_parser `ParseMountRaw`). */
export function parseVolumeFlag(raw: string): VolumeMount {
  const invalid = () => configError(`invalid volume specification: '${raw}'`, 'INVALID_MOUNT');
  const arr = raw.split(':');
  if (arr.length > 3 || arr[0] === '') throw invalid();
  let source: string | undefined;
  let target: string;
  let mode = '';
  if (arr.length === 1) target = arr[0]!;
  else if (arr.length === 2) {
    if (validMode(arr[1]!)) throw invalid(); // "/foo:rw": a target with a mode is no volume
    [source, target] = arr as [string, string];
  } else [source, target, mode] = arr as [string, string, string];
  if (!validMode(mode)) throw configError(`invalid mode: ${mode}`, 'INVALID_MOUNT');
  if (target === '') throw invalid();
  validateTarget(target, source?.startsWith('/') ? 'bind' : 'volume');
  const opts = mode.split(',');
  const m: VolumeMount = { type: source?.startsWith('/') ? 'bind' : 'volume', target: clean(target), readOnly: opts.includes('ro') };
  if (source !== undefined) {
    if (m.type === 'volume') validateVolumeName(source);
    m.source = m.type === 'bind' ? clean(source) : source;
  }
  if (opts.includes('nocopy')) m.noCopy = true;
  return m;
}

function boolValue(key: string, v: string | undefined): boolean {
  if (v === undefined) return true;
  const l = v.toLowerCase();
  if (['1', 'true'].includes(l)) return true;
  if (['0', 'false'].includes(l)) return false;
  throw invalidFlagValue('--mount', v, `invalid value for ${key}: ${v}`);
}

/**
 * `--mount type=volume|bind|tmpfs,source=..,target=..,readonly,...` (docker/cli
 * `opts/mount.go`, `MountOpt.Set`): CSV of key[=value]; type defaults to volume.
 */
export function parseMountFlag(raw: string): VolumeMount | (TmpfsMount & { type: 'tmpfs' }) {
  const fail = (reason: string) => invalidFlagValue('--mount', raw, reason);
  let type = 'volume';
  let source: string | undefined;
  let target: string | undefined;
  let readOnly = false;
  let noCopy = false;
  let tmpfsSize: number | undefined;
  let tmpfsMode: number | undefined;
  for (const f of raw.split(',')) {
    const eq = f.indexOf('=');
    const key = (eq === -1 ? f : f.slice(0, eq)).toLowerCase();
    const val = eq === -1 ? undefined : f.slice(eq + 1);
    if (eq === -1 && !['readonly', 'ro', 'volume-nocopy'].includes(key)) throw fail(`invalid field '${f}' must be a key=value pair`);
    switch (key) {
      case 'type': type = val!.toLowerCase(); break;
      case 'source': case 'src': source = val; break;
      case 'target': case 'destination': case 'dst': target = val; break;
      case 'readonly': case 'ro': readOnly = boolValue(key, val); break;
      case 'volume-nocopy': noCopy = boolValue(key, val); break;
      case 'bind-propagation': case 'consistency': break; // accepted, no effect in the guest
      case 'tmpfs-size':
        try { tmpfsSize = parseRamBytes(val!); } catch (e) { throw fail((e as Error).message); }
        break;
      case 'tmpfs-mode': {
        const n = /^[0-7]+$/.test(val!) ? parseInt(val!, 8) : NaN;
        if (Number.isNaN(n)) throw fail(`invalid value for ${key}: ${val}`);
        tmpfsMode = n;
        break;
      }
      default: throw fail(`unexpected key '${key}' in '${f}'`);
    }
  }
  if (!['volume', 'bind', 'tmpfs'].includes(type)) throw fail(`invalid mount type: ${type}`);
  if (!target) throw fail('target is required');
  validateTarget(target, type);
  if (type === 'tmpfs') {
    if (source) throw configError(`invalid mount config for type "tmpfs": source must not be specified`, 'INVALID_MOUNT');
    // moby volume/mounts `ConvertTmpfsOptions`: ro, mode in octal, size with the largest exact suffix.
    const data: string[] = [];
    if (readOnly) data.push('ro');
    if (tmpfsMode !== undefined) data.push(`mode=${tmpfsMode.toString(8)}`);
    if (tmpfsSize) data.push(`size=${sizeWithSuffix(tmpfsSize)}`);
    return { type: 'tmpfs', target: clean(target), data: data.join(',') };
  }
  if (type === 'bind') {
    if (!source) throw configError(`invalid mount config for type "bind": field Source must not be empty`, 'INVALID_MOUNT');
    if (!source.startsWith('/')) throw configError(`invalid mount config for type "bind": invalid mount path: '${source}' mount path must be absolute`, 'INVALID_MOUNT');
  } else if (source) validateVolumeName(source);
  const m: VolumeMount = { type: type as 'volume' | 'bind', target: clean(target), readOnly };
  if (source) m.source = type === 'bind' ? clean(source) : source;
  if (noCopy) m.noCopy = true;
  return m;
}

function sizeWithSuffix(n: number): string {
  for (const [s, u] of [['g', 2 ** 30], ['m', 2 ** 20], ['k', 2 ** 10]] as const) if (n % u === 0) return `${n / u}${s}`;
  return String(n);
}

/** `--tmpfs /dst[:opts]` (docker/cli opts.go: split at the first colon). */
export function parseTmpfsFlag(raw: string): TmpfsMount {
  const i = raw.indexOf(':');
  const target = i === -1 ? raw : raw.slice(0, i);
  validateTarget(target, 'tmpfs');
  return { target: clean(target), data: i === -1 ? '' : raw.slice(i + 1) };
}

// Mount flags by the bit they set or clear (moby/sys mount `flags.go`): a later option of
// the same bit overrides an earlier one (`exec` after the default `noexec`).
const FLAG_KEY: Record<string, string> = {
  ro: 'rdonly', rw: 'rdonly', suid: 'nosuid', nosuid: 'nosuid', dev: 'nodev', nodev: 'nodev',
  exec: 'noexec', noexec: 'noexec', sync: 'sync', async: 'sync', dirsync: 'dirsync',
  remount: 'remount', mand: 'mand', nomand: 'mand', atime: 'noatime', noatime: 'noatime',
  diratime: 'nodiratime', nodiratime: 'nodiratime', bind: 'bind', rbind: 'rbind',
  relatime: 'relatime', norelatime: 'relatime', strictatime: 'strictatime', nostrictatime: 'strictatime',
  private: 'private', rprivate: 'rprivate', shared: 'shared', rshared: 'rshared', slave: 'slave', rslave: 'rslave',
  unbindable: 'unbindable', runbindable: 'runbindable',
};
const TMPFS_DATA = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol']);

/**
 * The options of a tmpfs mount in the OCI spec (moby daemon/oci_linux.go `WithMounts`
 * and moby/sys mount `MergeTmpfsOptions`): `noexec,nosuid,nodev,rprivate` then the
 * user's options; later options win per flag and per key; unknown keys are refused.
 */
export function tmpfsOptions(data: string): string[] {
  const options = ['noexec', 'nosuid', 'nodev', 'rprivate', ...(data ? data.split(',') : [])];
  const out: string[] = [];
  const flags = new Set<string>();
  const keys = new Set<string>();
  for (let i = options.length - 1; i >= 0; i--) {
    const o = options[i]!;
    if (o === 'defaults') continue;
    const flag = FLAG_KEY[o];
    if (flag) {
      if (!flags.has(flag)) out.unshift(o);
      flags.add(flag);
      continue;
    }
    const eq = o.indexOf('=');
    const key = o.slice(0, eq);
    if (eq === -1 || !TMPFS_DATA.has(key)) {
      const parts = eq === -1 ? [o] : [key, o.slice(eq + 1)];
      throw configError(`invalid tmpfs option [${parts.map((x) => JSON.stringify(x)).join(' ')}]`, 'INVALID_MOUNT');
    }
    if (!keys.has(key)) out.unshift(o);
    keys.add(key);
  }
  return out;
}
