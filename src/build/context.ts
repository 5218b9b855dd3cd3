/**
 * The build context behind a small interface (a directory in Node, a tar on stdin, the
 * page's files panel all provide it), and its walk filtered by .dockerignore as BuildKit's
 * file sync (tonistiigi/fsutil filter.go) walks it.
 */
import { PatternMatcher, type ParentMatches } from './dockerignore.ts';

export type EntryType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo';

/** What the cache key of a COPY counts of a file (cache/contenthash). mtime is not counted. */
export interface ContextEntry {
  /** Relative to the context root, `/`-separated, no leading `./`. */
  path: string;
  type: EntryType;
  /** Permission bits with setuid/setgid/sticky (07777). */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of a regular file; 0 for the rest. */
  size: number;
  /** A symlink's target. */
  linkname?: string;
  /** A device's numbers. */
  devmajor?: number;
  devminor?: number;
  /** Modification time in ms (kept on copied files; not counted by the cache key). */
  mtime?: number;
  /** Extended attributes, name -> value. */
  xattrs?: Readonly<Record<string, Uint8Array>>;
}

/** A build context. Implementations list a directory's entries, read files, stat a path. */
export interface ContextSource {
  /** The entries directly inside `dir` ('' is the root), in any order. */
  list(dir: string): Promise<ContextEntry[]>;
  /** A regular file's bytes. */
  read(path: string): Promise<Uint8Array>;
  /** One entry, undefined when there is none. */
  stat(path: string): Promise<ContextEntry | undefined>;
}

/** Go's lexical (byte) order of names, which WalkDir visits in. */
function byName(a: ContextEntry, b: ContextEntry): number {
  const x = a.path.slice(a.path.lastIndexOf('/') + 1);
  const y = b.path.slice(b.path.lastIndexOf('/') + 1);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The context's entries that .dockerignore keeps, depth-first in name order, each
 * directory before what is in it. An excluded directory is walked only when some
 * exception exists (something inside may be re-included); a re-included entry brings its
 * excluded parent directories first.
 */
export async function* walkContext(src: ContextSource, patterns: readonly string[]): AsyncGenerator<ContextEntry> {
  const pm = new PatternMatcher(patterns);
  // Excluded directories on the current path, each emitted at most once when something
  // inside is kept.
  type Held = { entry: ContextEntry; emitted: boolean };
  async function* walk(dir: string, parentInfo: ParentMatches | undefined, held: Held[]): AsyncGenerator<ContextEntry> {
    const entries = (await src.list(dir)).sort(byName);
    for (const e of entries) {
      const { excluded, info } = pm.matchesWithParent(e.path, parentInfo);
      if (excluded) {
        if (e.type === 'dir' && pm.exclusions) yield* walk(e.path, info, [...held, { entry: e, emitted: false }]);
        continue;
      }
      for (const h of held) {
        if (!h.emitted) {
          h.emitted = true;
          yield h.entry;
        }
      }
      yield e;
      if (e.type === 'dir') yield* walk(e.path, info, []);
    }
  }
  yield* walk('', undefined, []);
}
