import { describe, expect, it } from 'vitest';
import { netDev, sumIoStat } from './guest-runtime.ts';

describe('sumIoStat', () => {
  it('sums rbytes and wbytes over every device of a cgroup v2 io.stat', () => {
    const text = '254:0 rbytes=4096 wbytes=1048576 rios=1 wios=16 dbytes=0 dios=0\n8:16 rbytes=512 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n';
    expect(sumIoStat(text)).toEqual({ read: 4608, write: 1048576 });
  });
  it('is zero for a cgroup that touched no block device (an empty io.stat)', () => {
    expect(sumIoStat('')).toEqual({ read: 0, write: 0 });
  });
});

describe('netDev', () => {
  it('reads bytes in and out per interface from /proc/net/dev, lo left out', () => {
    const text = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     336       4    0    0    0     0          0         0      336       4    0    0    0     0       0          0
  eth0:    1234      12    0    0    0     0          0         0     5678      15    0    0    0     0       0          0
`;
    expect(netDev(text)).toEqual({ eth0: { rx_bytes: 1234, tx_bytes: 5678 } });
  });
  it('is empty for a namespace with only lo and the kernel\'s idle sit0', () => {
    expect(netDev('Inter-|\n face |\n    lo:  0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n  sit0:  0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n')).toEqual({});
  });
});
