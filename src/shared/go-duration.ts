/**
 * Go's `time.ParseDuration` and `time.Duration.String()`, in nanoseconds: the one copy the
 * Dockerfile frontend (HEALTHCHECK flags), the engine (`--health-*`, probe timeouts) and
 * compose (`healthcheck` durations) share. Errors carry Go's words.
 */
const UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's `%q` for the printable text durations are. */
const quote = (s: string) => JSON.stringify(s);

export function parseGoDuration(s: string): number {
  const bad = () => new Error(`time: invalid duration ${quote(s)}`);
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest[0] === '-' ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw bad();
  let total = 0;
  while (rest !== '') {
    const m = /^(\d*\.?\d*)([^\d.]*)/.exec(rest)!;
    if (m[1] === '' || m[1] === '.') throw bad();
    if (m[2] === '') throw new Error(`time: missing unit in duration ${quote(s)}`);
    const unit = UNITS[m[2]!];
    if (unit === undefined) throw new Error(`time: unknown unit ${quote(m[2]!)} in duration ${quote(s)}`);
    total += Number(m[1]) * unit;
    rest = rest.slice(m[0].length);
  }
  return Math.round(sign * total);
}

/** `1s`, `1.5s`, `500ms`, `1m30s`, `1h0m0s`, as Go prints a Duration. */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  const u = Math.abs(Math.round(ns));
  const frac = (v: number, unit: number) => {
    const whole = Math.floor(v / unit);
    const rest = v % unit;
    if (!rest) return String(whole);
    return `${whole}.${String(rest).padStart(String(unit).length - 1, '0').replace(/0+$/, '')}`;
  };
  if (u < 1e3) return `${sign}${u}ns`;
  if (u < 1e6) return `${sign}${frac(u, 1e3)}µs`;
  if (u < 1e9) return `${sign}${frac(u, 1e6)}ms`;
  const h = Math.floor(u / 3600e9);
  const m = Math.floor((u % 3600e9) / 60e9);
  return `${sign}${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${frac(u % 60e9, 1e9)}s`;
}
