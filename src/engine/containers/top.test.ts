import { describe, expect, it } from 'vitest';
import { cpuTime, stime, topRows, tty } from './top.ts';
import { parseProcesses } from './guest-runtime.ts';

describe('docker top: procps -ef from the guest /proc', () => {
  it('reads the guest script output: stat lines (comm with spaces and parentheses), uids, command lines', () => {
    const now = Date.UTC(2026, 0, 2, 12, 0, 0);
    const text = '1000.50 10.00\nroot:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n'
      + '\n@@@ 42\n42 (sh) S 40 42 42 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 1 0 50000 1234 56 4294967295\n0\nsh\0-c\0sleep 9 & wait\0'
      + '\n@@@ 43\n43 (a (b) c) S 42 42 42 34816 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 99950 1234 56 4294967295\n1000\n';
    const ps = parseProcesses(text, now);
    expect(ps).toEqual([
      { pid: 42, ppid: 40, uid: 0, user: 'root', ttyNr: 0, startedAt: now - 500_500, cpuSeconds: 2, elapsedSeconds: 500.5, args: ['sh', '-c', 'sleep 9 & wait'], comm: 'sh' },
      { pid: 43, ppid: 42, uid: 1000, user: 'app', ttyNr: 34816, startedAt: now - 1000, cpuSeconds: 0, elapsedSeconds: 1, args: [], comm: 'a (b) c' },
    ]);
    const rows = topRows(ps, [], new Date(now)).Processes;
    expect(rows[1]).toEqual(['app', '43', '42', '0', stime(new Date(now - 1000), new Date(now)), 'pts/0', '00:00:00', '[a (b) c]']);
    expect(rows[0]![3]).toBe('0');
    expect(() => topRows(ps, ['aux'], new Date(now))).toThrow('ps options other than -ef');
    expect(topRows(ps, ['-e', '-f'], new Date(now)).Titles).toEqual(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  });

  it('formats as procps: STIME by age, TIME with days, ttys by device number', () => {
    const now = new Date(2026, 5, 10, 15, 30);
    expect(stime(new Date(2026, 5, 10, 9, 5), now)).toBe('09:05');
    expect(stime(new Date(2026, 5, 9, 23, 59), now)).toBe('Jun09');
    expect(stime(new Date(2025, 11, 31, 23, 59), now)).toBe('2025');
    expect(cpuTime(59.9)).toBe('00:00:59');
    expect(cpuTime(90061)).toBe('1-01:01:01');
    expect(tty(0)).toBe('?');
    expect(tty((136 << 8) | 3)).toBe('pts/3');
    expect(tty((4 << 8) | 65)).toBe('ttyS1');
  });
});
