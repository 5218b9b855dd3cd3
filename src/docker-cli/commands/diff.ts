import type { Command } from '../command.ts';

export const diff: Command = {
  name: 'diff',
  aliases: ['container diff'],
  usage: 'diff CONTAINER',
  description: "Inspect changes to files or directories on a container's filesystem",
  flags: [],
  args: [1, 1],
  async run(p, { io, engine }) {
    const changes = await (await engine()).containerChanges(p.args[0]!);
    io.out(changes.map((c) => `${c.kind} ${c.path}\n`).join(''));
    return 0;
  },
};
