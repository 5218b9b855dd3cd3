import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../docker-cli/index.ts';
import { applyChanges } from '../image-changes.ts';
import { mergeContainerConfig } from './container-config.ts';
import {
  applyProbeResult, goDuration, mergeHealthcheck, nextProbeDelay, probeCommand, ProbeOutput, validateHealthcheck, type HealthState,
} from './healthcheck.ts';
import { RUN_FLAGS, parseRunOptions } from './run-flags.ts';

const run = (argv: string[]) => parseRunOptions(parseArgs(argv, RUN_FLAGS, { stopAtPositional: true }));
const err = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return { message: (e as Error).message, exitCode: (e as { exitCode?: number }).exitCode };
  }
  return undefined;
};

describe('--health-* flags (docker/cli opts.go)', () => {
  it('become a HealthConfig in nanoseconds, CMD-SHELL for --health-cmd', () => {
    expect(run(['--health-cmd', 'test -f /tmp/ok', '--health-interval', '1s', '--health-timeout', '500ms', '--health-retries', '2',
      '--health-start-period', '1m30s', '--health-start-interval', '2s', 'busybox']).healthcheck).toEqual({
      Test: ['CMD-SHELL', 'test -f /tmp/ok'], Interval: 1e9, Timeout: 5e8, Retries: 2, StartPeriod: 90e9, StartInterval: 2e9,
    });
    expect(run(['--health-interval', '2s', 'busybox']).healthcheck).toEqual({ Interval: 2e9 });
    expect(run(['busybox']).healthcheck).toBeUndefined();
    expect(run(['--no-healthcheck', 'busybox']).healthcheck).toEqual({ Test: ['NONE'] });
  });

  it('refuse as the docker CLI does (125)', () => {
    expect(err(() => run(['--no-healthcheck', '--health-cmd', 'true', 'busybox']))).toEqual({ message: '--no-healthcheck conflicts with --health-* options', exitCode: 125 });
    expect(err(() => run(['--health-interval', '-1s', 'busybox']))).toEqual({ message: '--health-interval cannot be negative', exitCode: 125 });
    expect(err(() => run(['--health-retries', '-1', 'busybox']))?.message).toBe('--health-retries cannot be negative');
    expect(err(() => run(['--health-start-interval', '-2s', 'busybox']))?.message).toBe('--health-start-interval cannot be negative');
    expect(err(() => run(['--health-timeout', '5', 'busybox']))?.message).toBe('invalid argument "5" for "--health-timeout" flag: time: missing unit in duration "5"');
    expect(err(() => run(['--health-interval', '1x', 'busybox']))?.message).toBe('invalid argument "1x" for "--health-interval" flag: time: unknown unit "x" in duration "1x"');
    expect(err(() => run(['--health-retries', 'x', 'busybox']))?.message).toBe('invalid argument "x" for "--health-retries" flag: strconv.ParseInt: parsing "x": invalid syntax');
  });

  it('the daemon refuses durations under 1ms (moby validateHealthCheck)', () => {
    expect(err(() => validateHealthcheck({ Interval: 500e3 }))).toEqual({ message: 'Interval in Healthcheck cannot be less than 1ms', exitCode: 125 });
    expect(err(() => validateHealthcheck({ StartPeriod: 1 }))?.message).toBe('StartPeriod in Healthcheck cannot be less than 1ms');
    expect(err(() => validateHealthcheck({ Interval: 1e6, Timeout: 0 }))).toBeUndefined();
  });
});

