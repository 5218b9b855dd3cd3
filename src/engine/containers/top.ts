import { TabdockError } from '../../shared/errors.ts';
import { PS_SPECS, type PsSpec } from './ps-format.ts';
import type { ProcessInfo } from './runtime.ts';

export { cpuTime, stime, tty } from './ps-format.ts';

/** `docker top`'s answer (the API's `ContainerTopOKBody`). */
export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

/** procps -f's UID column: the user's name (its number when it has none). */
const UID_NAME: PsSpec = { header: 'UID', cell: (p) => p.user ?? String(p.uid) };
const specs = (...names: string[]) => names.map((n) => PS_SPECS[n]!);

/** The formats procps' options choose (ps/sortformat.c), by option. */
const FORMATS = {
  unixDefault: specs('pid', 'tname', 'time', 'ucmd'),
  f: [UID_NAME, ...specs('pid', 'ppid', 'c', 'stime', 'tname', 'time', 'cmd')],
  F: [UID_NAME, ...specs('pid', 'ppid', 'c', 'sz', 'rss', 'psr', 'stime', 'tname', 'time', 'cmd')],
  j: specs('pid', 'pgid', 'sid', 'tname', 'time', 'ucmd'),
  bsdDefault: specs('pid', 'tname', 'stat', 'time', 'args'),
  bsdU: specs('user', 'pid', 'pcpu', 'pmem', 'vsz', 'rss', 'tname', 'stat', 'start_time', 'time', 'args'),
  bsdJ: specs('ppid', 'pid', 'pgid', 'sid', 'tname', 'tpgid', 'stat', 'uid', 'time', 'args'),
};

/** What procps has and the engine does not print, by option: refused with this reason. */
const NOT_HERE: Record<string, string> = {
  H: 'a process hierarchy', f: 'a process forest', L: 'threads', T: 'threads', m: 'threads', l: 'the long format (its WCHAN and ADDR)',
  y: 'the long format', c: 'scheduling classes', M: 'security labels', Z: 'security labels', v: 'the virtual memory format',
  s: 'the signal format', e: 'the environment', h: 'output without headers', r: 'a selection of running processes',
  n: 'numeric WCHAN', S: 'children\'s times', V: 'the version', O: 'sorting', k: 'sorting',
};
/** Selections by some processes only (UNIX `-p`, `-u`, ...; BSD `p`, `T`, ...). */
const UNIX_SELECTION = new Set(['p', 'q', 'u', 'U', 'g', 'G', 'C', 's', 't', 'N', 'a', 'd']);
const BSD_SELECTION = new Set(['p', 'q', 't', 'T', 'U']);

const unavailable = (what: string) => new TabdockError('UNSUPPORTED', `ps: ${what} is not available here: the guest's ps is busybox's, so tabdock prints procps' columns itself, for every process of the container`, { what });
const psError = (line: string) => new TabdockError('INVALID_ARGUMENT', `ps: ${line}`, {});

/**
 * moby's `top` (daemon/top_unix.go) runs the host's procps `ps` with the given options
 * (default `-ef`) and the container's PIDs, then keeps the rows of those PIDs. The guest has
 * busybox, whose `ps` has none of procps' formats, so the engine is procps here: it reads
 * the options as procps does (UNIX `-ef`, `-F`, `-j`, `-o LIST`; BSD `aux`, `j`, `o LIST`;
 * `--format LIST`), prints each specifier as procps does (ps-format.ts), then splits the
 * lines into titles and cells as moby does (`parsePSOutput`: whitespace-separated, the
 * overflow joined into the last column, the PID column required). Selections that keep
 * every process (`-e`, `-A`, `a`, `x`) are the default; other selections, and formats the
 * guest's /proc cannot answer, are refused with a sentence, never ignored.
 */
export function topRows(procs: ProcessInfo[], psArgs: string[], now: Date): TopResult {
  const joined = psArgs.join(' ');
  // moby validatePSArgs: a renamed PID column would hide the PIDs it filters by.
  for (const m of ` ${joined}`.matchAll(/\s+(\S*)=\s*(PID\S*)/g)) {
    if (m[1] !== 'pid') throw new TabdockError('INVALID_ARGUMENT', `specifying "${m[1]}=${m[2]}" is not allowed`, {});
  }
  const format = chooseFormat(joined === '' ? ['-ef'] : joined.split(' ').filter((a) => a !== ''));
  const lines = [format.map((s) => s.header).join(' '), ...procs.map((p) => format.map((s) => s.cell(p, now)).join(' '))];
  return parsePsOutput(lines);
}

