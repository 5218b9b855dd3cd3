import { TabdockError } from '../shared/errors.ts';

/**
 * docker's `--since`/`--until` values (`logs`, `events`), turned into what the API takes:
 * `SECONDS.NANOSECONDS` since the Unix epoch. The rules are moby's
 * `api/types/time.GetTimestamp`, run on the client as the docker CLI runs them:
 * - a Go duration (`10m`, `1h30m`, `1.5h`): that long before `now`;
 * - an RFC 3339 date or date-time (`2026-01-02`, `2026-01-02T15:04`, `...:05.123Z`,
 *   `...+01:00`): with no zone (no `Z`, `+`, or third `-`) in the zone `now` is in;
 * - Unix seconds with optional fraction (`1700000000`, `1700000000.5`), passed on as they are.
 * Anything else fails with the CLI's own error (`CLI_ERROR`, exit 1).
 */
export function getTimestamp(value: string, now: Date, flag: string): string {
  const d = value !== '0' ? parseGoDuration(value) : undefined;
  if (d !== undefined) return String(Math.floor((now.getTime() - d) / 1000));
  const t = parseDate(value, now);
  if (t !== undefined) return `${Math.floor(t.ms / 1000)}.${String((((t.ms % 1000) + 1000) % 1000) * 1e6 + t.subMs).padStart(9, '0')}`;
  if (value.includes('-')) throw new TabdockError('CLI_ERROR', `invalid value for "${flag}": parsing time "${value}": not an RFC 3339 time`, {});
  if (!/^\d+(\.\d{1,9})?$/.test(value)) throw new TabdockError('CLI_ERROR', `invalid value for "${flag}": failed to parse value as time or duration: "${value}"`, {});
  return value;
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's `time.ParseDuration`, in milliseconds; undefined when it is not one. */
export function parseGoDuration(s: string): number | undefined {
  const m = /^([-+]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+|0)$/.exec(s);
  if (!m) return undefined;
  let total = 0;
  for (const [, num, unit] of m[2]!.matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(num) * UNITS[unit!]!;
  return m[1] === '-' ? -total : total;
}

/** The layouts GetTimestamp tries; undefined when the value matches none. */
function parseDate(v: string, now: Date): { ms: number; subMs: number } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?(Z|z|[+-]\d{2}:\d{2})?$/.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const withZone = /[zZ+]/.test(v) || (v.match(/-/g)?.length ?? 0) === 3;
  if (withZone !== (zone !== undefined)) return undefined;
  const nums = [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s)] as const;
  if (nums[1] < 1 || nums[1] > 12 || nums[2] < 1 || nums[2] > 31 || nums[3] > 23 || nums[4] > 59 || nums[5] > 59) return undefined;
  let ms = Date.UTC(nums[0], nums[1] - 1, nums[2], nums[3], nums[4], nums[5]);
  // Go parses a zoneless value in time.FixedZone(reference.Zone()): the offset `now` has.
  const offsetMin = zone === undefined ? -now.getTimezoneOffset() : zone.toUpperCase() === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  ms -= offsetMin * 60_000;
  const nanos = Number(frac.padEnd(9, '0') || '0');
  return { ms: ms + Math.floor(nanos / 1e6), subMs: nanos % 1e6 };
}
