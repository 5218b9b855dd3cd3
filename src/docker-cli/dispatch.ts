import { TabdockError, messageOf } from '../shared/errors.ts';
import { parseArgs, usageText } from './args.ts';
import { exitCodeForError } from '../engine/spec/exit-codes.ts';
import type { Command, DockerCtx } from './command.ts';
import { COMMON_COMMANDS } from './commands.ts';

/**
 * The docker CLI's front: help, `--version`, finding the command (`image prune` before
 * `image`), flag errors (exit 125, with a `--help` hint), one-line errors and exit codes
 * (docker CLI reference: 125 engine/flag error; `run` passes on the container's 126/127
 * and its exit status; other failures 1).
 */
export async function runDocker<C extends DockerCtx>(argv: string[], ctx: C, commands: Command<C>[] = COMMON_COMMANDS): Promise<number> {
  const { io, prog } = ctx;
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(overview(prog, commands));
    return 0;
  }
  if (argv[0] === '--version' || argv[0] === '-v') argv = ['version'];
  const found = findCommand(argv, commands);
  if (!found) {
    io.err(`${prog}: '${argv[0]}' is not a ${prog} command.\nSee '${prog} --help'\n`);
    return 1;
  }
  const { cmd, rest } = found;
  if (rest.includes('--help') && (!cmd.stopAtPositional || rest.indexOf('--help') < firstPositional(rest))) {
    io.out(usageText(prog, cmd.usage, cmd.description, cmd.flags));
    return 0;
  }
  // Only `run` prefixes the daemon's errors with the program and exits 125 (docker/cli
  // run.go reportError); `create` returns them as they are, exit 1 (create.go runCreate).
  const engineCmd = cmd.name === 'run';
  try {
    const parsed = parseArgs(rest, cmd.flags, { stopAtPositional: cmd.stopAtPositional ?? false });
    const [min, max] = cmd.args;
    if (parsed.args.length < min || parsed.args.length > max) {
      const want = min === max ? `exactly ${min} argument${min === 1 ? '' : 's'}` : max === Infinity ? `at least ${min} argument${min === 1 ? '' : 's'}` : `at most ${max} argument${max === 1 ? '' : 's'}`;
      // docker/cli's RequiresMinArgs & co: an error cobra returns, printed as is, exit 1.
      throw new TabdockError('CLI_ERROR', `"${prog} ${cmd.name}" requires ${want}.\nSee '${prog} ${cmd.name} --help'.\n\nUsage:  ${prog} ${cmd.usage}\n\n${cmd.description}`, {});
    }
    return await cmd.run(parsed, ctx);
  } catch (e) {
    if (TabdockError.is(e, 'FLAG_ERROR')) {
      io.err(`${prog}: ${e.message}${e.message.includes('--help') ? '' : `\nSee '${prog} ${cmd.name} --help'.`}\n`);
      return 125;
    }
    // Docker's sentence alone, exit 1 unless said: a --format template that does not parse
    // or run (64 for inspect's parse errors), and the CLI's own refusals.
    if (TabdockError.is(e, 'TEMPLATE_ERROR') || TabdockError.is(e, 'CLI_ERROR') || TabdockError.is(e, 'COMPOSE_FILE_INVALID') || TabdockError.is(e, 'COMPOSE_UNSUPPORTED')) {
      io.err(`${e.message}\n`);
      return e.exitCode ?? 1;
    }
    if ((TabdockError.is(e, 'NO_SUCH_IMAGE') && cmd.name === 'image inspect') || TabdockError.is(e, 'NO_SUCH_OBJECT')) {
      io.err(`Error: ${e.message}\n`);
      return 1;
    }
    const text = TabdockError.is(e) || e instanceof Error ? messageOf(e) : String(e);
    io.err(`${engineCmd ? `${prog}: ` : ''}Error response from daemon: ${text.split('\n')[0]}\n`);
    if (io.env['TABDOCK_DEBUG'] && e instanceof Error) io.err(`${e.stack}\n`);
    // `run`/`create` exit 125 when the engine failed before the command ran, 126/127 when the
    // command cannot be invoked or found (docker run reference); `exec` passes on 126/127 and
    // its own refusals; every other command that fails exits 1, as the docker CLI does.
    if (engineCmd) return exitCodeForError(e);
    if (cmd.name === 'exec' && TabdockError.is(e) && e.exitCode !== undefined) return e.exitCode;
    return 1;
  }
}

/** Two-word commands first (`container prune`), then one word (`ps`), by name or alias. */
function findCommand<C extends DockerCtx>(argv: string[], commands: Command<C>[]): { cmd: Command<C>; rest: string[] } | undefined {
  for (const n of [2, 1]) {
    const name = argv.slice(0, n).join(' ');
    const cmd = commands.find((c) => c.name === name || c.aliases?.includes(name));
    if (cmd && argv.length >= n) return { cmd, rest: argv.slice(n) };
  }
  return undefined;
}

function overview<C extends DockerCtx>(prog: string, commands: Command<C>[]): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return [
    `Usage:  ${prog} [OPTIONS] COMMAND`,
    '',
    'Docker in a browser tab, and in Node: OCI images from real registries.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(w)}   ${c.description}`),
    '',
    `Run '${prog} COMMAND --help' for more information on a command.`,
    '',
  ].join('\n');
}

function firstPositional(argv: string[]): number {
  const i = argv.findIndex((a) => !a.startsWith('-'));
  return i === -1 ? argv.length : i;
}
