import { describe, expect, it } from 'vitest';
import { nextRestartDelay, parseRestartPolicy, shouldRestart } from './restart.ts';

describe('restart policies (moby restartmanager)', () => {
  it('parses the flag as docker does', () => {
    expect(parseRestartPolicy('')).toEqual({ Name: 'no', MaximumRetryCount: 0 });
    expect(parseRestartPolicy('no')).toEqual({ Name: 'no', MaximumRetryCount: 0 });
    expect(parseRestartPolicy('always')).toEqual({ Name: 'always', MaximumRetryCount: 0 });
    expect(parseRestartPolicy('unless-stopped')).toEqual({ Name: 'unless-stopped', MaximumRetryCount: 0 });
    expect(parseRestartPolicy('on-failure')).toEqual({ Name: 'on-failure', MaximumRetryCount: 0 });
    expect(parseRestartPolicy('on-failure:3')).toEqual({ Name: 'on-failure', MaximumRetryCount: 3 });
  });

  it('decides as ShouldRestart does', () => {
    const at = (exitCode: number, manuallyStopped = false, restartCount = 0) => ({ exitCode, manuallyStopped, restartCount });
    expect(shouldRestart({ Name: 'no', MaximumRetryCount: 0 }, at(1))).toBe(false);
    expect(shouldRestart({ Name: 'always', MaximumRetryCount: 0 }, at(0, true))).toBe(true);
    expect(shouldRestart({ Name: 'unless-stopped', MaximumRetryCount: 0 }, at(0))).toBe(true);
    expect(shouldRestart({ Name: 'unless-stopped', MaximumRetryCount: 0 }, at(0, true))).toBe(false);
    expect(shouldRestart({ Name: 'on-failure', MaximumRetryCount: 0 }, at(0))).toBe(false);
    expect(shouldRestart({ Name: 'on-failure', MaximumRetryCount: 0 }, at(3, false, 99))).toBe(true);
    expect(shouldRestart({ Name: 'on-failure', MaximumRetryCount: 2 }, at(3, false, 1))).toBe(true);
    expect(shouldRestart({ Name: 'on-failure', MaximumRetryCount: 2 }, at(3, false, 2))).toBe(false);
  });

  it('backs off from 100 ms, doubling to a minute, and starts over after a run of 10 s', () => {
    const delays: number[] = [];
    let d = 0;
    for (let i = 0; i < 12; i++) delays.push((d = nextRestartDelay(d, 50)));
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000]);
    expect(nextRestartDelay(60000, 10_000)).toBe(100);
  });
});
