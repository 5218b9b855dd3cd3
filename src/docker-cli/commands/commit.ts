import type { Command } from '../command.ts';

/** `docker commit` (docker/cli container/commit.go): prints the new image's ID. */
export const commit: Command = {
  name: 'commit',
  aliases: ['container commit'],
  usage: 'commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  description: "Create a new image from a container's changes",
  flags: [
    { name: 'author', short: 'a', type: 'string', value: 'string', help: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    { name: 'change', short: 'c', type: 'list', value: 'list', help: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', type: 'string', value: 'string', help: 'Commit message' },
    { name: 'pause', short: 'p', type: 'bool', help: 'Pause container during commit (default true)' },
  ],
  args: [1, 2],
  async run(p, { io, engine }) {
    const author = p.flags['author'] as string | undefined;
    const comment = p.flags['message'] as string | undefined;
    const changes = (p.flags['change'] as string[] | undefined) ?? [];
    const r = await (await engine()).commitContainer(p.args[0]!, {
      ...(p.args[1] ? { reference: p.args[1] } : {}),
      ...(author ? { author } : {}),
      ...(comment ? { comment } : {}),
      ...(changes.length ? { changes } : {}),
      // Docker's default is to pause; `-p=false` commits a running container as it runs.
      pause: p.flags['pause'] !== false,
    });
    io.out(`${r.id}\n`);
    return 0;
  },
};
