import { parsePlatform } from '../../registry-client/platform.ts';
import { TabdockError } from '../../shared/errors.ts';
import type { Command } from '../command.ts';
import { readArchive, writeArchive } from './save-load.ts';

export const exportCmd: Command = {
  name: 'export',
  aliases: ['container export'],
  usage: 'export [OPTIONS] CONTAINER',
  description: "Export a container's filesystem as a tar archive",
  flags: [{ name: 'output', short: 'o', type: 'string', value: 'string', help: 'Write to a file, instead of STDOUT' }],
  args: [1, 1],
  async run(p, { io, engine }) {
    const api = await engine();
    await writeArchive(io, p.flags['output'] as string | undefined, 'export', (write) => api.exportContainer(p.args[0]!, write));
    return 0;
  },
};

/** `docker import file|- [REPOSITORY[:TAG]]` (a URL source is not supported: the engine fetches only from registries). */
export const importCmd: Command = {
  name: 'import',
  aliases: ['image import'],
  usage: 'import [OPTIONS] file|- [REPOSITORY[:TAG]]',
  description: 'Import the contents from a tarball to create a filesystem image',
  flags: [
    { name: 'change', short: 'c', type: 'list', value: 'list', help: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', type: 'string', value: 'string', help: 'Set commit message for imported image' },
    { name: 'platform', type: 'string', value: 'string', help: 'Set platform if server is multi-platform capable (default linux/386)' },
  ],
  args: [1, 2],
  async run(p, { io, engine }) {
    const source = p.args[0]!;
    if (/^https?:\/\//.test(source)) throw new TabdockError('CLI_ERROR', 'tabdock import takes a file or - (stdin); importing from a URL is not supported', {});
    const platform = p.flags['platform'] as string | undefined;
    if (platform) parsePlatform(platform);
    const next = readArchive(io, source, 'import');
    const changes = (p.flags['change'] as string[] | undefined) ?? [];
    const message = p.flags['message'] as string | undefined;
    const r = await (await engine()).importImage(async () => (await next()) ?? null, {
      ...(p.args[1] ? { reference: p.args[1] } : {}), ...(changes.length ? { changes } : {}), ...(message ? { message } : {}), ...(platform ? { platform } : {}),
    });
    io.out(`${r.id}\n`);
    return 0;
  },
};