/** moby `parsePSOutput`: fields split on ASCII whitespace, the cells beyond the titles joined into the last. */
function parsePsOutput([head = '', ...rows]: string[]): TopResult {
  const fields = (l: string) => l.split(/[ \t\n\v\f\r]+/).filter((f) => f !== '');
  const Titles = fields(head);
  const pidIndex = Titles.indexOf('PID');
  if (pidIndex === -1) throw new TabdockError('INVALID_ARGUMENT', "Couldn't find PID field in ps output", {});
  const Processes = rows.map((l) => {
    const f = fields(l);
    if (!/^\d+$/.test(f[pidIndex] ?? '')) throw new TabdockError('INVALID_ARGUMENT', `Unexpected pid '${f[pidIndex] ?? ''}': strconv.Atoi: parsing "${f[pidIndex] ?? ''}": invalid syntax`, {});
    return [...f.slice(0, Titles.length - 1), f.slice(Titles.length - 1).join(' ')];
  });
  return { Titles, Processes };
}

/** procps' option parser (ps/parser.c), for the options the engine applies. */
function chooseFormat(args: string[]): PsSpec[] {
  const user: PsSpec[] = [];
  let chosen: keyof typeof FORMATS | undefined;
  let bsd = false;
  const choose = (f: keyof typeof FORMATS) => {
    if (chosen && chosen !== f) throw psError('error: conflicting format options');
    chosen = f;
  };
  const userList = (list: string | undefined) => {
    if (list === undefined || list === '') throw psError('error: format specification must follow o');
    for (const item of list.split(',')) {
      const eq = item.indexOf('=');
      const name = eq === -1 ? item : item.slice(0, eq);
      const s = PS_SPECS[name];
      if (!s) throw psError(`error: unknown user-defined format specifier "${name}"`);
      if (eq !== -1 && item.slice(eq + 1) === '') throw unavailable(`an empty header (${item})`);
      user.push(eq === -1 ? s : { header: item.slice(eq + 1), cell: s.cell });
    }
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--')) {
      const [name, value] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
      if (name === '--format') userList(value ?? args[++i]);
      else if (['--width', '--cols', '--columns'].includes(name)) {
        if (value === undefined) i++; // the width: the cells are never cut here
      } else throw unavailable(`the option ${name}`);
      continue;
    }
    if (/^\d[\d,]*$/.test(a)) throw unavailable(`a selection by PID (${a})`);
    const unix = a.startsWith('-');
    bsd ||= !unix;
    const letters = unix ? a.slice(1) : a;
    for (let j = 0; j < letters.length; j++) {
      const c = letters[j]!;
      if (c === 'o') {
        userList(j + 1 < letters.length ? letters.slice(j + 1) : args[++i]);
        break;
      }
      if (c === 'w') continue; // wide output: the cells are never cut here
      if (unix) {
        if (c === 'e' || c === 'A') continue;
        if (c === 'f' || c === 'F' || c === 'j') {
          choose(c);
          continue;
        }
        if (UNIX_SELECTION.has(c)) throw unavailable(`the selection -${c}`);
      } else {
        if (c === 'a' || c === 'x' || c === 'g') continue;
        if (c === 'u' || c === 'j') {
          choose(c === 'u' ? 'bsdU' : 'bsdJ');
          continue;
        }
        if (BSD_SELECTION.has(c)) throw unavailable(`the selection ${c}`);
      }
      const why = NOT_HERE[c];
      if (why) throw unavailable(`${unix ? '-' : ''}${c} (${why})`);
      throw psError(unix ? 'error: unsupported SysV option' : 'error: unsupported option (BSD syntax)');
    }
  }
  if (user.length) {
    if (chosen) throw psError('error: conflicting format options');
    return user;
  }
  return chosen ? FORMATS[chosen] : bsd ? FORMATS.bsdDefault : FORMATS.unixDefault;
}
