import { TabdockError } from '../../shared/errors.ts';
import { parseReference, usesDefaultTag } from '../../registry-client/reference.ts';
import type { Command } from '../command.ts';
import { PullPrinter } from '../progress.ts';

/** `docker push` (docker/cli image/push.go, Docker 20.10's output): one tag, or every tag of the repository with `-a`. */
export const push: Command = {
  name: 'push',
  aliases: ['image push'],
  usage: 'push [OPTIONS] NAME[:TAG]',
  description: 'Push an image or a repository to a registry',
  flags: [
    { name: 'all-tags', short: 'a', type: 'bool', help: 'Push all tagged images in the repository' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress verbose output' },
  ],
  args: [1, 1],
  async run(p, { io, engine }) {
    const text = p.args[0]!;
    const ref = parseReference(text);
    const all = p.flags['all-tags'] === true;
    const quiet = p.flags['quiet'] === true;
    if (all && !usesDefaultTag(text)) throw new TabdockError('CLI_ERROR', 'tag can\'t be used with --all-tags/-a', {});
    const api = await engine();
    let tags = [ref.tag ?? 'latest'];
    if (all) {
      tags = (await api.listImages()).flatMap((i) => i.repoTags).filter((t) => t.startsWith(`${ref.name}:`)).map((t) => t.slice(ref.name.length + 1)).sort();
      if (tags.length === 0) throw new TabdockError('NO_SUCH_IMAGE', `An image does not exist locally with the tag: ${ref.familiarName}`, { image: text });
    } else if (!quiet && usesDefaultTag(text)) io.out('Using default tag: latest\n');
    if (!quiet) io.out(`The push refers to repository [${ref.name}]\n`);
    for (const tag of tags) {
      const printer = new PullPrinter(io.out, io.isTTY);
      const r = await api.push(`${ref.name}:${tag}`, quiet ? undefined : printer.onEvent);
      io.out(quiet ? `${ref.familiarName}:${tag}\n` : `${r.tag}: digest: ${r.digest} size: ${r.size}\n`);
    }
    return 0;
  },
};
