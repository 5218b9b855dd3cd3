import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContextEntry, ContextSource, EntryType } from '../build/index.ts';
import { TabdockError } from '../shared/errors.ts';

/** `docker build DIR`: a directory as the build context, read as the builder asks (links not followed). */
export async function dirContext(root: string): Promise<ContextSource> {
  const st = await lstat(root).catch(() => undefined);
  if (!st) throw new TabdockError('CLI_ERROR', `unable to prepare context: path "${root}" not found`, { path: root });
  if (!st.isDirectory()) throw new TabdockError('CLI_ERROR', `unable to prepare context: context must be a directory: ${root}`, { path: root });
  const entry = async (path: string): Promise<ContextEntry | undefined> => {
    const s = await lstat(join(root, path)).catch(() => undefined);
    if (!s) return undefined;
    const type: EntryType | undefined = s.isFile() ? 'file' : s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : s.isCharacterDevice() ? 'char' : s.isBlockDevice() ? 'block' : s.isFIFO() ? 'fifo' : undefined;
    if (!type) return undefined; // sockets: not sent, as docker's tar leaves them out
    return {
      path, type, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, size: type === 'file' ? s.size : 0, mtime: s.mtimeMs,
      ...(type === 'symlink' ? { linkname: await readlink(join(root, path)) } : {}),
    };
  };
  return {
    async list(dir) {
      const names = await readdir(join(root, dir));
      const out: ContextEntry[] = [];
      for (const n of names) {
        const e = await entry(dir ? `${dir}/${n}` : n);
        if (e) out.push(e);
      }
      return out;
    },
    async read(path) {
      return new Uint8Array(await readFile(join(root, path)));
    },
    stat: (path) => entry(path),
  };
}
