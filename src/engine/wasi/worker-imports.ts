/**
 * Our layer over browser_wasi_shim's `wasi_snapshot_preview1` imports (worker side): it
 * journals every change of the tree for the engine, and fixes or fills what the shim
 * (0.4.2) gets wrong or lacks. Each fix says what the shim does.
 */
import { Directory, File, OpenFile, WASIProcExit, type Fd, type Inode, type WASI, wasi } from '@bjorn3/browser_wasi_shim';
import { canShareMemory } from './stdin-channel.ts';
import { exitCodeForProcess } from '../spec/exit-codes.ts';
import { OutFd, type Journal, type StdinFd } from './worker-fs.ts';

/** Thrown (out of the module) when its memory grows past `--memory`. */
export class MemoryLimitExceeded extends Error {}

export interface LayerOptions {
  journal: Journal;
  stdin: StdinFd;
  readOnly: boolean;
  memoryLimit?: number;
}

type Fn = (...args: never[]) => unknown;
const RIGHTS_FD_WRITE = BigInt(wasi.RIGHTS_FD_WRITE);
const SUBSCRIPTION = 48;
const EVENT = 32;

/** Splits a path relative to a directory fd as the shim resolves it: parent path and last name. */
export function splitPath(path: string): { parent: string; name: string } | undefined {
  const parts: string[] = [];
  for (const c of path.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (parts.pop() === undefined) return undefined;
    } else parts.push(c);
  }
  const name = parts.pop();
  return name === undefined ? undefined : { parent: parts.join('/'), name };
}

