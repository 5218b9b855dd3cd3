import { formatGoDuration, parseGoDuration } from '../shared/go-duration.ts';
import type { HealthCheckConfig } from './model.ts';

/** How a key's error is made (the caller names the file, line and key). */
type Fail = (key: string, message: string) => Error;

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const DURATIONS = ['interval', 'timeout', 'start_period', 'start_interval'] as const;

/**
 * A service's `healthcheck` (compose-spec "healthcheck", compose-go's HealthCheckConfig):
 * `test` as a string (CMD-SHELL) or a list starting with NONE, CMD or CMD-SHELL;
 * durations as Go writes them (printed back in Go's form: `90s` is `1m30s`); `retries`;
 * `disable: true` (not with `test`).
 */
export function normalizeHealthcheck(v: unknown, fail: Fail): HealthCheckConfig {
  if (!isObj(v)) throw fail('', 'must be a mapping');
  const h: HealthCheckConfig = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('x-')) continue;
    if (x === null) continue;
    if (k === 'test') {
      if (typeof x === 'string') h.test = ['CMD-SHELL', x];
      else if (Array.isArray(x) && x.every((y) => typeof y === 'string')) {
        const t = x as string[];
        if (!['NONE', 'CMD', 'CMD-SHELL'].includes(t[0] ?? '')) throw fail(k, 'a list must start with NONE, CMD or CMD-SHELL');
        h.test = t;
      } else throw fail(k, 'must be a string or a list of strings');
    } else if ((DURATIONS as readonly string[]).includes(k)) {
      if (typeof x !== 'string') throw fail(k, 'must be a duration such as 10s or 1m30s');
      let ns: number;
      try {
        ns = parseGoDuration(x);
      } catch (e) {
        throw fail(k, (e as Error).message);
      }
      if (ns < 0) throw fail(k, 'must not be negative');
      h[k as (typeof DURATIONS)[number]] = formatGoDuration(ns);
    } else if (k === 'retries') {
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) throw fail(k, 'must be a whole number');
      h.retries = x;
    } else if (k === 'disable') {
      if (typeof x !== 'boolean') throw fail(k, 'must be a boolean');
      h.disable = x;
    } else throw fail(k, `additional property ${k} is not allowed`);
  }
  if (h.disable && h.test) throw fail('', 'healthcheck.disable and healthcheck.test can\'t be set at the same time');
  return h;
}

/** compose `ToHealthCheck`: the container's Healthcheck in Docker's shape (durations in ns; disable is `["NONE"]`). */
export function containerHealthcheck(h: HealthCheckConfig): { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number } {
  const ns = (d: string | undefined) => (d === undefined ? 0 : parseGoDuration(d));
  const out: ReturnType<typeof containerHealthcheck> = {};
  if (h.disable) out.Test = ['NONE'];
  else if (h.test) out.Test = h.test;
  const put = (k: 'Interval' | 'Timeout' | 'StartPeriod' | 'StartInterval', d: string | undefined) => {
    if (ns(d)) out[k] = ns(d);
  };
  put('Interval', h.interval);
  put('Timeout', h.timeout);
  put('StartPeriod', h.start_period);
  put('StartInterval', h.start_interval);
  if (h.retries) out.Retries = h.retries;
  return out;
}
