import type { Command, DockerCtx } from '../command.ts';
import { humanSize } from '../format.ts';
import type { TerminalIo } from '../io.ts';

export const forceFlag = { name: 'force', short: 'f', type: 'bool' as const, help: 'Do not prompt for confirmation' };

/**
 * Docker's `PromptForConfirmation`. On a terminal it asks and reads a line; with stdin not
 * a terminal it cannot ask anyone, so it refuses and says to pass -f (docker would read
 * the answer from the pipe; a script that wants pruning says so with -f).
 */
async function confirm(io: TerminalIo, warning: string): Promise<boolean | 'no-tty'> {
  const stdin = io.stdin;
  if (!stdin?.isTTY) return 'no-tty';
  io.out(`${warning}\nAre you sure you want to continue? [y/N] `);
  const line = await new Promise<string>((resolve) => {
    let buf = '';
    let offData = () => {};
    let offEnd = () => {};
    let over = false;
    const done = () => {
      if (over) return;
      over = true;
      offData();
      offEnd();
      resolve(buf.split(/\r?\n|\r/)[0]!.trim());
    };
    // The answer is ASCII (y, yes); bytes become characters one to one.
    offData = stdin.onData((d) => {
      buf += String.fromCharCode(...d);
      if (/[\r\n]/.test(buf)) done();
    });
    offEnd = stdin.onEnd(done);
  });
  return /^y(es)?$/i.test(line);
}

/** `true` to go on, or the exit code to end with. */
export async function confirmed({ io, prog }: DockerCtx, force: boolean, warning: string, cmd: string): Promise<true | number> {
  if (force) return true;
  const ok = await confirm(io, warning);
  if (ok === 'no-tty') {
    io.err(`${prog} ${cmd}: stdin is not a terminal, so it cannot ask for confirmation; use -f (--force) to prune without asking\n`);
    return 1;
  }
  return ok ? true : 0;
}

/** Docker's prune report: the list (if any), a blank line, then the space freed (units.HumanSize). */
export function report(io: TerminalIo, title: string, lines: string[], reclaimed: number): void {
  if (lines.length) io.out(`${title}\n${lines.map((l) => `${l}\n`).join('')}\n`);
  io.out(`Total reclaimed space: ${humanSize(reclaimed, 4)}\n`);
}

export const imagePrune: Command = {
  name: 'image prune',
  usage: 'image prune [OPTIONS]',
  description: 'Remove unused images',
  flags: [{ name: 'all', short: 'a', type: 'bool', help: 'Remove all unused images, not just dangling ones' }, forceFlag],
  args: [0, 0],
  async run(p, ctx) {
    const { io, engine } = ctx;
    const all = p.flags['all'] === true;
    const warning = all ? 'WARNING! This will remove all images without at least one container associated to them.' : 'WARNING! This will remove all dangling images.';
    const go = await confirmed(ctx, p.flags['force'] === true, warning, 'image prune');
    if (go !== true) return go;
    const r = await (await engine()).pruneImages({ all });
    report(io, 'Deleted Images:', r.deleted.map((d) => (d.untagged ? `untagged: ${d.untagged}` : `deleted: ${d.deleted}`)), r.reclaimed);
    return 0;
  },
};

export const containerPrune: Command = {
  name: 'container prune',
  usage: 'container prune [OPTIONS]',
  description: 'Remove all stopped containers',
  flags: [forceFlag],
  args: [0, 0],
  async run(p, ctx) {
    const { io, engine } = ctx;
    const go = await confirmed(ctx, p.flags['force'] === true, 'WARNING! This will remove all stopped containers.', 'container prune');
    if (go !== true) return go;
    const r = await (await engine()).pruneContainers();
    report(io, 'Deleted Containers:', r.deleted, r.reclaimed);
    return 0;
  },
};
