import type { HealthConfig as BuildHealthConfig } from '../../build/index.ts';
import { parseGoDuration } from '../../shared/go-duration.ts';
import { configError, flagError, invalidFlagValue } from './errors.ts';
import type { Parsed } from './run-options.ts';
import { parseIntFlag } from './units.ts';

/**
 * A container's or image's `Healthcheck` in Docker's shape (api/types/container
 * `HealthConfig`): `Test` is `["NONE"]`, `["CMD", argv...]` or `["CMD-SHELL", command]`
 * (an empty Test inherits the image's); durations in nanoseconds, 0 or absent = the default.
 */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** moby `daemon/health.go` defaults, in nanoseconds. */
export const HEALTH_DEFAULTS = { interval: 30e9, timeout: 30e9, startPeriod: 0, startInterval: 5e9, retries: 3 } as const;
/** moby `daemon/health.go` maxLogEntries and maxOutputLen. */
export const HEALTH_LOG_ENTRIES = 5;
export const HEALTH_OUTPUT_MAX = 4096;
/** api/types/container MinimumDuration: 1ms. */
const MIN_DURATION = 1e6;

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** One probe, as inspect's `State.Health.Log` shows it (api/types/container `HealthcheckResult`). */
export interface HealthResult {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** `State.Health` (api/types/container `Health`). */
export interface HealthState {
  Status: HealthStatus;
  FailingStreak: number;
  Log: HealthResult[];
}

/** The run/create flags of docker/cli `opts.go`, with their help. */
export const HEALTH_FLAGS = [
  { name: 'health-cmd', type: 'string', value: 'string', help: 'Command to run to check health' },
  { name: 'health-interval', type: 'string', value: 'duration', help: 'Time between running the check (ms|s|m|h) (default 0s)' },
  { name: 'health-timeout', type: 'string', value: 'duration', help: 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)' },
  { name: 'health-retries', type: 'string', value: 'int', help: 'Consecutive failures needed to report unhealthy' },
  { name: 'health-start-period', type: 'string', value: 'duration', help: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)' },
  { name: 'health-start-interval', type: 'string', value: 'duration', help: 'Time between running the check during the start period (ms|s|m|h) (default 0s)' },
  { name: 'no-healthcheck', type: 'bool', help: 'Disable any container-specified HEALTHCHECK' },
] as const;

function durationFlag(flag: string, v: string): number {
  try {
    return parseGoDuration(v);
  } catch (e) {
    throw invalidFlagValue(flag, v, (e as Error).message);
  }
}

/**
 * docker/cli `opts.go` parse: the `--health-*` flags as a HealthConfig, `--no-healthcheck`
 * as `["NONE"]`, undefined when none was given. The CLI's own checks (negative values,
 * `--no-healthcheck` with another) are here; the daemon's are `validateHealthcheck`.
 */
export function parseHealthFlags(p: Parsed): HealthConfig | undefined {
  const s = (k: string) => p.flags[k] as string | undefined;
  const cmd = s('health-cmd') ?? '';
  const dur = (k: string) => (s(k) === undefined ? 0 : durationFlag(`--${k}`, s(k)!));
  const interval = dur('health-interval');
  const timeout = dur('health-timeout');
  const startPeriod = dur('health-start-period');
  const startInterval = dur('health-start-interval');
  const retries = s('health-retries') === undefined ? 0 : parseIntFlag('--health-retries', s('health-retries')!);
  const have = cmd !== '' || interval !== 0 || timeout !== 0 || startPeriod !== 0 || retries !== 0 || startInterval !== 0;
  if (p.flags['no-healthcheck'] === true) {
    if (have) throw flagError('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!have) return undefined;
  for (const [name, v] of [['interval', interval], ['timeout', timeout], ['retries', retries], ['start-period', startPeriod], ['start-interval', startInterval]] as const) {
    if (v < 0) throw flagError(`--health-${name} cannot be negative`);
  }
  return {
    ...(cmd !== '' ? { Test: ['CMD-SHELL', cmd] } : {}),
    ...(interval ? { Interval: interval } : {}), ...(timeout ? { Timeout: timeout } : {}), ...(startPeriod ? { StartPeriod: startPeriod } : {}),
    ...(startInterval ? { StartInterval: startInterval } : {}), ...(retries ? { Retries: retries } : {}),
  };
}

/** moby `daemon/container.go` validateHealthCheck: durations of at least 1ms, retries not negative. */
export function validateHealthcheck(h: HealthConfig | undefined): void {
  if (!h) return;
  const min = (name: string, v: number | undefined) => {
    if (v !== undefined && v !== 0 && v < MIN_DURATION) throw configError(`${name} in Healthcheck cannot be less than 1ms`);
  };
  min('Interval', h.Interval);
  min('Timeout', h.Timeout);
  if ((h.Retries ?? 0) < 0) throw configError('Retries in Healthcheck cannot be negative');
  min('StartPeriod', h.StartPeriod);
  min('StartInterval', h.StartInterval);
}

/**
 * moby `daemon/commit.go` merge: the user's Healthcheck over the image's, field by field
 * (an empty Test or a zero duration takes the image's).
 */
export function mergeHealthcheck(image: HealthConfig | undefined, user: HealthConfig | undefined): HealthConfig | undefined {
  if (!user) return image ? { ...image } : undefined;
  if (!image) return { ...user };
  const out: HealthConfig = { ...user };
  if (!user.Test?.length && image.Test) out.Test = image.Test;
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
    if (!user[k] && image[k]) out[k] = image[k];
  }
  return out;
}

/** A Dockerfile HEALTHCHECK (the build frontend's parse) as the image config stores it. */
export function healthFromDockerfile(h: BuildHealthConfig): HealthConfig {
  return {
    Test: h.test, ...(h.interval ? { Interval: h.interval } : {}), ...(h.timeout ? { Timeout: h.timeout } : {}),
    ...(h.startPeriod ? { StartPeriod: h.startPeriod } : {}), ...(h.startInterval ? { StartInterval: h.startInterval } : {}), ...(h.retries ? { Retries: h.retries } : {}),
  };
}

/**
 * The probe's command line (moby `getProbe` + `cmdProbe.run`): CMD runs its argv, CMD-SHELL
 * its string under the container's shell (`/bin/sh -c` unless Config.Shell); NONE, an empty
 * or unknown Test: no probe.
 */
export function probeCommand(h: HealthConfig | undefined, shell?: string[] | null): string[] | undefined {
  const t = h?.Test;
  if (!t?.length || t.length < 2) return undefined;
  if (t[0] === 'CMD') return t.slice(1);
  if (t[0] === 'CMD-SHELL') return [...(shell?.length ? shell : ['/bin/sh', '-c']), ...t.slice(1)];
  return undefined;
}

/** Whether a container with this config gets a monitor (and State.Health). */
export function hasProbe(h: HealthConfig | undefined): boolean {
  const k = h?.Test?.[0];
  return k === 'CMD' || k === 'CMD-SHELL';
}

const orDefault = (v: number | undefined, d: number) => (v ? v : d);

/** Timing after moby's defaults, in ms. */
export function healthTiming(h: HealthConfig): { intervalMs: number; timeoutMs: number; startPeriodMs: number; startIntervalMs: number; retries: number } {
  return {
    intervalMs: orDefault(h.Interval, HEALTH_DEFAULTS.interval) / 1e6,
    timeoutMs: orDefault(h.Timeout, HEALTH_DEFAULTS.timeout) / 1e6,
    startPeriodMs: orDefault(h.StartPeriod, HEALTH_DEFAULTS.startPeriod) / 1e6,
    startIntervalMs: orDefault(h.StartInterval, HEALTH_DEFAULTS.startInterval) / 1e6,
    retries: h.Retries && h.Retries > 0 ? h.Retries : HEALTH_DEFAULTS.retries,
  };
}

/**
 * moby `monitor` getInterval: the wait before the next probe. Within the start period a
 * container still `starting` is probed every start interval; otherwise every interval.
 */
export function nextProbeDelay(h: HealthConfig, startedAtMs: number, nowMs: number, status: HealthStatus): number {
  const t = healthTiming(h);
  if (nowMs - startedAtMs >= t.startPeriodMs) return t.intervalMs;
  return status === 'starting' ? t.startIntervalMs : t.intervalMs;
}

/**
 * moby `handleProbeResult`: the new state after one probe. A success is healthy and ends the
 * streak; a failure counts (unless the container is still starting within its start
 * period) and `retries` of them in a row make it unhealthy. The log keeps the last five.
 */
export function applyProbeResult(prev: HealthState, r: HealthResult, h: HealthConfig, startedAtMs: number): HealthState {
  const t = healthTiming(h);
  const Log = [...prev.Log, r].slice(-HEALTH_LOG_ENTRIES);
  if (r.ExitCode === 0) return { Status: 'healthy', FailingStreak: 0, Log };
  if (prev.Status === 'starting' && Date.parse(r.Start) - startedAtMs < t.startPeriodMs) return { ...prev, Log };
  const FailingStreak = prev.FailingStreak + 1;
  return { Status: FailingStreak >= t.retries ? 'unhealthy' : prev.Status, FailingStreak, Log };
}

/**
 * moby `limitedBuffer`: the probe's output up to 4096 bytes, `...` after it when more came
 * (bytes, so a character may be cut; Go's JSON then writes U+FFFD, as TextDecoder does).
 */
export class ProbeOutput {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private truncated = false;

  write(data: Uint8Array): void {
    const keep = Math.min(HEALTH_OUTPUT_MAX - this.size, data.length);
    if (keep > 0) {
      this.chunks.push(data.slice(0, keep));
      this.size += keep;
    }
    if (keep < data.length) this.truncated = true;
  }

  toString(): string {
    const all = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      all.set(c, at);
      at += c.length;
    }
    return new TextDecoder().decode(all) + (this.truncated ? '...' : '');
  }
}

/** Go's `time.Duration.String()` (shared/go-duration.ts). */
export { formatGoDuration as goDuration } from '../../shared/go-duration.ts';
