import type { Command } from '../command.ts';
import { TabdockError } from '../../shared/errors.ts';

export const rmi: Command = {
  name: 'rmi',
  aliases: ['image rm', 'image remove'],
  usage: 'rmi [OPTIONS] IMAGE [IMAGE...]',
  description: 'Remove one or more images',
  flags: [{ name: 'force', short: 'f', type: 'bool', help: 'Force removal of the image' }],
  args: [1, Infinity],
  async run(p, { io, engine }) {
    const api = await engine();
    let failed: unknown;
    for (const a of p.args) {
      try {
        const r = await api.removeImage(a, { force: p.flags['force'] === true });
        for (const u of r.untagged) io.out(`Untagged: ${u}\n`);
        for (const d of r.deleted) io.out(`Deleted: ${d}\n`);
      } catch (e) {
        // Docker goes on with the other images and reports each failure.
        if (!TabdockError.is(e)) throw e;
        io.err(`Error response from daemon: ${e.message}\n`);
        failed = e;
      }
    }
    return failed ? 1 : 0;
  },
};

export const tag: Command = {
  name: 'tag',
  aliases: ['image tag'],
  usage: 'tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  flags: [],
  args: [2, 2],
  async run(p, { engine }) {
    await (await engine()).tagImage(p.args[0]!, p.args[1]!);
    return 0;
  },
};
