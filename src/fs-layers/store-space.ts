import type { TabdockError } from '../shared/errors.ts';
import { storeFull } from './store-full.ts';

export interface StoreSpaceOptions {
  /** A cap on the bytes of every store sharing this space (TABDOCK_STORE_MAX, "store-max"). */
  limit?: number;
  /**
   * Bytes the disk has free now (statfs), when the platform can say at once: blob writes
   * stop `diskReserve` short of a full disk, so records, logs and the daemon's own start
   * still have room when the blobs have taken the rest.
   */
  diskFree?: () => number | undefined;
  /** The size of the disk (statfs) or of the origin's quota, for `df` in a container and `info`. */
  diskTotal?: () => number | undefined;
  /** Free disk bytes blob writes leave alone (default 32 MiB). */
  diskReserve?: number;
  /** Bytes `image prune` could free now; named in STORE_FULL errors. */
  reclaimable?: () => Promise<number>;
}

export const DEFAULT_DISK_RESERVE = 32 << 20;

/**
 * The room every blob store of one engine shares (the pulled blobs and the layer chunks):
 * what they hold (`used`, counted at open when a cap is set), and what writes in flight
 * hold (`held`: bytes not on disk yet, such as a container's written chunks waiting for
 * their flush). A write takes its bytes first and fails with STORE_FULL when they do not
 * fit, so what was accepted can be saved: a container's write gets ENOSPC at once, never a
 * success that is lost at the flush.
 */
export class StoreSpace {
  used = 0;
  held = 0;
  /**
   * Bytes of chunks a writable layer replaced since the last gc (a chunk rewritten is
   * stored anew; the old one is free once no record names it): when a write does not fit,
   * a gc is worth running first only if this is above 0.
   */
  garbage = 0;
  readonly limit: number | undefined;
  private readonly reserve: number;

  constructor(private readonly o: StoreSpaceOptions = {}) {
    this.limit = o.limit;
    this.reserve = o.diskReserve ?? DEFAULT_DISK_RESERVE;
  }

  /** Whether stores must count their bytes at open (only a cap needs the total). */
  get counts(): boolean {
    return this.limit !== undefined;
  }

  /** How many bytes `bytes` more would pass the cap or the disk's reserve by (0: they fit). */
  shortBy(bytes: number): number {
    let short = 0;
    if (this.limit !== undefined) short = Math.max(short, this.used + this.held + bytes - this.limit);
    const free = this.o.diskFree?.();
    // Bytes held are not on the disk yet: the disk must still have room for them.
    if (free !== undefined) short = Math.max(short, this.held + bytes + this.reserve - free);
    return short;
  }

  /** Holds `bytes` if they fit (or `force`: a write that must not fail, e.g. a truncate's tail). */
  take(bytes: number, force = false): boolean {
    if (!force && this.shortBy(bytes) > 0) return false;
    this.held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }

  /** The STORE_FULL error for a write of `what` that needed `bytes` more. */
  async full(what: string, bytes: number): Promise<TabdockError> {
    const reclaimable = await this.o.reclaimable?.().catch(() => undefined);
    return storeFull({ what, needed: Math.max(this.shortBy(bytes), 1), used: this.used, ...(this.limit !== undefined ? { limit: this.limit } : {}), ...(reclaimable !== undefined ? { reclaimable } : {}) });
  }

  /**
   * The room as a file system would report it (`df` in a container, statfs over 9P): the
   * cap if set (else the disk or quota) as the total, and what is left of the cap and of
   * the disk, whichever is less, as free. undefined when nothing is known.
   */
  capacity(): { total: number; free: number } | undefined {
    const disk = this.o.diskTotal?.();
    const diskFree = this.o.diskFree?.();
    const total = this.limit !== undefined ? Math.min(this.limit, disk ?? Infinity) : disk;
    if (total === undefined) return undefined;
    const frees = [total, ...(diskFree !== undefined ? [diskFree] : []), ...(this.limit !== undefined ? [this.limit - this.used - this.held] : [])];
    return { total, free: Math.max(0, Math.min(...frees)) };
  }

  /** Set later by the owner that knows (the layer store, once it exists). */
  setReclaimable(f: () => Promise<number>): void {
    this.o.reclaimable = f;
  }
}
