import type { Command } from './command.ts';

export const VERSION = '0.1.0';

export const version: Command = {
  name: 'version',
  usage: 'version',
  description: 'Show the tabdock version information',
  flags: [],
  args: [0, 0],
  async run(_p, { io }) {
    io.out(`tabdock version ${VERSION}\nNode ${process.version} (${process.platform}/${process.arch})\n`);
    return 0;
  },
};
