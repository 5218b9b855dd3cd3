import { TabdockError } from '../../shared/errors.ts';
import { SIGNALS } from './signals.ts';

/**
 * Docker's exit statuses for `docker run` (docker run reference, "Exit status"):
 * 125 when the daemon/engine itself fails (flag errors included), 126 when the command
 * cannot be invoked, 127 when it cannot be found, otherwise the command's own status;
 * a command killed by a signal ends with 128 + the signal number (137 after SIGKILL,
 * which is also what an OOM kill looks like).
 */
export const EXIT_ENGINE_ERROR = 125;
export const EXIT_CANNOT_INVOKE = 126;
export const EXIT_NOT_FOUND = 127;
export const EXIT_SIGNAL_BASE = 128;

/**
 * The status for an error raised while starting the command, from the runtime's
 * message. Follows moby `daemon/start.go` (`translateContainerdStartErr`): "executable
 * file not found" / "no such file or directory" -> 127; EACCES ("permission denied")
 * -> 126; ENOTDIR ("not a directory", a file mounted onto a directory) -> 127.
 * crun's own sentences are covered as well: `executable file `x` not found in $PATH`,
 * and "is a directory" (EISDIR from exec of a directory) -> 126.
 * Anything else is an engine failure: 125. Given `command`, the not-found rules apply only
 * when the message names it, as moby checks.
 */
export function exitCodeForStartError(message: string, command?: string): number {
  const m = message.toLowerCase();
  if (m.includes('permission denied') || m.includes('is a directory')) return EXIT_CANNOT_INVOKE;
  // crun refuses to exec what is not a regular file (a directory, a device) with EPERM
  // before it tries: Docker's runc says "is a directory" there, and 126.
  if (m.includes('open executable: operation not permitted')) return EXIT_CANNOT_INVOKE;
  if (m.includes('not a directory')) return EXIT_NOT_FOUND;
  // moby only blames the command when the message names it (a missing mount source is
  // also "no such file or directory", and that is an engine error).
  const namesCommand = command === undefined || m.includes(command.toLowerCase());
  const notFound =
    m.includes('executable file not found') ||
    (m.includes('executable file') && m.includes('not found')) ||
    m.includes('no such file or directory');
  return notFound && namesCommand ? EXIT_NOT_FOUND : EXIT_ENGINE_ERROR;
}

export interface ProcessEnd {
  /** The exit status when the process exited by itself. */
  code?: number | null;
  /** The signal that ended it: a number or a name (`SIGKILL`, `KILL`). */
  signal?: number | string | null;
  /** The kernel's OOM killer ended it (cgroup `memory.events` oom_kill). */
  oomKilled?: boolean;
}

/** The status `docker run`/`docker wait` reports for a finished process. */
export function exitCodeForProcess(end: ProcessEnd): number {
  if (end.signal !== undefined && end.signal !== null) {
    const n = typeof end.signal === 'number' ? end.signal : SIGNALS[end.signal.toUpperCase().replace(/^SIG/, '')];
    if (n !== undefined) return EXIT_SIGNAL_BASE + n;
  }
  // An OOM kill is a SIGKILL: 128 + 9, even when the status was lost on the way.
  if (end.oomKilled && (end.code === undefined || end.code === null || end.code === 0)) return EXIT_SIGNAL_BASE + 9;
  return (end.code ?? 0) & 0xff;
}

/** The status for anything thrown before the command ran (flag and engine errors). */
export function exitCodeForError(e: unknown): number {
  return (e instanceof TabdockError ? e.exitCode : undefined) ?? EXIT_ENGINE_ERROR;
}
