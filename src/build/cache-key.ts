/**
 * Cache keys. A COPY/ADD source's checksum counts what BuildKit's cache/contenthash
 * counts: per file a sha256 over the tarsum v1 header fields (mode, uid, gid, size, type,
 * link target, device numbers, xattrs but security.* other than security.capability and
 * system.*) then the content; mtime and the name are not counted. A directory hashes a
 * "\0" record with its own header digest, then "\0<name>" and the digest of each child in
 * byte order (the context root's header is the empty digest, as BuildKit fakes it). The
 * digests of files, directories and globs are BuildKit's own (checked against its tests).
 * A step key hashes the parent key, the instruction after expansion and, for COPY/ADD,
 * the source checksums.
 */
import { createSHA256 } from 'hash-wasm';
import type { ContextEntry, ContextSource } from './context.ts';
import { walkContext } from './context.ts';
import { cleanPath, PatternMatcher } from './dockerignore.ts';
import type { Instruction } from './instructions.ts';
import { TabdockError } from '../shared/errors.ts';

export interface Hasher {
  update(data: Uint8Array | string): void;
  /** `sha256:<hex>` */
  digest(): string;
}
/** A fresh sha256; hash-wasm by default, injectable (Node may pass OpenSSL's). */
export type HasherFactory = () => Promise<Hasher>;

// hash-wasm instances are costly to make (a WebAssembly instance each, ~3 ms here) and a
// checksum needs one per file; finished ones are kept for reuse.
const idle: Awaited<ReturnType<typeof createSHA256>>[] = [];

export const hashWasmSha256: HasherFactory = async () => {
  const h = idle.pop() ?? (await createSHA256());
  h.init();
  return {
    update: (d) => void h.update(d),
    digest: () => {
      const hex = h.digest('hex');
      idle.push(h);
      return 'sha256:' + hex;
    },
  };
};

