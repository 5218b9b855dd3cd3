import { TabdockError, messageOf } from '../shared/errors.ts';
import { parseArgs, usageText } from './args.ts';
import { makeCtx, type Io } from './context.ts';
import type { Command } from './commands/command.ts';
import { images } from './commands/images.ts';
import { imageInspect } from './commands/inspect.ts';
import { pull } from './commands/pull.ts';
import { rmi, tag } from './commands/rmi.ts';
import { proxy } from './commands/proxy.ts';
import { version } from './commands/version.ts';
import { login, logout } from './commands/login.ts';
import { daemon } from './commands/daemon.ts';
import { kill, logs, ps, restart, rm, start, stop, wait } from './commands/containers.ts';
import { create, exec, run } from './commands/run.ts';
import { inspect } from './commands/inspect.ts';
import { diff } from './commands/diff.ts';
import { cp } from './commands/cp.ts';
import { history } from './commands/history.ts';
import { containerPrune, imagePrune } from './commands/prune.ts';

/**
 * `tabdock`: the docker CLI's command names, flags, output and exit codes. Errors are
 * one line; flag errors exit 125 as Docker's do, other failures 1.
 */
export const COMMANDS: Command[] = [run, create, start, exec, ps, logs, stop, kill, restart, wait, rm, diff, cp, containerPrune, inspect, pull, images, imageInspect, history, imagePrune, rmi, tag, login, logout, proxy, daemon, version];

function findCommand(argv: string[]): { cmd: Command; rest: string[] } | undefined {
  for (const n of [2, 1]) {
    const name = argv.slice(0, n).join(' ');
    const cmd = COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
    if (cmd && argv.length >= n) return { cmd, rest: argv.slice(n) };
  }
  return undefined;
}

function overview(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage:  tabdock [OPTIONS] COMMAND',
    '',
    'Docker in a browser tab, and in Node: OCI images from real registries.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}   ${c.description}`),
    '',
    "Run 'tabdock COMMAND --help' for more information on a command.",
    '',
  ].join('\n');
}

export async function main(argv: string[], io: Io): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(overview());
    return 0;
  }
  if (argv[0] === '--version' || argv[0] === '-v') argv = ['version'];
  const found = findCommand(argv);
  if (!found) {
    io.err(`tabdock: '${argv[0]}' is not a tabdock command.\nSee 'tabdock --help'\n`);
    return 1;
  }
  const { cmd, rest } = found;
  if (rest.includes('--help') && (!cmd.stopAtPositional || rest.indexOf('--help') < firstPositional(rest))) {
    io.out(usageText(cmd.usage, cmd.description, cmd.flags));
    return 0;
  }
  const ctx = makeCtx(io);
  try {
    const parsed = parseArgs(rest, cmd.flags, { stopAtPositional: cmd.stopAtPositional ?? false });
    const [min, max] = cmd.args;
    if (parsed.args.length < min || parsed.args.length > max) {
      const want = min === max ? `exactly ${min} argument${min === 1 ? '' : 's'}` : max === Infinity ? `at least ${min} argument${min === 1 ? '' : 's'}` : `at most ${max} argument${max === 1 ? '' : 's'}`;
      throw new TabdockError('FLAG_ERROR', `"tabdock ${cmd.name}" requires ${want}.\nSee 'tabdock ${cmd.name} --help'.\n\nUsage:  tabdock ${cmd.usage}\n\n${cmd.description}`, {});
    }
    return await cmd.run(parsed, ctx);
  } catch (e) {
    if (TabdockError.is(e, 'FLAG_ERROR')) {
      io.err(`tabdock: ${e.message}${e.message.includes('--help') ? '' : `\nSee 'tabdock ${cmd.name} --help'.`}\n`);
      return 125;
    }
    if ((TabdockError.is(e, 'NO_SUCH_IMAGE') && cmd.name === 'image inspect') || TabdockError.is(e, 'NO_SUCH_OBJECT')) {
      io.err(`Error: ${e.message}\n`);
      return 1;
    }
    const text = TabdockError.is(e) || e instanceof Error ? messageOf(e) : String(e);
    io.err(`${cmd.name === 'run' || cmd.name === 'create' ? 'tabdock: ' : ''}Error response from daemon: ${text.split('\n')[0]}\n`);
    if (io.env['TABDOCK_DEBUG'] && e instanceof Error) io.err(`${e.stack}\n`);
    // `run` exits 125 when the engine failed before the command ran (docker run reference).
    const code = TabdockError.is(e) ? e.data['exitCode'] : undefined;
    return typeof code === 'number' ? code : cmd.name === 'run' || cmd.name === 'create' ? 125 : 1;
  } finally {
    ctx.dispose();
  }
}

function firstPositional(argv: string[]): number {
  const i = argv.findIndex((a) => !a.startsWith('-'));
  return i === -1 ? argv.length : i;
}
