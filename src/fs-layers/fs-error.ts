/** Linux errno values (asm-generic/errno*.h): what the 9P server puts in Rlerror. */
export const E = {
  EPERM: 1, ENOENT: 2, EIO: 5, EBADF: 9, EAGAIN: 11, EACCES: 13, EEXIST: 17, EXDEV: 18, ENOTDIR: 20, EISDIR: 21,
  EINVAL: 22, EFBIG: 27, ENOSPC: 28, EROFS: 30, EMLINK: 31, ERANGE: 34, ENAMETOOLONG: 36, ENOSYS: 38,
  ENOTEMPTY: 39, ELOOP: 40, ENODATA: 61, EPROTO: 71, EOPNOTSUPP: 95,
} as const;

/** A filesystem operation's failure as an errno: a value, caught at the 9P boundary. */
export class FsError extends Error {
  constructor(readonly errno: number, message = `errno ${errno}`) {
    super(message);
  }
}

export const fail = (errno: number, what?: string): never => {
  throw new FsError(errno, what);
};

/** The errno for anything thrown below the 9P server: never an exception on the wire. */
export function errnoOf(e: unknown): number {
  if (e instanceof FsError) return e.errno;
  const code = (e as { code?: string } | undefined)?.code;
  if (code === 'STORE_FULL') return E.ENOSPC;
  return E.EIO;
}
