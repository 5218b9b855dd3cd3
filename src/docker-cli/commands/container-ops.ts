import { TabdockError } from '../../shared/errors.ts';
import { UPDATE_FLAGS, parseUpdateFlags } from '../../engine/spec/update.ts';
import type { Command } from '../command.ts';
import { tabwrite } from '../format.ts';
import { eachArg } from './containers.ts';

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
