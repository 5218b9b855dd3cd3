import { openDB, type IDBPDatabase } from 'idb';
import type { ContextSource } from '../../build/index.ts';
import { TabdockError } from '../../shared/errors.ts';
import { exampleProject } from './example-project.ts';
import { projectContext, type ProjectFile } from './project-context.ts';
import { checkPlace, projectPath } from './project-path.ts';

/** The project's own database, apart from the engine's (`tabdock-*`, which Reset deletes). */
export const PROJECT_DB = 'tabdock-project';
const VERSION = 1;
/** What the panel keeps at most: a build context is sent whole, and IndexedDB is shared with the images. */
export const MAX_PROJECT_BYTES = 64 * 1024 * 1024;

type Db = IDBPDatabase<unknown>;

/** A file to add: its bytes, and a mode when known (else guessed from the content). */
export interface NewFile {
  path: string;
  bytes: Uint8Array;
  mode?: number;
  mtime?: number;
}

/**
 * The files panel's project in IndexedDB (object store `files`, keyed by path; `meta`
 * remembers that the example was given once, so a project emptied on purpose stays
 * empty). Reads come from memory; every change is written through at once and announced
 * to this page (`onChange`) and to the page's other tabs (a BroadcastChannel, on which
 * they read the store again).
 */
export class ProjectStore {
  private readonly files = new Map<string, ProjectFile>();
  private readonly listeners = new Set<() => void>();
  private readonly channel: BroadcastChannel | undefined;
  private readonly inflight = new Set<Promise<void>>();

  private constructor(private readonly db: Db, name: string) {
    this.channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(`${name}-changes`) : undefined;
    this.channel?.addEventListener('message', () => void this.reload());
  }

  /** Opens (creating) the project; a database never seeded gets the example project. */
  static async open(name = PROJECT_DB): Promise<ProjectStore> {
    const db: Db = await openDB(name, VERSION, {
      upgrade(db) {
        db.createObjectStore('files', { keyPath: 'path' });
        db.createObjectStore('meta');
      },
      blocking() {
        db.close();
      },
    });
    const tx = db.transaction(['files', 'meta'], 'readwrite');
    if (!(await tx.objectStore('meta').get('seeded'))) {
      for (const f of exampleProject()) await tx.objectStore('files').put(f);
      await tx.objectStore('meta').put(true, 'seeded');
    }
    await tx.done;
    const s = new ProjectStore(db, name);
    await s.reload(false);
    return s;
  }

  dispose(): void {
    this.channel?.close();
    this.db.close();
  }

  /** Called after every change (this tab's or another's); returns the unsubscribe function. */
  onChange(f: () => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  /** The files, by path. */
  list(): ProjectFile[] {
    return [...this.files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  get(path: string): ProjectFile | undefined {
    return this.files.get(path);
  }

  get totalBytes(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.bytes.length;
    return n;
  }

  /** The project as a build context: a snapshot of the files once the changes under way are stored. */
  async context(): Promise<ContextSource> {
    await this.settled();
    return projectContext([...this.files.values()]);
  }

  /** Resolves when every change begun so far has been stored (or failed). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Writes a file's new content (an edit in the panel), keeping its mode. */
  async write(path: string, bytes: Uint8Array): Promise<void> {
    const f = this.files.get(path);
    await this.add([{ path, bytes, ...(f ? { mode: f.mode } : {}) }]);
  }

  /**
   * Adds files (replacing those of the same paths) in one transaction: all or none. A
   * mode not given is 0755 for what looks executable (`#!` or an ELF header; a dropped
   * file's mode is not known to the page), else 0644. Resolves with the files' paths
   * as the project names them.
   */
  async add(files: readonly NewFile[]): Promise<string[]> {
    const now = Date.now();
    const next = new Map(this.files);
    const put: ProjectFile[] = [];
    for (const n of files) {
      const path = projectPath(n.path);
      checkPlace(next.keys(), path);
      const f: ProjectFile = { path, bytes: n.bytes, mode: (n.mode ?? guessMode(n.bytes)) & 0o7777, mtime: n.mtime ?? now };
      next.set(path, f);
      put.push(f);
    }
    this.checkSize(next);
    await this.commit(put, []);
    return put.map((f) => f.path);
  }

  /** Renames a file (resolves with its new path); refuses a name taken by another file or a folder. */
  async rename(from: string, to: string): Promise<string> {
    const f = this.mustGet(from);
    const path = projectPath(to);
    if (path === from) return path;
    if (this.files.has(path)) throw new TabdockError('CONFLICT', `cannot rename ${from} to ${path}: ${path} exists; delete it first`, { path, file: path });
    checkPlace(this.files.keys(), path, from);
    await this.commit([{ ...f, path, mtime: Date.now() }], [from]);
    return path;
  }

  async remove(path: string): Promise<void> {
    this.mustGet(path);
    await this.commit([], [path]);
  }

  /** Sets the executable bits (0755) or clears them (0644). */
  async setExecutable(path: string, on: boolean): Promise<void> {
    const f = this.mustGet(path);
    await this.commit([{ ...f, mode: on ? f.mode | 0o111 : f.mode & ~0o111, mtime: Date.now() }], []);
  }

  /** Deletes every file (the project stays empty after a reload). */
  async clear(): Promise<void> {
    await this.commit([], [...this.files.keys()]);
  }

  private mustGet(path: string): ProjectFile {
    const f = this.files.get(path);
    if (!f) throw new TabdockError('NO_SUCH_PATH', `${path}: no such file in the project`, { path });
    return f;
  }

  private checkSize(next: Map<string, ProjectFile>): void {
    let n = 0;
    for (const f of next.values()) n += f.bytes.length;
    if (n > MAX_PROJECT_BYTES) {
      const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
      throw new TabdockError('STORE_FULL', `the project would hold ${mib(n)}, over the ${mib(MAX_PROJECT_BYTES)} the files panel keeps: add fewer files, or delete some first`, { bytes: n, limit: MAX_PROJECT_BYTES });
    }
  }

  /** Writes in one transaction, then updates the files in memory (transactions on one store complete in the order begun). */
  private commit(put: ProjectFile[], del: string[]): Promise<void> {
    const done = this.store(put, del);
    this.inflight.add(done);
    const forget = () => void this.inflight.delete(done);
    done.then(forget, forget);
    return done;
  }

  private async store(put: ProjectFile[], del: string[]): Promise<void> {
    const tx = this.db.transaction('files', 'readwrite');
    const store = tx.objectStore('files');
    await Promise.all([...del.map((p) => store.delete(p)), ...put.map((f) => store.put(f)), tx.done]);
    for (const p of del) this.files.delete(p);
    for (const f of put) this.files.set(f.path, f);
    this.channel?.postMessage('changed');
    this.emit();
  }

  /** Reads every file again (another tab changed them). */
  private async reload(emit = true): Promise<void> {
    const all = (await this.db.getAll('files')) as ProjectFile[];
    this.files.clear();
    for (const f of all) this.files.set(f.path, f);
    if (emit) this.emit();
  }

  private emit(): void {
    for (const f of this.listeners) f();
  }
}

/** 0755 for a script (`#!`) or an ELF binary, else 0644. */
export function guessMode(bytes: Uint8Array): number {
  const script = bytes[0] === 0x23 && bytes[1] === 0x21;
  const elf = bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  return script || elf ? 0o755 : 0o644;
}
