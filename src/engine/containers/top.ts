import { TabdockError } from '../../shared/errors.ts';
import type { ProcessInfo } from './runtime.ts';

/** `docker top`'s answer (the API's `ContainerTopOKBody`). */
export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * moby's `top` runs the host's `ps` with the given options (default `-ef`) and keeps the
 * rows of the container's PIDs. The guest has busybox, whose `ps` has none of procps'
 * formats, so the engine prints procps' `-ef` itself from the guest's /proc: UID PID PPID
 * C STIME TTY TIME CMD, as procps formats each (`pr_stime`, `pr_time`, `pr_c`, ttys by
 * device number). Other `ps` options are refused with a sentence, never ignored.
 */
export function topRows(procs: ProcessInfo[], psArgs: string[], now: Date): TopResult {
  const opts = psArgs.join(' ').trim();
  if (!['', '-ef', '-fe', '-e -f', '-f -e'].includes(opts)) {
    throw new TabdockError('UNSUPPORTED', `ps options other than -ef are not available here ("${opts}"): the guest's ps is busybox's, so tabdock prints procps' -ef columns itself`, { psArgs });
  }
  return {
    Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
    Processes: procs.map((p) => [
      p.user ?? String(p.uid), String(p.pid), String(p.ppid), String(cpuPercent(p)), stime(new Date(p.startedAt), now), tty(p.ttyNr),
      cpuTime(p.cpuSeconds), p.args.length ? p.args.join(' ') : `[${p.comm}]`,
    ]),
  };
}

/** procps `pr_c`: CPU time over the time since it started, in whole percent. */
function cpuPercent(p: ProcessInfo): number {
  return p.elapsedSeconds > 0 ? Math.min(99, Math.floor((p.cpuSeconds * 100) / p.elapsedSeconds)) : 0;
}

/** procps `pr_stime`: `HH:MM` today, `MonDD` this year, else the year (the engine's local time). */
export function stime(t: Date, now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  if (t.getFullYear() !== now.getFullYear()) return String(t.getFullYear());
  if (t.getMonth() !== now.getMonth() || t.getDate() !== now.getDate()) return `${MONTHS[t.getMonth()]}${pad(t.getDate())}`;
  return `${pad(t.getHours())}:${pad(t.getMinutes())}`;
}

/** procps `pr_time`: `[DD-]HH:MM:SS` of CPU time. */
export function cpuTime(seconds: number): string {
  const s = Math.floor(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  const days = Math.floor(s / 86400);
  const hms = `${pad(Math.floor((s % 86400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return days ? `${days}-${hms}` : hms;
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
