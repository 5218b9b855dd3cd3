import type { ProcessInfo } from './runtime.ts';

/**
 * procps' format specifiers (ps(1) "STANDARD FORMAT SPECIFIERS") that /proc/PID/stat
 * answers, each with its default header and its cell as procps prints it (`ps/output.c`).
 * `docker top CONTAINER -o ...` and the formats of `-f`, `-F`, `-j`, `u`, `j` are lists
 * of these. A cell procps would print from data the runtime did not give is `-`.
 */
export interface PsSpec {
  header: string;
  cell(p: ProcessInfo, now: Date): string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => String(n).padStart(2, '0');
/** A cell from the stat fields, `-` when the runtime gave none. */
const st = (f: (s: NonNullable<ProcessInfo['stat']>, p: ProcessInfo) => string | number) => (p: ProcessInfo) => (p.stat ? String(f(p.stat, p)) : '-');
const userName = (p: ProcessInfo) => p.user ?? String(p.uid);
const args = (p: ProcessInfo) => (p.args.length ? p.args.join(' ') : `[${p.comm}]`);
const elapsed = (p: ProcessInfo) => Math.floor(p.elapsedSeconds);

/** procps `pr_c`: CPU time over the time since it started, in whole percent (at most 99). */
const cpuPercent = (p: ProcessInfo) => (elapsed(p) > 0 ? Math.min(99, Math.floor((p.cpuSeconds * 100) / elapsed(p))) : 0);

/** procps `pr_pcpu`: the same in tenths, `x.y` (above 99.9: whole percent). */
function pcpu(p: ProcessInfo): string {
  const permille = elapsed(p) > 0 ? Math.floor((p.cpuSeconds * 1000) / elapsed(p)) : 0;
  return permille > 999 ? String(Math.floor(permille / 10)) : `${Math.floor(permille / 10)}.${permille % 10}`;
}

/** procps `pr_pmem`: resident memory over MemTotal, in tenths of a percent (at most 99.9). */
function pmem(s: NonNullable<ProcessInfo['stat']>): string {
  const permille = s.memTotalKb > 0 ? Math.min(999, Math.floor((s.rssKb * 1000) / s.memTotalKb)) : 0;
  return `${Math.floor(permille / 10)}.${permille % 10}`;
}

/** procps `pr_stat`: the state, then `<` `N` (nice), `s` (session leader), `l` (threads), `+` (foreground group). */
function bsdStat(s: NonNullable<ProcessInfo['stat']>, p: ProcessInfo): string {
  return s.state + (s.nice < 0 ? '<' : '') + (s.nice > 0 ? 'N' : '') + (s.session === p.pid ? 's' : '') + (s.threads > 1 ? 'l' : '') + (s.pgrp === s.tpgid ? '+' : '');
}

/** procps `pr_stime`: `HH:MM` today, `MonDD` this year, else the year (the engine's local time). */
export function stime(t: Date, now: Date): string {
  if (t.getFullYear() !== now.getFullYear()) return String(t.getFullYear());
  if (t.getMonth() !== now.getMonth() || t.getDate() !== now.getDate()) return `${MONTHS[t.getMonth()]}${pad2(t.getDate())}`;
  return `${pad2(t.getHours())}:${pad2(t.getMinutes())}`;
}

/** procps `pr_start` (STARTED): `HH:MM:SS` within a day, else `Mon DD` (a cell with a space, as procps prints it). */
function started(t: Date, now: Date): string {
  if (t.getTime() + 86_400_000 > now.getTime()) return `${pad2(t.getHours())}:${pad2(t.getMinutes())}:${pad2(t.getSeconds())}`;
  return `${MONTHS[t.getMonth()]} ${pad2(t.getDate())}`;
}

/** procps `pr_time`: `[DD-]HH:MM:SS` of CPU time. */
export function cpuTime(seconds: number): string {
  const s = Math.floor(seconds);
  const days = Math.floor(s / 86400);
  const hms = `${pad2(Math.floor((s % 86400) / 3600))}:${pad2(Math.floor((s % 3600) / 60))}:${pad2(s % 60)}`;
  return days ? `${days}-${hms}` : hms;
}

/** procps `pr_etime`: `[[DD-]hh:]mm:ss` since it started. */
function etime(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const ms = `${pad2(Math.floor((seconds % 3600) / 60))}:${pad2(seconds % 60)}`;
  return days ? `${days}-${pad2(h)}:${ms}` : h ? `${pad2(h)}:${ms}` : ms;
}

/** A tty by device number as procps names it: `pts/N`, `ttyN`, `ttySN`, `?` for none. */
export function tty(nr: number): string {
  if (nr === 0) return '?';
  const major = (nr >> 8) & 0xfff;
  const minor = ((nr >> 12) & 0xfff00) | (nr & 0xff);
  if (major >= 136 && major <= 143) return `pts/${minor + (major - 136) * 256}`;
  if (major === 4) return minor < 64 ? `tty${minor}` : `ttyS${minor - 64}`;
  if (major === 5 && minor === 0) return 'tty';
  if (major === 229) return `hvc${minor}`;
  return '?';
}

const spec = (header: string, cell: (p: ProcessInfo, now: Date) => string): PsSpec => ({ header, cell });
const pid = spec('PID', (p) => String(p.pid));
const ttyCell = (p: ProcessInfo) => tty(p.ttyNr);
const time = (p: ProcessInfo) => cpuTime(p.cpuSeconds);
const startTime = (p: ProcessInfo, now: Date) => stime(new Date(p.startedAt), now);

/** Every specifier by name (aliases share a cell, each with procps' header). */
export const PS_SPECS: Readonly<Record<string, PsSpec>> = {
  pid, tgid: spec('TGID', (p) => String(p.pid)), ppid: spec('PPID', (p) => String(p.ppid)),
  pgid: spec('PGID', st((s) => s.pgrp)), pgrp: spec('PGRP', st((s) => s.pgrp)), sid: spec('SID', st((s) => s.session)), sess: spec('SESS', st((s) => s.session)),
  session: spec('SESS', st((s) => s.session)), tpgid: spec('TPGID', st((s) => s.tpgid)),
  uid: spec('UID', (p) => String(p.uid)), euid: spec('EUID', (p) => String(p.uid)), ruid: spec('RUID', (p) => String(p.uid)),
  user: spec('USER', userName), euser: spec('EUSER', userName), ruser: spec('RUSER', userName), uname: spec('USER', userName),
  comm: spec('COMMAND', (p) => p.comm), ucomm: spec('COMMAND', (p) => p.comm), ucmd: spec('CMD', (p) => p.comm),
  args: spec('COMMAND', args), command: spec('COMMAND', args), cmd: spec('CMD', args),
  tty: spec('TT', ttyCell), tt: spec('TT', ttyCell), tname: spec('TTY', ttyCell),
  time: spec('TIME', time), cputime: spec('TIME', time), etime: spec('ELAPSED', (p) => etime(elapsed(p))), etimes: spec('ELAPSED', (p) => String(elapsed(p))),
  stime: spec('STIME', startTime), start_time: spec('START', startTime), start: spec('STARTED', (p, now) => started(new Date(p.startedAt), now)),
  c: spec('C', (p) => String(cpuPercent(p))), pcpu: spec('%CPU', pcpu), '%cpu': spec('%CPU', pcpu),
  pmem: spec('%MEM', st(pmem)), '%mem': spec('%MEM', st(pmem)),
  vsz: spec('VSZ', st((s) => Math.floor(s.vsizeBytes / 1024))), vsize: spec('VSZ', st((s) => Math.floor(s.vsizeBytes / 1024))),
  rss: spec('RSS', st((s) => s.rssKb)), rssize: spec('RSS', st((s) => s.rssKb)), rsz: spec('RSZ', st((s) => s.rssKb)),
  sz: spec('SZ', st((s) => Math.floor(s.vsizeBytes / 4096))),
  stat: spec('STAT', st(bsdStat)), s: spec('S', st((s) => s.state)), state: spec('S', st((s) => s.state)),
  ni: spec('NI', st((s) => s.nice)), nice: spec('NI', st((s) => s.nice)), pri: spec('PRI', st((s) => 39 - s.priority)),
  nlwp: spec('NLWP', st((s) => s.threads)), thcount: spec('THCNT', st((s) => s.threads)), psr: spec('PSR', st((s) => s.processor)),
};
