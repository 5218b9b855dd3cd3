import { TabdockError } from '../../shared/errors.ts';
import { UPDATE_FLAGS, parseUpdateFlags } from '../../engine/spec/update.ts';
import type { Command } from '../command.ts';
import { tabwrite } from '../format.ts';
import { eachArg } from './containers.ts';
import { checkTty } from './run.ts';
import { DETACH_KEYS_FLAG, detachKeys, wireStdin } from './stdin.ts';
import { untilInterrupt } from '../io.ts';

/** `docker rename` (docker/cli `container/rename.go`): the daemon's error, then its own line; exit 1. */
export const rename: Command = {
  name: 'rename',
  aliases: ['container rename'],
  usage: 'rename CONTAINER NEW_NAME',
  description: 'Rename a container',
  flags: [],
  args: [2, 2],
  async run(p, { io, engine }) {
    const [oldName, newName] = p.args.map((a) => a.trim()) as [string, string];
    if (oldName === '' || newName === '') throw new TabdockError('CLI_ERROR', 'Error: Neither old nor new names may be empty', {});
    const api = await engine();
    try {
      await api.renameContainer(oldName, newName);
    } catch (e) {
      if (!TabdockError.is(e)) throw e;
      io.err(`Error response from daemon: ${e.message}\n`);
      throw new TabdockError('CLI_ERROR', `Error: failed to rename container named ${oldName}`, {});
    }
    return 0;
  },
};

export const pause: Command = {
  name: 'pause',
  aliases: ['container pause'],
  usage: 'pause CONTAINER [CONTAINER...]',
  description: 'Pause all processes within one or more containers',
  flags: [],
  args: [1, Infinity],
  async run(p, { io, engine }) {
    const api = await engine();
    return eachArg(io, p.args, (ref) => api.pauseContainer(ref));
  },
};

export const unpause: Command = {
  name: 'unpause',
  aliases: ['container unpause'],
  usage: 'unpause CONTAINER [CONTAINER...]',
  description: 'Unpause all processes within one or more containers',
  flags: [],
  args: [1, Infinity],
  async run(p, { io, engine }) {
    const api = await engine();
    return eachArg(io, p.args, (ref) => api.unpauseContainer(ref));
  },
};

/** `docker top` (docker/cli `container/top.go`): the titles and rows through a tabwriter of minwidth 20, padding 3. */
export const top: Command = {
  name: 'top',
  aliases: ['container top'],
  usage: 'top CONTAINER [ps OPTIONS]',
  description: 'Display the running processes of a container',
  flags: [],
  stopAtPositional: true,
  args: [1, Infinity],
  async run(p, { io, engine }) {
    const [ref, ...psArgs] = p.args as [string, ...string[]];
    const r = await (await engine()).topContainer(ref, psArgs);
    io.out(tabwrite([r.Titles, ...r.Processes].map((row) => `${row.join('\t')}\n`).join(''), 20, 3));
    return 0;
  },
};

/** `docker update` (docker/cli `container/update.go`): the flags once, then each container's name or error. */
export const update: Command = {
  name: 'update',
  aliases: ['container update'],
  usage: 'update [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Update configuration of one or more containers',
  flags: UPDATE_FLAGS,
  args: [1, Infinity],
  async run(p, { io, engine }) {
    const u = parseUpdateFlags(p);
    const api = await engine();
    return eachArg(io, p.args, (ref) => api.updateContainer(ref, u));
  },
};

interface AttachState {
  Id: string;
  State: { Running: boolean; Paused: boolean; Restarting: boolean };
  Config: { Tty: boolean; OpenStdin: boolean };
}

/**
 * `docker attach` (docker/cli `container/attach.go`): the running container's output from
 * now on, and the terminal's input when it was made with `-i` (not with `--no-stdin`);
 * Ctrl-C goes to it as SIGINT unless it has a TTY or `--sig-proxy=false` (then Ctrl-C
 * leaves it running, 130). The end of the terminal's input does not close the container's
 * stdin (its StdinOnce is false: only `run -i` closes it). Ends with its exit code.
 */
export const attach: Command = {
  name: 'attach',
  aliases: ['container attach'],
  usage: 'attach [OPTIONS] CONTAINER',
  description: 'Attach local standard input, output, and error streams to a running container',
  flags: [
    { name: 'no-stdin', type: 'bool', help: 'Do not attach STDIN' },
    { name: 'sig-proxy', type: 'bool', help: 'Proxy all received signals to the process (default true)' },
    DETACH_KEYS_FLAG,
  ],
  args: [1, 1],
  async run(p, { io, engine, config }) {
    const keys = detachKeys(p.flags['detach-keys'] ?? config?.detachKeys);
    const api = await engine();
    const c = (await api.inspectContainer(p.args[0]!)) as unknown as AttachState;
    if (!c.State.Running) throw new TabdockError('CLI_ERROR', 'You cannot attach to a stopped container, start it first', {});
    if (c.State.Paused) throw new TabdockError('CLI_ERROR', 'You cannot attach to a paused container, unpause it first', {});
    if (c.State.Restarting) throw new TabdockError('CLI_ERROR', 'You cannot attach to a restarting container, wait until it is running', {});
    const stdin = c.Config.OpenStdin && p.flags['no-stdin'] !== true;
    checkTty(io, stdin, c.Config.Tty);
    const a = await api.attachContainer(c.Id, (chunk, fd) => (fd === 2 ? io.err : io.out)(chunk));
    // The detach keys (with a TTY) leave it running: docker's CLI ends with the EscapeError, exit 1.
    let onDetach!: () => void;
    const detached = new Promise<number>((r) => (onDetach = () => {
      io.err('read escape sequence\n');
      void a.detach({ escape: true }).catch(() => {}).finally(() => r(1));
    }));
    const unwire = stdin ? wireStdin(a, io, c.Config.Tty, { closeOnEnd: false, detach: { keys, onDetach } }) : () => {};
    const proxy = p.flags['sig-proxy'] !== false && !c.Config.Tty;
    const unproxy = proxy ? io.onInterrupt?.(() => void api.killContainer(c.Id, 'SIGINT').catch(() => {})) ?? (() => {}) : () => {};
    try {
      const exited = Promise.race([api.waitContainer(c.Id).then((r) => r.StatusCode), detached]);
      return await (proxy ? exited : untilInterrupt(io, exited));
    } finally {
      unproxy();
      unwire();
      void a.detach().catch(() => {});
    }
  },
};