describe('the effective health check', () => {
  const image = { Test: ['CMD', 'check'], Interval: 10e9, Retries: 5 };
  it('is the flags over the image, field by field (moby merge)', () => {
    expect(mergeHealthcheck(image, { Interval: 1e9 })).toEqual({ Test: ['CMD', 'check'], Interval: 1e9, Retries: 5 });
    expect(mergeHealthcheck(image, { Test: ['NONE'] })).toEqual({ Test: ['NONE'], Interval: 10e9, Retries: 5 });
    expect(mergeHealthcheck(undefined, undefined)).toBeUndefined();
    const o = run(['--health-cmd', 'true', 'busybox']);
    expect(mergeContainerConfig({ Healthcheck: image }, o, 'h').Healthcheck).toEqual({ Test: ['CMD-SHELL', 'true'], Interval: 10e9, Retries: 5 });
  });

  it('runs CMD as argv and CMD-SHELL under the shell; NONE runs nothing', () => {
    expect(probeCommand({ Test: ['CMD', 'a', 'b c'] })).toEqual(['a', 'b c']);
    expect(probeCommand({ Test: ['CMD-SHELL', 'a && b'] })).toEqual(['/bin/sh', '-c', 'a && b']);
    expect(probeCommand({ Test: ['CMD-SHELL', 'x'] }, ['/bin/ash', '-eo', 'pipefail', '-c'])).toEqual(['/bin/ash', '-eo', 'pipefail', '-c', 'x']);
    expect(probeCommand({ Test: ['NONE'] })).toBeUndefined();
  });

  it('commit --change HEALTHCHECK is read as the builder reads it', () => {
    expect(applyChanges({}, ['HEALTHCHECK --interval=2s --retries=4 CMD wget -q -O- http://localhost/']).Healthcheck)
      .toEqual({ Test: ['CMD-SHELL', 'wget -q -O- http://localhost/'], Interval: 2e9, Retries: 4 });
    expect(applyChanges({}, ['HEALTHCHECK CMD ["true"]']).Healthcheck).toEqual({ Test: ['CMD', 'true'] });
    expect(applyChanges({ Healthcheck: { Test: ['CMD', 'x'] } }, ['HEALTHCHECK NONE']).Healthcheck).toEqual({ Test: ['NONE'] });
    expect(err(() => applyChanges({}, ['HEALTHCHECK FOO bar']))?.message).toBe('Unknown type "FOO" in HEALTHCHECK (try CMD)');
  });
});

describe('the monitor state (moby handleProbeResult, monitor)', () => {
  const h = { Test: ['CMD', 'x'], Retries: 2, StartPeriod: 10e9 };
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const at = (s: number, code: number) => ({ Start: new Date(t0 + s * 1000).toISOString(), End: new Date(t0 + s * 1000 + 5).toISOString(), ExitCode: code, Output: '' });
  const starting: HealthState = { Status: 'starting', FailingStreak: 0, Log: [] };

  it('a failure within the start period does not count; after it, retries failures make it unhealthy; a success heals', () => {
    let s = applyProbeResult(starting, at(1, 1), h, t0);
    expect(s).toMatchObject({ Status: 'starting', FailingStreak: 0 });
    s = applyProbeResult(s, at(11, 1), h, t0);
    expect(s).toMatchObject({ Status: 'starting', FailingStreak: 1 });
    s = applyProbeResult(s, at(12, -1), h, t0);
    expect(s).toMatchObject({ Status: 'unhealthy', FailingStreak: 2 });
    s = applyProbeResult(s, at(13, 0), h, t0);
    expect(s).toMatchObject({ Status: 'healthy', FailingStreak: 0 });
    expect(s.Log).toHaveLength(4);
    for (let i = 0; i < 4; i++) s = applyProbeResult(s, at(20 + i, 0), h, t0);
    expect(s.Log).toHaveLength(5);
    expect(s.Log[0]!.Start).toBe(at(13, 0).Start);
  });

  it('default retries are 3', () => {
    let s = applyProbeResult(starting, at(1, 1), { Test: ['CMD', 'x'] }, t0);
    s = applyProbeResult(s, at(2, 1), { Test: ['CMD', 'x'] }, t0);
    expect(s.Status).toBe('starting');
    expect(applyProbeResult(s, at(3, 1), { Test: ['CMD', 'x'] }, t0).Status).toBe('unhealthy');
  });

  it('probes every start interval while starting within the start period, else every interval (defaults 5s, 30s)', () => {
    expect(nextProbeDelay(h, t0, t0, 'starting')).toBe(5000);
    expect(nextProbeDelay(h, t0, t0, 'healthy')).toBe(30000);
    expect(nextProbeDelay(h, t0, t0 + 10_000, 'starting')).toBe(30000);
    expect(nextProbeDelay({ Test: ['CMD', 'x'], Interval: 1e9 }, t0, t0, 'starting')).toBe(1000);
  });

  it('keeps 4096 bytes of output and says it cut the rest', () => {
    const o = new ProbeOutput();
    o.write(new Uint8Array(4000).fill(97));
    o.write(new Uint8Array(200).fill(98));
    const s = o.toString();
    expect(s).toHaveLength(4099);
    expect(s.endsWith('b...')).toBe(true);
  });

  it("prints durations as Go's time.Duration does", () => {
    expect([0, 1e9, 1.5e9, 5e8, 90e9, 3600e9, 1500].map(goDuration)).toEqual(['0s', '1s', '1.5s', '500ms', '1m30s', '1h0m0s', '1.5µs']);
  });
});