export function layerImports(w: WASI, o: LayerOptions): void {
  const imp = w.wasiImport as Record<string, Fn>;
  const orig = { ...imp } as Record<string, (...a: unknown[]) => number>;
  const j = o.journal;
  const memory = () => w.inst.exports.memory.buffer;
  const text = (ptr: number, len: number) => new TextDecoder().decode(new Uint8Array(memory(), ptr, len));
  const fd = (n: number): Fd | undefined => w.fds[n];
  const lookup = (dirfd: number, path: string): Inode | undefined => fd(dirfd)?.path_lookup(path, 0).inode_obj ?? undefined;
  /** The directory and name a path names, and what is there now. */
  const place = (dirfd: number, path: string) => {
    const s = splitPath(path);
    if (!s) return undefined;
    const dir = lookup(dirfd, s.parent);
    return dir instanceof Directory ? { dir, name: s.name, entry: dir.contents.get(s.name) } : undefined;
  };
  const rofs = () => wasi.ERRNO_ROFS;

  imp['path_open'] = (dirfd: number, dirflags: number, ptr: number, len: number, oflags: number, base: bigint, inh: bigint, fdflags: number, out: number) => {
    const path = text(ptr, len);
    const before = lookup(dirfd, path);
    if (o.readOnly && (oflags & wasi.OFLAGS_TRUNC || (oflags & wasi.OFLAGS_CREAT && !before) || (before instanceof File && BigInt(base) & RIGHTS_FD_WRITE))) return rofs();
    const ret = orig['path_open']!(dirfd, dirflags, ptr, len, oflags, base, inh, fdflags, out);
    if (ret !== wasi.ERRNO_SUCCESS) return ret;
    if (!before) {
      const p = place(dirfd, path);
      if (p?.entry) j.created(p.entry, p.dir, p.name);
    } else if (before instanceof File && oflags & wasi.OFLAGS_TRUNC) j.resized(before);
    return ret;
  };

  imp['path_create_directory'] = (dirfd: number, ptr: number, len: number) => {
    if (o.readOnly) return rofs();
    const ret = orig['path_create_directory']!(dirfd, ptr, len);
    const p = ret === wasi.ERRNO_SUCCESS ? place(dirfd, text(ptr, len)) : undefined;
    if (p?.entry) j.created(p.entry, p.dir, p.name);
    return ret;
  };

  const unlinker = (name: 'path_unlink_file' | 'path_remove_directory') => (dirfd: number, ptr: number, len: number) => {
    if (o.readOnly) return rofs();
    const p = place(dirfd, text(ptr, len));
    j.flush(p?.entry);
    const ret = orig[name]!(dirfd, ptr, len);
    const parent = j.idOf(p?.dir);
    if (ret === wasi.ERRNO_SUCCESS && p && parent !== undefined) j.send({ op: 'unlink', parent, name: p.name, dir: name === 'path_remove_directory' });
    return ret;
  };
  imp['path_unlink_file'] = unlinker('path_unlink_file');
  imp['path_remove_directory'] = unlinker('path_remove_directory');

  imp['path_rename'] = (ofd: number, optr: number, olen: number, nfd: number, nptr: number, nlen: number) => {
    if (o.readOnly) return rofs();
    const from = place(ofd, text(optr, olen));
    const to = place(nfd, text(nptr, nlen));
    j.flush(from?.entry);
    j.flush(to?.entry);
    const ret = orig['path_rename']!(ofd, optr, olen, nfd, nptr, nlen);
    const [a, b] = [j.idOf(from?.dir), j.idOf(to?.dir)];
    if (ret === wasi.ERRNO_SUCCESS && from && to && a !== undefined && b !== undefined) j.send({ op: 'rename', from: a, fromName: from.name, to: b, toName: to.name });
    return ret;
  };

  imp['path_link'] = (ofd: number, oflags: number, optr: number, olen: number, nfd: number, nptr: number, nlen: number) => {
    if (o.readOnly) return rofs();
    const src = lookup(ofd, text(optr, olen));
    const ret = orig['path_link']!(ofd, oflags, optr, olen, nfd, nptr, nlen);
    const to = ret === wasi.ERRNO_SUCCESS ? place(nfd, text(nptr, nlen)) : undefined;
    const [id, parent] = [j.idOf(src), j.idOf(to?.dir)];
    if (to && id !== undefined && parent !== undefined) j.send({ op: 'link', id, parent, name: to.name });
    return ret;
  };

  imp['fd_write'] = (n: number, iovs: number, count: number, nwritten: number) => {
    const f = fd(n);
    // stdout/stderr: all of a writev in one message (the shim makes one write per iovec).
    if (f instanceof OutFd) {
      const v = new DataView(memory());
      const parts = Array.from({ length: count }, (_, i) => new Uint8Array(memory(), v.getUint32(iovs + i * 8, true), v.getUint32(iovs + i * 8 + 4, true)));
      const data = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
      parts.reduce((at, p) => (data.set(p, at), at + p.length), 0);
      v.setUint32(nwritten, f.fd_write(data).nwritten, true);
      return wasi.ERRNO_SUCCESS;
    }
    if (!(f instanceof OpenFile)) return orig['fd_write']!(n, iovs, count, nwritten);
    const at = Number(f.file_pos);
    const ret = orig['fd_write']!(n, iovs, count, nwritten);
    if (ret === wasi.ERRNO_SUCCESS) j.wrote(f.file, at, Number(f.file_pos));
    return ret;
  };

  imp['fd_pwrite'] = (n: number, iovs: number, count: number, offset: bigint, nwritten: number) => {
    const ret = orig['fd_pwrite']!(n, iovs, count, offset, nwritten);
    const f = fd(n);
    if (ret === wasi.ERRNO_SUCCESS && f instanceof OpenFile) j.wrote(f.file, Number(offset), Number(offset) + new DataView(memory()).getUint32(nwritten, true));
    return ret;
  };

  for (const name of ['fd_filestat_set_size', 'fd_allocate'] as const) {
    imp[name] = (n: number, a: bigint, b?: bigint) => {
      const f = fd(n);
      if (o.readOnly && f instanceof OpenFile) return rofs();
      const ret = orig[name]!(n, a, b);
      if (ret === wasi.ERRNO_SUCCESS && f instanceof OpenFile) j.resized(f.file);
      return ret;
    };
  }

  for (const name of ['fd_close', 'fd_sync', 'fd_datasync'] as const) {
    imp[name] = (n: number) => {
      const f = fd(n);
      if (f instanceof OpenFile) j.flush(f.file);
      return orig[name]!(n);
    };
  }

  // The shim writes a filestat's times at offsets 38/46/52 instead of 40/48/56 (clobbering
  // the top of `size` and leaving 4 bytes of ctim unwritten) and reports nlink 0.
  const writeStat = (ptr: number, s: wasi.Filestat, node: Inode | undefined) => {
    const v = new DataView(memory());
    const t = (node && j.times.get(node)) ?? 0n;
    v.setBigUint64(ptr, s.dev, true);
    v.setBigUint64(ptr + 8, s.ino, true);
    v.setUint8(ptr + 16, s.filetype);
    v.setBigUint64(ptr + 24, 1n, true);
    v.setBigUint64(ptr + 32, s.size, true);
    for (const off of [40, 48, 56]) v.setBigUint64(ptr + off, t, true);
  };
  imp['fd_filestat_get'] = (n: number, ptr: number) => {
    const f = fd(n);
    if (!f) return wasi.ERRNO_BADF;
    const { ret, filestat } = f.fd_filestat_get();
    if (filestat) writeStat(ptr, filestat, f instanceof OpenFile ? f.file : (f as { dir?: Directory }).dir);
    return ret;
  };
  imp['path_filestat_get'] = (dirfd: number, flags: number, ptr: number, len: number, out: number) => {
    const f = fd(dirfd);
    if (!f) return wasi.ERRNO_BADF;
    const path = text(ptr, len);
    const { ret, filestat } = f.path_filestat_get(flags, path);
    if (filestat) writeStat(out, filestat, lookup(dirfd, path));
    return ret;
  };

  // The shim answers NOTSUP to setting times; we keep them (and tell the engine).
  const setTimes = (node: Inode | undefined, atim: bigint, mtim: bigint, flags: number) => {
    if (!node) return wasi.ERRNO_NOENT;
    if (o.readOnly) return rofs();
    const now = BigInt(Date.now()) * 1_000_000n;
    const m = flags & wasi.FSTFLAGS_MTIM_NOW ? now : flags & wasi.FSTFLAGS_MTIM ? mtim : undefined;
    const a = flags & wasi.FSTFLAGS_ATIM_NOW ? now : flags & wasi.FSTFLAGS_ATIM ? atim : undefined;
    if (m !== undefined) j.times.set(node, m);
    const id = j.idOf(node);
    if (id !== undefined && (m !== undefined || a !== undefined)) {
      j.send({ op: 'times', id, ...(a !== undefined ? { atime: Number(a) / 1e9 } : {}), ...(m !== undefined ? { mtime: Number(m) / 1e9 } : {}) });
    }
    return wasi.ERRNO_SUCCESS;
  };
  imp['fd_filestat_set_times'] = (n: number, atim: bigint, mtim: bigint, flags: number) => {
    const f = fd(n);
    return setTimes(f instanceof OpenFile ? f.file : (f as { dir?: Directory } | undefined)?.dir, atim, mtim, flags);
  };
  imp['path_filestat_set_times'] = (dirfd: number, _flags: number, ptr: number, len: number, atim: bigint, mtim: bigint, flags: number) =>
    setTimes(lookup(dirfd, text(ptr, len)), atim, mtim, flags);

  // The shim counts argument sizes in UTF-16 code units but writes UTF-8 bytes: a
  // non-ASCII argument overruns the buffer the module allocated.
  imp['args_sizes_get'] = (argc: number, size: number) => {
    const v = new DataView(memory());
    v.setUint32(argc, w.args.length, true);
    v.setUint32(size, w.args.reduce((n, a) => n + new TextEncoder().encode(a).byteLength + 1, 0), true);
    return wasi.ERRNO_SUCCESS;
  };

  // The shim throws (a string) for sockets and proc_raise, which would end the module as
  // a trap; sockets are not supported (an errno), a raised signal ends it as that signal.
  for (const name of ['sock_recv', 'sock_send', 'sock_shutdown', 'sock_accept']) imp[name] = () => wasi.ERRNO_NOTSUP;
  imp['proc_raise'] = (sig: number) => {
    throw new WASIProcExit(exitCodeForProcess({ signal: sig }));
  };

  imp['poll_oneoff'] = (inPtr: number, outPtr: number, count: number, nevents: number) => pollOneoff(memory, fd, o.stdin, inPtr, outPtr, count, nevents);

  if (o.memoryLimit !== undefined) {
    const limit = o.memoryLimit;
    // Checked at every WASI call: a module cannot grow far past the limit without one.
    for (const [name, f] of Object.entries(imp)) {
      imp[name] = ((...args: never[]) => {
        if (memory().byteLength > limit) throw new MemoryLimitExceeded(`memory limit exceeded: ${memory().byteLength} bytes > ${limit}`);
        return f(...args);
      }) as Fn;
    }
  }
}

