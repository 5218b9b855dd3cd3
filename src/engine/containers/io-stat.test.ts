import { describe, expect, it } from 'vitest';
import { sumIoStat } from './guest-runtime.ts';

describe('sumIoStat', () => {
  it('sums rbytes and wbytes over every device of a cgroup v2 io.stat', () => {
    const text = '254:0 rbytes=4096 wbytes=1048576 rios=1 wios=16 dbytes=0 dios=0\n8:16 rbytes=512 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n';
    expect(sumIoStat(text)).toEqual({ read: 4608, write: 1048576 });
  });
  it('is zero for a cgroup that touched no block device (an empty io.stat)', () => {
    expect(sumIoStat('')).toEqual({ read: 0, write: 0 });
  });
});
