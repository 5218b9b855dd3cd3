import type { Inode } from './inode.ts';
import { CHUNK } from './layer-entry.ts';

/**
 * A container's writable-layer bytes, as an overlay upper directory counts them under
 * Docker's `--storage-opt size=` (an xfs project quota): every file the container changed
 * counts whole, once per inode, by the chunks it has up to its size (holes are free, as in
 * a sparse upper file). Kept per inode and summed as files change, so a write checks its
 * own file only.
 */
export class Quota {
  private readonly counted = new Map<Inode, number>();
  total = 0;

  constructor(readonly limit: number, root: Inode) {
    const seen = new Set<Inode>();
    const walk = (d: Inode) => {
      for (const c of d.children!.values()) {
        if (seen.has(c)) continue;
        seen.add(c);
        if (c.kind === 'd') walk(c);
        else this.account(c);
      }
    };
    walk(root);
  }

  /** Recounts a file after a change (a write, a truncate, a copy-up). */
  account(n: Inode): void {
    if (n.kind !== 'f' || !n.rw || n.links.length === 0) return this.forget(n);
    const v = usage(n, n.size, 0);
    this.total += v - (this.counted.get(n) ?? 0);
    this.counted.set(n, v);
  }

  /** A file that is gone (its last name removed). */
  forget(n: Inode): void {
    const v = this.counted.get(n);
    if (v === undefined) return;
    this.total -= v;
    this.counted.delete(n);
  }

  /** Whether a write of [offset, end) fits: its file's count after it, against the rest. */
  fits(n: Inode, offset: number, end: number): boolean {
    const size = Math.max(n.size, end);
    let fresh = 0;
    for (let i = Math.floor(offset / CHUNK); i * CHUNK < end; i++) if (!has(n, i)) fresh++;
    const after = usage(n, size, fresh);
    return this.total - (this.counted.get(n) ?? 0) + after <= this.limit;
  }
}

function has(n: Inode, i: number): boolean {
  return !!n.chunks[i] || n.dirty?.has(i) === true || n.flushing?.has(i) === true;
}

/** A file's bytes: its chunks up to `size` (plus `extra` new ones), at most its size. */
function usage(n: Inode, size: number, extra: number): number {
  const within = Math.ceil(size / CHUNK);
  const slots = new Set<number>();
  // Object.keys walks only the entries a sparse array has.
  for (const k of Object.keys(n.chunks)) {
    const i = Number(k);
    if (i < within && n.chunks[i]) slots.add(i);
  }
  for (const m of [n.dirty, n.flushing]) for (const i of m?.keys() ?? []) if (i < within) slots.add(i);
  return Math.min(size, (slots.size + extra) * CHUNK);
}