/**
 * poll_oneoff with real waiting: the shim takes one clock subscription only, busy-waits,
 * and never writes `nevents`. Here: any number of clock, fd_read and fd_write
 * subscriptions; stdin is readable when bytes or end of file are there; a sleep waits in
 * Atomics.wait (a busy loop only where memory cannot be shared).
 */
function pollOneoff(memory: () => ArrayBufferLike, fd: (n: number) => Fd | undefined, stdin: StdinFd, inPtr: number, outPtr: number, count: number, nevents: number): number {
  if (count === 0) return wasi.ERRNO_INVAL;
  const v = new DataView(memory());
  const subs = Array.from({ length: count }, (_, i) => {
    const p = inPtr + i * SUBSCRIPTION;
    const userdata = v.getBigUint64(p, true);
    const tag = v.getUint8(p + 8);
    if (tag !== wasi.EVENTTYPE_CLOCK) return { userdata, tag, fd: v.getUint32(p + 16, true), at: Infinity };
    const clock = v.getUint32(p + 16, true);
    const timeout = v.getBigUint64(p + 24, true);
    const abs = (v.getUint16(p + 40, true) & wasi.SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME) !== 0;
    const nowNs = clock === wasi.CLOCKID_REALTIME ? BigInt(Date.now()) * 1_000_000n : BigInt(Math.round(performance.now() * 1e6));
    const ms = Number((abs ? timeout - nowNs : timeout) / 1000n) / 1000;
    return { userdata, tag, fd: -1, at: performance.now() + Math.max(0, ms) };
  });
  for (;;) {
    const events: { userdata: bigint; error: number; type: number; nbytes: bigint }[] = [];
    for (const s of subs) {
      if (s.tag === wasi.EVENTTYPE_CLOCK) {
        if (performance.now() >= s.at) events.push({ userdata: s.userdata, error: 0, type: s.tag, nbytes: 0n });
      } else if (!fd(s.fd)) events.push({ userdata: s.userdata, error: wasi.ERRNO_BADF, type: s.tag, nbytes: 0n });
      else if (s.tag === wasi.EVENTTYPE_FD_READ && fd(s.fd) === stdin) {
        const n = stdin.readable();
        if (n !== undefined) events.push({ userdata: s.userdata, error: 0, type: s.tag, nbytes: BigInt(n) });
      } else events.push({ userdata: s.userdata, error: 0, type: s.tag, nbytes: 0n });
    }
    if (events.length > 0) {
      const out = new DataView(memory());
      events.forEach((e, i) => {
        const p = outPtr + i * EVENT;
        out.setBigUint64(p, e.userdata, true);
        out.setUint16(p + 8, e.error, true);
        out.setUint8(p + 10, e.type);
        out.setBigUint64(p + 16, e.nbytes, true);
        out.setUint16(p + 24, 0, true);
      });
      out.setUint32(nevents, events.length, true);
      return wasi.ERRNO_SUCCESS;
    }
    const wait = Math.min(...subs.map((s) => s.at)) - performance.now();
    if (subs.some((s) => s.tag === wasi.EVENTTYPE_FD_READ && fd(s.fd) === stdin)) stdin.wait(wait);
    else sleep(wait);
  }
}

const sleeper = canShareMemory() ? new Int32Array(new SharedArrayBuffer(4)) : undefined;

function sleep(ms: number): void {
  if (sleeper) Atomics.wait(sleeper, 0, 0, ms);
  else for (const end = performance.now() + ms; performance.now() < end;);
}
