/**
 * Times as the Docker API passes them for `since`/`until` (`logs`, `events`):
 * `SECONDS[.NANOSECONDS]` since the Unix epoch (moby `api/types/time.ParseTimestamps`),
 * compared in nanoseconds with the RFC 3339 times the engine records.
 */
export function apiTimestampNanos(ts: string): bigint | undefined {
  const m = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(ts);
  if (!m) return undefined;
  return BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** An RFC 3339 time with up to nine fraction digits (`2026-01-02T15:04:05.123456789Z`), in nanoseconds. */
export function rfc3339Nanos(time: string): bigint {
  const m = /^(.*?:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(time);
  if (!m) return BigInt(Date.parse(time)) * 1_000_000n;
  return BigInt(Date.parse(`${m[1]}${m[3]}`)) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}
