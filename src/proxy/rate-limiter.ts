/**
 * Per-client token bucket. A whole class behind one NAT shares an address (DESIGN.md:
 * "a class of 30 on one network"), so the defaults are generous and sized for that:
 * a pull costs about 5 + layers requests, and 30 simultaneous pulls of a small image fit
 * in the burst. The limit is there to stop abuse of a public proxy, not normal use.
 */

export interface RateLimit {
  /** Bucket size: requests a client may make at once. */
  burst: number;
  /** Refill rate in requests per second. */
  perSecond: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { burst: 600, perSecond: 10 };

/** Beyond this many tracked clients, buckets that have refilled are forgotten. */
const MAX_TRACKED = 10_000;

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

export class RateLimiter {
  readonly #limit: RateLimit;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(limit: RateLimit, now: () => number) {
    if (!(limit.burst >= 1) || !(limit.perSecond > 0)) {
      throw new RangeError(`rate limit needs burst >= 1 and perSecond > 0, got ${JSON.stringify(limit)}`);
    }
    this.#limit = limit;
    this.#now = now;
  }

  take(client: string): RateDecision {
    const now = this.#now();
    const b = this.#buckets.get(client) ?? { tokens: this.#limit.burst, at: now };
    b.tokens = Math.min(this.#limit.burst, b.tokens + ((now - b.at) / 1000) * this.#limit.perSecond);
    b.at = now;
    if (b.tokens < 1) {
      this.#buckets.set(client, b);
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / this.#limit.perSecond)) };
    }
    b.tokens -= 1;
    this.#buckets.set(client, b);
    if (this.#buckets.size > MAX_TRACKED) this.#forgetRefilled(now);
    return { ok: true };
  }

  /** A full bucket carries no state worth keeping; dropping it bounds memory. */
  #forgetRefilled(now: number): void {
    for (const [k, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.#limit.perSecond >= this.#limit.burst) this.#buckets.delete(k);
    }
  }
}
