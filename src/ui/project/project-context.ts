import type { ContextEntry, ContextSource } from '../../build/index.ts';
import { TabdockError } from '../../shared/errors.ts';
import { parentDirs, projectPath } from './project-path.ts';

/** One file of the files panel's project, as stored. */
export interface ProjectFile {
  /** A project path (project-path.ts). */
  path: string;
  bytes: Uint8Array;
  /** Permission bits: 0o644, or 0o755 for an executable. */
  mode: number;
  /** Milliseconds since the epoch (not counted by the build cache, as in Docker). */
  mtime: number;
}

const DIR_MODE = 0o755;

/**
 * The project as a build context (the contract of build/context.ts), over a snapshot of
 * its files taken now: edits made while a build runs do not change what it reads.
 * Directories are implied by the paths (mode 0755, the mtime of the newest file under
 * them); everything is owned by 0:0, as a context sent by the docker CLI is (it resets
 * uid/gid); file modes and mtimes are as stored (COPY keeps the mtime; the cache key
 * does not count it).
 * `''` and `.` are the root.
 */
export function projectContext(files: readonly ProjectFile[]): ContextSource {
  const entries = new Map<string, ContextEntry>();
  const bytes = new Map<string, Uint8Array>();
  const children = new Map<string, ContextEntry[]>([['', []]]);
  const add = (e: ContextEntry) => {
    entries.set(e.path, e);
    const parent = e.path.includes('/') ? e.path.slice(0, e.path.lastIndexOf('/')) : '';
    children.get(parent)!.push(e);
    if (e.type === 'dir') children.set(e.path, []);
  };
  const root: ContextEntry = { path: '', type: 'dir', mode: DIR_MODE, uid: 0, gid: 0, size: 0, mtime: 0 };
  for (const f of files) {
    for (const d of parentDirs(f.path)) {
      const e = entries.get(d);
      if (e?.type === 'file') throw conflict(f.path, d);
      if (!e) add({ path: d, type: 'dir', mode: DIR_MODE, uid: 0, gid: 0, size: 0, mtime: 0 });
    }
    if (entries.has(f.path)) throw conflict(f.path, f.path);
    add({ path: f.path, type: 'file', mode: f.mode & 0o7777, uid: 0, gid: 0, size: f.bytes.length, mtime: f.mtime });
    bytes.set(f.path, f.bytes);
    // A folder that is only implied is as new as the newest file under it.
    for (const d of [root, ...parentDirs(f.path).map((p) => entries.get(p)!)]) d.mtime = Math.max(d.mtime!, f.mtime);
  }
  return {
    list: async (dir) => [...(children.get(key(dir) ?? '\0') ?? [])],
    stat: async (p) => {
      const k = key(p);
      return k === '' ? root : k === undefined ? undefined : entries.get(k);
    },
    read: async (p) => {
      const b = bytes.get(key(p) ?? '');
      if (!b) throw new TabdockError('NO_SUCH_PATH', `"${p}": no such file in the files panel's project`, { path: p });
      return b;
    },
  };
}

/** A path as the map keys it (`./a/` is `a`, the root is ''); undefined for one outside the project. */
function key(p: string): string | undefined {
  if (p === '' || p === '.' || p === '/' || p === './') return '';
  try {
    return projectPath(p);
  } catch {
    return undefined;
  }
}

function conflict(path: string, other: string): TabdockError {
  return new TabdockError('CONFLICT', path === other ? `the project holds ${path} twice` : `the project holds both a file ${other} and ${path} under it`, { path, file: other });
}
