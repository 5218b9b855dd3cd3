import {
  constants, lstatSync, statSync, mkdirSync, openSync, closeSync, writeSync, readSync, readdirSync, readlinkSync, fchmodSync, futimesSync, lutimesSync, symlinkSync, rmSync, type Stats,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { CopyEntry } from '../../engine/index.ts';
import { flagError, humanSize } from '../../docker-cli/index.ts';
import type { NodeCommand } from './command.ts';
import { tarIn, tarOut } from './cp-tar.ts';

/** docker's `splitCpArg`: `CONTAINER:PATH`, unless the argument is an absolute (local) path. */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const i = arg.indexOf(':');
  return i <= 0 ? { path: arg } : { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

/**
 * Where a copy lands (moby `archive.CopyInfoDestinationPath` and `PrepareArchiveCopy`): into
 * an existing directory under the source's name (its contents, for `SRC/.`), over an
 * existing file, or at DEST itself when nothing is there (a directory is created; a file
 * needs DEST not to end in `/`). Returns the target path or the sentence for the error.
 */
export function cpTarget(src: string, srcIsDir: boolean, dest: string, destKind: 'd' | 'f' | undefined): { target: string } | { error: string } {
  const contentsOnly = srcIsDir && /(^|\/)\.$/.test(src);
  if (destKind === 'd') return { target: contentsOnly ? dest : joinPath(dest, baseName(src)) };
  if (destKind === 'f') {
    if (srcIsDir) return { error: `cannot copy a directory to a file: ${dest}` };
    if (dest.endsWith('/')) return { error: `${dest} is not a directory` };
    return { target: dest };
  }
  if (!srcIsDir && dest.endsWith('/')) return { error: `no such directory: ${dest}` };
  return { target: dest.replace(/(.)\/+$/, '$1') };
}

function baseName(p: string): string {
  const parts = p.split('/').filter((x) => x !== '' && x !== '.');
  return parts.at(-1) ?? '/';
}

function joinPath(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}`;
}

function kindOf(st: Stats): 'f' | 'd' | 'l' | undefined {
  return st.isDirectory() ? 'd' : st.isFile() ? 'f' : st.isSymbolicLink() ? 'l' : undefined;
}

function hostStat(path: string, follow = false): Stats | undefined {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch {
    return undefined;
  }
}

/** The host tree at `root` as copy entries (files in 1 MiB pieces), parents first. */
async function* hostEntries(root: string, followLink: boolean): AsyncGenerator<CopyEntry> {
  const walk = function* (path: string, rel: string): Generator<CopyEntry> {
    const st = rel === '' && followLink ? statSync(path) : lstatSync(path);
    const kind = kindOf(st);
    if (!kind) return; // sockets, devices, fifos: docker cp skips what it cannot archive usefully
    const base = { path: rel, kind, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtimeMs / 1000 };
    if (kind === 'l') return yield { ...base, target: readlinkSync(path) };
    if (kind === 'd') {
      yield base;
      for (const name of readdirSync(path).sort()) yield* walk(join(path, name), rel ? `${rel}/${name}` : name);
      return;
    }
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(1 << 20);
      let offset = 0;
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, offset);
        if (n === 0 && offset > 0) break;
        yield { ...base, data: new Uint8Array(buf.subarray(0, n)), offset };
        offset += n;
        if (n === 0) break;
      }
    } finally {
      closeSync(fd);
    }
  };
  yield* walk(root, '');
}

/** Opens a new file for writing, never through a link (what was there was removed first). */
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Writes entries from a container under `target` on the host (no chown: docker cp's
 * NoLchown). As moby's `archive.Untar`: whatever is in the way is removed and made anew,
 * except a directory over a directory; nothing on the host side follows a link (a link a
 * first copy made must not let a second one write, chmod or touch outside the
 * destination): a file is created O_EXCL|O_NOFOLLOW after removal and kept open for all
 * its pieces, its mode and times set on the open file when it is complete; directory
 * times with lutimes. Only the destination itself may be a link the user chose (to a
 * directory), as `docker cp` resolves it.
 */
function hostWriter(target: string) {
  const dirTimes: [string, number][] = [];
  let bytes = 0;
  let file: { path: string; fd: number; mode: number; mtime: number } | undefined;
  const closeFile = () => {
    if (!file) return;
    const f = file;
    file = undefined;
    try {
      fchmodSync(f.fd, f.mode);
      futimesSync(f.fd, f.mtime, f.mtime);
    } finally {
      closeSync(f.fd);
    }
  };
  const clear = (path: string) => {
    const st = hostStat(path);
    if (st?.isDirectory()) throw new Error(`cannot overwrite directory "${path}" with non-directory`);
    if (st) rmSync(path);
  };
  return {
    write(e: CopyEntry): void {
      const path = e.path ? join(target, e.path) : target;
      if (file && (file.path !== path || e.kind !== 'f' || (e.offset ?? 0) === 0)) closeFile();
      if (e.kind === 'd') {
        let st = hostStat(path);
        if (st?.isSymbolicLink() && e.path === '' && hostStat(path, true)?.isDirectory()) st = hostStat(path, true);
        else if (st && !st.isDirectory()) {
          rmSync(path);
          st = undefined;
        }
        if (!st) mkdirSync(path);
        const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | (e.path === '' ? 0 : constants.O_NOFOLLOW));
        try {
          fchmodSync(fd, e.mode);
        } finally {
          closeSync(fd);
        }
        dirTimes.push([path, e.mtime]);
        return;
      }
      if (e.kind === 'l') {
        clear(path);
        symlinkSync(e.target ?? '', path);
        lutimesSync(path, e.mtime, e.mtime);
        return;
      }
      if (!file) {
        clear(path);
        file = { path, fd: openSync(path, CREATE, 0o600), mode: e.mode, mtime: e.mtime };
      }
      if (e.data?.byteLength) writeSync(file.fd, e.data, 0, e.data.byteLength, e.offset ?? 0);
      bytes += e.data?.byteLength ?? 0;
    },
    finish(): number {
      closeFile();
      for (const [p, t] of dirTimes.reverse()) lutimesSync(p, t, t);
      return bytes;
    },
    /** Closes a file left open by a copy that failed part-way. */
    abort(): void {
      if (file) closeSync(file.fd);
      file = undefined;
    },
  };
}

export const cp: NodeCommand = {
  name: 'cp',
  aliases: ['container cp'],
  usage: 'cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\ttabdock cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  description: 'Copy files/folders between a container and the local filesystem',
  flags: [
    { name: 'archive', short: 'a', type: 'bool', help: 'Archive mode (copy all uid/gid information)' },
    { name: 'follow-link', short: 'L', type: 'bool', help: 'Always follow symbol link in SRC_PATH' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached' },
  ],
  args: [2, 2],
  async run(p, { io, engine, stdinStream }) {
    const from = splitCpArg(p.args[0]!);
    const to = splitCpArg(p.args[1]!);
    if (from.container && to.container) throw flagError('copying between containers is not supported');
    if (!from.container && !to.container) throw flagError('must specify at least one container source');
    const fail = (msg: string) => {
      io.err(`${msg}\n`);
      return 1;
    };
    const api = await engine();
    const followLink = p.flags['follow-link'] === true;
    let bytes = 0;
    let shown: string;
    if (from.container && to.path === '-') {
      // A tar of the source on stdout, its entries under the source's base name.
      const src = from.path.startsWith('/') ? from.path : `/${from.path}`;
      const st = await api.statContainerPath(from.container, src, { followLink });
      if (!st) return fail(`Error response from daemon: Could not find the file ${src} in container ${from.container}`);
      const tar = tarOut(st.name === '/' ? '.' : st.name, (b) => io.out(b));
      await api.copyFromContainer(from.container, src, (e) => tar.write(e), { followLink });
      await tar.finish();
      return 0;
    }
    if (to.container && from.path === '-') {
      // A tar on stdin, extracted into the destination directory.
      if (!stdinStream) return fail('no stdin to read the archive from');
      const dest = to.path.startsWith('/') ? to.path : `/${to.path}`;
      const ds = await api.statContainerPath(to.container, dest, { followLink: true });
      if (!ds) return fail(`Error response from daemon: Could not find the file ${dest} in container ${to.container}`);
      if (ds.kind !== 'd') return fail(`Error response from daemon: extraction point is not a directory`);
      const it = tarIn(stdinStream, { mode: ds.mode, uid: 0, gid: 0, mtime: ds.mtime });
      await api.copyToContainer(to.container, dest, async () => (await it.next()).value ?? null, { keepOwner: p.flags['archive'] === true });
      return 0;
    }
    if (from.path === '-' || to.path === '-') throw flagError('"-" (a tar stream) goes with a container path on the other side');
    if (from.container) {
      const src = from.path.startsWith('/') ? from.path : `/${from.path}`;
      const st = await api.statContainerPath(from.container, src, { followLink });
      if (!st) return fail(`Error response from daemon: Could not find the file ${src} in container ${from.container}`);
      // The destination's links are followed (a link to a directory is that directory).
      const dest = hostStat(to.path, true);
      const where = cpTarget(src, st.kind === 'd', to.path, dest ? (dest.isDirectory() ? 'd' : 'f') : undefined);
      if ('error' in where) return fail(where.error);
      if (!hostStat(dirname(where.target))) return fail(`no such directory: ${dirname(where.target)}`);
      const w = hostWriter(where.target);
      try {
        await api.copyFromContainer(from.container, src, async (e) => w.write(e), { followLink });
      } catch (e) {
        w.abort();
        throw e;
      }
      bytes = w.finish();
      shown = to.path;
    } else {
      const st = hostStat(from.path, followLink);
      if (!st) return fail(`lstat ${from.path}: no such file or directory`);
      const dest = to.path.startsWith('/') ? to.path : `/${to.path}`;
      let ds = await api.statContainerPath(to.container!, dest);
      if (ds?.kind === 'l') ds = (await api.statContainerPath(to.container!, dest, { followLink: true })) ?? ds;
      const destKind = ds ? (ds.kind === 'd' ? 'd' : 'f') : undefined;
      const where = cpTarget(from.path, st.isDirectory(), dest, destKind);
      if ('error' in where) return fail(where.error);
      const it = hostEntries(from.path, followLink);
      await api.copyToContainer(to.container!, where.target, async () => {
        const r = await it.next();
        if (r.done) return null;
        bytes += r.value.data?.byteLength ?? 0;
        return r.value;
      }, { keepOwner: p.flags['archive'] === true });
      shown = `${to.container}:${to.path}`;
    }
    // docker prints this only to a terminal (cli/command/container/cp.go).
    if (io.isTTY && p.flags['quiet'] !== true) io.err(`Successfully copied ${humanSize(bytes, 4)} to ${shown}\n`);
    return 0;
  },
};
