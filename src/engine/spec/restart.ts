import { configError, flagError } from './errors.ts';

/**
 * `--restart` (docker run reference, "Restart policies"): the policy as Docker's
 * HostConfig.RestartPolicy holds it, when the engine restarts a container on its own, and
 * how long it waits first.
 */
export interface RestartPolicy {
  Name: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount: number;
}

export const NO_RESTART: RestartPolicy = { Name: 'no', MaximumRetryCount: 0 };

/**
 * The flag's value, checked as Docker checks it: the CLI's `opts.ParseRestartPolicy`
 * (`NAME[:COUNT]`, the count an integer) then the daemon's `validateRestartPolicy` (a
 * known name; a count only with on-failure, never negative). Every refusal exits 125.
 */
export function parseRestartPolicy(text: string): RestartPolicy {
  if (text === '') return NO_RESTART;
  const parts = text.split(':');
  if (parts.length > 2) throw flagError('invalid restart policy format');
  let count = 0;
  if (parts.length === 2) {
    if (!/^[+-]?\d+$/.test(parts[1]!)) throw flagError('maximum retry count must be an integer');
    count = Number(parts[1]);
  }
  const name = parts[0]!;
  switch (name) {
    case 'no':
    case 'always':
    case 'unless-stopped':
      if (count !== 0) throw configError(`maximum retry count cannot be used with restart policy '${name}'`);
      return { Name: name, MaximumRetryCount: 0 };
    case 'on-failure':
      if (count < 0) throw configError('maximum retry count cannot be negative');
      return { Name: name, MaximumRetryCount: count };
    default:
      throw configError(`invalid restart policy '${name}'`);
  }
}

/**
 * moby `restartmanager.ShouldRestart`: `always` restarts whatever the exit, `unless-stopped`
 * unless the user stopped it, `on-failure` after a non-zero status while the retries last
 * (a count of 0: no limit). `restartCount` is the restarts made since its last manual start.
 */
export function shouldRestart(p: RestartPolicy, exit: { exitCode: number; manuallyStopped: boolean; restartCount: number }): boolean {
  switch (p.Name) {
    case 'always':
      return true;
    case 'unless-stopped':
      return !exit.manuallyStopped;
    case 'on-failure':
      return exit.exitCode !== 0 && (p.MaximumRetryCount === 0 || exit.restartCount < p.MaximumRetryCount);
    default:
      return false;
  }
}

/** moby restartmanager: 100 ms, doubled at each restart up to 1 minute; back to 100 ms after a run of 10 s or more. */
export const RESTART_FIRST_DELAY_MS = 100;
export const RESTART_MAX_DELAY_MS = 60_000;
const RESET_AFTER_MS = 10_000;

/** The wait before the next restart, given the last one (0: none yet) and how long the container ran. */
export function nextRestartDelay(lastDelayMs: number, ranMs: number): number {
  const last = ranMs >= RESET_AFTER_MS ? 0 : lastDelayMs;
  return last === 0 ? RESTART_FIRST_DELAY_MS : Math.min(last * 2, RESTART_MAX_DELAY_MS);
}
