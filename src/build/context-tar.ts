/**
 * The build context on the wire: the client walks its context (a directory, the page's
 * project, a tar on stdin) with .dockerignore applied and sends it as a tar, as the docker
 * CLI sends a context to the daemon; the builder reads that tar back into a context held
 * in memory. Entries keep their mode, owner and mtime (the cache key counts mode and
 * owner, cache-key.ts); paths never leave the context root.
 */
import { createTarDecoder, createTarPacker } from 'modern-tar';
import { TabdockError } from '../shared/errors.ts';
import { walkContext, type ContextEntry, type ContextSource, type EntryType } from './context.ts';
import { cleanPath } from './dockerignore.ts';

/** What a context may hold in memory; a larger one is refused before the build starts. */
export const MAX_CONTEXT_BYTES = 512 * 1024 * 1024;

const TAR_TYPE: Record<EntryType, 'file' | 'directory' | 'symlink' | 'character-device' | 'block-device' | 'fifo'> = {
  file: 'file', dir: 'directory', symlink: 'symlink', char: 'character-device', block: 'block-device', fifo: 'fifo',
};

/**
 * The context as a tar: every entry .dockerignore keeps, depth-first in name order. The
 * stream reads files as it goes. `onEntry` counts what was sent (the progress line).
 */
export function packContext(src: ContextSource, patterns: readonly string[], onEntry?: (e: ContextEntry) => void): ReadableStream<Uint8Array> {
  const { readable, controller } = createTarPacker();
  void (async () => {
    try {
      for await (const e of walkContext(src, patterns)) {
        onEntry?.(e);
        const name = e.type === 'dir' ? `${e.path}/` : e.path;
        const header = {
          name, type: TAR_TYPE[e.type], size: e.type === 'file' ? e.size : 0, mode: e.mode, uid: e.uid, gid: e.gid,
          mtime: new Date(e.mtime ?? 0),
          ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
        };
        const w = controller.add(header).getWriter();
        if (e.type === 'file' && e.size > 0) {
          const bytes = await src.read(e.path);
          if (bytes.byteLength !== e.size) throw new TabdockError('BUILD_CONTEXT_INVALID', `${e.path} changed while the context was being sent`, { path: e.path });
          await w.write(bytes);
        }
        await w.close();
      }
      controller.finalize();
    } catch (err) {
      controller.error(err);
    }
  })();
  return readable;
}

const FROM_TAR: Record<string, EntryType | undefined> = {
  file: 'file', directory: 'dir', symlink: 'symlink', 'character-device': 'char', 'block-device': 'block', fifo: 'fifo',
};

/** A context read from a tar, held in memory. */
export class MemoryContext implements ContextSource {
  private readonly entries = new Map<string, ContextEntry>();
  private readonly data = new Map<string, Uint8Array>();
  private readonly children = new Map<string, Set<string>>([['', new Set()]]);
  /** Bytes of the files held. */
  bytes = 0;

  /** Adds an entry (and, implied, its parent directories). */
  add(e: ContextEntry, data?: Uint8Array): void {
    const parts = e.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!this.entries.has(dir)) this.put({ path: dir, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0 });
    }
    const old = this.data.get(e.path);
    if (old) this.bytes -= old.byteLength;
    this.put(e);
    if (data) {
      this.data.set(e.path, data);
      this.bytes += data.byteLength;
    }
  }

  private put(e: ContextEntry): void {
    this.entries.set(e.path, e);
    const i = e.path.lastIndexOf('/');
    const parent = i < 0 ? '' : e.path.slice(0, i);
    let set = this.children.get(parent);
    if (!set) this.children.set(parent, (set = new Set()));
    set.add(e.path);
    if (e.type === 'dir' && !this.children.has(e.path)) this.children.set(e.path, new Set());
  }

  async list(dir: string): Promise<ContextEntry[]> {
    return [...(this.children.get(dir) ?? [])].map((p) => this.entries.get(p)!);
  }

  async read(path: string): Promise<Uint8Array> {
    const e = this.entries.get(path);
    if (!e || e.type !== 'file') throw new TabdockError('NO_SUCH_PATH', `"${path}": not found in the build context`, { path });
    return this.data.get(path) ?? new Uint8Array(0);
  }

  async stat(path: string): Promise<ContextEntry | undefined> {
    return path === '' ? { path: '', type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0 } : this.entries.get(path);
  }
}

/**
 * Reads a context tar pulled with `next` into memory. Refuses an entry whose path leaves
 * the root, a hard link (a context has none: the CLI sends files), and a context larger
 * than `maxBytes`.
 */
export async function contextFromTar(next: () => Promise<Uint8Array | null | undefined>, maxBytes = MAX_CONTEXT_BYTES): Promise<MemoryContext> {
  const ctx = new MemoryContext();
  const { readable, writable } = createTarDecoder();
  const w = writable.getWriter();
  const feed = (async () => {
    for (let c = await next(); c; c = await next()) await w.write(c);
    await w.close();
  })();
  feed.catch(() => {});
  const reader = readable.getReader();
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      const { header, body } = r.value;
      const bytes = new Uint8Array(await new Response(body).arrayBuffer());
      const raw = header.name.replace(/\/+$/, '');
      const path = cleanPath(raw.replace(/^\/+/, ''));
      if (path === '.' || path === '') continue;
      if (path === '..' || path.startsWith('../')) throw new TabdockError('BUILD_CONTEXT_INVALID', `the build context holds ${header.name}, a path outside it`, { path: header.name });
      const type = FROM_TAR[header.type ?? 'file'];
      if (!type) throw new TabdockError('BUILD_CONTEXT_INVALID', `the build context holds ${header.name}, a ${header.type} entry (only files, directories, links and devices can be sent)`, { path: header.name });
      if (ctx.bytes + bytes.byteLength > maxBytes) {
        throw new TabdockError('BUILD_CONTEXT_TOO_LARGE', `the build context is larger than ${maxBytes >> 20} MiB, which is what a build can hold; leave what the image does not need out with .dockerignore`, { maxBytes });
      }
      ctx.add({
        path, type, mode: (header.mode ?? (type === 'dir' ? 0o755 : 0o644)) & 0o7777, uid: header.uid ?? 0, gid: header.gid ?? 0,
        size: type === 'file' ? bytes.byteLength : 0, mtime: header.mtime ? header.mtime.getTime() : 0,
        ...(type === 'symlink' ? { linkname: header.linkname ?? '' } : {}),
      }, type === 'file' ? bytes : undefined);
    }
    await feed;
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e;
  }
  return ctx;
}
