import { parsePlatform } from '../../registry-client/platform.ts';
import { parseReference, usesDefaultTag } from '../../registry-client/reference.ts';
import { PullPrinter } from '../progress.ts';
import type { Command } from '../command.ts';

export const pull: Command = {
  name: 'pull',
  aliases: ['image pull'],
  usage: 'pull [OPTIONS] NAME[:TAG|@DIGEST]',
  description: 'Download an image from a registry',
  flags: [
    { name: 'platform', type: 'string', value: 'string', help: 'Set platform if server is multi-platform capable (default linux/386)' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress verbose output' },
  ],
  args: [1, 1],
  async run(p, { io, engine }) {
    const text = p.args[0]!;
    const ref = parseReference(text);
    const platform = p.flags['platform'] ? String(p.flags['platform']) : undefined;
    if (platform) parsePlatform(platform); // a bad --platform is a flag error before any network
    const quiet = p.flags['quiet'] === true;
    const api = await engine();
    if (!quiet) {
      if (usesDefaultTag(text)) io.out('Using default tag: latest\n');
      io.out(`${ref.digest ? ref.digest.toString() : ref.tag}: Pulling from ${ref.repository}\n`);
    }
    const printer = new PullPrinter(io.out, io.isTTY);
    const r = await api.pull(text, platform ? { platform } : {}, quiet ? undefined : printer.onEvent);
    if (!quiet) {
      io.out(`Digest: ${r.digest}\n`);
      io.out(r.updated ? `Status: Downloaded newer image for ${r.reference}\n` : `Status: Image is up to date for ${r.reference}\n`);
    }
    io.out(`${r.canonical}\n`);
    return 0;
  },
};