const EMPTY_DIGEST = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const utf8 = new TextEncoder();
const TYPEFLAG: Record<ContextEntry['type'], string> = { file: '0', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

/** The tarsum v1 header BuildKit hashes before a file's content (cache/contenthash/tarsum.go). */
export function tarsumHeader(e: ContextEntry): Uint8Array {
  const xattrs = Object.keys(e.xattrs ?? {})
    .filter((k) => k === 'security.capability' || (!k.startsWith('security.') && !k.startsWith('system.')))
    .sort();
  const size = e.type === 'file' ? e.size : 0;
  const dev = e.type === 'char' || e.type === 'block';
  // A symlink's mode is counted as 0777 whatever lstat says (contenthash/filehash.go).
  const mode = e.type === 'symlink' ? 0o777 | (e.mode & 0o7000) : e.mode & 0o7777;
  let s = 'name' + 'mode' + mode + 'uid' + e.uid + 'gid' + e.gid + 'size' + size + 'typeflag' + TYPEFLAG[e.type];
  s += 'linkname' + (e.type === 'symlink' ? (e.linkname ?? '') : '') + 'uname' + 'gname';
  s += 'devmajor' + (dev ? (e.devmajor ?? 0) : 0) + 'devminor' + (dev ? (e.devminor ?? 0) : 0);
  const parts: Uint8Array[] = [utf8.encode(s)];
  for (const k of xattrs) parts.push(utf8.encode(k), e.xattrs![k]!);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** One entry's digest: its header, then a regular file's bytes. A directory's is its header only. */
export async function entryDigest(e: ContextEntry, content: Uint8Array | undefined, hasher: HasherFactory = hashWasmSha256): Promise<string> {
  const h = await hasher();
  h.update(tarsumHeader(e));
  if (e.type === 'file' && content && content.length > 0) h.update(content);
  return h.digest();
}

const childName = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const byBytes = (a: string, b: string) => compareBytes(utf8.encode(a), utf8.encode(b));
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * The checksum of one path in the context as BuildKit's Checksum with FollowLinks: a
 * symlink named as the source is followed (inside the context), one inside a directory
 * is hashed as a link. '' or '.' is the context root.
 */
export async function pathChecksum(src: ContextSource, path: string, hasher: HasherFactory = hashWasmSha256): Promise<string> {
  let p = cleanPath(path.replace(/^\/+/, ''));
  for (let hops = 0; ; hops++) {
    if (p === '.') return dirChecksum(src, '', EMPTY_DIGEST, hasher);
    const e = await src.stat(p);
    if (!e) throw new TabdockError('NO_SUCH_PATH', `"${path}": not found`, { path });
    if (e.type === 'symlink' && hops < 255) {
      const target = e.linkname ?? '';
      p = cleanPath(target.startsWith('/') ? target.slice(1) : `${p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '.'}/${target}`);
      if (p.startsWith('..')) p = cleanPath(p.replace(/^(\.\.\/?)+/, '')); // cannot leave the context
      continue;
    }
    return e.type === 'dir' ? dirChecksum(src, e.path, await entryDigest(e, undefined, hasher), hasher) : entryDigest(e, e.type === 'file' ? await src.read(e.path) : undefined, hasher);
  }
}

async function dirChecksum(src: ContextSource, dir: string, header: string, hasher: HasherFactory): Promise<string> {
  const h = await hasher();
  h.update('\0');
  h.update(header);
  const children = (await src.list(dir)).sort((a, b) => byBytes(childName(a.path), childName(b.path)));
  for (const c of children) {
    h.update('\0' + childName(c.path));
    if (c.type === 'dir') h.update(await dirChecksum(src, c.path, await entryDigest(c, undefined, hasher), hasher));
    else h.update(await entryDigest(c, c.type === 'file' ? await src.read(c.path) : undefined, hasher));
  }
  return h.digest();
}

const GLOB = /[*?[\\]/;

/**
 * The checksum of a COPY/ADD source as written (`.`, `dir/`, `*.go`), as BuildKit's
 * Checksum with FollowLinks (and Wildcard for a glob). A path without glob characters is
 * pathChecksum. A glob (Go's path.Match per component) lists every match with what is
 * under it: a matched directory its header digest, then each entry under it depth-first
 * by name (directories by header, links not followed), a matched link followed. One
 * entry named like the pattern is that entry's digest; otherwise a hash of each entry's
 * path (below the pattern's fixed prefix, `/` as NUL) and digest. No match is the empty
 * digest (the COPY itself then fails on the missing source).
 */
export async function sourceChecksum(src: ContextSource, source: string, hasher: HasherFactory = hashWasmSha256): Promise<string> {
  const clean = cleanPath(source.replace(/^\/+/, ''));
  if (!GLOB.test(clean)) return pathChecksum(src, clean, hasher);
  const included: [string, string][] = [];
  const under = async (dir: string): Promise<void> => {
    const children = (await src.list(dir)).sort((a, b) => byBytes(childName(a.path), childName(b.path)));
    for (const c of children) {
      included.push([c.path, await entryDigest(c, c.type === 'file' ? await src.read(c.path) : undefined, hasher)]);
      if (c.type === 'dir') await under(c.path);
    }
  };
  for (const m of await globContext(src, clean)) {
    const e = (await src.stat(m))!;
    if (e.type === 'dir') {
      included.push([m, await entryDigest(e, undefined, hasher)]);
      await under(m);
    } else included.push([m, await pathChecksum(src, m, hasher)]);
  }
  if (included.length === 0) return EMPTY_DIGEST;
  if (included.length === 1 && childName(included[0]![0]) === childName(clean)) return included[0]![1];
  const parts = clean.split('/');
  const fixed = parts.slice(0, parts.findIndex((x) => GLOB.test(x))).join('/');
  const h = await hasher();
  for (const [path, digest] of included) {
    h.update(('/' + (fixed ? path.slice(fixed.length + 1) : path)).replace(/\//g, '\0'));
    h.update(digest);
  }
  return h.digest();
}

/** Context paths matching a pattern component by component (Go path.Match: `*` stays within a name). */
export async function globContext(src: ContextSource, pattern: string): Promise<string[]> {
  const parts = pattern.split('/');
  let current = [''];
  for (const [i, part] of parts.entries()) {
    const next: string[] = [];
    for (const dir of current) {
      if (!GLOB.test(part)) {
        const p = dir ? `${dir}/${part}` : part;
        const e = await src.stat(p);
        if (e && (i === parts.length - 1 || e.type === 'dir')) next.push(p);
        continue;
      }
      const re = componentRegex(part);
      for (const e of await src.list(dir)) if (re.test(childName(e.path)) && (i === parts.length - 1 || e.type === 'dir')) next.push(e.path);
    }
    current = next;
  }
  // BuildKit's key order: by path with `/` below every other byte.
  return current.sort((a, b) => byBytes(a.replace(/\//g, '\0'), b.replace(/\//g, '\0')));
}

function componentRegex(part: string): RegExp {
  let re = '^';
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '\\' && i + 1 < part.length) re += '\\' + part[++i];
    else if (c === '[') {
      const end = part.indexOf(']', i + 2);
      if (end < 0) throw new TabdockError('DOCKERFILE_INVALID', `syntax error in pattern: ${part}`, { pattern: part });
      let cls = part.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = '^' + cls.slice(1);
      re += '[' + cls.replace(/\\(?!.)/g, '\\\\') + ']';
      i = end;
    } else re += c.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  return new RegExp(re + '$', 's');
}

/**
 * The context with .dockerignore applied, as the builder sees it: only what the walk keeps
 * is listed or stat-able; reads go to the source.
 */
export async function filterContext(src: ContextSource, patterns: readonly string[]): Promise<ContextSource> {
  new PatternMatcher(patterns); // refuse a bad .dockerignore before walking
  const kept = new Map<string, ContextEntry>();
  for await (const e of walkContext(src, patterns)) kept.set(e.path, e);
  const parentOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
  const children = new Map<string, ContextEntry[]>();
  for (const e of kept.values()) children.set(parentOf(e.path), [...(children.get(parentOf(e.path)) ?? []), e]);
  return {
    list: async (dir) => [...(children.get(dir) ?? [])],
    stat: async (p) => kept.get(p),
    read: async (p) => {
      if (!kept.has(p)) throw new TabdockError('NO_SUCH_PATH', `"${p}": not found in the build context`, { path: p });
      return src.read(p);
    },
  };
}

/** The instruction as the key sees it: expanded, without where it sits in the file. */
export function instructionKeyText(ins: Instruction): string {
  const { line: _l, endLine: _e, original: _o, ...rest } = ins;
  return canonicalJSON(rest);
}

function canonicalJSON(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(canonicalJSON).join(',') + ']';
  if (v && typeof v === 'object') {
    return '{' + Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => JSON.stringify(k) + ':' + canonicalJSON((v as Record<string, unknown>)[k])).join(',') + '}';
  }
  return JSON.stringify(v);
}

export interface StepKeyInput {
  /** The previous step's key, or the base image's config digest (or 'scratch'). */
  parent: string;
  /** The expanded instruction (instructionKeyText of it). */
  instruction: Instruction;
  /** RUN: the stage's variables it runs with (ARGs and ENV, not the proxy ARGs). */
  env?: readonly string[];
  /** COPY/ADD: the checksum of each source, in order (sourceChecksum), and of each heredoc body. */
  sources?: readonly string[];
  /** Anything else the result depends on (the target platform, a COPY --from stage's key). */
  extra?: Readonly<Record<string, string>>;
}

/** A step's cache key: reused when parent, instruction, environment and sources all match. */
export async function stepKey(k: StepKeyInput, hasher: HasherFactory = hashWasmSha256): Promise<string> {
  const h = await hasher();
  h.update(canonicalJSON({ parent: k.parent, instruction: instructionKeyText(k.instruction), env: k.env ?? [], sources: k.sources ?? [], extra: k.extra ?? {} }));
  return h.digest();
}
