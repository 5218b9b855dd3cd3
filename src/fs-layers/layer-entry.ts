import type { TarHeader } from 'modern-tar';
import { TabdockError } from '../shared/errors.ts';

/** Fixed chunk size: byte offset `o` of a file lives in chunk `floor(o / CHUNK)`. */
export const CHUNK = 256 * 1024;

export type EntryKind = 'f' | 'd' | 'l' | 'h' | 'c' | 'b' | 'p';

/**
 * One entry of an unpacked layer, as stored in its record (short keys: a distro layer
 * has tens of thousands). `t` is the entry kind, or `w` (whiteout of `p`) or `o` (the
 * directory `p` is opaque) — OCI image spec, layer.md "Whiteouts".
 */
export interface LayerEntry {
  /** Normalised path: no leading `/`, no `.`/`..`, `''` for the root. */
  p: string;
  t: EntryKind | 'w' | 'o';
  /** Permission bits (07777). */
  m?: number;
  u?: number;
  g?: number;
  /** mtime, seconds since the epoch. */
  mt?: number;
  /** Regular file size. */
  s?: number;
  /** Chunk digests (hex), `null` for an all-zero chunk (sparse). */
  c?: (string | null)[];
  /** Symlink target (verbatim), or the normalised path a hard link points at. */
  l?: string;
  /** Device major/minor (tar has them; see README for what modern-tar exposes). */
  r?: [number, number];
  /** Extended attributes from PAX `SCHILY.xattr.*` records. */
  x?: Record<string, string>;
}

/** Linux's limits: a name component (NAME_MAX) and a symlink's target (PATH_MAX - 1). */
const NAME_MAX = 255;
const TARGET_MAX = 4095;
const utf8Length = (s: string) => new TextEncoder().encode(s).byteLength;

const unsafe = (name: string, why: string) =>
  new TabdockError('LAYER_UNSAFE', `layer entry "${name}" ${why}; refusing the layer`, { name });

/**
 * Normalises a tar member name: a leading `/` and `.` components are dropped, `..` is
 * resolved lexically and may not climb above the root (Docker calls that a breakout).
 */
export function normPath(name: string): string {
  // Linux cannot hold such a name; stored anyway, it corrupts directory listings.
  if (name.includes('\0')) throw unsafe(name.replaceAll('\0', '\\0'), 'has a NUL byte in its name');
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (utf8Length(part) > NAME_MAX) throw unsafe(name, `has a name component of ${utf8Length(part)} bytes, over Linux's ${NAME_MAX} (NAME_MAX)`);
    if (part === '..') {
      if (out.length === 0) throw unsafe(name, 'climbs out of the layer with ..');
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

const KINDS: Partial<Record<NonNullable<TarHeader['type']>, EntryKind>> = {
  file: 'f',
  directory: 'd',
  symlink: 'l',
  link: 'h',
  'character-device': 'c',
  'block-device': 'b',
  fifo: 'p',
};

const WH = '.wh.';
const OPQ = '.wh..wh..opq';

/**
 * The entry a tar header stands for, without data (the caller adds `s`/`c`), or
 * undefined for headers that carry no filesystem change (aufs `.wh..wh.` bookkeeping).
 */
export function entryOf(h: TarHeader): LayerEntry | undefined {
  const p = normPath(h.name);
  const slash = p.lastIndexOf('/');
  const base = p.slice(slash + 1);
  const dir = slash < 0 ? '' : p.slice(0, slash);
  if (base === OPQ) return { p: dir, t: 'o' };
  if (base.startsWith(`${WH}${WH}`)) return undefined;
  if (base.startsWith(WH)) {
    const name = base.slice(WH.length);
    if (name === '' || name === '.' || name === '..') throw unsafe(h.name, 'is a whiteout of nothing');
    return { p: dir ? `${dir}/${name}` : name, t: 'w' };
  }
  const t = KINDS[h.type ?? 'file'];
  if (!t) return undefined;
  const e: LayerEntry = { p, t, m: (h.mode ?? (t === 'd' ? 0o755 : 0o644)) & 0o7777, u: h.uid ?? 0, g: h.gid ?? 0, mt: Math.floor((h.mtime?.getTime() ?? 0) / 1000) };
  if (t === 'l') {
    e.l = h.linkname ?? '';
    if (e.l.includes('\0') || utf8Length(e.l) > TARGET_MAX) throw unsafe(h.name, `is a symlink whose target Linux cannot hold (a NUL byte, or over ${TARGET_MAX} bytes)`);
  }
  if (t === 'h') {
    e.l = normPath(h.linkname ?? '');
    if (e.l === '') throw unsafe(h.name, 'is a hard link to the root');
  }
  if (t === 'c' || t === 'b') e.r = [0, 0];
  const x: Record<string, string> = {};
  for (const [k, v] of Object.entries(h.pax ?? {})) if (k.startsWith('SCHILY.xattr.')) x[k.slice('SCHILY.xattr.'.length)] = v;
  if (Object.keys(x).length) e.x = x;
  return e;
}

/**
 * A layer's size as Docker reports it (moby pkg/directory `Size` over the layer's diff
 * directory): every non-directory's st_size, a hard link counted once, so regular files'
 * bytes plus symlink targets' lengths; directories, devices, fifos and whiteouts count 0.
 * Not the tar's length (headers and padding), which `docker images` never shows.
 */
export function contentSize(entries: readonly LayerEntry[]): number {
  let n = 0;
  for (const e of entries) {
    if (e.t === 'f') n += e.s ?? 0;
    else if (e.t === 'l') n += new TextEncoder().encode(e.l ?? '').byteLength;
  }
  return n;
}
