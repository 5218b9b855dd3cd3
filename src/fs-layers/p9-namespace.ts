import { E, fail } from './fs-error.ts';
import type { Kind } from './inode.ts';
import type { Handler, P9Context } from './p9-fid.ts';
import { T } from './p9-wire.ts';

const AT_REMOVEDIR = 0x200;
const XATTR_SIZE_MAX = 65536;
const enc = new TextEncoder();

/**
 * 9P2000.L handlers that change names or xattrs: lcreate, symlink, mknod, mkdir,
 * readlink, link, rename, renameat, unlinkat, remove, xattrwalk, xattrcreate.
 */
export function namespaceHandlers(ctx: P9Context): Record<number, Handler> {
  return {
    [T.lcreate]: (r, w) => {
      const f = ctx.fid(r.u32());
      const name = r.str();
      const flags = r.u32();
      const mode = r.u32();
      const gid = r.u32();
      const n = ctx.fs(f).create(f.node, name, 'f', { mode, uid: f.uid, gid });
      Object.assign(f, { parent: f.node, name, node: n, open: flags, dir: undefined });
      w.qid(n, ctx.base(f)).u32(0);
    },
    [T.symlink]: (r, w) => {
      const f = ctx.fid(r.u32());
      const name = r.str();
      const target = r.str();
      const gid = r.u32();
      w.qid(ctx.fs(f).create(f.node, name, 'l', { mode: 0o777, uid: f.uid, gid, target }), ctx.base(f));
    },
    [T.mknod]: (r, w) => {
      const f = ctx.fid(r.u32());
      const name = r.str();
      const mode = r.u32();
      const major = r.u32();
      const minor = r.u32();
      const gid = r.u32();
      const kinds: Record<number, Kind> = { 0o020000: 'c', 0o060000: 'b', 0o010000: 'p', 0o140000: 's', 0o100000: 'f', 0: 'f' };
      const kind = kinds[mode & 0o170000] ?? fail(E.EINVAL);
      w.qid(ctx.fs(f).create(f.node, name, kind, { mode, uid: f.uid, gid, rdev: [major, minor] }), ctx.base(f));
    },
    [T.mkdir]: (r, w) => {
      const f = ctx.fid(r.u32());
      const name = r.str();
      const mode = r.u32();
      const gid = r.u32();
      w.qid(ctx.fs(f).create(f.node, name, 'd', { mode, uid: f.uid, gid }), ctx.base(f));
    },
    [T.readlink]: (r, w) => {
      const f = ctx.fid(r.u32());
      w.str(ctx.fs(f).readlink(f.node));
    },
    [T.link]: (r) => {
      const d = ctx.fid(r.u32());
      const f = ctx.fid(r.u32());
      ctx.fs(d).link(d.node, r.str(), f.node);
    },
    [T.rename]: (r) => {
      const f = ctx.fid(r.u32());
      const d = ctx.fid(r.u32());
      const name = r.str();
      if (!f.parent || f.name === undefined) fail(E.EINVAL);
      ctx.fs(f).rename(f.parent!, f.name!, d.node, name);
      Object.assign(f, { parent: d.node, name });
    },
    [T.renameat]: (r) => {
      const od = ctx.fid(r.u32());
      const oname = r.str();
      const nd = ctx.fid(r.u32());
      ctx.fs(od).rename(od.node, oname, nd.node, r.str());
    },
    [T.unlinkat]: (r) => {
      const d = ctx.fid(r.u32());
      const name = r.str();
      ctx.fs(d).unlink(d.node, name, (r.u32() & AT_REMOVEDIR) !== 0);
    },
    [T.remove]: (r) => {
      const n = r.u32();
      const f = ctx.fid(n);
      ctx.fids.delete(n); // Tremove clunks the fid even when the removal fails
      if (!f.parent || f.name === undefined) fail(E.EPERM);
      ctx.fs(f).unlink(f.parent!, f.name!, f.node.kind === 'd');
    },
    [T.xattrwalk]: (r, w) => {
      const f = ctx.fid(r.u32());
      const newfid = r.u32();
      const name = r.str();
      const data = name === ''
        ? enc.encode(ctx.fs(f).listxattr(f.node).map((k) => `${k}\0`).join(''))
        : enc.encode(ctx.fs(f).getxattr(f.node, name));
      ctx.fids.set(newfid, { fs: f.fs, node: f.node, uid: f.uid, xr: data });
      w.u64(data.byteLength);
    },
    [T.xattrcreate]: (r) => {
      const f = ctx.fid(r.u32());
      const name = r.str();
      const size = r.u64();
      const flags = r.u32();
      if (size > XATTR_SIZE_MAX) fail(E.ERANGE);
      f.xw = { name, flags, data: new Uint8Array(size) };
    },
  };
}
