import { COMMON_COMMANDS, runDocker } from '../docker-cli/index.ts';
import { makeCtx, type Io } from './context.ts';
import { loadCliConfig, tabdockHome } from './home.ts';
import type { NodeCommand, NodeCtx } from './commands/command.ts';
import { cp } from './commands/cp.ts';
import { daemon } from './commands/daemon.ts';
import { info } from './commands/info.ts';
import { login, logout } from './commands/login.ts';
import { proxy } from './commands/proxy.ts';
import { terminalIo } from './node-io.ts';

/**
 * `tabdock`: the shared docker commands (src/docker-cli) plus those that need Node: `cp`
 * (the host's files), `login`/`logout` ($TABDOCK_HOME/config.json), `proxy` (a server),
 * `daemon` and `info` (how the guest starts). `cp` is listed after `diff` and the others before `version`, as before.
 */
export const COMMANDS: NodeCommand[] = COMMON_COMMANDS.flatMap((c): NodeCommand[] =>
  c.name === 'diff' ? [c, cp] : c.name === 'version' ? [info, login, logout, proxy, daemon, c] : [c],
);

/** Runs one command line against the process's stdio; resolves with the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  // Everything the CLI and its daemon write under $TABDOCK_HOME (records with -e secrets,
  // logs, the socket) is for this user only.
  process.umask(0o077);
  const node = makeCtx(io);
  const ctx: NodeCtx = {
    io: terminalIo(io),
    engine: node.engine,
    prog: 'tabdock',
    runtime: `Node ${process.version} (${process.platform}/${process.arch})`,
    config: await loadCliConfig(tabdockHome(io.env), (s) => io.err(s)),
    ...(io.stdin ? { stdinStream: io.stdin } : {}),
  };
  try {
    return await runDocker(argv, ctx, COMMANDS);
  } finally {
    node.dispose();
  }
}
