import { TabdockError } from '../../shared/errors.ts';

/**
 * Linux signal numbers for x86 (i386 shares the generic numbering), as moby's
 * `pkg/signal` `SignalMap` (signal_linux.go) names them, without the `SIG` prefix.
 */
export const SIGNALS: Readonly<Record<string, number>> = Object.freeze({
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, IOT: 6, BUS: 7, FPE: 8, KILL: 9,
  USR1: 10, SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17,
  CLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, XCPU: 24,
  XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, POLL: 29, PWR: 30, SYS: 31,
  ...realtime(),
});

/** RTMIN = 34 and RTMAX = 64, with RTMIN+n and RTMAX-n as moby lists them (n = 1..15). */
function realtime(): Record<string, number> {
  const out: Record<string, number> = { RTMIN: 34, RTMAX: 64 };
  for (let n = 1; n <= 15; n++) {
    out[`RTMIN+${n}`] = 34 + n;
    out[`RTMAX-${n}`] = 64 - n;
  }
  return out;
}

const MAX_SIGNAL = 64;

export interface Signal {
  /** The signal number (1..64). */
  number: number;
  /** Canonical name with the prefix: `SIGTERM`; `SIG<n>` for unnamed numbers. */
  name: string;
}

/**
 * `--stop-signal` and `kill -s`: `SIGTERM`, `TERM`, `term` or `15` (moby `pkg/signal`
 * `ParseSignal`: a number is taken as is, a name case-insensitively with or without
 * `SIG`; 0 and unknown names are `Invalid signal: <s>`).
 */
export function parseSignal(raw: string): Signal {
  const invalid = () => new TabdockError('INVALID_SIGNAL', `Invalid signal: ${raw}`, { signal: raw }, { exitCode: 125 });
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n < 1 || n > MAX_SIGNAL) throw invalid();
    return { number: n, name: signalName(n) };
  }
  const key = raw.toUpperCase().replace(/^SIG/, '');
  const n = SIGNALS[key];
  if (n === undefined) throw invalid();
  return { number: n, name: `SIG${key}` };
}

/** The canonical name of a signal number (`15` -> `SIGTERM`). */
export function signalName(n: number): string {
  // First name wins: ABRT over IOT, CHLD over CLD, IO over POLL.
  for (const [k, v] of Object.entries(SIGNALS)) if (v === n) return `SIG${k}`;
  return `SIG${n}`;
}
