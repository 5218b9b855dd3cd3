import { TabdockError } from '../shared/errors.ts';

/** Whether an error is the platform saying "no space": IndexedDB quota, ENOSPC, EDQUOT. */
export function isNoSpace(e: unknown): boolean {
  const x = e as { name?: string; code?: string; inner?: unknown } | undefined;
  if (!x) return false;
  if (x.name === 'QuotaExceededError' || x.code === 'ENOSPC' || x.code === 'EDQUOT') return true;
  // idb surfaces an aborted transaction as AbortError whose cause is the quota error.
  const cause = (e as { cause?: unknown }).cause;
  return cause !== undefined && cause !== e && isNoSpace(cause);
}

export interface FullFacts {
  /** What was being written (`blob 0123abcd4567`). */
  what: string;
  /** Bytes the write still needed when it failed (at least). */
  needed: number;
  /** Bytes the store holds. */
  used: number;
  /** Bytes `image prune` could free, when the owner told the store. */
  reclaimable?: number;
  limit?: number;
}

/**
 * STORE_FULL with the numbers a user needs: how much was needed, how much is used, and
 * what `rmi`/prune would give back. Nothing was written under the blob's name.
 */
export function storeFull(f: FullFacts): TabdockError {
  const mb = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  const free = f.reclaimable !== undefined && f.reclaimable > 0
    ? `'tabdock image prune' would free ${mb(f.reclaimable)} now; 'tabdock rmi' of an image frees the layers only it uses`
    : `remove images with 'tabdock rmi' (then 'tabdock image prune') to free space`;
  const cap = f.limit !== undefined ? ` of its ${mb(f.limit)} limit` : '';
  return new TabdockError(
    'STORE_FULL',
    `the store is full (${mb(f.used)} used${cap}): writing ${f.what} needed ${mb(f.needed)} more; ${free}`,
    { what: f.what, needed: f.needed, used: f.used, reclaimable: f.reclaimable ?? null, limit: f.limit ?? null },
  );
}
