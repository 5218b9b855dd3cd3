import { StoreSpace } from '../../fs-layers/store-space.ts';

/** What `navigator.storage.estimate()` answers (typed here without the DOM lib). */
export interface StorageEstimate {
  quota?: number;
  usage?: number;
}

export interface OriginSpaceOptions {
  /** A cap of the engine's own below the origin's quota (bytes). */
  limit?: number;
  /** The origin's quota and usage; default `navigator.storage.estimate()`. */
  estimate?: () => Promise<StorageEstimate>;
  /** Ask the browser again after this long (default 5 s) or after 16 MiB stored since. */
  refreshMs?: number;
}

const REFRESH_BYTES = 16 << 20;

/**
 * The page's StoreSpace: the room the origin's storage quota leaves stands in for the
 * disk's free bytes, so a container's write that the quota could not hold is refused
 * with ENOSPC when it is made (as on a full disk in Node), not lost when IndexedDB
 * throws QuotaExceededError at the flush. The browser's estimate is asked at open and
 * then again in the background; between answers, the bytes this engine stored since
 * are added to the last answer's usage, and usage is never taken below the first answer
 * plus what the engine stored since (the browser's figure lags behind recent writes).
 */
export async function originSpace(o: OriginSpaceOptions = {}): Promise<StoreSpace> {
  const estimate = o.estimate ?? defaultEstimate();
  const refreshMs = o.refreshMs ?? 5000;
  let space!: StoreSpace;
  let quota: number | undefined;
  // The last answer, and the engine's bytes then.
  let usage = 0;
  let usedAt = 0;
  // The first answer: the browser's usage figure lags behind what was just written, so
  // it is never taken below this one plus what the engine stored since.
  let first: { usage: number; used: number } | undefined;
  let at = 0;
  let asking: Promise<void> | undefined;
  const ask = () =>
    (asking ??= estimate()
      .then((e) => {
        if (e.quota === undefined || e.usage === undefined) return;
        quota = e.quota;
        usage = e.usage;
        usedAt = space.used;
        first ??= { usage, used: usedAt };
        at = Date.now();
      })
      .catch(() => {})
      .finally(() => (asking = undefined)));
  space = new StoreSpace({
    ...(o.limit !== undefined ? { limit: o.limit } : {}),
    diskTotal: () => quota,
    diskFree: () => {
      if (quota === undefined || !first) return undefined;
      if (Date.now() - at > refreshMs || Math.abs(space.used - usedAt) > REFRESH_BYTES) void ask();
      const now = Math.max(usage + Math.max(0, space.used - usedAt), first.usage + space.used - first.used);
      return Math.max(0, quota - now);
    },
  });
  await ask();
  return space;
}

function defaultEstimate(): () => Promise<StorageEstimate> {
  const storage = (globalThis as { navigator?: { storage?: { estimate?: () => Promise<StorageEstimate> } } }).navigator?.storage;
  return storage?.estimate ? () => storage.estimate!() : async () => ({});
}
