import type { Command } from '../command.ts';

export const VERSION = '0.1.0';

/** The product's version (it is tabdock's, whatever name it is invoked as), and what it runs on. */
export const version: Command = {
  name: 'version',
  usage: 'version',
  description: 'Show the tabdock version information',
  flags: [],
  args: [0, 0],
  async run(_p, { io, runtime }) {
    io.out(`tabdock version ${VERSION}\n${runtime ? `${runtime}\n` : ''}`);
    return 0;
  },
};
