import { parseArgs, usageText } from '../../args.ts';
import type { Command } from '../../command.ts';
import { BASE_SUBS, GLOBAL_FLAGS, cliError, type Sub } from '../compose.ts';
import { exec, run } from './exec-run.ts';
import { build, images, pull, push } from './images.ts';
import { ls, port, top } from './info.ts';
import { attachedUp } from './up-attached.ts';

/**
 * `docker compose`: the global flags, then one sub-command. The first slice's sub-commands
 * are `../compose.ts`'s; this folder adds the rest (one file per group) and dispatches.
 */
const SUBS: Record<string, Sub> = {
  ...BASE_SUBS,
  up: attachedUp(BASE_SUBS['up']!),
  exec, run, build, pull, push, images, top, port, ls,
};

/** Compose v2 commands tabdock does not run yet: refused with a sentence, not "unknown". */
const NOT_YET = ['create', 'events', 'pause', 'unpause', 'cp', 'wait', 'watch', 'scale', 'stats', 'version', 'attach', 'commit', 'export', 'publish', 'alpha', 'bridge', 'volumes'];

/** cobra's argument-count errors, as compose's commands declare their arity. */
function arityError(prog: string, sub: Sub, n: number): string {
  const cmd = `${prog} ${sub.usage.split(' [')[0]!.split(' ').filter((w) => w === w.toLowerCase()).join(' ')}`;
  const [min, max] = sub.args;
  if (max === 0) return `"${cmd}" accepts no arguments.`;
  if (min === max) return `accepts ${min} arg(s), received ${n}`;
  return `requires at least ${min} arg(s), only received ${n}`;
}

export const compose: Command = {
  name: 'compose',
  usage: 'compose [OPTIONS] COMMAND',
  description: `Define and run multi-container applications with Docker (tabdock: ${Object.keys(SUBS).sort().join(', ')})`,
  flags: GLOBAL_FLAGS,
  stopAtPositional: true,
  args: [1, Infinity],
  async run(g, ctx) {
    const [subName, ...rest] = g.args;
    const sub = SUBS[subName!];
    if (!sub) {
      if (NOT_YET.includes(subName!)) throw cliError(`${ctx.prog} compose ${subName} is not supported by tabdock yet; it runs compose ${Object.keys(SUBS).sort().join(', ')}`);
      throw cliError(`unknown docker command: "compose ${subName}"`);
    }
    const end = rest.indexOf('--');
    const own = sub.stopAtPositional ? rest.slice(0, firstPositional(rest, sub)) : end === -1 ? rest : rest.slice(0, end);
    if (own.includes('--help') || own.includes('-h')) {
      ctx.io.out(`${usageText(ctx.prog, sub.usage, sub.description, sub.flags)}\n`);
      return 0;
    }
    const p = parseArgs(rest, sub.flags, { stopAtPositional: sub.stopAtPositional === true });
    if (p.args.length < sub.args[0] || p.args.length > sub.args[1]) throw cliError(arityError(ctx.prog, sub, p.args.length));
    return sub.run(p, g, ctx);
  },
};

/** Where the sub-command's own flags end when it takes a command line (`exec web ls -h`: `-h` is ls's). */
function firstPositional(argv: string[], sub: Sub): number {
  const valued = new Set(sub.flags.filter((f) => f.type !== 'bool').flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--' || !a.startsWith('-') || a === '-') return i;
    if (valued.has(a)) i++;
  }
  return argv.length;
}
