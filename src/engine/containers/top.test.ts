import { describe, expect, it } from 'vitest';
import { cpuTime, stime, topRows, tty } from './top.ts';
import { parseProcesses } from './guest-runtime.ts';

describe('docker top: procps -ef from the guest /proc', () => {
  it('reads the guest script output: stat lines (comm with spaces and parentheses), uids, command lines', () => {
    const now = Date.UTC(2026, 0, 2, 12, 0, 0);
    const text = '250000\n1000.50 10.00\nroot:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n'
      + '\n@@@ 42\n42 (sh) S 40 42 42 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 1 0 50000 1234 56 4294967295\n0\nsh\0-c\0sleep 9 & wait\0'
      + '\n@@@ 43\n43 (a (b) c) S 42 42 42 34816 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 99950 1234 56 4294967295\n1000\n';
    const ps = parseProcesses(text, now);
    const stat = { state: 'S', pgrp: 42, session: 42, tpgid: -1, priority: 20, nice: 0, threads: 1, vsizeBytes: 1234, rssKb: 56 * 4, processor: 0, memTotalKb: 250000 };
    expect(ps).toEqual([
      { pid: 42, ppid: 40, uid: 0, user: 'root', ttyNr: 0, startedAt: now - 500_500, cpuSeconds: 2, elapsedSeconds: 500.5, args: ['sh', '-c', 'sleep 9 & wait'], comm: 'sh', stat },
      { pid: 43, ppid: 42, uid: 1000, user: 'app', ttyNr: 34816, startedAt: now - 1000, cpuSeconds: 0, elapsedSeconds: 1, args: [], comm: 'a (b) c', stat },
    ]);
    const rows = topRows(ps, [], new Date(now)).Processes;
    expect(rows[1]).toEqual(['app', '43', '42', '0', stime(new Date(now - 1000), new Date(now)), 'pts/0', '00:00:00', '[a (b) c]']);
    expect(rows[0]![3]).toBe('0');
    expect(topRows(ps, ['-e', '-f'], new Date(now)).Titles).toEqual(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  });

  it("applies procps' options: aux, -o lists (headers renamed), -F, j, --format; splits the lines as moby does", () => {
    const now = Date.UTC(2026, 0, 2, 12, 0, 0);
    const base = { ppid: 0, uid: 0, user: 'root', ttyNr: 0, startedAt: now - 100_000, elapsedSeconds: 100, comm: 'sh' };
    const stat = { state: 'S', pgrp: 1, session: 1, tpgid: -1, priority: 20, nice: 0, threads: 1, vsizeBytes: 1_600_000, rssKb: 2500, processor: 0, memTotalKb: 250000 };
    const ps = [
      { ...base, pid: 1, cpuSeconds: 5, args: ['sh', '-c', 'sleep 9 & wait'], stat },
      { ...base, pid: 7, ppid: 1, cpuSeconds: 0, args: ['sleep', '9'], comm: 'sleep', stat: { ...stat, state: 'R', pgrp: 7, tpgid: 7, nice: 5, threads: 2 } },
    ];
    const at = new Date(now);
    const aux = topRows(ps, ['aux'], at);
    expect(aux.Titles).toEqual(['USER', 'PID', '%CPU', '%MEM', 'VSZ', 'RSS', 'TTY', 'STAT', 'START', 'TIME', 'COMMAND']);
    expect(aux.Processes).toEqual([
      ['root', '1', '5.0', '1.0', '1562', '2500', '?', 'Ss', stime(new Date(now - 100_000), at), '00:00:05', 'sh -c sleep 9 & wait'],
      ['root', '7', '0.0', '1.0', '1562', '2500', '?', 'RNl+', stime(new Date(now - 100_000), at), '00:00:00', 'sleep 9'],
    ]);
    expect(topRows(ps, ['-o', 'pid,comm'], at)).toEqual({ Titles: ['PID', 'COMMAND'], Processes: [['1', 'sh'], ['7', 'sleep']] });
    expect(topRows(ps, ['-eo', 'pid,ppid,stat=STATE,etime'], at)).toEqual({ Titles: ['PID', 'PPID', 'STATE', 'ELAPSED'], Processes: [['1', '0', 'Ss', '01:40'], ['7', '1', 'RNl+', '01:40']] });
    expect(topRows(ps, ['--format=pid,nice,pri,nlwp'], at).Processes).toEqual([['1', '0', '19', '1'], ['7', '5', '19', '2']]);
    expect(topRows(ps, ['-F'], at).Titles).toEqual(['UID', 'PID', 'PPID', 'C', 'SZ', 'RSS', 'PSR', 'STIME', 'TTY', 'TIME', 'CMD']);
    expect(topRows(ps, ['xj'], at).Titles).toEqual(['PPID', 'PID', 'PGID', 'SID', 'TTY', 'TPGID', 'STAT', 'UID', 'TIME', 'COMMAND']);
    expect(topRows(ps, ['-e'], at)).toEqual({ Titles: ['PID', 'TTY', 'TIME', 'CMD'], Processes: [['1', '?', '00:00:05', 'sh'], ['7', '?', '00:00:00', 'sleep']] });
    // moby splits on whitespace: a command line before the last column spills into the next ones.
    expect(topRows([ps[1]!], ['-o', 'args,pid'], at).Processes).toEqual([['sleep', '9 7']]);
    expect(() => topRows(ps, ['-o', 'args,pid'], at)).toThrow("Unexpected pid '-c'");
    expect(() => topRows(ps, ['-o', 'args'], at)).toThrow("Couldn't find PID field in ps output");
    // moby's validatePSArgs: a column named PID... other than pid's own (its pattern takes the whole list before `=`).
    expect(() => topRows(ps, ['-o', 'pid,comm=PID'], at)).toThrow('specifying "pid,comm=PID" is not allowed');
    expect(() => topRows(ps, ['-o', 'ppid=PIDX'], at)).toThrow('specifying "ppid=PIDX" is not allowed');
    expect(topRows(ps, ['-o', 'pid=PID,comm'], at).Titles).toEqual(['PID', 'COMMAND']);
    expect(() => topRows(ps, ['-o', 'pid,bogus'], at)).toThrow('ps: error: unknown user-defined format specifier "bogus"');
    expect(() => topRows(ps, ['-f', '-o', 'pid'], at)).toThrow('ps: error: conflicting format options');
    expect(() => topRows(ps, ['-Y'], at)).toThrow('ps: error: unsupported SysV option');
    for (const [a, why] of [[['-u', 'root'], 'the selection -u'], [['-H'], '-H (a process hierarchy)'], [['auxf'], 'f (a process forest)'], [['--sort=pid'], 'the option --sort']] as const) {
      expect(() => topRows(ps, [...a], at)).toThrow(`ps: ${why} is not available here`);
    }
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
